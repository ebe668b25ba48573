from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

HOME_BY_ROLE = {
    "prescriber": ("monitoring:worklist", "courses:patient_list"),
    "delegate": ("monitoring:worklist", "courses:patient_list"),
    "pharmacist": ("pharmacy:home",),
    "patient": ("portal:home",),
    "admin": ("audit:search", "admin:index"),
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Sends each role to its own start page."""
    for name in HOME_BY_ROLE.get(request.user.role, ()):  # type: ignore[union-attr]
        try:
            return redirect(reverse(name))
        except NoReverseMatch:
            continue
    return redirect("accounts:logout")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
