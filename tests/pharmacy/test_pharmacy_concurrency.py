"""Exactly once, whatever the concurrency: many pharmacist requests race to dispense one prescription.

Each thread opens its own database connection (Django's connections are per thread), waits at a
barrier so that all requests start together, and tries to record the dispense with its own
idempotency key. PostgreSQL only: SQLite serialises whole-database writers, so it cannot show a race.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from clearcourse.core.errors import DomainError
from clearcourse.pharmacy import services
from clearcourse.pharmacy.models import AuthorizationReversal, Dispense

ATTEMPTS = 24

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n: int, attempt: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    outcomes: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[i] = attempt(i)
        except Exception as exc:
            # Kept, not raised: an unexpected error must fail the assertions, not vanish in the thread.
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a dispense attempt hung"
    return outcomes


def test_concurrent_dispenses_of_one_prescription_record_exactly_one(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date) -> None:
    assert connection.vendor == "postgresql"
    # Several authorizations of the same prescription, so the race is on the prescription, not on one
    # authorization row.
    authorizations = [authorize(ready_prescription) for _ in range(4)]

    def attempt(i: int) -> Any:
        return services.dispense_record(actor=pharmacist, authorization_id=authorizations[i % 4].pk,
                                        idempotency_key=f"race-{i}", days_supply=30, today=today)

    outcomes = _race(ATTEMPTS, attempt)
    successes = [o for o in outcomes if isinstance(o, services.DispenseResult)]
    refusals = [o for o in outcomes if isinstance(o, DomainError)]
    unexpected = [o for o in outcomes if not isinstance(o, services.DispenseResult | DomainError)]
    assert unexpected == []
    assert len(successes) == 1 and not successes[0].replayed
    assert len(refusals) == ATTEMPTS - 1
    assert Counter(e.code for e in refusals) == {"already_dispensed": ATTEMPTS - 1}
    assert all(e.status == 409 for e in refusals)
    assert Dispense.objects.filter(prescription=ready_prescription).count() == 1


def test_concurrent_retries_with_one_key_return_the_same_dispense(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)

    def attempt(i: int) -> Any:
        return services.dispense_record(actor=pharmacist, authorization_id=authorization.pk,
                                        idempotency_key="one-key", days_supply=30, today=today)

    outcomes = _race(20, attempt)
    assert all(isinstance(o, services.DispenseResult) for o in outcomes), outcomes
    assert len({o.dispense.pk for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert Dispense.objects.count() == 1


def test_a_reversal_racing_dispenses_leaves_one_consistent_outcome(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)

    def attempt(i: int) -> Any:
        if i % 2:
            return services.authorization_reverse(actor=pharmacist, authorization_id=authorization.pk, today=today,
                                                  reason="Not picked up")
        return services.dispense_record(actor=pharmacist, authorization_id=authorization.pk,
                                        idempotency_key=f"k-{i}", days_supply=30, today=today)

    outcomes = _race(20, attempt)
    dispensed = Dispense.objects.filter(authorization=authorization).count()
    reversed_ = AuthorizationReversal.objects.filter(authorization=authorization).count()
    # Either the dispense came first (no reversal) or the reversal did (no dispense), never both.
    assert (dispensed, reversed_) in {(1, 0), (0, 1)}
    assert not [o for o in outcomes if not isinstance(o, services.DispenseResult | services.ReversalResult
                                                      | DomainError)]
