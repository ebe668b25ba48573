"""The audit pages stay bounded as the trail grows (docs/performance.md, "The audit trail at scale"): no
count of every entry, no DISTINCT over every entry, filters the indexes answer, and a page's statements
do not grow with the trail. The timings themselves are in bench/audit.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from clearcourse.audit.selectors import audit_search, known_actions
from clearcourse.audit.services import audit_record
from clearcourse.core import paging

AUDIT_PAGES = (("audit:search", {}), ("audit:search", {"action": "patient."}), ("audit:search", {"actor": "x"}),
               ("audit:search", {"date_from": "2026-11-20", "date_to": "2026-11-26"}))


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def _write(n: int, actors: list[Any], *, patient_id: int = 5) -> None:
    actions = ("patient.view", "course.view", "weight.record", "pharmacy.dispense")
    with transaction.atomic():
        for i in range(n):
            audit_record(actor=actors[i % len(actors)], action=actions[i % len(actions)], patient_id=patient_id)


def _unbounded(sql: str) -> list[str]:
    """What in one statement reads every entry of the trail: a count without a LIMIT inside it, a DISTINCT."""
    problems = []
    if "audit_auditentry" in sql:
        if re.search(r"COUNT\(\*\)", sql, re.I) and not re.search(r"LIMIT", sql, re.I):
            problems.append(f"count of every match: {sql}")
        if re.search(r"\bDISTINCT\b", sql, re.I):
            problems.append(f"distinct over the trail: {sql}")
    return problems


def test_the_search_admin_list_and_access_report_never_read_the_whole_trail(
        login: Any, admin_user: Any, prescriber: Any, patient: Any) -> None:
    _write(30, [prescriber], patient_id=patient.pk)
    pages = [("portal:access_report", {}, patient.user), ("admin:audit_auditentry_changelist", {}, admin_user),
             ("admin:audit_auditentry_changelist", {"action": "patient.view", "actor_role": "prescriber"}, admin_user),
             *((name, query, admin_user) for name, query in AUDIT_PAGES)]
    for name, query, user in pages:
        client = login(user)
        with statements() as seen:
            response = client.get(reverse(name), query)
        assert response.status_code == 200, (name, query)
        problems = [p for sql in seen for p in _unbounded(sql)]
        assert not problems, (name, query, problems)


def test_page_statements_do_not_grow_with_the_trail(admin_user: Any, prescriber: Any, delegate: Any,
                                                     patient: Any) -> None:
    admin_client, patient_client = Client(), Client()
    admin_client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    patient_client.force_login(patient.user, backend="django.contrib.auth.backends.ModelBackend")

    def counts() -> dict[str, int]:
        out = {}
        for name, query in (*AUDIT_PAGES, ("admin:audit_auditentry_changelist", {})):
            with statements() as seen:
                assert admin_client.get(reverse(name), query).status_code == 200
            out[f"{name} {query}"] = len(seen)
        with statements() as seen:
            assert patient_client.get(reverse("portal:access_report")).status_code == 200
        out["access report"] = len(seen)
        return out

    _write(8, [prescriber, delegate], patient_id=patient.pk)
    small = counts()
    _write(160, [prescriber, delegate], patient_id=patient.pk)
    assert counts() == small


def test_past_the_cap_the_pages_say_more_than_and_stop_counting(login: Any, admin_user: Any, prescriber: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging.CappedPaginator, "cap", 60)
    _write(75, [prescriber])
    client = login(admin_user)
    first = client.get(reverse("audit:search"))
    assert first.context["page"].paginator.capped
    assert first.context["page"].paginator.count == 60
    html = first.content.decode()
    assert "More than 60 entries" in html and "Page 1 of more than 2" in html
    last = client.get(reverse("audit:search"), {"page": 99})
    assert len(last.context["page"]) == 10  # pages past the cap are not offered: the last counted page
    admin_list = client.get(reverse("admin:audit_auditentry_changelist")).content.decode()
    assert "More than 60 entries" in admin_list
    monkeypatch.setattr(paging.CappedPaginator, "cap", 1000)
    assert "75 entries" in client.get(reverse("audit:search")).content.decode()


def test_filters_match_as_before(prescriber: Any, delegate: Any, settings: Any, clock: Any) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    with transaction.atomic():
        audit_record(actor=prescriber, action="patient.view", patient_id=1)
        audit_record(actor=delegate, action="patient.export", patient_id=2)
    clock.shift(dt.timedelta(hours=13))  # 2026-11-27 00:00 in Berlin
    with transaction.atomic():
        audit_record(actor=None, action="weight.record", patient_id=None)
    assert known_actions() == ["patient.export", "patient.view", "weight.record"]
    assert [e.action for e in audit_search(action="patient.")] == ["patient.export", "patient.view"]
    assert [e.action for e in audit_search(action="patient.view")] == ["patient.view"]
    assert [e.action for e in audit_search(action="nothing.")] == []
    assert [e.action for e in audit_search(actor=delegate.username.upper())] == ["patient.export"]
    assert [e.action for e in audit_search(actor=prescriber.last_name)] == ["patient.view"]
    assert [e.action for e in audit_search(actor="system")] == ["weight.record"]
    # Calendar days of the server's time zone: 11:00 UTC is the 26th in Berlin, 00:00 the 27th.
    day = dt.date(2026, 11, 26)
    assert [e.action for e in audit_search(date_from=day, date_to=day)] == ["patient.export", "patient.view"]
    assert [e.action for e in audit_search(date_from=day + dt.timedelta(days=1))] == ["weight.record"]
    # Newest first.
    assert [e.action for e in audit_search()] == ["weight.record", "patient.export", "patient.view"]
