"""The records the pregnancy-prevention programs judge (issue 3), all append-only (core.models).

Each record belongs to a course. The loader (``selectors.course_facts``) turns the current records of
a course into the rules core's facts (``clearcourse.rules.programs.facts``); nothing here decides
anything. A correction is a new record whose ``supersedes`` points at the old one, with a reason.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Pharmacy, ProgramFamily
from clearcourse.core.models import ClinicalRecord
from clearcourse.courses.models import Course
from clearcourse.rules.programs.facts import CONTRACEPTION_METHODS


def _photo_path(instance: Any, filename: str) -> str:
    """Home-test photos go to ``MEDIA_ROOT/private/home-tests`` under a random name (the patient's name or
    the original file name never reaches the disk). ``MEDIA_ROOT`` is outside the static files and has no
    public URL (``MEDIA_URL`` is unset); ``views.home_test_photo`` streams a photo after an access check."""
    suffix = PurePosixPath(filename).suffix.lower()
    return f"private/home-tests/{uuid.uuid4().hex}{suffix}"


class ProgramCode(models.TextChoices):
    """A program family (resolved to the version in force on each date) or a pinned version."""

    US_IPLEDGE = "us-ipledge", _("US iPLEDGE REMS (version in force)")
    EU_PPP = "eu-ppp", _("EU Pregnancy Prevention Programme (version in force)")
    UK_MHRA = "uk-mhra", _("UK MHRA Pregnancy Prevention Programme (version in force)")
    US_IPLEDGE_2021 = "us-ipledge-2021", _("US iPLEDGE 2021")
    US_IPLEDGE_2026 = "us-ipledge-2026", _("US iPLEDGE 2026")
    EU_PPP_2018 = "eu-ppp-2018", _("EU PPP 2018")
    UK_MHRA_2023 = "uk-mhra-2023", _("UK MHRA 2023")
    UK_MHRA_2026 = "uk-mhra-2026", _("UK MHRA 2026")


class Enrollment(ClinicalRecord):
    """The patient is enrolled in the program (iPLEDGE: every patient, fact sheet 1.1)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    program = models.CharField(_("program"), max_length=20, choices=ProgramCode.choices)
    enrolled_on = models.DateField(_("enrolled on"))
    ipledge_patient_id = models.CharField(_("iPLEDGE patient ID"), max_length=40, blank=True)

    class Meta:
        ordering = ["enrolled_on", "id"]


class RiskCategory(ClinicalRecord):
    """The program's risk category, assigned by the prescriber (iPLEDGE since 13 Dec 2021, fact sheet
    1.1). A change needs a reason; the latest assignment effective on a date applies on that date."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="risk_categories")
    can_get_pregnant = models.BooleanField(_("can get pregnant"))
    effective_on = models.DateField(_("effective from"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name_plural = "risk categories"


class Counseling(ClinicalRecord):
    """The prescriber's counselling / monthly confirmation of the patient (fact sheet 1.7)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="counselings")
    counseled_on = models.DateField(_("counselled on"))
    counseled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["counseled_on", "id"]


class ConfirmedBy(models.TextChoices):
    PATIENT = "patient", _("the patient")
    PRESCRIBER = "prescriber", _("the prescriber")


CONTRACEPTION_CHOICES = [
    ("tubal_sterilization", _("Tubal sterilisation")),
    ("partner_vasectomy", _("Partner's vasectomy")),
    ("iud_copper", _("Copper IUD")),
    ("iud_hormonal", _("Hormonal IUD")),
    ("implant", _("Implant")),
    ("injection", _("Injection")),
    ("combined_pill", _("Combined (estrogen-containing) pill")),
    ("patch", _("Patch")),
    ("vaginal_ring", _("Vaginal ring")),
    ("male_condom", _("Male latex condom")),
    ("diaphragm", _("Diaphragm")),
    ("cervical_cap", _("Cervical cap")),
    ("vaginal_sponge", _("Vaginal sponge")),
    ("progestin_only_pill", _("Progestin-only pill (not acceptable)")),
]
assert {c for c, _label in CONTRACEPTION_CHOICES} == set(CONTRACEPTION_METHODS)  # noqa: S101 - import-time guard


class ContraceptionConfirmation(ClinicalRecord):
    """Methods confirmed as in use from ``confirmed_on`` (codes of the scenario contract), or abstinence."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="contraception_confirmations")
    confirmed_on = models.DateField(_("confirmed on"))
    methods = models.JSONField(_("methods"), default=list, blank=True)
    abstinence = models.BooleanField(_("committed to abstinence"), default=False)
    confirmed_by = models.CharField(_("confirmed by"), max_length=12, choices=ConfirmedBy.choices)

    class Meta:
        ordering = ["confirmed_on", "id"]

    @property
    def method_labels(self) -> list[str]:
        """The methods' names in the active language (the record stores the contract's codes)."""
        labels = dict(CONTRACEPTION_CHOICES)
        return [str(labels.get(code, code)) for code in self.methods]


class TestSetting(models.TextChoices):
    LAB = "lab", _("Laboratory")
    CLINIC = "clinic", _("Clinic / prescriber's office")
    HOME = "home", _("Home test")
    #: UK from the MHRA's autumn 2025 update: the patient tests remotely while a clinician supervises it.
    REMOTE = "remote", _("Remote test with medical supervision")


class TestResult(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class PregnancyTest(ClinicalRecord):
    """A pregnancy test. ``collected_on`` is the specimen collection date: the iPLEDGE window counts from
    it (fact sheet 1.4). A home test counts only once the prescriber has verified it (2026 REMS: processes
    that reduce misreading and falsification, fact sheet 1.6). ``recorded_by`` is who entered it."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="pregnancy_tests")
    collected_on = models.DateField(_("specimen collected on"))
    setting = models.CharField(_("setting"), max_length=10, choices=TestSetting.choices)
    result = models.CharField(_("result"), max_length=10, choices=TestResult.choices)
    photo = models.FileField(_("photo of the home test"), upload_to=_photo_path,
                             blank=True, max_length=200)
    photo_content_type = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["collected_on", "id"]


class VerificationOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Result confirmed from the photo")
    REJECTED = "rejected", _("Not accepted (unreadable, wrong test, or result differs)")


class HomeTestVerification(ClinicalRecord):
    """The prescriber's check of a home test; only a current ``confirmed`` verification makes it count."""

    test = models.ForeignKey(PregnancyTest, on_delete=models.PROTECT, related_name="verifications")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_on = models.DateField(_("verified on"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=VerificationOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["verified_on", "id"]


class ComprehensionAttempt(ClinicalRecord):
    """One attempt at the program's comprehension questions (see ``rules/programs/comprehension.py`` for the bank and the
    pass rule). ``answers`` maps question id -> chosen option id."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="comprehension_attempts")
    answered_on = models.DateField(_("answered on"))
    program = models.CharField(_("program"), max_length=20)
    language = models.CharField(_("language"), max_length=5, default="en")
    answers = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField(_("correct answers"))
    total = models.PositiveSmallIntegerField(_("questions"))
    passed = models.BooleanField(_("passed"))

    class Meta:
        ordering = ["answered_on", "id"]


class TreatmentEnd(ClinicalRecord):
    """The last dose of the course; post-treatment contraception and tests count from it."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="treatment_ends")
    ended_on = models.DateField(_("last dose on"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["ended_on", "id"]


class SecondPrescriberAgreement(ClinicalRecord):
    """UK MHRA measures of 31 Oct 2023 (fact sheet 6.2): for a patient under 18, a second independent
    prescriber agrees that isotretinoin may start. The second prescriber may work outside the clinic, so
    they are named in free text with their professional registration number (not a User). ``recorded_by``
    is the clinic's prescriber who recorded it. The loader marks the course's prescriptions issued on or
    after ``agreed_on`` as agreed (``selectors.course_facts``)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="second_prescriber_agreements")
    second_prescriber_name = models.CharField(_("second prescriber's name"), max_length=200)
    second_prescriber_registration = models.CharField(_("second prescriber's professional registration number"),
                                                      max_length=40)
    agreed_on = models.DateField(_("agreed on"))
    only_appropriate_treatment = models.BooleanField(
        _("isotretinoin is the only appropriate effective treatment"), default=False)

    class Meta:
        ordering = ["agreed_on", "id"]


class RiskFormConfirmation(ClinicalRecord):
    """UK MHRA update of 22 Jan 2026 (register D12): the prescriber's part of the new Acknowledgement of Risk
    Form. The prescriber confirms the indication and that no other appropriate effective treatment is
    suitable, and that the patient was told they may ask for a second opinion. (The patient's part is in the
    signed consent, ``portal.consent``.) Recorded for the record; no program condition reads it."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="risk_form_confirmations")
    confirmed_on = models.DateField(_("confirmed on"))
    indication_confirmed = models.BooleanField(_("the indication is confirmed"), default=False)
    no_other_treatment = models.BooleanField(
        _("no other appropriate effective treatment is suitable"), default=False)
    second_opinion_told = models.BooleanField(
        _("the patient was told they may ask for a second opinion"), default=False)

    class Meta:
        ordering = ["confirmed_on", "id"]


class ProgramCertification(ClinicalRecord):
    """A prescriber or a pharmacy enrolled and active in a program family, from ``activated_on`` through
    ``expires_on`` (both days count; no ``expires_on``: no end date). Every program lets only enrolled,
    active prescribers and pharmacies take part (iPLEDGE: registered and activated; EU/UK PPP: recorded as
    taking part); each authorization checks the prescription's prescriber and the asking pharmacy.

    Exactly one of ``prescriber`` and ``pharmacy`` is set. A renewal is a new record with a new period; a
    correction (a wrong date, an enrolment withdrawn early) supersedes the record it corrects, with a
    reason. ``recorded_by`` is the administrator who recorded it.
    """

    program = models.CharField(_("program"), max_length=20, choices=ProgramFamily.choices)
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="program_certifications")
    pharmacy = models.ForeignKey(Pharmacy, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="program_certifications")
    activated_on = models.DateField(_("activated on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    #: The program's own number for the participant (iPLEDGE prescriber or pharmacy ID), when it has one.
    program_id_number = models.CharField(_("program ID"), max_length=40, blank=True)

    class Meta:
        ordering = ["activated_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="certification_one_participant",
                condition=(models.Q(prescriber__isnull=False, pharmacy__isnull=True)
                           | models.Q(prescriber__isnull=True, pharmacy__isnull=False)),
            ),
            models.CheckConstraint(
                name="certification_expires_after_activation",
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("activated_on")),
            ),
        ]
        indexes = [models.Index(fields=["program", "prescriber"], name="cert_prescriber"),
                   models.Index(fields=["program", "pharmacy"], name="cert_pharmacy")]

    @property
    def participant_name(self) -> str:
        """The enrolled prescriber's or pharmacy's name."""
        if self.prescriber is not None:
            return str(self.prescriber.display_name())
        return str(self.pharmacy.name) if self.pharmacy is not None else ""

    def __str__(self) -> str:
        return f"{self.participant_name}: {self.program} from {self.activated_on}"


class PharmacyTraining(ClinicalRecord):
    """A pharmacy's attestation that its staff were trained for the program on ``trained_on`` (the 2026
    iPLEDGE modification: pharmacies train their staff every year and keep records). The rules core
    decides how long an attestation counts (``pharmacy_training_days``)."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="trainings")
    program = models.CharField(_("program"), max_length=20, choices=ProgramFamily.choices)
    trained_on = models.DateField(_("staff trained on"))
    #: Who attests it for the pharmacy (the responsible pharmacist), as written on the attestation.
    attested_by = models.CharField(_("attested by"), max_length=200)

    class Meta:
        ordering = ["trained_on", "id"]
        indexes = [models.Index(fields=["program", "pharmacy"], name="training_pharmacy")]

    def __str__(self) -> str:
        return f"{self.pharmacy}: staff trained on {self.trained_on}"
