"""What the REMS doors keep: which REMSRequest produced which authorization (so a retried message gets the
same answer and never a second authorization), and the EHR clients allowed to call the CDS services with
the JWT identifiers they have used (so a token is never accepted twice)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Clinic, Pharmacy
from clearcourse.pharmacy.models import Authorization


class ScriptExchange(models.Model):
    """A REMSRequest answered with an authorization: (pharmacy, REMSReferenceID) -> the authorization. A
    job row, not a clinical record: the authorization itself is the record (insert-only, audited)."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="+")
    reference_id = models.CharField(max_length=35)
    authorization = models.OneToOneField(Authorization, on_delete=models.PROTECT, related_name="script_exchange")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pharmacy", "reference_id"],
                                               name="script_exchange_once_per_reference")]

    def __str__(self) -> str:
        return f"REMSRequest {self.reference_id} -> authorization {self.authorization_id}"


class EhrClient(models.Model):
    """An EHR allowed to call the CDS services: its JWT issuer (``iss``), the JWK Set its tokens are signed
    with (stored, or fetched from ``jwks_url``), and the clinic whose patients it may ask about."""

    issuer = models.CharField(_("issuer"), max_length=255, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="ehr_clients")
    jwks = models.JSONField(_("JWK Set"), null=True, blank=True)
    jwks_url = models.URLField(_("JWK Set URL"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(name="ehr_client_has_keys",
                                              condition=models.Q(jwks__isnull=False) | ~models.Q(jwks_url=""))]

    def __str__(self) -> str:
        return self.name or self.issuer


class UsedJti(models.Model):
    """A JWT identifier an EHR client has used; the unique constraint refuses a replay, in every process."""

    client = models.ForeignKey(EhrClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="used_jti_once")]
        indexes = [models.Index(fields=["expires_at"], name="used_jti_expiry")]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.jti}"
