"""Forms for the prescriber's pages. They only parse input; every clinical check is in the services.

Labels for the rules core's codes live here (the core speaks English codes; pages translate them).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Role, User
from clearcourse.core import numbers
from clearcourse.core.forms_flow import confirm_unusual_field
from clearcourse.courses.models import CourseStatus, Patient, Product, Sex
from clearcourse.rules import dosing, eligibility, severity
from clearcourse.rules.plausibility import REASON_MAX_LENGTH

GAGS_INCOMPLETE = _("Grade every GAGS region (0 for no lesions), or leave them all empty.")

GAGS_REGION_LABELS: dict[str, Any] = {
    "forehead": _("Forehead"),
    "right_cheek": _("Right cheek"),
    "left_cheek": _("Left cheek"),
    "nose": _("Nose"),
    "chin": _("Chin"),
    "chest_upper_back": _("Chest and upper back"),
}
GAGS_LESION_LABELS: dict[int, Any] = {
    0: _("0 - no lesions"),
    1: _("1 - comedones"),
    2: _("2 - papules"),
    3: _("3 - pustules"),
    4: _("4 - nodules"),
}
GAGS_BAND_LABELS: dict[str, Any] = {
    "none": _("no lesions"),
    "mild": _("mild"),
    "moderate": _("moderate"),
    "severe": _("severe"),
    "very_severe": _("very severe"),
}
IGA_LABELS: dict[int, Any] = {
    0: _("0 - clear"),
    1: _("1 - almost clear"),
    2: _("2 - mild"),
    3: _("3 - moderate"),
    4: _("4 - severe"),
}
INDICATION_LABELS: dict[str, Any] = {
    "severe": _("severe acne"),
    "scarring": _("scarring"),
    "psychosocial_burden": _("psychosocial burden"),
    "treatment_failure": _("failed standard therapy"),
}
THERAPY_KIND_LABELS: dict[str, Any] = {
    "oral_antibiotic": _("Oral antibiotics"),
    "topical": _("Topical therapy"),
    "hormonal": _("Hormonal therapy"),
    "unspecified": _("Other"),
}
CONDITION_LABELS: dict[str, Any] = {
    "isotretinoin_hypersensitivity": _("Hypersensitivity to isotretinoin"),
    "hepatic_insufficiency": _("Hepatic insufficiency"),
    "uncontrolled_hyperlipidaemia": _("Uncontrolled hyperlipidaemia"),
    "hypervitaminosis_a": _("Hypervitaminosis A"),
    "depression": _("Depression (history)"),
    "psychiatric_history": _("Other psychiatric illness (history)"),
    "inflammatory_bowel_disease": _("Inflammatory bowel disease"),
    "diabetes": _("Diabetes"),
    "obesity": _("Obesity"),
    "alcohol_misuse": _("Alcohol misuse"),
    "lipid_disorder": _("Lipid disorder"),
    "osteoporosis": _("Osteoporosis"),
    "bone_disease": _("Bone disease"),
    "eating_disorder": _("Eating disorder"),
}
# Pregnancy and breastfeeding have their own yes/no questions.
CONDITION_CHOICES = [(code, CONDITION_LABELS.get(code, code.replace("_", " ")))
                     for code in eligibility.CONDITIONS if code not in ("pregnancy", "breastfeeding")]
THERAPY_CHOICES: list[tuple[Any, Any]] = [
    (THERAPY_KIND_LABELS[kind], [(t.code, _(t.label)) for t in eligibility.THERAPIES.values() if t.kind == kind])
    for kind in ("oral_antibiotic", "topical", "hormonal", "unspecified")
]
TARGET_CHOICES = [(str(choice.mg_per_kg), _(choice.label)) for choice in dosing.TARGET_CHOICES]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PrescriberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name())


class PatientForm(forms.Form):
    record_number = forms.CharField(label=_("Record number"), max_length=40)
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    birth_date = numbers.DateField(label=_("Date of birth"), widget=DateInput())
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    prescriber = PrescriberChoiceField(label=_("Prescriber"), queryset=User.objects.none())
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"),
                                           choices=[("en", "English"), ("de", "Deutsch")])
    confirm_unusual = confirm_unusual_field()

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actor.role == Role.DELEGATE:
            prescribers = actor.acts_for.filter(role=Role.PRESCRIBER, clinic_id=actor.clinic_id or 0)
        else:
            prescribers = User.objects.filter(role=Role.PRESCRIBER, clinic_id=actor.clinic_id or 0)
        field = cast(forms.ModelChoiceField, self.fields["prescriber"])
        field.queryset = prescribers.order_by("last_name")
        if actor.role == Role.PRESCRIBER:
            field.initial = actor.pk


class CourseForm(forms.Form):
    product = forms.ChoiceField(label=_("Product"), choices=Product.choices,
                                help_text=_("Products are not interchangeable; a switch needs a new course plan."))
    target_mg_per_kg = forms.ChoiceField(label=_("Cumulative target"), choices=TARGET_CHOICES, initial="120")


class AssessmentForm(forms.Form):
    assessed_on = numbers.DateField(label=_("Assessed on"), widget=DateInput())
    iga = forms.TypedChoiceField(label=_("IGA (Investigator's Global Assessment)"), required=False, coerce=int,
                                 empty_value=None,
                                 choices=[("", _("not graded")), *IGA_LABELS.items()])
    scarring = forms.BooleanField(label=_("Acne is causing scarring"), required=False)
    psychosocial_burden = forms.BooleanField(label=_("Acne is causing psychosocial burden"), required=False)
    failed_therapies = forms.MultipleChoiceField(
        label=_("Therapies that failed after an adequate trial"), required=False, choices=THERAPY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("About 8-12 weeks with good adherence."),
    )
    medications = forms.CharField(label=_("Current medications and supplements"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("One per line, as the patient takes them."))
    allergies = forms.CharField(label=_("Allergies"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                help_text=_("One per line."))
    conditions = forms.MultipleChoiceField(label=_("Medical history"), required=False, choices=CONDITION_CHOICES,
                                           widget=forms.CheckboxSelectMultiple)
    pregnant = forms.BooleanField(label=_("Pregnant"), required=False)
    breastfeeding = forms.BooleanField(label=_("Breastfeeding"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    correction_reason = forms.CharField(label=_("Reason for the correction"), required=False, max_length=500)

    def __init__(self, *args: Any, correcting: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in severity.GAGS_REGION_CODES:
            region = next(r for r in severity.GAGS_REGIONS if r.code == code)
            self.fields[f"gags_{code}"] = forms.TypedChoiceField(
                label=GAGS_REGION_LABELS[code], required=False, coerce=int, empty_value=None,
                choices=[("", _("not graded")), *GAGS_LESION_LABELS.items()],
                help_text=_("factor %(factor)s") % {"factor": region.factor},
                widget=forms.Select(attrs={"data-gags-factor": str(region.factor), "data-gags-region": code}),
            )
        if not correcting:
            del self.fields["correction_reason"]
        else:
            self.fields["correction_reason"].required = True

    @property
    def gags_fields(self) -> list[forms.BoundField]:
        return [self[f"gags_{code}"] for code in severity.GAGS_REGION_CODES]

    def gags_grades(self) -> dict[str, int] | None:
        grades = {code: self.cleaned_data.get(f"gags_{code}") for code in severity.GAGS_REGION_CODES}
        if all(value is None for value in grades.values()):
            return None
        return {code: int(value) for code, value in grades.items() if value is not None}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        grades = [data.get(f"gags_{code}") for code in severity.GAGS_REGION_CODES]
        if any(g is not None for g in grades) and any(g is None for g in grades):
            for code, grade in zip(severity.GAGS_REGION_CODES, grades, strict=True):
                if grade is None:
                    self.add_error(f"gags_{code}", GAGS_INCOMPLETE)
        return data

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip() for line in (text or "").splitlines() if line.strip()]


class DosePlanForm(forms.Form):
    starts_on = numbers.DateField(label=_("Plan starts on"), widget=DateInput())
    weight_kg = numbers.DecimalField(label=_("Weight (kg)"), max_digits=6, decimal_places=1,
                                   widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}))
    mg_per_kg = numbers.DecimalField(label=_("Daily dose (mg/kg)"), max_digits=5, decimal_places=2,
                                   widget=forms.NumberInput(attrs={"step": "0.05", "inputmode": "decimal"}),
                                   help_text=_("Usually 0.5-1.0 mg/kg/day; outside 0.1-2.0 a reason is required."))
    target_mg_per_kg = forms.ChoiceField(label=_("Cumulative target"), choices=TARGET_CHOICES)
    out_of_range_reason = forms.CharField(
        label=_("Reason for a dose outside 0.1-2.0 mg/kg"), required=False, max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "long-text", "maxlength": REASON_MAX_LENGTH}),
        help_text=_("In words, at most 500 characters."))
    corrects_current = forms.BooleanField(
        label=_("This corrects an error in the current plan (it is not a dose change)"), required=False)
    correction_reason = forms.CharField(label=_("Reason for the correction"), required=False, max_length=500)
    confirm_unusual = confirm_unusual_field()


class WeightForm(forms.Form):
    measured_on = numbers.DateField(label=_("Measured on"), widget=DateInput())
    weight_kg = numbers.DecimalField(label=_("Weight (kg)"), max_digits=6, decimal_places=1,
                                   widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}))
    confirm_unusual = confirm_unusual_field()


class MissedDoseForm(forms.Form):
    first_day = numbers.DateField(label=_("First missed day"), widget=DateInput())
    days = numbers.IntegerField(label=_("Days missed"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class CourseStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=CourseStatus.choices)
    on = numbers.DateField(label=_("Effective on"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["status"])
        field.choices = [(value, label) for value, label in CourseStatus.choices if value in allowed]


def patient_age(patient: Patient, today: Any) -> int:
    born = patient.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
