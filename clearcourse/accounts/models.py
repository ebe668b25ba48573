"""Users, their roles, and the organisations they belong to."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clearcourse.core.access import Role
from clearcourse.core.clock import SUPPORTED_TIME_ZONES
from clearcourse.core.identifiers import validate_ncpdp, validate_npi

TIME_ZONE_CHOICES = [(name, name.replace("_", " ")) for name in SUPPORTED_TIME_ZONES]


def default_time_zone() -> str:
    """New clinics and pharmacies count their calendar days in the installation's zone until told."""
    return settings.TIME_ZONE if settings.TIME_ZONE in SUPPORTED_TIME_ZONES else "Europe/Berlin"


class ProgramFamily(models.TextChoices):
    """The pregnancy-prevention program a clinic or pharmacy works under (see docs/rules.md)."""

    US_IPLEDGE = "us-ipledge", _("US iPLEDGE REMS")
    EU_PPP = "eu-ppp", _("EU Pregnancy Prevention Programme")
    UK_MHRA = "uk-mhra", _("UK MHRA Pregnancy Prevention Programme")


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200)
    program = models.CharField(_("program"), max_length=20, choices=ProgramFamily.choices)
    city = models.CharField(_("city"), max_length=120, blank=True)
    # Where the clinic's calendar days begin and end (due dates, windows, reminders at nine).
    time_zone = models.CharField(_("time zone"), max_length=40, choices=TIME_ZONE_CHOICES,
                                 default=default_time_zone)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Pharmacy(models.Model):
    name = models.CharField(_("name"), max_length=200)
    program = models.CharField(_("program"), max_length=20, choices=ProgramFamily.choices)
    # NCPDP or national registration number; iPLEDGE pharmacies are registered and activated.
    registration_number = models.CharField(_("registration number"), max_length=40, unique=True)
    #: US pharmacies: the NCPDP Provider ID (7 digits) that SCRIPT messages carry, and the pharmacy's NPI.
    ncpdp_id = models.CharField(_("NCPDP Provider ID"), max_length=7, blank=True, validators=[validate_ncpdp])
    npi = models.CharField(_("NPI"), max_length=10, blank=True, validators=[validate_npi])
    city = models.CharField(_("city"), max_length=120, blank=True)
    # The pharmacy's calendar day decides whether an authorization is still valid today.
    time_zone = models.CharField(_("time zone"), max_length=40, choices=TIME_ZONE_CHOICES,
                                 default=default_time_zone)
    #: The pharmacy's own setting (the 2026 iPLEDGE modification asks for prompt reversal of authorizations
    #: not picked up, without a number of days): an authorization not picked up within this many days (the
    #: day of the authorization is day 1) is reversed automatically (``reverse_unpicked``). Null: never
    #: automatically; the worklist still lists expired ones to reverse.
    reversal_window_days = models.PositiveSmallIntegerField(
        _("reverse unpicked authorizations after (days)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(30)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "pharmacies"
        constraints = [
            models.UniqueConstraint(fields=["ncpdp_id"], condition=~models.Q(ncpdp_id=""),
                                    name="pharmacy_ncpdp_id_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. The role decides what they may do; clinic/pharmacy decide where."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    pharmacy = models.ForeignKey(
        Pharmacy, null=True, blank=True, on_delete=models.PROTECT, related_name="pharmacists"
    )
    # A prescriber's professional registration (licence, iPLEDGE prescriber ID, GMC number).
    registration_number = models.CharField(_("registration number"), max_length=40, blank=True)
    #: US prescribers: the National Provider Identifier (10 digits, Luhn check digit with prefix 80840).
    npi = models.CharField(_("NPI"), max_length=10, blank=True, validators=[validate_npi])
    # Delegates act for the prescribers named here, never on their own authority.
    acts_for = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="delegates",
        limit_choices_to={"role": Role.PRESCRIBER},
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=[("en", "English"), ("de", "Deutsch")], default="en"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_staff_has_clinic",
                condition=~models.Q(role__in=["prescriber", "delegate"]) | models.Q(clinic__isnull=False),
            ),
            models.CheckConstraint(
                name="user_pharmacist_has_pharmacy",
                condition=~models.Q(role="pharmacist") | models.Q(pharmacy__isnull=False),
            ),
        ]

    @property
    def is_prescriber(self) -> bool:
        return self.role == Role.PRESCRIBER

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class PharmacyApiToken(models.Model):
    """A pharmacy system's credential for the JSON API (``Authorization: Bearer cc_<prefix>_<secret>``).

    Only a SHA-256 of the whole token is stored: the secret has 256 bits of entropy, so a slow password
    hash adds nothing, and the lookup by ``prefix`` keeps verification to one row. The plain token is
    shown once, when it is created. Each token acts through its own service identity
    (``service_user``: a pharmacist account of the token's pharmacy that cannot sign in), so the audit
    trail names the token that did something, and every pharmacy-scoped check applies unchanged.
    """

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    service_user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="api_token")
    # Rate limit state (a token bucket as GCRA, see api_auth): the "theoretical arrival time" in seconds
    # since the epoch, and the number of requests accepted; one conditional UPDATE per request.
    rate_tat = models.FloatField(default=0)
    request_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pharmacy API token")

    def __str__(self) -> str:
        return f"{self.pharmacy} · {self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
