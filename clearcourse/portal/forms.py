"""Forms of the patient portal. They shape input only; the services validate it and refuse with the
field at fault. Every input has a label; radio groups and checkbox groups get a fieldset and legend
(``portal/_fields.html``)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from clearcourse.core import numbers
from clearcourse.portal import services
from clearcourse.portal.consent import ConsentDocument
from clearcourse.portal.models import GuardianRelationship
from clearcourse.ppp.models import CONTRACEPTION_CHOICES
from clearcourse.rules import mood, side_effects
from clearcourse.rules.programs import comprehension as bank

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InvitationAcceptForm(forms.Form):
    password1 = forms.CharField(label=_("Choose a password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 12 characters; not a common password and not only digits."))
    password2 = forms.CharField(label=_("Type the password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class ConsentForm(forms.Form):
    """The typed full name, today's date and one checkbox per key risk of the document shown."""

    text_version = forms.CharField(widget=forms.HiddenInput)
    text_sha256 = forms.CharField(widget=forms.HiddenInput)
    typed_name = forms.CharField(label=_("Your full name"), max_length=200,
                                 help_text=_("Type your first and last name as your clinic recorded them."),
                                 error_messages={"required": _(services.NAME_REQUIRED)},
                                 widget=forms.TextInput(attrs={"autocomplete": "name"}))
    signed_on = numbers.DateField(label=_("Today's date"), widget=DATE_INPUT)

    def __init__(self, *args: Any, document: ConsentDocument, needs_guardian: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        self.needs_guardian = needs_guardian
        if needs_guardian:
            self.fields["guardian_name"] = forms.CharField(
                label=_("Full name of the parent or guardian"), max_length=200, required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}))
            self.fields["guardian_relationship"] = forms.ChoiceField(
                label=_("Relationship to the patient"), required=False,
                choices=[("", _("Choose")), *GuardianRelationship.choices])
            self.fields["guardian_confirmed"] = forms.BooleanField(
                label=_("I am the patient's parent or guardian. I have read this text with the patient and I "
                        "consent to the treatment."), required=False)
            self.fields["guardian_signed_on"] = numbers.DateField(label=_("Date (parent or guardian)"),
                                                                widget=DATE_INPUT, required=False)
        self.fields["text_version"].initial = document.version_id
        self.fields["text_sha256"].initial = document.sha256
        for number, risk in enumerate(document.risks, start=1):
            self.fields[f"risk_{risk.code}"] = forms.BooleanField(
                label=_("I have read and understood statement %(number)s.") % {"number": number},
                error_messages={"required": _(services.RISK_NOT_ACKNOWLEDGED)},
            )

    def guardian_fields(self) -> list[forms.BoundField]:
        if not self.needs_guardian:
            return []
        return [self[name] for name in ("guardian_name", "guardian_relationship", "guardian_confirmed",
                                        "guardian_signed_on")]

    def risk_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(risk, self[f"risk_{risk.code}"]) for risk in self.document.risks]

    def sign_fields(self) -> list[forms.BoundField]:
        return [self["typed_name"], self["signed_on"]]

    def ticked(self) -> list[str]:
        return [r.code for r in self.document.risks if self.cleaned_data.get(f"risk_{r.code}")]


class ComprehensionForm(forms.Form):
    """The program's questions (the rules core's question bank), in the patient's language."""

    def __init__(self, *args: Any, program: str, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language if language in bank.LANGUAGES else "en"
        self.questions = bank.questions_for(program)
        self.pass_rule = bank.PASS_RULE.get(self.language, bank.PASS_RULE["en"])
        for number, q in enumerate(self.questions, start=1):
            self.fields[f"q_{q.id}"] = forms.ChoiceField(
                label=f"{number}. {q.text_in(self.language)}", widget=forms.RadioSelect,
                choices=[(o.id, o.text.get(self.language) or o.text["en"]) for o in q.options],
                error_messages={"required": _("Answer this question.")},
            )

    def answers(self) -> dict[str, str]:
        return {q.id: self.cleaned_data.get(f"q_{q.id}", "") for q in self.questions}


class ContraceptionForm(forms.Form):
    methods = forms.MultipleChoiceField(label=_("The methods I use"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    abstinence = forms.BooleanField(
        label=_("Instead of two methods, I commit to no heterosexual intercourse"), required=False)

    def __init__(self, *args: Any, allow_abstinence: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["methods"]).choices = CONTRACEPTION_CHOICES
        if not allow_abstinence:
            del self.fields["abstinence"]


def _answer_choices() -> list[tuple[int, str]]:
    return [(i, f"{i} – {_(text)}") for i, text in enumerate(mood.ANSWER_OPTIONS)]


class MoodForm(forms.Form):
    """PHQ-9 (or the teen version): one radio group per item, 0-3."""

    def __init__(self, *args: Any, instrument: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = mood.Instrument(instrument)
        self.spec = mood.INSTRUMENTS[self.instrument]
        for number, text in enumerate(self.spec.items, start=1):
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=f"{number}. {_(text)}", choices=_answer_choices, coerce=int, widget=forms.RadioSelect,
                error_messages={"required": _("Choose one answer.")},
            )

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{n}"] for n in range(1, self.spec.item_count + 1)]


GRADE_CHOICES = [("", _("No")), ("mild", _("Mild")), ("moderate", _("Moderate")), ("severe", _("Severe"))]


class SideEffectForm(forms.Form):
    onset = numbers.DateField(label=_("When did it start? (optional)"), required=False, widget=DATE_INPUT)
    note = forms.CharField(label=_("Anything else your dermatologist should know (optional)"), required=False,
                           max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, effect in side_effects.CATALOGUE.items():
            self.fields[f"se_{code}"] = forms.ChoiceField(label=_(effect.name), choices=GRADE_CHOICES,
                                                          required=False)

    def symptoms(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"se_{code}") or "" for code in side_effects.CATALOGUE}

    def symptom_fields(self) -> list[forms.BoundField]:
        return [self[f"se_{code}"] for code in side_effects.CATALOGUE]

    def other_fields(self) -> list[forms.BoundField]:
        return [self["onset"], self["note"]]


class MissedDoseForm(forms.Form):
    first_day = numbers.DateField(label=_("First day without a dose"), widget=DATE_INPUT)
    days = numbers.IntegerField(label=_("Number of days missed"), min_value=1, max_value=90)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), required=False)
