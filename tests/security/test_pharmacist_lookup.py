"""Issue 14, finding 3: the pharmacist's look-up cannot be used to guess a date of birth.

It is a POST (no date of birth in a URL or a log line); every failed try is in the hash-chained trail; a user
who keeps failing is throttled, and a prescription is locked for look-ups after a few failed tries on it (clinic
defaults: 10 failures per user in 15 minutes, 5 per prescription in 24 hours), on the pages and the API alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from clearcourse.audit.models import AuditEntry
from clearcourse.pharmacy import selectors
from clearcourse.pharmacy.selectors import prescription_reference

pytestmark = pytest.mark.django_db
HOME = "/pharmacy/"
BIRTH = dt.date(2004, 3, 1)  # the course fixture's patient


@pytest.fixture
def rx(course: Any, prescriber: Any, today: dt.date, make_ready: Any) -> Any:
    return make_ready(course, prescriber, today)


def _guesses(n: int) -> list[str]:
    """``n`` wrong dates of birth, a day apart, as someone guessing through a year would try them."""
    return [(dt.date(2004, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(n) if
            dt.date(2004, 1, 1) + dt.timedelta(days=i) != BIRTH]


def _failures() -> int:
    return AuditEntry.objects.filter(action=selectors.LOOKUP_FAILED).count()


def test_a_get_with_a_birth_date_looks_nothing_up_and_sends_to_the_bare_page(rx: Any, pharmacist: Any,
                                                                              login: Any) -> None:
    client = login(pharmacist)
    before = AuditEntry.objects.count()
    response = client.get(HOME, {"reference": prescription_reference(rx), "birth_date": BIRTH.isoformat()})
    assert response.status_code == 302 and response["Location"] == reverse("pharmacy:home")
    assert AuditEntry.objects.count() == before  # nothing was looked up
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode() and rx.course.patient.family_name not in page.content.decode()


def test_the_page_looks_up_by_post(rx: Any, pharmacist: Any, login: Any) -> None:
    response = login(pharmacist).post(HOME, {"reference": prescription_reference(rx), "birth_date": BIRTH.isoformat()})
    assert response.status_code == 200
    assert rx.course.patient.family_name in response.content.decode()


def test_guessing_a_birth_date_is_locked_after_5_tries_and_every_try_is_audited(rx: Any, pharmacist: Any,
                                                                                 login: Any) -> None:
    client = login(pharmacist)
    reference = prescription_reference(rx)
    statuses = [client.post(HOME, {"reference": reference, "birth_date": day}).status_code
                for day in _guesses(365)[:8]]
    assert statuses == [400] * 5 + [429] * 3
    assert _failures() == 8
    # Even the right date of birth is refused now, with a message a pharmacist understands.
    response = client.post(HOME, {"reference": reference, "birth_date": BIRTH.isoformat()})
    assert response.status_code == 429
    assert "locked for look-ups after 5 tries" in response.content.decode()
    assert rx.course.patient.family_name not in response.content.decode()
    assert "intact" in _verify()


def test_a_365_guess_enumeration_through_the_api_finds_nothing(rx: Any, pharmacist: Any, login: Any) -> None:
    """The reported attack: every day of a year. The prescription locks after 5; the guesser is throttled after
    10 of their own failures; nobody learns the date of birth."""
    client = login(pharmacist)
    reference = prescription_reference(rx)
    found = []
    statuses = []
    for day in [*_guesses(365), BIRTH.isoformat()]:
        response = client.get("/api/v1/pharmacy/prescriptions/lookup", {"reference": reference, "birth_date": day})
        statuses.append(response.status_code)
        if response.status_code == 200:
            found.append(day)
    assert found == []
    assert statuses[:5] == [404] * 5 and set(statuses[5:]) == {429}
    assert _failures() == len(statuses)  # each try is audited, even through the API's one transaction
    codes = {AuditEntry.objects.filter(action=selectors.LOOKUP_FAILED).order_by("-id").first().detail["why"]}
    assert codes == {"throttled"}


def test_a_user_who_keeps_failing_is_throttled_across_prescriptions(rx: Any, pharmacist: Any, login: Any) -> None:
    client = login(pharmacist)
    for n in range(10):
        assert client.post(HOME, {"reference": f"RX-{900000 + n}", "birth_date": "2004-01-01"}).status_code == 400
    response = client.post(HOME, {"reference": prescription_reference(rx), "birth_date": BIRTH.isoformat()})
    assert response.status_code == 429
    assert "Too many look-ups that found nothing" in response.content.decode()


def test_the_throttle_and_the_lock_end_after_their_windows(rx: Any, pharmacist: Any, login: Any, clock: Any) -> None:
    client = login(pharmacist)
    reference = prescription_reference(rx)
    for day in _guesses(6)[:5]:
        client.post(HOME, {"reference": reference, "birth_date": day})
    assert client.post(HOME, {"reference": reference, "birth_date": BIRTH.isoformat()}).status_code == 429
    clock.shift(dt.timedelta(hours=24, minutes=1))
    client = login(pharmacist)  # the session itself expired meanwhile
    assert client.post(HOME, {"reference": reference, "birth_date": BIRTH.isoformat()}).status_code == 200


def test_a_failed_authorization_request_through_the_api_is_audited(rx: Any, pharmacist: Any, login: Any) -> None:
    response = login(pharmacist).post("/api/v1/pharmacy/authorizations", {
        "reference": prescription_reference(rx), "birth_date": "2004-03-02", "days_supply": 30},
        content_type="application/json")
    assert response.status_code == 404
    assert _failures() == 1


def _verify() -> str:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_a_reference_has_a_random_part_that_the_look_up_needs(rx: Any, pharmacist: Any, login: Any) -> None:
    import re

    from clearcourse.courses.models import LOOKUP_CODE_ALPHABET

    reference = prescription_reference(rx)
    assert re.fullmatch(rf"RX-{rx.pk}-[{LOOKUP_CODE_ALPHABET}]{{4}}", reference)
    client = login(pharmacist)
    # The sequential id alone, or with another code, finds nothing, even with the right date of birth.
    wrong = next(c for c in ("AAAA", "CCCC") if c != rx.lookup_code)
    for guess in (f"RX-{rx.pk}", f"RX-{rx.pk}-{wrong}"):
        response = client.post(HOME, {"reference": guess, "birth_date": BIRTH.isoformat()})
        assert response.status_code == 400
        assert rx.course.patient.family_name not in response.content.decode()
    assert _failures() == 2
    assert client.post(HOME, {"reference": reference, "birth_date": BIRTH.isoformat()}).status_code == 200


def test_guessing_codes_does_not_lock_the_prescription_for_its_pharmacy(rx: Any, pharmacist: Any, login: Any,
                                                                        other_pharmacist: Any) -> None:
    """Someone without the paper cannot lock a prescription they never saw: only tries with the whole reference
    right count towards its lock (the guesser is throttled instead)."""
    guesser = login(other_pharmacist)
    for code in ("AAAA", "CCCC", "DDDD", "EEEE", "FFFF", "GGGG"):
        if code != rx.lookup_code:
            guesser.post(HOME, {"reference": f"RX-{rx.pk}-{code}", "birth_date": BIRTH.isoformat()})
    response = login(pharmacist).post(HOME, {"reference": prescription_reference(rx), "birth_date": BIRTH.isoformat()})
    assert response.status_code == 200
