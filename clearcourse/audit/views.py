"""The audit trail for people: administrators search it; a patient sees who accessed their record."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from clearcourse.audit.forms import AuditSearchForm
from clearcourse.audit.selectors import audit_search, known_actions
from clearcourse.audit.services import audit_record
from clearcourse.core.access import Role, page, signed_in_user
from clearcourse.core.paging import CappedPaginator

PAGE_SIZE = 50


@never_cache
@page(Role.ADMIN)
def search(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    entries = audit_search()
    if form.is_bound:
        if not form.is_valid():
            return render(request, "audit/search.html", {"form": form, "page": None}, status=400)
        data = form.cleaned_data
        entries = audit_search(patient_id=data["patient_id"], actor=data["actor"].strip(),
                               action=data["action"].strip(), date_from=data["date_from"],
                               date_to=data["date_to"])
    page = CappedPaginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # read before the search records itself below
    if form.is_bound and form.cleaned_data.get("patient_id"):
        # Who looked at whose access history is itself part of that patient's history.
        with transaction.atomic():
            audit_record(actor=signed_in_user(request), action="audit.search",
                         patient_id=form.cleaned_data["patient_id"])
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/search.html", {
        "form": form, "page": page, "query": query.urlencode(), "actions": known_actions(),
    })
