"""Administrators search the trail; a patient sees who accessed their record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse

from clearcourse.audit.models import AuditEntry
from clearcourse.audit.services import audit_record


def test_an_administrator_searches_by_patient_actor_action_and_dates(login: Any, admin_user: Any, prescriber: Any,
                                                                     delegate: Any, patient: Any,
                                                                     other_patient: Any) -> None:
    with transaction.atomic():
        audit_record(actor=prescriber, action="patient.view", patient_id=other_patient.pk)
        audit_record(actor=delegate, action="patient.view", patient_id=patient.pk)
        audit_record(actor=prescriber, action="weight.record", patient_id=patient.pk)
    client = login(admin_user)
    url = reverse("audit:search")

    def seqs(**query: Any) -> list[int]:
        response = client.get(url, query)
        assert response.status_code == 200
        # Each patient search adds an "audit.search" entry of its own; those are not what is compared.
        return [e.seq for e in response.context["page"] if e.action != "audit.search"]

    everything = seqs()
    assert len(everything) >= 3
    # A patient by what people know: the record number or the name, never the internal id (issue 13).
    mine = seqs(patient=patient.record_number)
    assert len(mine) == 2
    assert seqs(patient="Jordan Miller") == mine == seqs(patient="miller")
    assert seqs(patient=str(patient.pk)) == []
    assert seqs(actor=delegate.username) == seqs(actor=delegate.get_full_name()) == [mine[1]]
    assert seqs(action="weight.record") == [mine[0]]
    today = dt.date.today().isoformat()
    assert len(seqs(date_from=today, date_to=today)) >= 3
    assert seqs(date_to="2000-01-01") == []
    # Looking up a patient's trail is itself recorded against that patient.
    assert AuditEntry.objects.filter(action="audit.search", patient_id=patient.pk, actor=admin_user).exists()


def test_the_trail_reads_in_words_and_finds_a_prescription_by_its_reference(
        login: Any, admin_user: Any, prescriber: Any, course: Any, today: dt.date, make_ready: Any) -> None:
    rx = make_ready(course, prescriber, today)
    with transaction.atomic():
        audit_record(actor=prescriber, action="ppp.contraception.confirm", patient_id=course.patient_id, obj=rx)
    response = login(admin_user).get(reverse("audit:search"), {"patient": rx.reference})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirmed contraception" in html and "Prescription RX-" in html
    assert "Miller, Jordan (R-0001)" in html and "Ana Rivera" in html
    assert "ppp.contraception.confirm" not in html.split("<select")[0] and "Prescription " + str(rx.pk) not in html


def test_the_search_is_paginated(login: Any, admin_user: Any, prescriber: Any) -> None:
    with transaction.atomic():
        for _ in range(55):
            audit_record(actor=prescriber, action="patient.view", patient_id=1)
    client = login(admin_user)
    first = client.get(reverse("audit:search"))
    assert len(first.context["page"]) == 50
    second = client.get(reverse("audit:search"), {"page": 2})
    assert len(second.context["page"]) == 5


def test_a_bad_search_is_refused_with_the_field_error(login: Any, admin_user: Any) -> None:
    response = login(admin_user).get(reverse("audit:search"), {"date_from": "2026-02-02", "date_to": "2026-01-01"})
    assert response.status_code == 400


def test_only_administrators_search(login: Any, prescriber: Any, patient_user: Any, pharmacist: Any) -> None:
    for user in (prescriber, patient_user, pharmacist):
        assert login(user).get(reverse("audit:search")).status_code == 403


def test_a_patient_sees_who_opened_their_record_and_not_others(login: Any, patient: Any, other_patient: Any,
                                                               prescriber: Any) -> None:
    from clearcourse.courses.selectors import patient_get_for_user

    patient_get_for_user(user=prescriber, patient_id=patient.pk)
    patient_get_for_user(user=prescriber, patient_id=other_patient.pk)
    response = login(patient.user).get(reverse("portal:access_report"))
    assert response.status_code == 200
    entries = list(response.context["page"])
    assert [e.patient_id for e in entries] == [patient.pk]
    html = response.content.decode()
    assert prescriber.display_name() in html and "Prescriber" in html
    assert "127.0.0.1" not in html


def test_the_access_report_is_for_patients_only(login: Any, prescriber: Any) -> None:
    assert login(prescriber).get(reverse("portal:access_report")).status_code == 403


def test_once_months_are_archived_the_patient_and_the_administrator_are_told_from_when_the_list_runs(
        login: Any, patient: Any, admin_user: Any) -> None:
    from clearcourse.audit.models import AuditArchive

    for response in (login(patient.user).get(reverse("portal:access_report")),
                     login(admin_user).get(reverse("audit:search"))):
        assert "archive" not in response.content.decode().lower()
    AuditArchive.objects.create(range_start=None, range_end=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
                                partition="audit_auditentry_y2026m08", entries=10, file_name="a.csv.gz",
                                file_sha256="0" * 64, archived_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                                archived_by="system")
    mine = login(patient.user).get(reverse("portal:access_report")).content.decode()
    assert "Entries from before 1 Sep 2026 have been moved to the archive; your clinic can request them" in mine
    search = login(admin_user).get(reverse("audit:search")).content.decode()
    assert "Entries before 1 Sep 2026 (UTC) have been moved to archive files outside the database" in search
