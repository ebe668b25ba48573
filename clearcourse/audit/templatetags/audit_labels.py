"""Plain-language labels for audit actions, for the patient's own access report."""

from __future__ import annotations

from django import template
from django.utils.text import capfirst
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
    # Django's admin (audit/admin_site.py).
    "history": _("read the change history of"),
    "add": _("added"),
    "change": _("changed"),
    "delete": _("deleted"),
}


@register.filter
def action_label(action: str) -> str:
    """``"patient.view"`` -> "opened your details"; an unknown action in words ("rems ncpdp initiation")."""
    parts = action.split(".")
    # The programs app and the portal prefix their actions ("ppp.pregnancy_test.record"): the subject is
    # the second part.
    subject = SUBJECTS.get(parts[1] if parts[0] in ("ppp", "portal") and len(parts) > 2 else parts[0])
    verb = VERBS.get(parts[-1])
    if subject is None or verb is None:
        return " ".join(action.replace("_", " ").split("."))
    if parts[0] == "pharmacy":
        return str(_("{verb} (pharmacy)").format(verb=verb))
    # Translated as a whole so each language can order the words its own way (German: "{verb}: {subject}").
    return str(_("{verb} {subject}").format(verb=verb, subject=subject))


# The same subjects for staff and administrators, who read about someone else's record.
STAFF_SUBJECTS = {
    "admin": _("the administration pages"),
    "patient": _("patient details"),
    "course": _("a course"),
    "assessment": _("an assessment"),
    "dose_plan": _("a dose plan"),
    "weight": _("a weight"),
    "missed_dose": _("missed doses"),
    "prescription": _("a prescription"),
    "pharmacy": _("a pharmacy request"),
    "lab": _("a lab result"),
    "mood": _("a mood questionnaire"),
    "sexual_function": _("a sexual-function assessment"),
    "side_effect": _("a side-effect report"),
    "alert": _("an alert"),
    "monitoring": _("the monitoring page"),
    "monitoring_config": _("the monitoring settings"),
    "calendar": _("a calendar feed"),
    "calendar_token": _("a calendar link"),
    "worklist": _("the clinic worklist"),
    "interop": _("an import or export"),
    "enrollment": _("a program enrolment"),
    "risk_category": _("a pregnancy category"),
    "counseling": _("counselling"),
    "contraception": _("contraception"),
    "pregnancy_test": _("a pregnancy test"),
    "home_test": _("a home pregnancy test"),
    "comprehension": _("the comprehension questions"),
    "treatment_end": _("the end of treatment"),
    "second_prescriber": _("a second prescriber's agreement"),
    "status": _("the pregnancy prevention status"),
    "certification": _("a program enrolment"),
    "api_token": _("a pharmacy system's access key"),
    "audit": _("the audit trail"),
    "home": _("the patient portal"),
    "education": _("the information pages"),
    "consent": _("a consent"),
    "invitation": _("a portal invitation"),
    "missed_doses": _("missed doses"),
    "side_effects": _("side-effect reports"),
    "summary": _("a treatment summary"),
}
STAFF_VERBS = {**VERBS, "search": _("searched"), "training": _("recorded the staff training for"),
               "lookup": _("looked up"), "course_import": _("imported"), "lab_import": _("imported"),
               "archive": _("archived a month of")}


@register.filter
def staff_action_label(action: str) -> str:
    """``"ppp.contraception.confirm"`` -> "Confirmed contraception", for staff and administrators; an action
    nobody named yet is still shown in words ("Rems ncpdp initiation"), never as its code."""
    parts = action.split(".")
    key = parts[1] if parts[0] in ("ppp", "portal", "pharmacy", "interop") and len(parts) > 2 else parts[0]
    if parts[0] == "interop" and len(parts) == 2:
        key = "interop"
    subject = STAFF_SUBJECTS.get(key)
    verb = STAFF_VERBS.get(parts[-1])
    if subject is None or verb is None:
        return capfirst(" ".join(action.replace("_", " ").split(".")))
    return capfirst(str(_("{verb} {subject}").format(verb=verb, subject=subject)))
