"""Navigation for the signed-in user's role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (role set, url name, label). A link whose URL is not (yet) defined is left out.
NAV_ITEMS: list[tuple[frozenset[str], str, Any]] = [
    (frozenset({"prescriber", "delegate"}), "monitoring:worklist", _("Worklist")),
    (frozenset({"prescriber", "delegate"}), "courses:patient_list", _("Patients")),
    (frozenset({"prescriber", "delegate"}), "interop:lab_import", _("Import labs")),
    (frozenset({"pharmacist"}), "pharmacy:home", _("Dispensing")),
    (frozenset({"prescriber", "pharmacist"}), "ppp:my_certification", _("Program enrolment")),
    (frozenset({"patient"}), "portal:home", _("My course")),
    (frozenset({"patient"}), "portal:education", _("Is isotretinoin right for me?")),
    (frozenset({"patient"}), "portal:access_report", _("Who saw my record")),
    (frozenset({"admin"}), "audit:search", _("Audit trail")),
    (frozenset({"admin"}), "ppp:certifications", _("Program enrolment")),
    (frozenset({"admin"}), "admin:index", _("Administration")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for roles, name, label in NAV_ITEMS:
        if user.role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return {"nav_items": items}
