"""The administrators' certification list at national scale (issue 17) in a real browser: a page of 50 at a
time, a search and a status filter, page links reached and followed with the keyboard alone, no serious
axe-core violation, and nothing wider than a phone's screen."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from browser_helpers import assert_every_field_labelled, submit_with_keyboard
from test_browser_pages_for_everyone import OVERFLOW_JS, _sign_in_by_cookie, serious_violations

DAY = dt.timedelta(days=1)


@pytest.fixture
def national(transactional_db: Any, settings: Any, admin_user: Any, clinic: Any, today: dt.date) -> Any:
    """70 prescribers and 70 pharmacies, some enrolled, some lapsed, some never: three pages."""
    from clearcourse.accounts.models import Pharmacy, Role, User
    from clearcourse.ppp import services

    settings.CLEARCOURSE_REQUIRE_2FA = False
    for i in range(70):
        user = User.objects.create_user(username=f"rx{i}", role=Role.PRESCRIBER, clinic=clinic,
                                        first_name="Dana", last_name=f"Rx{i:03d}")
        pharmacy = Pharmacy.objects.create(name=f"Pharmacy {i:03d}", program="us-ipledge",
                                           registration_number=f"N-{i}")
        if i % 3:
            services.certification_record(actor=admin_user, today=today, program="us-ipledge", prescriber=user,
                                          activated_on=today - 300 * DAY, expires_on=today + (i % 2 * 200 - 10) * DAY)
        if i % 4:
            services.certification_record(actor=admin_user, today=today, program="us-ipledge", pharmacy=pharmacy,
                                          activated_on=today - 300 * DAY, expires_on=today + 300 * DAY)
    return admin_user


def _rows(page: Any) -> int:
    return int(page.locator('[data-testid="certifications"] tbody tr').count())


@pytest.mark.parametrize("width", [1280, 360])
def test_the_list_pages_and_filters_with_the_keyboard(width: int, page: Any, live_server: Any, national: Any,
                                                      shot: Any) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    _sign_in_by_cookie(page.context, national, live_server.url)
    page.goto("/programs/certifications/")
    assert _rows(page) == 50
    assert serious_violations(page) == []
    assert_every_field_labelled(page)
    measured = page.evaluate(OVERFLOW_JS)
    assert measured["scroll"] <= measured["width"], measured
    nav = page.get_by_role("navigation", name="Pages of the list")
    assert nav.locator('[aria-current="page"]').inner_text().strip().endswith("1")
    shot(page, f"certifications page 1 at {width}")

    # The next page with Tab and Enter only.
    page.locator("h1").click()
    submit_with_keyboard(page, nav.get_by_role("link", name="Next page"))
    page.wait_for_url("**/programs/certifications/?page=2")
    assert _rows(page) == 50
    assert nav.locator('[aria-current="page"]').inner_text().strip().endswith("2")
    assert serious_violations(page) == []

    # A status, kept by the page links; then a search by name within it.
    page.get_by_label("Status").select_option(label="Needs attention")
    submit_with_keyboard(page, page.locator('[data-testid="certification-search"] button[type="submit"]'))
    page.wait_for_url("**/programs/certifications/?q=&status=attention")
    # 47 prescribers not enrolled or lapsed, and every pharmacy (no staff training attested yet).
    assert page.get_by_test_id("certification-count").inner_text().startswith("117 prescribers and pharmacies")
    assert _rows(page) == 50
    next_link = nav.get_by_role("link", name="Next page")
    assert next_link.get_attribute("href") == "?q=&status=attention&page=2"
    next_link.click()
    page.wait_for_url("**/programs/certifications/?q=&status=attention&page=2")
    assert _rows(page) == 50
    assert page.get_by_label("Status").input_value() == "attention"
    assert serious_violations(page) == []
    measured = page.evaluate(OVERFLOW_JS)
    assert measured["scroll"] <= measured["width"], measured
    shot(page, f"certifications needing attention page 2 at {width}")
    page.get_by_label("Name, NPI, NCPDP or program ID").fill("Dana")
    page.get_by_label("Name, NPI, NCPDP or program ID").press("Enter")
    page.wait_for_url("**/programs/certifications/?q=Dana&status=attention")
    assert _rows(page) == 47 and nav.count() == 0

    # A refused search is said on its field.
    page.goto("/programs/certifications/?status=bogus")
    assert page.locator("#id_status_error").inner_text().startswith("Select a valid choice.")
    assert serious_violations(page) == []
