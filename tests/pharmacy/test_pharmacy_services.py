from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from clearcourse.core.models import AppendOnlyError
from clearcourse.courses.models import Prescription
from clearcourse.pharmacy import selectors, services
from clearcourse.pharmacy.models import Authorization, AuthorizationReversal, AuthorizationStatus, Dispense
from clearcourse.ppp import models as ppp

DAY = dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return (Authorization.objects.count(), Dispense.objects.count(), AuthorizationReversal.objects.count(),
            AuditEntry.objects.count())


def _dispense(authorization: Authorization, actor: Any, today: dt.date, *, key: str = "k-1", days: int = 30,
              **extra: Any) -> services.DispenseResult:
    return services.dispense_record(actor=actor, authorization_id=authorization.pk, idempotency_key=key,
                                    days_supply=days, today=today, **extra)


# --- authorization_request ---------------------------------------------------------------------------


def test_it_allows_a_first_fill_inside_the_window_and_stores_the_decision(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    assert authorization.allowed
    assert authorization.reasons == []
    # The confirmation test was collected two days ago: the 7-day window ends collection + 6.
    assert authorization.valid_through == today + 4 * DAY
    assert authorization.program == "us-ipledge-2026"
    assert authorization.pharmacy_id == pharmacist.pharmacy_id
    assert authorization.patient_id == ready_prescription.course.patient_id
    assert authorization.created_by == pharmacist
    assert authorization.status_on(today) == AuthorizationStatus.OPEN
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "pharmacy.authorize"
    assert entry.detail["allowed"] is True and entry.patient_id == authorization.patient_id


def test_it_refuses_and_lists_every_missing_condition_with_its_source(
        bare_prescription: Any, authorize: Callable[..., Any], today: dt.date) -> None:
    authorization = authorize(bare_prescription)
    assert not authorization.allowed
    assert authorization.valid_through is None
    codes = {r["code"] for r in authorization.reasons}
    assert {"not_enrolled", "pregnancy_test_missing", "contraception_not_confirmed",
            "comprehension_missing"} <= codes
    assert all(r["source"] and r["message"] for r in authorization.reasons)
    assert authorization.status_on(today) == AuthorizationStatus.REFUSED


def test_a_supply_over_the_limit_is_refused_on_the_field_and_stores_nothing(
        course: Any, prescriber: Any, authorize: Callable[..., Any], today: dt.date,
        make_ready: Callable[..., Any]) -> None:
    prescription = make_ready(course, prescriber, today, days_supply=35)
    before = _counts()
    with pytest.raises(DomainError) as exc:
        authorize(prescription, days_supply=35)
    assert exc.value.status == 422
    assert exc.value.code == "days_supply_exceeds_limit"
    assert exc.value.field == "days_supply"
    assert "days_supply_exceeds_limit" in {r["code"] for r in exc.value.extra["reasons"]}
    assert _counts() == before


def test_a_supply_over_the_prescription_is_refused_on_the_field(
        ready_prescription: Any, authorize: Callable[..., Any]) -> None:
    with pytest.raises(DomainError) as exc:
        authorize(ready_prescription, days_supply=31)
    assert exc.value.field == "days_supply"
    assert exc.value.code in services.SUPPLY_CODES
    assert Authorization.objects.count() == 0


@pytest.mark.parametrize("days", [0, -1, 91, True])
def test_an_impossible_supply_is_refused_before_anything_is_read(
        ready_prescription: Any, authorize: Callable[..., Any], days: Any) -> None:
    with pytest.raises(DomainError) as exc:
        authorize(ready_prescription, days_supply=days)
    assert exc.value.field == "days_supply" and exc.value.status == 422
    assert Authorization.objects.count() == 0


def test_a_wrong_birth_date_finds_nothing_and_writes_only_the_failed_try_to_the_trail(
        ready_prescription: Any, authorize: Callable[..., Any]) -> None:
    before = _counts()
    with pytest.raises(NotFoundError) as exc:
        authorize(ready_prescription, birth_date=dt.date(2004, 3, 2))
    assert exc.value.field == "reference"
    assert exc.value.message == selectors.PRESCRIPTION_NOT_FOUND
    assert _counts() == (*before[:3], before[3] + 1)
    assert AuditEntry.objects.order_by("-id").first().action == selectors.LOOKUP_FAILED  # type: ignore[union-attr]


@pytest.mark.parametrize("reference", ["", "RX-", "ABC-12", "12.5", "RX-1 OR 1=1"])
def test_a_malformed_reference_is_refused_on_the_field(
        ready_prescription: Any, pharmacist: Any, today: dt.date, reference: str) -> None:
    with pytest.raises(DomainError) as exc:
        services.authorization_request(actor=pharmacist, reference=reference, birth_date=dt.date(2004, 3, 1),
                                       days_supply=30, today=today)
    assert exc.value.field == "reference" and exc.value.status == 422


@pytest.mark.parametrize("reference", ["RX-{pk}-{code}", "rx{pk}{lower}", "Rx {pk} {code}", "{pk}-{code}",
                                       " RX-{pk}-{lower} "])
def test_the_reference_is_read_as_printed_or_without_its_prefix(
        ready_prescription: Any, pharmacist: Any, today: dt.date, reference: str) -> None:
    code = ready_prescription.lookup_code
    authorization = services.authorization_request(
        actor=pharmacist, reference=reference.format(pk=ready_prescription.pk, code=code, lower=code.lower()),
        birth_date=dt.date(2004, 3, 1),
        days_supply=30, today=today)
    assert authorization.prescription_id == ready_prescription.pk


def test_only_pharmacists_may_ask(ready_prescription: Any, authorize: Callable[..., Any], prescriber: Any,
                                  delegate: Any, admin_user: Any, patient_user: Any) -> None:
    for actor in (prescriber, delegate, admin_user, patient_user):
        with pytest.raises(PermissionDeniedError):
            authorize(ready_prescription, actor=actor)
    assert Authorization.objects.count() == 0


def test_a_pharmacy_under_another_program_does_not_find_the_prescription(
        ready_prescription: Any, authorize: Callable[..., Any], make_user: Callable[..., Any]) -> None:
    from clearcourse.accounts.models import Pharmacy

    eu = Pharmacy.objects.create(name="Apotheke", program="eu-ppp", registration_number="DE-1")
    with pytest.raises(NotFoundError):
        authorize(ready_prescription, actor=make_user("apo", "pharmacist", pharmacy=eu))


def test_a_voided_prescription_is_refused_with_its_own_reason(
        ready_prescription: Any, course: Any, prescriber: Any, authorize: Callable[..., Any], today: dt.date) -> None:
    voided = Prescription.objects.create(course=course, prescriber=prescriber, issued_on=today - DAY,
                                         product=course.product, daily_dose_mg=40, days_supply=30, voided=True)
    authorization = authorize(voided)
    assert not authorization.allowed
    assert [r["code"] for r in authorization.reasons] == ["prescription_voided"]


def test_a_corrected_prescription_points_to_its_replacement(
        ready_prescription: Any, course: Any, prescriber: Any, authorize: Callable[..., Any], today: dt.date) -> None:
    new = Prescription.objects.create(course=course, prescriber=prescriber, issued_on=ready_prescription.issued_on,
                                      product=course.product, daily_dose_mg=30, days_supply=30,
                                      supersedes=ready_prescription, correction_reason="dose")
    authorization = authorize(ready_prescription)
    assert not authorization.allowed
    assert authorization.reasons[0]["code"] == "prescription_superseded"
    assert f"RX-{new.pk}-" in authorization.reasons[0]["message"]
    assert authorize(new).allowed


def test_when_the_program_sets_no_window_the_authorization_is_good_for_that_day_only(
        ready_prescription: Any, authorize: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
        today: dt.date) -> None:
    from clearcourse.rules.programs.facts import Decision

    monkeypatch.setattr(selectors, "program_decision",
                        lambda *a, **k: Decision(allowed=True, program="us-ipledge-2026", valid_through=None))
    authorization = authorize(ready_prescription)
    assert authorization.valid_through == today
    assert authorization.status_on(today + DAY) == AuthorizationStatus.EXPIRED


def test_authorization_request_runs_a_fixed_number_of_queries(
        ready_prescription: Any, authorize: Callable[..., Any], course: Any, prescriber: Any, today: dt.date,
        django_assert_max_num_queries: Any) -> None:
    # A long history must not cost more queries than a short one.
    for months in range(1, 7):
        ppp.Counseling.objects.create(course=course, counseled_on=today - (40 + months * 30) * DAY,
                                      counseled_by=prescriber)
        ppp.PregnancyTest.objects.create(course=course, collected_on=today - (40 + months * 30) * DAY,
                                         setting="clinic", result="negative")
    authorize(ready_prescription)  # warms the audit head row
    with django_assert_max_num_queries(QUERY_BUDGET):
        authorize(ready_prescription)


#: 1 prescription look-up + 5 loader queries + 1 INSERT + the audit entry (savepoint, head lock, insert,
#: head update, release) + the outer savepoint pair a test adds.
QUERY_BUDGET = 14


def test_authorization_rows_are_insert_only(ready_prescription: Any, authorize: Callable[..., Any]) -> None:
    authorization = authorize(ready_prescription)
    with pytest.raises(AppendOnlyError):
        authorization.save()
    with pytest.raises(AppendOnlyError):
        Authorization.objects.filter(pk=authorization.pk).update(allowed=False)
    with pytest.raises(AppendOnlyError):
        authorization.delete()


# --- dispense_record ------------------------------------------------------------------------------------


def test_it_dispenses_an_open_authorization_once(ready_prescription: Any, authorize: Callable[..., Any],
                                                 pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription, ipledge_rma="RMA-123")
    result = _dispense(authorization, pharmacist, today)
    assert not result.replayed
    dispense = result.dispense
    assert (dispense.prescription_id, dispense.pharmacy_id, dispense.dispensed_on, dispense.days_supply,
            dispense.daily_dose_mg, dispense.authorization_id, dispense.ipledge_rma) == (
        ready_prescription.pk, pharmacist.pharmacy_id, today, 30, 40, authorization.pk, "RMA-123")
    assert AuditEntry.objects.order_by("-seq").first().action == "pharmacy.dispense"  # type: ignore[union-attr]
    authorization = selectors.authorization_get(actor=pharmacist, authorization_id=authorization.pk, audit=None)
    assert authorization.status_on(today) == AuthorizationStatus.DISPENSED


def test_a_second_dispense_of_the_prescription_is_refused(ready_prescription: Any, authorize: Callable[..., Any],
                                                          pharmacist: Any, today: dt.date) -> None:
    first, second = authorize(ready_prescription), authorize(ready_prescription)
    _dispense(first, pharmacist, today, key="a")
    before = _counts()
    with pytest.raises(ConflictError) as exc:
        _dispense(second, pharmacist, today, key="b")
    assert exc.value.code == "already_dispensed" and exc.value.status == 409
    assert _counts() == before
    # A new request after the dispense is refused by the rules core too.
    assert "already_dispensed" in {r["code"] for r in authorize(ready_prescription).reasons}


def test_a_replayed_key_with_the_same_content_returns_the_original(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    first = _dispense(authorization, pharmacist, today, key="same")
    before = _counts()
    again = _dispense(authorization, pharmacist, today + DAY, key="same")
    assert again.replayed and again.dispense.pk == first.dispense.pk
    assert _counts() == before


@pytest.mark.parametrize(("change", "field"), [({"days": 20}, "days_supply"),
                                               ({"ipledge_rma": "RMA-9"}, "ipledge_rma")])
def test_a_replayed_key_with_other_content_is_refused_on_the_field(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date,
        change: dict[str, Any], field: str) -> None:
    authorization = authorize(ready_prescription)
    _dispense(authorization, pharmacist, today, key="same")
    before = _counts()
    with pytest.raises(DomainError) as exc:
        _dispense(authorization, pharmacist, today, key="same", **change)
    assert exc.value.status == 422 and exc.value.code == "idempotency_key_reused" and exc.value.field == field
    assert _counts() == before


def test_a_key_reused_for_another_authorization_is_refused(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date,
        other_patient: Any, prescriber: Any, make_ready: Callable[..., Any]) -> None:
    from clearcourse.courses.services import course_create

    other = make_ready(course_create(actor=prescriber, patient=other_patient), prescriber, today,
                                    can_get_pregnant=False)
    _dispense(authorize(ready_prescription), pharmacist, today, key="shared")
    with pytest.raises(DomainError) as exc:
        _dispense(authorize(other, birth_date=other_patient.birth_date), pharmacist, today, key="shared")
    assert exc.value.field == "authorization" and exc.value.code == "idempotency_key_reused"
    assert Dispense.objects.count() == 1


def test_a_refused_authorization_cannot_be_dispensed(bare_prescription: Any, authorize: Callable[..., Any],
                                                    pharmacist: Any, today: dt.date) -> None:
    with pytest.raises(ConflictError) as exc:
        _dispense(authorize(bare_prescription), pharmacist, today)
    assert exc.value.code == "authorization_refused"
    assert Dispense.objects.count() == 0


def test_an_expired_authorization_cannot_be_dispensed(ready_prescription: Any, authorize: Callable[..., Any],
                                                     pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    day_after = authorization.valid_through + DAY
    assert authorization.status_on(day_after) == AuthorizationStatus.EXPIRED
    with pytest.raises(ConflictError) as exc:
        _dispense(authorization, pharmacist, day_after)
    assert exc.value.code == "authorization_expired"
    # The last valid day still works.
    assert not _dispense(authorization, pharmacist, authorization.valid_through).replayed


def test_a_reversed_authorization_cannot_be_dispensed(ready_prescription: Any, authorize: Callable[..., Any],
                                                     pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    services.authorization_reverse(actor=pharmacist, authorization_id=authorization.pk, today=today, reason="Not picked up")
    with pytest.raises(ConflictError) as exc:
        _dispense(authorization, pharmacist, today)
    assert exc.value.code == "authorization_reversed"
    assert Dispense.objects.count() == 0


def test_another_pharmacys_authorization_is_not_found(ready_prescription: Any, authorize: Callable[..., Any],
                                                     other_pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    before = _counts()
    with pytest.raises(NotFoundError):
        _dispense(authorization, other_pharmacist, today)
    with pytest.raises(NotFoundError):
        services.authorization_reverse(actor=other_pharmacist, authorization_id=authorization.pk, today=today, reason="Not picked up")
    with pytest.raises(NotFoundError):
        selectors.authorization_get(actor=other_pharmacist, authorization_id=authorization.pk)
    assert _counts() == before


def test_a_supply_above_the_authorized_one_is_refused(ready_prescription: Any, authorize: Callable[..., Any],
                                                     pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription, days_supply=20)
    with pytest.raises(DomainError) as exc:
        _dispense(authorization, pharmacist, today, days=30)
    assert exc.value.field == "days_supply"
    assert _dispense(authorization, pharmacist, today, days=20).dispense.days_supply == 20


def test_a_positive_test_recorded_after_the_authorization_stops_the_dispense(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, course: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    ppp.PregnancyTest.objects.create(course=course, collected_on=today, setting="clinic", result="positive")
    with pytest.raises(ConflictError) as exc:
        _dispense(authorization, pharmacist, today)
    assert exc.value.code == "no_longer_allowed"
    assert "pregnancy_test_positive" in {r["code"] for r in exc.value.extra["reasons"]}
    assert Dispense.objects.count() == 0


@pytest.mark.parametrize("key", ["", " ", "x" * 101, "tab\tkey", "ünïcode"])
def test_a_bad_idempotency_key_is_refused_on_the_field(ready_prescription: Any, authorize: Callable[..., Any],
                                                       pharmacist: Any, today: dt.date, key: str) -> None:
    authorization = authorize(ready_prescription)
    with pytest.raises(DomainError) as exc:
        _dispense(authorization, pharmacist, today, key=key)
    assert exc.value.field == "idempotency_key"
    assert Dispense.objects.count() == 0


# --- authorization_reverse -------------------------------------------------------------------------------


def test_an_unused_authorization_can_be_reversed_once(ready_prescription: Any, authorize: Callable[..., Any],
                                                     pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    result = services.authorization_reverse(actor=pharmacist, authorization_id=authorization.pk, today=today,
                                            reason="not picked up")
    assert not result.replayed and result.reversal.reason == "not picked up"
    assert AuditEntry.objects.order_by("-seq").first().action == "pharmacy.reverse"  # type: ignore[union-attr]
    before = _counts()
    again = services.authorization_reverse(actor=pharmacist, authorization_id=authorization.pk, today=today, reason="Not picked up")
    assert again.replayed and again.reversal.pk == result.reversal.pk
    assert _counts() == before
    authorization = selectors.authorization_get(actor=pharmacist, authorization_id=authorization.pk, audit=None)
    assert authorization.status_on(today) == AuthorizationStatus.REVERSED
    # A new authorization may be asked for and used afterwards.
    assert not _dispense(authorize(ready_prescription), pharmacist, today).replayed


def test_an_expired_authorization_can_still_be_reversed(ready_prescription: Any, authorize: Callable[..., Any],
                                                       pharmacist: Any, today: dt.date) -> None:
    authorization = authorize(ready_prescription)
    later = authorization.valid_through + 3 * DAY
    result = services.authorization_reverse(actor=pharmacist, authorization_id=authorization.pk, today=later, reason="Not picked up")
    assert result.reversal.reversed_on == later


def test_a_dispensed_or_refused_authorization_cannot_be_reversed(
        ready_prescription: Any, bare_prescription: Any, authorize: Callable[..., Any], pharmacist: Any,
        today: dt.date) -> None:
    used = authorize(ready_prescription)
    _dispense(used, pharmacist, today)
    with pytest.raises(ConflictError) as exc:
        services.authorization_reverse(actor=pharmacist, authorization_id=used.pk, today=today, reason="Not picked up")
    assert exc.value.code == "already_dispensed"
    with pytest.raises(ConflictError) as exc:
        services.authorization_reverse(actor=pharmacist, authorization_id=authorize(bare_prescription).pk,
                                       today=today, reason="Not picked up")
    assert exc.value.code == "authorization_refused"
    assert AuthorizationReversal.objects.count() == 0


@pytest.mark.parametrize("reason", ["", "    ", "no", "x" * 501])
def test_a_reversal_without_a_reason_is_refused_and_writes_nothing(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, today: dt.date, reason: str) -> None:
    authorization = authorize(ready_prescription)
    with pytest.raises(DomainError) as exc:
        services.authorization_reverse(actor=pharmacist, authorization_id=authorization.pk, today=today, reason=reason)
    assert exc.value.field == "reason"
    assert AuthorizationReversal.objects.count() == 0


def test_the_worklist_shows_open_and_expired_unreversed_authorizations(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, other_pharmacist: Any,
        today: dt.date) -> None:
    old = authorize(ready_prescription, on=today - DAY)
    current = authorize(ready_prescription)
    later = current.valid_through + DAY
    worklist = selectors.pharmacy_worklist(actor=pharmacist, today=later)
    assert {a.pk for a in worklist.to_reverse} == {old.pk, current.pk}
    assert worklist.open == []
    assert selectors.pharmacy_worklist(actor=other_pharmacist, today=today).recent == []


@pytest.mark.postgres
def test_postgresql_itself_refuses_to_change_an_authorization(ready_prescription: Any,
                                                             authorize: Callable[..., Any]) -> None:
    from django.db import DatabaseError, connection, transaction

    authorization = authorize(ready_prescription)
    for sql in ("UPDATE pharmacy_authorization SET allowed = false WHERE id = %s",
                "DELETE FROM pharmacy_authorization WHERE id = %s"):
        with pytest.raises(DatabaseError, match="insert-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [authorization.pk])
    assert Authorization.objects.get(pk=authorization.pk).allowed
