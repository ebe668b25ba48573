"""The patient portal's own records: invitations to the portal and signed consents.

An invitation is an operational record (it is sent, then accepted, expires or is replaced), so it is
an ordinary model. A consent signature is a clinical record: inserted once, never changed
(``ClinicalRecord``), and it keeps the exact text the patient signed with its SHA-256, so the
signature can be proven against the text even after the clinic's consent wording changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clearcourse.core.models import ClinicalRecord
from clearcourse.courses.models import Course, Patient


class Invitation(models.Model):
    """An emailed, single-use link that lets a patient set a password and reach their own record.

    The link carries a signed token (``django.core.signing``) holding the invitation id and a random
    nonce; only the nonce's SHA-256 is stored, so a database reader cannot rebuild a working link.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="portal_invitations")
    email = models.EmailField(_("email"))
    nonce_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer invitation replaces this one, so only the latest link works.
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "created_at"])]

    def __str__(self) -> str:
        return f"Invitation {self.pk} for patient {self.patient_id}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class GuardianRelationship(models.TextChoices):
    PARENT = "parent", _("Parent")
    LEGAL_GUARDIAN = "legal_guardian", _("Legal guardian")


class ConsentSignature(ClinicalRecord):
    """The patient's signed consent and acknowledgement of risk for one course (append-only).

    ``text`` is the exact text shown and signed, ``text_sha256`` its hash, ``text_version`` the id of
    the versioned text it was built from (``portal.consent``). ``risks`` lists the risk codes the
    patient ticked one by one; every risk of the version must be ticked or nothing is stored.
    """

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="consent_signatures")
    text_version = models.CharField(_("consent text version"), max_length=80)
    text_sha256 = models.CharField(max_length=64)
    text = models.TextField(_("text signed"))
    language = models.CharField(_("language"), max_length=5)
    typed_name = models.CharField(_("typed full name"), max_length=200)
    signed_on = models.DateField(_("date"))
    risks = models.JSONField(_("risks acknowledged"), default=list)
    signed_at = models.DateTimeField(_("signed at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # A patient under the program's age for consenting alone signs with a parent or guardian
    # (rules.programs.guardian_consent_under_age); empty for an adult.
    guardian_name = models.CharField(_("parent or guardian"), max_length=200, blank=True)
    guardian_relationship = models.CharField(_("relationship to the patient"), max_length=20, blank=True,
                                             choices=GuardianRelationship.choices)
    guardian_confirmed = models.BooleanField(_("parent or guardian confirmed"), default=False)
    guardian_signed_on = models.DateField(_("parent or guardian signed on"), null=True, blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        indexes = [models.Index(fields=["course", "signed_at"])]

    def __str__(self) -> str:
        return f"Consent {self.pk} (course {self.course_id}, {self.text_version})"
