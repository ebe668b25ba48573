"""REMS door fixtures: the fixture pharmacy with an NCPDP ID and an API token, the fixture prescriber with
an NPI, and a pharmacy-client ``party`` describing the fixture patient."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

NCPDP_ID = "1000001"
OTHER_NCPDP_ID = "2000002"
NPI = "1234567893"


@pytest.fixture
def us_pharmacy(pharmacy: Any) -> Any:
    pharmacy.ncpdp_id, pharmacy.npi = NCPDP_ID, "1245319599"
    pharmacy.save()
    return pharmacy


@pytest.fixture
def token(us_pharmacy: Any, admin_user: Any) -> str:
    from clearcourse.accounts.services import api_token_create

    return api_token_create(actor=admin_user, pharmacy=us_pharmacy, name="PMS")[1]


@pytest.fixture
def other_token(other_pharmacy: Any, admin_user: Any) -> str:
    from clearcourse.accounts.services import api_token_create

    other_pharmacy.ncpdp_id = OTHER_NCPDP_ID
    other_pharmacy.save()
    return api_token_create(actor=admin_user, pharmacy=other_pharmacy, name="Other PMS")[1]


@pytest.fixture
def npi_prescriber(prescriber: Any) -> Any:
    prescriber.npi = NPI
    prescriber.save()
    return prescriber


@pytest.fixture
def party(patient: Any, npi_prescriber: Any) -> Any:
    from clearcourse.rems.client import Party

    return Party(given=patient.given_name, family=patient.family_name, birth_date=patient.birth_date,
                 pharmacy_ncpdp=NCPDP_ID, prescriber_npi=NPI, rxnorm="197845")


@pytest.fixture
def ready(course: Any, npi_prescriber: Any, today: dt.date, make_ready: Any) -> Any:
    return make_ready(course, npi_prescriber, today)
