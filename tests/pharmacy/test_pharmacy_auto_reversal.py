"""iPLEDGE 2026: pharmacies reverse promptly the authorizations not picked up. The worklist lists them, and
the daily ``reverse_unpicked`` job reverses them after the window the pharmacy set (its own setting: no
published number of days). Time is the frozen clock (2026-11-26)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from clearcourse.audit.models import AuditEntry
from clearcourse.core import clock as core_clock
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.pharmacy import selectors, services
from clearcourse.pharmacy.models import AuthorizationReversal, AuthorizationStatus

DAY = dt.timedelta(days=1)
pytestmark = pytest.mark.django_db


def _set_window(pharmacist: Any, days: int | None) -> None:
    services.pharmacy_reversal_window_set(actor=pharmacist, days=days)
    pharmacist.pharmacy.refresh_from_db()


def test_the_pharmacist_sets_the_window_and_it_is_audited(pharmacist: Any) -> None:
    _set_window(pharmacist, 3)
    assert pharmacist.pharmacy.reversal_window_days == 3
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "pharmacy.settings.reversal_window"
    assert entry.detail["days"] == 3 and entry.detail["before"] is None


@pytest.mark.parametrize("days", [0, 31])
def test_a_window_outside_1_to_30_days_is_refused_on_its_field_and_nothing_changes(pharmacist: Any,
                                                                                   days: int) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        services.pharmacy_reversal_window_set(actor=pharmacist, days=days)
    assert caught.value.field == "reversal_window_days"
    pharmacist.pharmacy.refresh_from_db()
    assert pharmacist.pharmacy.reversal_window_days is None and AuditEntry.objects.count() == before


def test_only_pharmacists_set_the_window(prescriber: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        services.pharmacy_reversal_window_set(actor=prescriber, days=3)


def test_an_unpicked_authorization_is_reversed_the_day_after_the_window_once(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date,
        clock: Any) -> None:
    authorization = authorize(ready_prescription)
    assert authorization.allowed and authorization.decided_on == today
    _set_window(pharmacist, 3)
    # Day 3 of the window (today + 2): still waiting for the patient.
    assert services.authorizations_reverse_unpicked(today=today + 2 * DAY) == []
    # The worklist lists it to reverse once it has expired (valid through today + 4).
    assert selectors.pharmacy_worklist(actor=pharmacist, today=today + 2 * DAY).open == [authorization]
    # The day after the window: the job, reading the frozen clock in the pharmacy's time zone, reverses it.
    clock.move_to(dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC))
    assert core_clock.today_in(pharmacist.pharmacy.time_zone) == today + 3 * DAY
    out = StringIO()
    call_command("reverse_unpicked", stdout=out)
    assert "reversed: 1 authorization(s)" in out.getvalue()
    row = AuthorizationReversal.objects.get(authorization=authorization)
    assert row.reversed_on == today + 3 * DAY and row.created_by is None
    assert "Not picked up within 3 days" in row.reason
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "pharmacy.reverse.automatic"
    assert entry.actor_id is None and entry.patient_id == authorization.patient_id
    assert entry.detail["window_days"] == 3 and entry.detail["source"] == "pharmacy-reversal-window"
    authorization.refresh_from_db()
    assert authorization.status_on(today + 3 * DAY) == AuthorizationStatus.REVERSED
    # A second run reverses nothing and writes nothing.
    before = AuditEntry.objects.count()
    assert services.authorizations_reverse_unpicked() == []
    assert AuditEntry.objects.count() == before


def test_without_a_window_nothing_is_reversed_automatically_but_the_worklist_lists_it(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    later = today + 10 * DAY
    assert services.authorizations_reverse_unpicked(today=later) == []
    assert selectors.pharmacy_worklist(actor=pharmacist, today=later).to_reverse == [authorization]


def test_a_dispensed_authorization_is_never_reversed(ready_prescription: Any, authorize: Callable[..., Any],
                                                     pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    services.dispense_record(actor=pharmacist, authorization_id=authorization.pk, idempotency_key="k-1",
                             days_supply=30, today=today)
    _set_window(pharmacist, 1)
    assert services.authorizations_reverse_unpicked(today=today + 5 * DAY) == []
    assert not AuthorizationReversal.objects.exists()


def test_the_pharmacist_sets_the_window_on_the_home_page(pharmacist: Any, login: Callable[[Any], Client]) -> None:
    client = login(pharmacist)
    page = client.get(reverse("pharmacy:home")).content.decode()
    assert 'id="reversal-window"' in page
    bad = client.post(reverse("pharmacy:reversal_window"), {"reversal_window_days": "45"})
    assert bad.status_code == 400 and "reversal_window_days_error" in bad.content.decode()
    good = client.post(reverse("pharmacy:reversal_window"), {"reversal_window_days": "5"})
    assert good.status_code == 302
    pharmacist.pharmacy.refresh_from_db()
    assert pharmacist.pharmacy.reversal_window_days == 5
    cleared = client.post(reverse("pharmacy:reversal_window"), {"reversal_window_days": ""})
    assert cleared.status_code == 302
    pharmacist.pharmacy.refresh_from_db()
    assert pharmacist.pharmacy.reversal_window_days is None
