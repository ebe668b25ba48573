"""Schemathesis against /api/v1/openapi.json: no 5xx, and every response conforms to the schema.

Runs in-process against the Django WSGI app (no server, no network), twice per operation: as a pharmacy
system (API token) and as clinic staff (session cookie; the session's POSTs meet the CSRF check and must
answer a documented 403). Bounded: a few dozen examples per operation, no deadline; the whole module
takes well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _load_schema() -> Any:
    # Loaded at collection: the schema endpoint needs no database. (``schemathesis.pytest.from_fixture``
    # would be lazier but does not run under pytest 9.)
    from clearcourse.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


schema = _load_schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Django closes "old" database connections at the start and end of each request; inside a test's
    transaction that would close the test's own connection (PostgreSQL). Django's test client
    disconnects these handlers for the same reason; the WSGI transport of schemathesis does not."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings: Any, course: Any, prescriber: Any, pharmacy: Any, admin_user: Any, client: Any) -> dict[str, str]:
    """A course with a prescription to find; a pharmacy token; a staff session cookie."""
    from clearcourse.accounts.services import api_token_create
    from clearcourse.ppp import services as ppp

    # The fuzzer makes more requests than a pharmacy's rate limit allows; a 429 is not what is tested.
    settings.CLEARCOURSE_API_RATE_LIMIT = 1_000_000
    today = timezone.localdate()  # the API judges on the server's local date
    ppp.enrollment_record(actor=prescriber, course=course, enrolled_on=today, today=today)
    ppp.prescription_create(actor=prescriber, course=course, issued_on=today, product="conventional",
                            daily_dose_mg=40, days_supply=30, today=today, acknowledge_warnings=True)
    _token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="fuzz")
    client.force_login(prescriber, backend="django.contrib.auth.backends.ModelBackend")
    return {"token": plain, "session": client.cookies["sessionid"].value}


_settings = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))


@schema.parametrize()
@_settings
def test_the_api_as_a_pharmacy_system(case: Any, world: dict[str, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"}, checks=CHECKS)


@schema.parametrize()
@_settings
def test_the_api_as_clinic_staff(case: Any, world: dict[str, str]) -> None:
    case.call_and_validate(headers={"Cookie": f"sessionid={world['session']}"}, checks=CHECKS)
