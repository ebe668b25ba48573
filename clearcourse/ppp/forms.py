"""Forms for the program records. They only parse input; every rule lives in ``services.py``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Pharmacy, Role, User
from clearcourse.core import numbers
from clearcourse.core.forms_flow import confirm_unusual_field
from clearcourse.courses.models import Course, Product
from clearcourse.rules.plausibility import REASON_MAX_LENGTH
from clearcourse.rules.programs import comprehension as bank

from .models import (
    CONTRACEPTION_CHOICES,
    ConfirmedBy,
    ProgramCode,
    TestResult,
    TestSetting,
    VerificationOutcome,
)
from .selectors import StatusFilter


class DateInput(forms.DateInput):
    input_type = "date"


def _date(label: Any, **kwargs: Any) -> forms.DateField:
    return numbers.DateField(label=label, widget=DateInput(format="%Y-%m-%d"), **kwargs)


class EnrollmentForm(forms.Form):
    program = forms.ChoiceField(label=_("Program"), choices=ProgramCode.choices,
                                help_text=_("A program resolves to the version in force on each day; pin a "
                                            "version only for a documented reason."))
    enrolled_on = _date(_("Enrolled on"))
    ipledge_patient_id = forms.CharField(label=_("iPLEDGE patient ID"), max_length=40, required=False)

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        family = course.program
        cast(forms.ChoiceField, self.fields["program"]).choices = [(c, label) for c, label in ProgramCode.choices
                                          if c == family or c.startswith(family + "-")]
        self.fields["program"].initial = family
        if family != ProgramCode.US_IPLEDGE:
            del self.fields["ipledge_patient_id"]


class RiskCategoryForm(forms.Form):
    can_get_pregnant = forms.TypedChoiceField(
        label=_("Risk category"), widget=forms.RadioSelect,
        choices=[("true", _("Patient can get pregnant")), ("false", _("Patient cannot get pregnant"))],
        coerce=lambda v: v == "true",
        help_text=_("Cannot get pregnant: e.g. after a total hysterectomy, or postmenopausal for at least 12 "
                    "months. A tubal ligation does not remove reproductive potential."),
    )
    effective_on = _date(_("Effective from"))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(
        attrs={"rows": 2}), help_text=_("Required when the category changes."))


class CounselingForm(forms.Form):
    counseled_on = _date(_("Counselled on"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ContraceptionForm(forms.Form):
    confirmed_on = _date(_("Confirmed on"), help_text=_("The methods are in use from this day."))
    methods = forms.MultipleChoiceField(label=_("Methods in use"), choices=CONTRACEPTION_CHOICES,
                                        widget=forms.CheckboxSelectMultiple, required=False)
    abstinence = forms.BooleanField(label=_("The patient commits to abstinence instead"), required=False)
    confirmed_by = forms.ChoiceField(label=_("Confirmed by"), choices=ConfirmedBy.choices,
                                     initial=ConfirmedBy.PRESCRIBER)


class PregnancyTestForm(forms.Form):
    collected_on = _date(_("Specimen collected on"),
                         help_text=_("The day the urine or blood sample was taken; the window counts from it."))
    setting = forms.ChoiceField(label=_("Setting"), choices=TestSetting.choices)
    result = forms.ChoiceField(label=_("Result"), choices=TestResult.choices, widget=forms.RadioSelect)
    photo = forms.FileField(label=_("Photo of the home test"), required=False,
                            help_text=_("Home tests only: a JPEG or PNG of at most 5 MB. A prescriber must "
                                        "verify it before it counts."),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}))


class VerificationForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VerificationOutcome.choices, widget=forms.RadioSelect)
    verified_on = _date(_("Verified on"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False,
                           help_text=_("Required when the test is not accepted."))


class ComprehensionForm(forms.Form):
    """One radio group per question of the course's program, in the chosen language."""

    answered_on = _date(_("Answered on"))

    def __init__(self, *args: Any, course: Course, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language if language in bank.LANGUAGES else "en"
        self.questions = bank.questions_for(course.program)
        for q in self.questions:
            self.fields[f"q_{q.id}"] = forms.ChoiceField(
                label=q.text_in(self.language), widget=forms.RadioSelect,
                choices=[(o.id, o.text.get(self.language) or o.text["en"]) for o in q.options],
            )

    def answers(self) -> dict[str, str]:
        return {q.id: self.cleaned_data.get(f"q_{q.id}", "") for q in self.questions}


class TreatmentEndForm(forms.Form):
    ended_on = _date(_("Last dose on"))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class PrescriptionForm(forms.Form):
    issued_on = _date(_("Issued on"))
    product = forms.ChoiceField(label=_("Product"), choices=Product.choices,
                                help_text=_("Isotretinoin products are not interchangeable."))
    # No bounds here: the service names the accepted range (the plausibility table) and writes nothing.
    daily_dose_mg = numbers.IntegerField(label=_("Daily dose (mg)"),
                                       help_text=_("Starts from the dose plan's daily dose."))
    dose_reason = forms.CharField(
        label=_("Reason for a dose above the dose plan"), required=False, max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "long-text", "maxlength": REASON_MAX_LENGTH}),
        help_text=_("Only when the daily dose is above the dose plan's; in words, at most 500 characters."))
    days_supply = numbers.IntegerField(label=_("Days of supply"), initial=30,
                                     help_text=_("At most 30 days; no refills."))
    ipledge_confirmation = forms.CharField(label=_("iPLEDGE confirmation number"), max_length=40, required=False)
    acknowledge_warnings = forms.BooleanField(label=_("I have considered the interaction warnings above"),
                                              required=False)
    confirm_unusual = confirm_unusual_field()

    def __init__(self, *args: Any, course: Course, has_warnings: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].initial = course.product
        if course.program != ProgramCode.US_IPLEDGE:
            del self.fields["ipledge_confirmation"]
        if not has_warnings:
            del self.fields["acknowledge_warnings"]


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason for voiding"), max_length=500)


class SecondPrescriberAgreementForm(forms.Form):
    second_prescriber_name = forms.CharField(label=_("Second prescriber's name"), max_length=200)
    second_prescriber_registration = forms.CharField(
        label=_("Second prescriber's professional registration number"), max_length=40,
        help_text=_("For example a GMC number. The second prescriber may work outside this clinic."))
    agreed_on = _date(_("Agreed on"))
    only_appropriate_treatment = forms.BooleanField(
        label=_("Both prescribers agree that isotretinoin is the only appropriate effective treatment"),
        required=False)


class RiskFormConfirmationForm(forms.Form):
    confirmed_on = _date(_("Confirmed on"))
    indication_confirmed = forms.BooleanField(
        label=_("I confirm the indication for isotretinoin"), required=False)
    no_other_treatment = forms.BooleanField(
        label=_("I confirm that no other appropriate effective treatment is suitable for this patient"),
        required=False)
    second_opinion_told = forms.BooleanField(
        label=_("I have told the patient that they may ask for a second opinion"), required=False)


# --- certification of prescribers and pharmacies (issue 15) -------------------------------------------


def _participant_label(kind: str, participant: Any) -> str:
    if kind == "prescriber":
        return f"{participant.display_name()} ({participant.clinic})"
    return str(participant.name)


def participant_choices(shown: Iterable[tuple[str, Any]] | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices ``prescriber:<id>`` / ``pharmacy:<id>`` for the administrator's form: the
    ``(kind, participant)`` pairs of ``shown`` (the page of the list), or every participant when None."""

    if shown is None:
        shown = [*(("prescriber", u) for u in User.objects.filter(role=Role.PRESCRIBER, is_active=True)
                   .select_related("clinic").order_by("last_name", "first_name", "pk")),
                 *(("pharmacy", p) for p in Pharmacy.objects.order_by("name", "pk"))]
    groups: dict[str, list[tuple[str, str]]] = {"prescriber": [], "pharmacy": []}
    for kind, participant in shown:
        groups[kind].append((f"{kind}:{participant.pk}", _participant_label(kind, participant)))
    return [(str(_("Prescribers")), groups["prescriber"]), (str(_("Pharmacies")), groups["pharmacy"])]


def _participant(value: Any) -> tuple[str, Any] | None:
    """``("prescriber", User)`` or ``("pharmacy", Pharmacy)`` for a value ``prescriber:<id>`` /
    ``pharmacy:<id>`` naming an active prescriber or a pharmacy; None for anything else."""
    kind, _sep, pk = str(value or "").partition(":")
    if not pk.isdigit() or len(pk) > 18:
        return None
    if kind == "prescriber":
        user = (User.objects.filter(pk=int(pk), role=Role.PRESCRIBER, is_active=True).select_related("clinic")
                .first())
        return ("prescriber", user) if user is not None else None
    if kind == "pharmacy":
        pharmacy = Pharmacy.objects.filter(pk=int(pk)).first()
        return ("pharmacy", pharmacy) if pharmacy is not None else None
    return None


class ParticipantField(forms.ChoiceField):
    """A prescriber or a pharmacy. The list offers those of the page shown (a national list holds tens of
    thousands); any active prescriber or pharmacy is accepted."""

    def valid_value(self, value: Any) -> bool:
        return super().valid_value(value) or _participant(value) is not None


class CertificationForm(forms.Form):
    participant = ParticipantField(
        label=_("Prescriber or pharmacy"),
        help_text=_("The prescribers and pharmacies of the page shown above: search the list to find another."))
    activated_on = _date(_("Activated on"))
    expires_on = _date(_("Expires on"), required=False,
                       help_text=_("Leave empty when the enrolment has no end date."))
    program_id_number = forms.CharField(label=_("Program ID (for example the iPLEDGE ID)"), max_length=40,
                                        required=False)

    def __init__(self, *args: Any, fixed_participant: str | None = None, correction: bool = False,
                 shown: Iterable[tuple[str, Any]] | None = None, **kwargs: Any) -> None:
        """``shown``: the ``(kind, participant)`` pairs the list offers (None: every participant; see
        :meth:`offer`)."""
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["participant"])
        if fixed_participant is not None:
            found = _participant(fixed_participant)
            field.choices = participant_choices([found] if found is not None else [])
            field.initial = fixed_participant
            field.disabled = True
            field.help_text = ""
        elif shown is None:
            field.choices = participant_choices()
            field.help_text = ""
        else:
            self.offer(shown)
        if correction:
            self.fields["correction_reason"] = forms.CharField(label=_("Reason for the correction"),
                                                               max_length=500)

    def offer(self, shown: Iterable[tuple[str, Any]]) -> None:
        """List the ``(kind, participant)`` pairs of the page shown, and the participant chosen before a
        refused save wherever it is in the list; any active prescriber or pharmacy stays acceptable."""
        offered = list(shown)
        if self.is_bound:
            chosen = _participant(self.data.get(self.add_prefix("participant")))
            if chosen is not None and all((k, p.pk) != (chosen[0], chosen[1].pk) for k, p in offered):
                offered.insert(0, chosen)
        cast(forms.ChoiceField, self.fields["participant"]).choices = participant_choices(offered)

    def chosen_participant(self) -> dict[str, Any]:
        """``{"prescriber": User}`` or ``{"pharmacy": Pharmacy}`` for the chosen value."""

        kind, _sep, pk = str(self.cleaned_data["participant"]).partition(":")
        if kind == "prescriber":
            return {"prescriber": User.objects.select_related("clinic").get(pk=int(pk))}
        return {"pharmacy": Pharmacy.objects.get(pk=int(pk))}


class TrainingForm(forms.Form):
    pharmacy: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Pharmacy"), queryset=None,  # type: ignore[arg-type]
        help_text=_("The pharmacies of the page shown above: search the list to find another."))
    trained_on = _date(_("Staff trained on"))
    attested_by = forms.CharField(label=_("Attested by (the responsible pharmacist)"), max_length=200)

    def __init__(self, *args: Any, shown: Iterable[Pharmacy] | None = None, **kwargs: Any) -> None:
        """``shown``: the pharmacies the list offers (None: every pharmacy; see :meth:`offer`)."""
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["pharmacy"])
        field.queryset = Pharmacy.objects.order_by("name", "pk")
        if shown is None:
            field.help_text = ""
        else:
            self.offer(shown)

    def offer(self, shown: Iterable[Pharmacy]) -> None:
        """List the pharmacies of the page shown, and the one chosen before a refused save; only the list
        is narrowed: the field still accepts any pharmacy."""
        field = cast(forms.ModelChoiceField, self.fields["pharmacy"])
        offered = list(shown)
        if self.is_bound:
            value = str(self.data.get(self.add_prefix("pharmacy")) or "")
            if value.isdigit() and len(value) <= 18 and all(str(p.pk) != value for p in offered):
                chosen = Pharmacy.objects.filter(pk=int(value)).first()
                if chosen is not None:
                    offered.insert(0, chosen)
        field.widget.choices = [("", field.empty_label or ""), *((p.pk, p.name) for p in offered)]


class CertificationSearchForm(forms.Form):
    """The administrator's list narrowed: words of a name or a number, and a status in words."""

    q = forms.CharField(label=_("Name, NPI, NCPDP or program ID"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("Everyone")),
        (StatusFilter.ATTENTION.value, _("Needs attention")),
        (StatusFilter.GOOD.value, _("Active, nothing due")),
        (StatusFilter.RENEW.value, _("Renewal due")),
        (StatusFilter.LAPSED.value, _("Lapsed")),
        (StatusFilter.NOT_YET_ACTIVE.value, _("Not yet active")),
        (StatusFilter.NOT_ENROLLED.value, _("Not enrolled")),
        (StatusFilter.TRAINING_DUE.value, _("Staff training due")),
    ])
