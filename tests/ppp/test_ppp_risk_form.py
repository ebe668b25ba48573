"""UK MHRA 22 Jan 2026 (D12): the prescriber's part of the new Acknowledgement of Risk Form (indication, no
other appropriate effective treatment, second opinion offered), recorded append-only on the program page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.ppp import services
from clearcourse.ppp.models import RiskFormConfirmation

pytestmark = pytest.mark.django_db
TICKED = {"indication_confirmed": True, "no_other_treatment": True, "second_opinion_told": True}


@pytest.fixture
def uk_course(course: Any) -> Any:
    from clearcourse.courses.models import Course

    Course.objects.filter(pk=course.pk).update(program="uk-mhra")
    course.refresh_from_db()
    return course


def test_a_prescriber_confirms_every_statement_and_it_is_audited(uk_course: Any, prescriber: Any,
                                                                 today: dt.date) -> None:
    record = services.risk_form_confirmation_record(actor=prescriber, course=uk_course, confirmed_on=today,
                                                    today=today, **TICKED)
    assert record.no_other_treatment and record.second_opinion_told and record.indication_confirmed
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "ppp.risk_form.confirm"


@pytest.mark.parametrize("missing", sorted(TICKED))
def test_an_unticked_statement_is_refused_on_its_field_and_nothing_is_written(uk_course: Any, prescriber: Any,
                                                                            today: dt.date, missing: str) -> None:
    with pytest.raises(DomainError) as caught:
        services.risk_form_confirmation_record(actor=prescriber, course=uk_course, confirmed_on=today, today=today,
                                               **{**TICKED, missing: False})
    assert caught.value.field == missing
    assert not RiskFormConfirmation.objects.exists()


def test_it_is_uk_only_and_prescriber_only(course: Any, uk_course: Any, prescriber: Any, delegate: Any,
                                           today: dt.date) -> None:
    with pytest.raises(PermissionDeniedError):
        services.risk_form_confirmation_record(actor=delegate, course=uk_course, confirmed_on=today, today=today,
                                               **TICKED)
    from clearcourse.courses.models import Course

    Course.objects.filter(pk=course.pk).update(program="us-ipledge")
    course.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        services.risk_form_confirmation_record(actor=prescriber, course=course, confirmed_on=today, today=today,
                                               **TICKED)
    assert caught.value.code == "not_uk"


def test_the_program_page_offers_it_and_lists_it(uk_course: Any, prescriber: Any, today: dt.date,
                                                 login: Callable[[Any], Any]) -> None:
    client = login(prescriber)
    url = reverse("ppp:risk_form_confirmation_create", args=[uk_course.pk])
    bad = client.post(url, {"confirmed_on": today.isoformat(), "indication_confirmed": "on"})
    assert bad.status_code == 400 and "Tick each statement to confirm it." in bad.content.decode()
    good = client.post(url, {"confirmed_on": today.isoformat(), "indication_confirmed": "on",
                             "no_other_treatment": "on", "second_opinion_told": "on"})
    assert good.status_code == 302
    page = client.get(reverse("ppp:course_status", args=[uk_course.pk])).content.decode()
    assert "Acknowledgement of risk confirmed on" in page and url in page
