"""Safety monitoring records: lab results, mood screens, side effects, alerts, and the reminder jobs.

Clinical facts (labs, screens, reports, alerts, acknowledgements, clinic configuration versions) are
append-only :class:`~clearcourse.core.models.ClinicalRecord` rows: a correction or a new setting is a
new row. Two models are deliberately *not* append-only, because they are machinery rather than
clinical facts: :class:`Reminder` (a job row a worker claims and marks sent) and
:class:`CalendarFeedToken` (a credential that is revoked by stamping ``revoked_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Clinic
from clearcourse.core.dates import readable_dates
from clearcourse.core.models import ClinicalRecord
from clearcourse.core.wording import draw
from clearcourse.courses.models import Course, Patient
from clearcourse.rules import labs, mood, side_effects


class EntrySource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    IMPORT = "import", _("Imported from a lab system")


class CompletedBy(models.TextChoices):
    PATIENT = "patient", _("Patient")
    STAFF = "staff", _("Clinic staff")


class LabResult(ClinicalRecord):
    """One numeric lab value as the lab reported it, with the value in the analyte's canonical unit.

    ``loinc`` and ``analyte`` come from the rules core's LOINC table; ``canonical_value`` is the value
    in the first unit the core accepts for the analyte (mg/dL for lipids, U/L for ALT/AST), so charts
    and comparisons never mix units. Qualitative pregnancy tests are recorded by the programs app.
    """

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="lab_results")
    loinc = models.CharField(_("LOINC code"), max_length=20)
    analyte = models.CharField(_("test"), max_length=30)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=12)
    uln = models.DecimalField(_("lab's upper limit of normal"), max_digits=12, decimal_places=3, null=True,
                              blank=True)
    canonical_value = models.DecimalField(max_digits=12, decimal_places=3)
    canonical_unit = models.CharField(max_length=12)
    collected_on = models.DateField(_("collected on"))
    source = models.CharField(_("source"), max_length=10, choices=EntrySource.choices, default=EntrySource.MANUAL)

    class Meta:
        ordering = ["collected_on", "id"]
        indexes = [models.Index(fields=["course", "analyte", "collected_on"])]
        constraints = [
            models.CheckConstraint(name="lab_value_not_negative", condition=models.Q(value__gte=0)),
            models.CheckConstraint(name="lab_uln_positive",
                                   condition=models.Q(uln__isnull=True) | models.Q(uln__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.analyte} {self.value} {self.unit} ({self.collected_on})"

    @property
    def analyte_label(self) -> str:
        try:
            return str(_(labs.ANALYTE_NAMES[labs.Analyte(self.analyte)]))
        except ValueError:
            return self.analyte


class MoodScreen(ClinicalRecord):
    """A completed PHQ-2 / PHQ-9 / PHQ-A with the core's scoring as it was then."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="mood_screens")
    instrument = models.CharField(_("questionnaire"), max_length=12)
    answers = models.JSONField(default=list)
    score = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("band"), max_length=20)
    item9_positive = models.BooleanField(null=True)
    urgent = models.BooleanField(default=False)
    completed_by = models.CharField(_("completed by"), max_length=10, choices=CompletedBy.choices)
    screened_on = models.DateField(_("date"))

    class Meta:
        ordering = ["screened_on", "id"]
        indexes = [models.Index(fields=["course", "screened_on"])]
        constraints = [
            models.CheckConstraint(name="mood_score_in_range", condition=models.Q(score__lte=27)),
        ]

    @property
    def instrument_label(self) -> str:
        try:
            return mood.INSTRUMENTS[mood.Instrument(self.instrument)].title
        except ValueError:
            return self.instrument

    @property
    def band_label(self) -> str:
        return str(_(self.band.replace("_", " ")))


class SexualFunctionOutcome(models.TextChoices):
    NO_CONCERNS = "no_concerns", _("No concerns")
    CONCERNS = "concerns", _("Concerns raised")
    DECLINED = "declined", _("Patient declined to discuss")


class SexualFunctionAssessment(ClinicalRecord):
    """UK programs: sexual function assessed before and during treatment (MHRA 2023).

    The MHRA names no instrument, so the record is the clinician's outcome and a note.
    """

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sexual_function_assessments")
    assessed_on = models.DateField(_("date"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=SexualFunctionOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    completed_by = models.CharField(_("completed by"), max_length=10, choices=CompletedBy.choices,
                                    default=CompletedBy.STAFF)

    class Meta:
        ordering = ["assessed_on", "id"]


class Grade(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class SideEffectReport(ClinicalRecord):
    """One symptom from the rules catalogue with a grade. Symptoms reported together share ``report_group``
    (the core judges them together: a severe headache with vision changes is more than either)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="side_effect_reports")
    report_group = models.UUIDField(db_index=True)
    code = models.CharField(_("side effect"), max_length=40)
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    onset = models.DateField(_("started on"), null=True, blank=True)
    reported_on = models.DateField(_("reported on"))
    note = models.TextField(_("note"), blank=True)
    reported_by = models.CharField(_("reported by"), max_length=10, choices=CompletedBy.choices)

    class Meta:
        ordering = ["reported_on", "id"]

    @property
    def label(self) -> str:
        effect = side_effects.CATALOGUE.get(self.code)
        return str(_(effect.name)) if effect else self.code


class AlertKind(models.TextChoices):
    LAB = "lab", _("Lab result")
    MOOD = "mood", _("Mood screen")
    SIDE_EFFECT = "side_effect", _("Side effect")
    SEXUAL_FUNCTION = "sexual_function", _("Sexual function")
    INTERACTION = "interaction", _("Interaction")
    DOSE = "dose", _("Cumulative dose")


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    URGENT = "urgent", _("Urgent")


SEVERITY_RANK: dict[str, int] = {"info": 1, "warning": 2, "urgent": 3}


def _message_value(value: Any, translate: bool) -> str:
    """One placeholder value of a stored alert message (see :attr:`Alert.message_data`)."""
    if isinstance(value, dict):
        if "msgid" in value and not value.get("params"):
            return gettext(str(value["msgid"])) if translate else str(value["msgid"])
        if "msgid" in value:
            return render_message(value, translate=translate)
        if "t" in value:  # a label, on rows stored before labels were stored as msgids
            text = str(value["t"])
            return gettext(text) if translate else text
        if "join" in value:
            return ", ".join(_message_value(item, translate) for item in value["join"])
    # Dates are stored as ISO text (language-neutral); shown in the reader's style.
    return readable_dates(str(value)) if translate else str(value)


def render_message(data: Mapping[str, Any], *, translate: bool = True) -> str:
    """A stored message (English msgid with ``%(name)s`` placeholders and its values) in the active
    language, or in English when ``translate`` is false. Values marked ``{"t": ...}`` are English
    labels translated here too; dates and numbers are stored already formatted."""
    msgid = str(data["msgid"])
    params = {name: _message_value(value, translate) for name, value in (data.get("params") or {}).items()}
    template = gettext(msgid) if translate else msgid
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        # A translation that does not fit the stored values must not break the page: English then.
        return msgid % params


class Alert(ClinicalRecord):
    """A finding someone must act on. It stays open until a prescriber acknowledges it with a note
    (a separate :class:`AlertAcknowledgement`, so the alert itself never changes).

    ``message`` says what happened (made here, with the values); ``advice`` is what the cited guideline
    suggests (the rules core's text); ``sources`` lists the documents the rule rests on.
    """

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    code = models.CharField(_("rule"), max_length=60)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    # Stored as a number so the worklist can put urgent alerts first in SQL.
    severity_rank = models.PositiveSmallIntegerField()
    message = models.CharField(_("message"), max_length=500)
    # Language-neutral form of ``message`` ({"msgid", "params"}), rendered in the reader's language.
    # Null on rows made before it existed: those show ``message`` (through the rules-text matcher).
    message_data = models.JSONField(null=True, blank=True)
    advice = models.TextField(_("advice"), blank=True)
    # ``advice`` as data ({"msgid", "params"}: the rules core's template and values, ``rules.text``), drawn
    # in the reader's language. Null on rows made before it existed: those show ``advice`` translated whole.
    advice_data = models.JSONField(null=True, blank=True)
    sources = models.JSONField(default=list)
    needs_clinical_signoff = models.BooleanField(default=False)
    lab_result = models.ForeignKey(LabResult, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    mood_screen = models.ForeignKey(MoodScreen, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="alerts")
    side_effect_group = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-severity_rank", "recorded_at", "id"]
        indexes = [models.Index(fields=["course", "severity_rank"])]

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"

    @property
    def is_urgent(self) -> bool:
        return self.severity == Severity.URGENT

    @property
    def display_message(self) -> str:
        """What happened, in the active language (``message`` is the English text kept for old rows)."""
        if self.message_data:
            try:
                return render_message(self.message_data)
            except (KeyError, TypeError, ValueError):
                pass
        return gettext(self.message)

    @property
    def display_advice(self) -> str:
        """The guideline's advice in the active language."""
        return draw(self.advice_data) if self.advice_data else draw(self.advice)


class AlertAcknowledgement(ClinicalRecord):
    """A prescriber has seen the alert and says what was done. One per alert (a database constraint)."""

    alert = models.OneToOneField(Alert, on_delete=models.PROTECT, related_name="acknowledgement")
    note = models.TextField(_("what was done"))


class ClinicMonitoringConfig(ClinicalRecord):
    """One version of a clinic's monitoring intervals and lab alert thresholds.

    Each save inserts a new version that supersedes the previous one, so the history of who changed
    which threshold when is kept. Without any row the shipped defaults apply; they are marked as
    needing clinical sign-off until a prescriber saves a version with ``signed_off`` set.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="monitoring_configs")
    first_recheck_days = models.PositiveSmallIntegerField(_("first recheck after starting (days)"))
    liver_interval_days = models.PositiveSmallIntegerField(_("liver tests every (days)"))
    lipid_interval_days = models.PositiveSmallIntegerField(_("lipids every (days)"), null=True, blank=True)
    high_risk_interval_days = models.PositiveSmallIntegerField(_("high-risk patients: labs every (days)"))
    peak_recheck_days = models.PositiveSmallIntegerField(_("recheck after the peak dose (days)"))
    baseline_max_age_days = models.PositiveSmallIntegerField(_("baseline may be this old (days)"))
    end_of_treatment_window_days = models.PositiveSmallIntegerField(_("end-of-treatment window (days)"))
    mood_interval_days = models.PositiveSmallIntegerField(_("mood screen every (days)"))
    assess_sexual_function = models.BooleanField(_("assess sexual function"))
    routine_cbc = models.BooleanField(_("routine blood counts"))
    # {threshold code: bound}, in the unit the shipped threshold uses (see monitoring.config).
    thresholds = models.JSONField(default=dict)
    reminder_days_before = models.PositiveSmallIntegerField(_("remind patients this many days before"), default=2)
    signed_off = models.BooleanField(_("clinically signed off"), default=False)

    class Meta:
        ordering = ["clinic", "recorded_at", "id"]


class ReminderKind(models.TextChoices):
    PREGNANCY_TEST = "pregnancy_test", _("Pregnancy test")
    LAB_DUE = "lab_due", _("Lab tests")
    MONTHLY_QUESTIONS = "monthly_questions", _("Monthly questions")
    MOOD_SCREEN = "mood_screen", _("Mood questionnaire")
    CERTIFICATION = "certification", _("Program enrolment renewal")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Reminder(models.Model):
    """A message to send to a patient once. Not a clinical record: a job row.

    A worker claims a row with a conditional UPDATE (pending -> sending) and only the worker whose
    UPDATE changed the row sends it, so two workers never send the same reminder.
    ``dedupe_key`` makes scheduling idempotent: the same due item never becomes two reminders.
    """

    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    #: A staff member reminded about their own (or their pharmacy's) program enrolment: then no patient.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    due_on = models.DateField(help_text="the day the step itself is due")
    due_at = models.DateTimeField(help_text="when the reminder should go out")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(name="reminder_patient_or_recipient",
                                   condition=(models.Q(patient__isnull=False, recipient__isnull=True)
                                              | models.Q(patient__isnull=True, recipient__isnull=False))),
        ]

    def __str__(self) -> str:
        who = f"patient {self.patient_id}" if self.patient_id else f"user {self.recipient_id}"
        return f"{self.kind} for {who} at {self.due_at:%Y-%m-%d %H:%M} ({self.status})"


class CalendarFeedToken(models.Model):
    """A private calendar link. Only the SHA-256 of the token is stored; revoking stamps ``revoked_at``."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="calendar_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"calendar link {self.pk} for patient {self.patient_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WorklistEntry(models.Model):
    """One course's worklist, computed ahead of time. NOT a clinical record: a derived cache.

    Rebuilt from the clinical records by ``clearcourse.monitoring.worklist_store`` after every write
    that changes the course's worklist and nightly for date-driven changes; it can be deleted at any
    time and is rebuilt. ``items`` holds the due items with English text keys (translated when the
    page is shown); ``next_due_on`` is the earliest due date among them (null: nothing due), which
    the page reads through an index instead of evaluating every course's history on each request.
    """

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="worklist_entry")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    next_due_on = models.DateField(null=True, blank=True)
    items = models.JSONField(default=list, blank=True)
    has_open_window = models.BooleanField(default=False)
    closes_on = models.DateField(null=True, blank=True)
    program_failed = models.BooleanField(default=False)
    computed_on = models.DateField()
    version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["clinic", "next_due_on"], name="monitoring_worklist_due")]

    def __str__(self) -> str:
        return f"worklist of course {self.course_id} (next due {self.next_due_on}, computed {self.computed_on})"
