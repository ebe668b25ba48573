"""Shared fixtures: one persona per role, plus outsiders (DESIGN.md convention 8).

- ``clinic`` / ``other_clinic``; ``pharmacy`` / ``other_pharmacy``
- ``prescriber`` (clinic), ``delegate`` (acts for ``prescriber``), ``pharmacist`` (pharmacy),
  ``admin_user``, ``patient_user`` (linked to ``patient``)
- outsiders: ``other_prescriber`` (other clinic), ``other_pharmacist`` (other pharmacy),
  ``other_patient_user`` (another patient of the same clinic)

Certification (issue 15): every fixture prescriber and pharmacy is enrolled and active in its program
from :data:`CERTIFIED_FROM` with no end date, and every fixture pharmacy attested its yearly staff training
on :data:`TRAINED_ON` (covers the suite's day under the 2026 iPLEDGE rules), so an authorization in any
test means what it meant before certification was checked. ``certify`` records the same for a prescriber
or pharmacy a test makes itself; tests of refusals record their own periods (``ProgramCertification``
rows are append-only: a lapse is a correction that supersedes the fixture's record).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-staple"
CERTIFIED_FROM = dt.date(2020, 1, 1)
TRAINED_ON = dt.date(2026, 8, 1)
TODAY = dt.date(2026, 11, 26)
#: The instant every test starts at: 11:00 UTC is the same calendar day in every supported clinic zone
#: (12:00 in Berlin, 06:00 in New York, 01:00 in Honolulu).
NOW = dt.datetime(2026, 11, 26, 11, 0, tzinfo=dt.UTC)


class Clock:
    """The frozen clock a test runs under (``clock`` fixture): ``move_to`` another instant or day,
    ``shift`` by a timedelta. Time does not tick unless a test asks (``tick=True`` at move_to)."""

    def __init__(self, traveller: Any) -> None:
        self._traveller = traveller

    def move_to(self, when: dt.datetime | dt.date, *, tick: bool = False) -> None:
        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, NOW.timetz())
        self._traveller.move_to(when, tick=tick)

    def shift(self, delta: dt.timedelta) -> None:
        self._traveller.shift(delta)


@pytest.fixture(autouse=True)
def clock() -> Iterator[Clock]:
    """Every test runs with the clock frozen at :data:`NOW`, whatever day the suite runs on: nothing in a
    test may depend on the real date (issue 11). A test that needs another moment moves this clock."""
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def today(clock: Clock) -> dt.date:
    """The day the frozen clock shows (the suite's :data:`TODAY` unless the test moved the clock)."""
    return TODAY


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from clearcourse.accounts.models import User

    def make(username: str, role: str, **extra: Any) -> Any:
        acts_for = extra.pop("acts_for", None)
        user = User.objects.create_user(username=username, password=PASSWORD, role=role,
                                        first_name=extra.pop("first_name", username.title()),
                                        last_name=extra.pop("last_name", "Test"), **extra)
        if acts_for:
            user.acts_for.set(acts_for)
        return user

    return make


def certify_participant(*, prescriber: Any = None, pharmacy: Any = None, activated: dt.date = CERTIFIED_FROM,
                        expires: dt.date | None = None, trained: dt.date | None = TRAINED_ON) -> Any:
    """Record ``prescriber`` or ``pharmacy`` as enrolled in its own program (and a pharmacy's staff training)."""
    from clearcourse.ppp.models import PharmacyTraining, ProgramCertification

    program = prescriber.clinic.program if prescriber is not None else pharmacy.program
    record = ProgramCertification.objects.create(program=program, prescriber=prescriber, pharmacy=pharmacy,
                                                 activated_on=activated, expires_on=expires)
    if pharmacy is not None and trained is not None:
        PharmacyTraining.objects.create(pharmacy=pharmacy, program=program, trained_on=trained,
                                        attested_by="Fixture Pharmacist")
    return record


@pytest.fixture
def certify(db: Any) -> Callable[..., Any]:
    """``certify(prescriber=...)`` / ``certify(pharmacy=..., activated=..., expires=..., trained=...)``."""
    return certify_participant


@pytest.fixture
def clinic(db: Any) -> Any:
    from clearcourse.accounts.models import Clinic

    return Clinic.objects.create(name="Riverside Dermatology", program="us-ipledge", city="Springfield")


@pytest.fixture
def other_clinic(db: Any) -> Any:
    from clearcourse.accounts.models import Clinic

    return Clinic.objects.create(name="Hautpraxis am Markt", program="eu-ppp", city="Freiburg")


@pytest.fixture
def pharmacy(db: Any) -> Any:
    from clearcourse.accounts.models import Pharmacy

    pharmacy = Pharmacy.objects.create(name="Main Street Pharmacy", program="us-ipledge",
                                       registration_number="NCPDP-1000001")
    certify_participant(pharmacy=pharmacy)
    return pharmacy


@pytest.fixture
def other_pharmacy(db: Any) -> Any:
    from clearcourse.accounts.models import Pharmacy

    pharmacy = Pharmacy.objects.create(name="Harbor Pharmacy", program="us-ipledge",
                                       registration_number="NCPDP-2000002")
    certify_participant(pharmacy=pharmacy)
    return pharmacy


@pytest.fixture
def prescriber(make_user: Callable[..., Any], clinic: Any) -> Any:
    user = make_user("dr_rivera", "prescriber", clinic=clinic, registration_number="IPL-P-0001",
                     first_name="Ana", last_name="Rivera")
    certify_participant(prescriber=user)
    return user


@pytest.fixture
def other_prescriber(make_user: Callable[..., Any], other_clinic: Any) -> Any:
    user = make_user("dr_weber", "prescriber", clinic=other_clinic, registration_number="LANR-123456",
                     first_name="Jonas", last_name="Weber")
    certify_participant(prescriber=user)
    return user


@pytest.fixture
def delegate(make_user: Callable[..., Any], clinic: Any, prescriber: Any) -> Any:
    return make_user("nurse_kim", "delegate", clinic=clinic, acts_for=[prescriber])


@pytest.fixture
def pharmacist(make_user: Callable[..., Any], pharmacy: Any) -> Any:
    return make_user("pharm_lee", "pharmacist", pharmacy=pharmacy)


@pytest.fixture
def other_pharmacist(make_user: Callable[..., Any], other_pharmacy: Any) -> Any:
    return make_user("pharm_ode", "pharmacist", pharmacy=other_pharmacy)


@pytest.fixture
def admin_user(make_user: Callable[..., Any]) -> Any:
    return make_user("admin_ada", "admin", is_staff=True, is_superuser=True)


@pytest.fixture
def patient(prescriber: Any, clinic: Any, make_user: Callable[..., Any]) -> Any:
    from clearcourse.courses.models import Patient

    user = make_user("pat_jordan", "patient")
    return Patient.objects.create(clinic=clinic, prescriber=prescriber, user=user, record_number="R-0001",
                                  given_name="Jordan", family_name="Miller", birth_date=dt.date(2004, 3, 1),
                                  sex="female", email="jordan@example.org")


@pytest.fixture
def patient_user(patient: Any) -> Any:
    return patient.user


@pytest.fixture
def other_patient(prescriber: Any, clinic: Any, make_user: Callable[..., Any]) -> Any:
    from clearcourse.courses.models import Patient

    user = make_user("pat_sam", "patient")
    return Patient.objects.create(clinic=clinic, prescriber=prescriber, user=user, record_number="R-0002",
                                  given_name="Sam", family_name="Okafor", birth_date=dt.date(1999, 7, 15),
                                  sex="male")


@pytest.fixture
def other_patient_user(other_patient: Any) -> Any:
    return other_patient.user


@pytest.fixture
def course(patient: Any, prescriber: Any) -> Any:
    from clearcourse.courses.services import course_create

    return course_create(actor=prescriber, patient=patient)


def make_ready_prescription(course: Any, prescriber: Any, today: dt.date, *, days_supply: int = 30,
                            can_get_pregnant: bool = True) -> Any:
    """Through the ppp records the loader reads, a first fill under iPLEDGE for a patient who can get
    pregnant: enrolment, counselling, contraception from 36 days before, a screening test and a
    confirmation test 34 days apart, comprehension passed, and a 30-day prescription written two days
    before ``today``. Dispensing is allowed today; the window runs to collection + 6 days."""
    from clearcourse.courses.models import Prescription
    from clearcourse.ppp import models as ppp

    day = dt.timedelta(days=1)
    start, confirm = today - 36 * day, today - 2 * day
    ppp.Enrollment.objects.create(course=course, program=course.program, enrolled_on=start, recorded_by=prescriber)
    ppp.RiskCategory.objects.create(course=course, can_get_pregnant=can_get_pregnant, effective_on=start,
                                    recorded_by=prescriber)
    for when in (start, confirm):
        ppp.Counseling.objects.create(course=course, counseled_on=when, counseled_by=prescriber,
                                      recorded_by=prescriber)
        ppp.ContraceptionConfirmation.objects.create(course=course, confirmed_on=when,
                                                     methods=["iud_copper", "male_condom"], confirmed_by="prescriber",
                                                     recorded_by=prescriber)
        ppp.PregnancyTest.objects.create(course=course, collected_on=when, setting="clinic", result="negative",
                                         recorded_by=prescriber)
    ppp.ComprehensionAttempt.objects.create(course=course, answered_on=confirm, program=course.program, answers={},
                                            score=5, total=5, passed=True, recorded_by=prescriber)
    return Prescription.objects.create(course=course, prescriber=prescriber, issued_on=confirm,
                                       product=course.product, daily_dose_mg=40, capsules={"40": 1},
                                       days_supply=days_supply, recorded_by=prescriber)


@pytest.fixture
def make_ready() -> Callable[..., Any]:
    """``make_ready(course, prescriber, today, days_supply=30, can_get_pregnant=True)``."""
    return make_ready_prescription


@pytest.fixture
def login(client: Any) -> Callable[[Any], Any]:
    """Signs the test client in as the given user (bypassing the sign-in form and its second factor)."""

    def do(user: Any) -> Any:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return do


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Real-browser tests run last: Playwright's sync API keeps an event loop running in the main thread
    for the rest of the session, which would break later tests that call ``asyncio.run``."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    """Uploaded files (home-test photos) go to a directory of this test's own (a ``Path``)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def png_bytes() -> bytes:
    """A small valid PNG (4 x 4 white pixels), as a home-test photo."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, format="PNG")
    return buf.getvalue()
