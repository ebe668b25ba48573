"""The audit trail for people: administrators search it; a patient sees who accessed their record."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from clearcourse.audit import lookups
from clearcourse.audit.forms import AuditSearchForm
from clearcourse.audit.selectors import archived_before, audit_search, known_actions
from clearcourse.audit.services import audit_record
from clearcourse.audit.templatetags.audit_labels import staff_action_label
from clearcourse.core.access import Role, page, signed_in_user
from clearcourse.core.paging import CappedPaginator

PAGE_SIZE = 50


@never_cache
@page(Role.ADMIN)
def search(request: HttpRequest) -> HttpResponse:
    actions = sorted(((code, staff_action_label(code)) for code in known_actions()), key=lambda pair: pair[1])
    form = AuditSearchForm(request.GET or None, actions=actions)
    entries = audit_search()
    patient_ids: set[int] = set()
    if form.is_bound:
        if not form.is_valid():
            return render(request, "audit/search.html", {"form": form, "page": None}, status=400)
        data = form.cleaned_data
        patient_text = data["patient"].strip()
        if patient_text:
            patient_ids = lookups.find_patients(patient_text)
        entries = audit_search(patient_ids=patient_ids if patient_text else None, actor=data["actor"].strip(),
                               action=data["action"], date_from=data["date_from"], date_to=data["date_to"])
    page = CappedPaginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)  # read before the search records itself below
    page.object_list = rows
    if patient_ids:
        # Who looked at whose access history is itself part of that patient's history.
        with transaction.atomic():
            for patient_id in sorted(patient_ids):
                audit_record(actor=signed_in_user(request), action="audit.search", patient_id=patient_id)
    patients = lookups.patient_labels([e.patient_id for e in rows] + [
        int(e.object_id) for e in rows if e.object_type == lookups.PATIENT_OBJECT and e.object_id.isdigit()])
    objects = lookups.object_labels(((e.object_type, e.object_id) for e in rows), patients=patients)
    for e in rows:
        e.patient_words = patients.get(e.patient_id, "") if e.patient_id is not None else ""  # type: ignore[attr-defined]
        e.object_words = objects.get((e.object_type, e.object_id), "")  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/search.html", {"form": form, "page": page, "query": query.urlencode(),
                                                 "archived_before": archived_before()})
