"""A patient's own pages in a real browser: labelled fields, keyboard use, the language switcher."""

from __future__ import annotations

from typing import Any

import pytest
from browser_helpers import assert_every_field_labelled, sign_in, submit_with_keyboard

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def signed_course(transactional_db: Any, patient: Any, course: Any, prescriber: Any) -> Any:
    import datetime as dt

    from django.utils import timezone

    from clearcourse.ppp.models import RiskCategory

    RiskCategory.objects.create(course=course, can_get_pregnant=False,
                                effective_on=timezone.localdate() - dt.timedelta(days=1), recorded_by=prescriber)
    return course


def test_a_patient_signs_in_and_every_portal_page_has_labelled_fields(page: Any, signed_course: Any,
                                                                       patient_user: Any, shot: Any) -> None:
    sign_in(page, patient_user.username, PASSWORD)
    assert page.url.endswith("/portal/")
    shot(page, "home")
    assert_every_field_labelled(page)
    for path in ("education/", "consent/", "mood/", "side-effects/", "missed-doses/"):
        page.goto(f"/portal/courses/{signed_course.pk}/{path}" if path != "education/" else "/portal/education/")
        assert page.locator("h1").count() == 1
        assert_every_field_labelled(page)
        shot(page, path)


def test_a_patient_reports_missed_doses_with_the_keyboard_only(page: Any, signed_course: Any, patient_user: Any,
                                                               shot: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    from clearcourse.courses.models import Course, MissedDoseReport

    start = timezone.localdate() - dt.timedelta(days=10)
    Course.objects.filter(pk=signed_course.pk).update(status="active", started_on=start)
    sign_in(page, patient_user.username, PASSWORD)
    page.goto(f"/portal/courses/{signed_course.pk}/missed-doses/")
    page.get_by_label("First day without a dose").fill((start + dt.timedelta(days=2)).isoformat())
    page.get_by_label("Number of days missed").fill("2")
    page.get_by_label("Number of days missed").focus()
    submit_with_keyboard(page, page.get_by_role("button", name="Report"))
    page.wait_for_url("**/portal/courses/*/")
    shot(page, "after-report")
    assert MissedDoseReport.objects.get(course=signed_course).days == 2
