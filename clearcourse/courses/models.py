"""Patients, courses and the clinical records of a course (append-only, see core.models)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Clinic, ProgramFamily
from clearcourse.core.models import ClinicalRecord


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Product(models.TextChoices):
    """Isotretinoin products are not interchangeable (clinical-rules.md 2.4)."""

    CONVENTIONAL = "conventional", _("Conventional isotretinoin (with food)")
    ABSORICA = "absorica", _("Absorica (lidose)")
    ABSORICA_LD = "absorica_ld", _("Absorica LD (micronized)")


class Patient(models.Model):
    """Demographics. Clinical facts about the patient live in records, not here."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="patients", limit_choices_to={"role": "prescriber"})
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="patient_record")
    record_number = models.CharField(_("record number"), max_length=40)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=[("en", "English"), ("de", "Deutsch")], default="en"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "record_number"], name="patient_record_number_unique"),
        ]
        # The administrator's audit search names a patient by record number or name in any case
        # (``selectors.audit_patients_named``: ``UPPER(...) = UPPER(...)``): an index each, so that look-up
        # does not read every patient (188 ms at 100,000 patients without them, docs/performance.md).
        indexes = [models.Index(fields=["clinic", "family_name"]),
                   models.Index(Upper("record_number"), name="patient_record_number_upper"),
                   models.Index(Upper("family_name"), name="patient_family_name_upper"),
                   models.Index(Upper("given_name"), name="patient_given_name_upper")]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class CourseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("On treatment")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed, post-treatment follow-up")
    CLOSED = "closed", _("Closed")
    STOPPED = "stopped", _("Stopped")


class Course(models.Model):
    """One course of isotretinoin, from assessment to the last post-treatment test."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="courses")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses")
    program = models.CharField(_("program"), max_length=20, choices=ProgramFamily.choices)
    product = models.CharField(_("product"), max_length=20, choices=Product.choices,
                               default=Product.CONVENTIONAL)
    status = models.CharField(_("status"), max_length=12, choices=CourseStatus.choices,
                              default=CourseStatus.PLANNED)
    target_mg_per_kg = models.DecimalField(_("cumulative target (mg/kg)"), max_digits=5, decimal_places=1,
                                           default=120)
    started_on = models.DateField(_("first dose"), null=True, blank=True)
    ended_on = models.DateField(_("last dose"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "status"])]

    def __str__(self) -> str:
        return f"Course {self.pk} ({self.patient})"


class WeightMeasurement(ClinicalRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="weights")
    measured_on = models.DateField(_("measured on"))
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1)

    class Meta:
        ordering = ["measured_on", "id"]
        constraints = [
            models.CheckConstraint(name="weight_in_range",
                                   condition=models.Q(weight_kg__gt=0) & models.Q(weight_kg__lte=350)),
        ]


class Assessment(ClinicalRecord):
    """Severity, indication and contraindication screen, with the core's decision as it was then."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    iga = models.PositiveSmallIntegerField(_("IGA"), null=True, blank=True)
    gags_forehead = models.PositiveSmallIntegerField(null=True, blank=True)
    gags_right_cheek = models.PositiveSmallIntegerField(null=True, blank=True)
    gags_left_cheek = models.PositiveSmallIntegerField(null=True, blank=True)
    gags_nose = models.PositiveSmallIntegerField(null=True, blank=True)
    gags_chin = models.PositiveSmallIntegerField(null=True, blank=True)
    gags_chest_upper_back = models.PositiveSmallIntegerField(null=True, blank=True)
    gags_score = models.PositiveSmallIntegerField(null=True, blank=True)
    gags_band = models.CharField(max_length=20, blank=True)
    scarring = models.BooleanField(default=False)
    psychosocial_burden = models.BooleanField(default=False)
    failed_therapies = models.JSONField(default=list, blank=True)
    medications = models.JSONField(default=list, blank=True)
    allergies = models.JSONField(default=list, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    pregnant = models.BooleanField(default=False)
    breastfeeding = models.BooleanField(default=False)
    eligible = models.BooleanField(default=False)
    # The core's full answer (indications, contraindications, reasons, sources) as shown then.
    decision = models.JSONField(default=dict)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["assessed_on", "id"]


class DosePlan(ClinicalRecord):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="dose_plans")
    starts_on = models.DateField(_("starts on"))
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1)
    mg_per_kg = models.DecimalField(_("daily dose (mg/kg)"), max_digits=4, decimal_places=2)
    daily_dose_mg = models.PositiveIntegerField(_("daily dose (mg)"))
    capsules = models.JSONField(default=dict)  # {"strength_mg": count}
    target_mg_per_kg = models.DecimalField(_("cumulative target (mg/kg)"), max_digits=5, decimal_places=1)
    out_of_range_reason = models.CharField(_("reason for a dose outside 0.1-2.0 mg/kg"), max_length=500,
                                           blank=True)

    class Meta:
        ordering = ["starts_on", "id"]


def prescription_reference(prescription: Prescription | int, *, code: str | None = None) -> str:
    """The reference printed on a prescription, typed in by the pharmacist and shown on every page
    ("RX-95-K7Q3": the record id and its random check code, so that a reference cannot be guessed from the
    sequential id; issue 14, finding 3): the one format, made here only (pages, API, emails, PDFs and the
    rules' reasons all use it). Given an id without its ``code``, it reads the code (one query)."""
    if isinstance(prescription, int):
        if code is None:
            code = Prescription.objects.filter(pk=prescription).values_list("lookup_code", flat=True).first() or ""
        return f"RX-{prescription}-{code}"
    return f"RX-{prescription.pk}-{prescription.lookup_code}"


#: Letters and digits a pharmacist cannot misread (no 0/O, 1/I/L, 5/S, 8/B).
LOOKUP_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY2345679"
LOOKUP_CODE_LENGTH = 4


def new_lookup_code() -> str:
    """The random part of a prescription's reference: 27^4 = 531,441 values."""
    return "".join(secrets.choice(LOOKUP_CODE_ALPHABET) for _ in range(LOOKUP_CODE_LENGTH))


class Prescription(ClinicalRecord):
    """A prescription: at most the program's days of supply, no refills (clinical-rules.md 1.3)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="prescriptions")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("issued on"))
    product = models.CharField(_("product"), max_length=20, choices=Product.choices)
    daily_dose_mg = models.PositiveIntegerField(_("daily dose (mg)"))
    capsules = models.JSONField(default=dict)
    days_supply = models.PositiveSmallIntegerField(_("days of supply"))
    # The iPLEDGE confirmation of the prescriber's monthly step, where the US program applies.
    ipledge_confirmation = models.CharField(_("iPLEDGE confirmation number"), max_length=40, blank=True)
    voided = models.BooleanField(default=False)
    # Why the daily dose is above the dose plan's (rules.plausibility.within_dose_plan); empty when it is not.
    dose_reason = models.CharField(_("reason for a dose above the dose plan"), max_length=500, blank=True)
    # The random part of the reference (prescription_reference): a reference cannot be guessed from the id.
    lookup_code = models.CharField(_("reference check code"), max_length=8, default=new_lookup_code, editable=False)

    class Meta:
        ordering = ["issued_on", "id"]
        constraints = [
            models.CheckConstraint(name="prescription_days_supply_positive",
                                   condition=models.Q(days_supply__gt=0) & models.Q(days_supply__lte=90)),
        ]

    @property
    def reference(self) -> str:
        return prescription_reference(self)

    def __str__(self) -> str:
        return f"{_('Prescription')} {self.reference}"


class MissedDoseReport(ClinicalRecord):
    """Days without a dose, reported by the patient or staff; cumulative dose subtracts them."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="missed_doses")
    first_day = models.DateField(_("first missed day"))
    days = models.PositiveSmallIntegerField(_("days missed"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["first_day", "id"]
