"""Forms for the monitoring pages. They only shape input; the services and the rules core validate it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clearcourse.core import numbers
from clearcourse.core.citations import cite_text
from clearcourse.core.forms_flow import confirm_unusual_field
from clearcourse.monitoring import services
from clearcourse.monitoring.models import CompletedBy, SexualFunctionOutcome
from clearcourse.rules import labs, mood, side_effects
from clearcourse.rules.monitoring import MAX_INTERVAL_DAYS as MAX_DAYS

# An <input type="date"> only takes ISO dates: without the format, German pages rendered the default
# date as "26.11.2026", which the browser drops, so the field showed empty.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# A configured alert threshold may be at most ten times its shipped default (a typing-error bound).
MAX_THRESHOLD_FACTOR = 10


#: Tests a lab result can be entered for: the numeric analytes, under their preferred LOINC code.
def lab_test_choices() -> list[tuple[str, str]]:
    # A callable, so the names are translated per request, not once at import.
    return [(labs.PREFERRED_LOINC[a], f"{_(labs.ANALYTE_NAMES[a])} (LOINC {labs.PREFERRED_LOINC[a]})")
            for a in labs.Analyte if a not in labs.QUALITATIVE_ANALYTES]


UNIT_CHOICES = [(u.value, u.value) for u in (labs.Unit.MG_DL, labs.Unit.MMOL_L, labs.Unit.U_L, labs.Unit.IU_L)]


class LabResultForm(forms.Form):
    loinc = forms.ChoiceField(label=_("Test"), choices=lab_test_choices)
    # No bounds here: the service gives the clear message ("cannot be negative") and writes nothing.
    value = numbers.DecimalField(label=_("Value"), max_digits=15, decimal_places=3)
    unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES)
    uln = numbers.DecimalField(label=_("Lab's upper limit of normal (U/L)"), required=False, max_digits=15,
                             decimal_places=3, help_text=_("Needed for ALT and AST; leave empty for lipids."))
    collected_on = numbers.DateField(label=_("Collected on"), widget=DATE_INPUT)
    confirm_unusual = confirm_unusual_field()


def answer_choices() -> list[tuple[int, str]]:
    return [(i, f"{i} - {_(text)}") for i, text in enumerate(mood.ANSWER_OPTIONS)]


class MoodScreenForm(forms.Form):
    """One radio group per item (0-3). An answer outside 0-3 is a field error with the clear message."""

    screened_on = numbers.DateField(label=_("Date"), widget=DATE_INPUT)
    completed_by = forms.ChoiceField(label=_("Completed by"), choices=CompletedBy.choices,
                                     initial=CompletedBy.PATIENT,
                                     help_text=_("Choose patient when you enter a form the patient filled in."))

    def __init__(self, *args: Any, instrument: mood.Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.spec = mood.INSTRUMENTS[instrument]
        for number, text in enumerate(self.spec.items, start=1):
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=f"{number}. {_(text)}", choices=answer_choices, coerce=int, widget=forms.RadioSelect,
                error_messages={"invalid_choice": _(services.PHQ_ANSWER_OUT_OF_RANGE),
                                "required": _(services.PHQ_ANSWER_OUT_OF_RANGE)},
            )

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{n}"] for n in range(1, self.spec.item_count + 1)]


class SexualFunctionForm(forms.Form):
    assessed_on = numbers.DateField(label=_("Date"), widget=DATE_INPUT)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=SexualFunctionOutcome.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


GRADE_CHOICES = [("", _("not reported"))] + [(g.value, _(g.value.capitalize())) for g in side_effects.Grade]


class SideEffectForm(forms.Form):
    reported_on = numbers.DateField(label=_("Reported on"), widget=DATE_INPUT)
    onset = numbers.DateField(label=_("Started on"), required=False, widget=DATE_INPUT)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, effect in side_effects.CATALOGUE.items():
            self.fields[f"se_{code}"] = forms.ChoiceField(label=_(effect.name), choices=GRADE_CHOICES,
                                                          required=False)

    def symptoms(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"se_{code}") or "" for code in side_effects.CATALOGUE}

    def symptom_fields(self) -> list[forms.BoundField]:
        return [self[f"se_{code}"] for code in side_effects.CATALOGUE]


class AlertAcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": _(services.ACK_NOTE_REQUIRED)})


class MonitoringConfigForm(forms.Form):
    first_recheck_days = numbers.IntegerField(label=_("First lab recheck after starting (days)"), min_value=1, max_value=MAX_DAYS)
    liver_interval_days = numbers.IntegerField(label=_("Liver tests every (days)"), min_value=1, max_value=MAX_DAYS)
    lipid_interval_days = numbers.IntegerField(label=_("Lipids every (days; empty = at 1 month and at the end)"),
                                             min_value=1, max_value=MAX_DAYS, required=False)
    high_risk_interval_days = numbers.IntegerField(label=_("Higher-risk patients: labs every (days)"), min_value=1, max_value=MAX_DAYS)
    peak_recheck_days = numbers.IntegerField(label=_("Recheck after reaching the peak dose (days)"), min_value=1, max_value=MAX_DAYS)
    baseline_max_age_days = numbers.IntegerField(label=_("A baseline result may be this old (days)"), min_value=0, max_value=MAX_DAYS)
    end_of_treatment_window_days = numbers.IntegerField(label=_("End-of-treatment lipids window (days)"),
                                                      min_value=1, max_value=MAX_DAYS)
    mood_interval_days = numbers.IntegerField(label=_("Mood screen every (days)"), min_value=1, max_value=MAX_DAYS)
    assess_sexual_function = forms.BooleanField(label=_("Assess sexual function (UK MHRA 2023)"), required=False)
    routine_cbc = forms.BooleanField(label=_("Order blood counts routinely"), required=False,
                                     help_text=_("The AAD 2024 guideline, as summarised, does not require them "
                                                 "in healthy patients."))
    reminder_days_before = numbers.IntegerField(label=_("Remind patients this many days before"), min_value=0,
                                              max_value=30)
    signed_off = forms.BooleanField(
        label=_("A clinician has reviewed these intervals and thresholds and signs them off"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for threshold in labs.DEFAULT_THRESHOLDS:
            unit = "x ULN" if threshold.unit == labs.Unit.X_ULN else threshold.unit.value
            comparison = ">=" if threshold.inclusive else ">"
            self.fields[f"threshold_{threshold.code}"] = numbers.FloatField(
                label=f"{_(labs.ANALYTE_NAMES[threshold.analyte])} {comparison} ({unit}) - "
                      f"{_(threshold.severity.value)}",
                # Ten times the shipped default bounds typing errors (1e308 would switch the alert off).
                min_value=0, max_value=float(threshold.bound) * MAX_THRESHOLD_FACTOR,
                help_text=_("Default %(bound)s; sources: %(sources)s") % {
                    "bound": threshold.bound, "sources": "; ".join(cite_text(s) for s in threshold.sources)},
            )

    def threshold_fields(self) -> list[forms.BoundField]:
        return [self[f"threshold_{t.code}"] for t in labs.DEFAULT_THRESHOLDS]

    def interval_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("threshold_") and name != "signed_off"]

    def thresholds(self) -> dict[str, float]:
        return {t.code: self.cleaned_data[f"threshold_{t.code}"] for t in labs.DEFAULT_THRESHOLDS}
