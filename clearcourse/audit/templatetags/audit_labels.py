"""Plain-language labels for audit actions, for the patient's own access report."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# What was touched. Unknown subjects fall back to the stored code, so a new action is never hidden.
SUBJECTS = {
    "admin": _("your record (administration)"),
    "patient": _("your details"),
    "course": _("your course"),
    "assessment": _("an assessment"),
    "dose_plan": _("your dose plan"),
    "weight": _("your weight"),
    "missed_dose": _("missed doses"),
    "prescription": _("a prescription"),
    "pharmacy": _("a pharmacy request"),
    "lab": _("a lab result"),
    "mood": _("a mood questionnaire"),
    "sexual_function": _("a sexual-function assessment"),
    "side_effect": _("a side-effect report"),
    "alert": _("an alert"),
    "monitoring": _("your monitoring"),
    "calendar": _("your calendar feed"),
    "calendar_token": _("your calendar link"),
    "worklist": _("the clinic worklist"),
    "portal": _("your portal"),
    "interop": _("an import or export"),
    "enrollment": _("your enrolment"),
    "risk_category": _("your pregnancy category"),
    "counseling": _("counselling"),
    "contraception": _("contraception"),
    "pregnancy_test": _("a pregnancy test"),
    "home_test": _("a home pregnancy test"),
    "comprehension": _("the comprehension questions"),
    "treatment_end": _("the end of treatment"),
    "status": _("your pregnancy prevention status"),
    # Portal pages ("portal.mood.open"): the second part names the page.
    "home": _("your portal"),
    "education": _("the information pages"),
    "consent": _("your consent"),
    "invitation": _("your invitation"),
    "missed_doses": _("missed doses"),
    "side_effects": _("your side-effect reports"),
    "summary": _("your treatment summary"),
}
VERBS = {
    "view": _("opened"),
    "create": _("created"),
    "record": _("recorded"),
    "report": _("reported"),
    "save": _("saved"),
    "status": _("changed the status of"),
    "void": _("voided"),
    "acknowledge": _("acknowledged"),
    "authorize": _("asked to authorize"),
    "dispense": _("dispensed"),
    "reverse": _("reversed"),
    "verify": _("verified"),
    "sign": _("signed"),
    "accept": _("accepted"),
    "revoke": _("revoked"),
    "export_fhir": _("exported"),
    "feed": _("read"),
    "submit": _("answered"),
    "confirm": _("confirmed"),
    "assign": _("set"),
    "photo": _("viewed the photo of"),
    "open": _("opened"),
    "download": _("downloaded"),
    "preferred_language": _("changed the language of"),
}


@register.filter
def action_label(action: str) -> str:
    """``"patient.view"`` -> "opened your details"; unknown codes are shown as they are."""
    parts = action.split(".")
    # The programs app and the portal prefix their actions ("ppp.pregnancy_test.record"): the subject is
    # the second part.
    subject = SUBJECTS.get(parts[1] if parts[0] in ("ppp", "portal") and len(parts) > 2 else parts[0])
    verb = VERBS.get(parts[-1])
    if subject is None or verb is None:
        return action
    if parts[0] == "pharmacy":
        return str(_("{verb} (pharmacy)").format(verb=verb))
    # Translated as a whole so each language can order the words its own way (German: "{verb}: {subject}").
    return str(_("{verb} {subject}").format(verb=verb, subject=subject))
