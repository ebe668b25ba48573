from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from clearcourse.pharmacy import selectors, services
from clearcourse.pharmacy.models import Dispense
from clearcourse.synth.management.commands.demo import DEMO_BUILDERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> dict[str, Any]:
    """The demo builders in the command's order, keeping the context they share."""
    ctx: dict[str, Any] = {}
    for builder in DEMO_BUILDERS:
        builder.build(ctx)
    return ctx


def test_demo_pickups_are_dispenses_under_authorizations_and_one_expired_waits_for_reversal(
        demo: dict[str, Any]) -> None:
    seeded = Dispense.objects.filter(idempotency_key__startswith="demo-").select_related("authorization")
    assert seeded.count() == len(demo["pickups"]) > 0
    # The ppp builder records a visit before every pick-up, so the rules core allowed each one.
    assert len(demo["pharmacy_demo"]["authorized"]) == len(demo["pickups"])
    for dispense in seeded:
        authorization = dispense.authorization
        assert authorization is not None and authorization.allowed
        assert authorization.pharmacy_id == dispense.pharmacy_id == demo["pharmacy"].pk
        assert authorization.decided_on == dispense.dispensed_on <= authorization.valid_through  # type: ignore[operator]
    worklist = selectors.pharmacy_worklist(actor=demo["users"]["pharm.lee"], today=timezone.localdate())
    assert [a.pk for a in worklist.to_reverse] == [a.pk for a in demo["pharmacy_demo"]["expired_unused"]]
    assert len(worklist.to_reverse) == 1


def test_demo_ready_patients_are_dispensed_once_and_refusals_list_what_is_missing(demo: dict[str, Any]) -> None:
    pharmacist = demo["users"]["pharm.lee"]
    today = timezone.localdate()
    assert demo["ppp"]["ready"]
    for item in demo["ppp"]["ready"]:
        ask = {"actor": pharmacist, "reference": item["reference"], "birth_date": item["birth_date"],
               "days_supply": item["prescription"].days_supply, "today": today}
        authorization = services.authorization_request(**ask)
        assert authorization.allowed, authorization.reasons
        services.dispense_record(actor=pharmacist, authorization_id=authorization.pk,
                                 idempotency_key=item["reference"], days_supply=authorization.days_supply,
                                 today=today)
        assert "already_dispensed" in {r["code"] for r in services.authorization_request(**ask).reasons}
    assert demo["ppp"]["refused"]
    for item in demo["ppp"]["refused"]:
        authorization = services.authorization_request(
            actor=pharmacist, reference=item["reference"], birth_date=item["birth_date"],
            days_supply=item["prescription"].days_supply, today=timezone.localdate())
        assert not authorization.allowed
        assert set(item["codes"]) <= {r["code"] for r in authorization.reasons}
