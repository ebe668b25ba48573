"""Regressions found by QA clicking through the demo: the pregnancy-prevention program pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

pytestmark = pytest.mark.django_db


def test_the_program_page_links_back_to_the_course_and_its_monitoring(login: Any, prescriber: Any,
                                                                      course: Any) -> None:
    response = login(prescriber).get(reverse("ppp:course_status", args=[course.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("courses:course_detail", args=[course.pk])}"' in html
    assert f'href="{reverse("monitoring:course", kwargs={"course_id": course.pk})}"' in html


def test_the_program_page_shows_the_missing_conditions_in_german(login: Any, prescriber: Any, course: Any,
                                                                add: Callable[..., Any]) -> None:
    # The rules core's reasons ("No negative pregnancy test has been recorded since ...") stayed English on
    # the German page although the catalogue translates them.
    today = timezone.localdate()
    add("enrolled", enrolled_on=today - dt.timedelta(days=60))
    add("risk", can_get_pregnant=True, effective_on=today - dt.timedelta(days=60))
    add("test", collected_on=today - dt.timedelta(days=40), setting="clinic", result="negative")
    add("rx", issued_on=today)
    client = login(prescriber)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    with translation.override(settings.LANGUAGE_CODE):  # the request activates German in this thread
        response = client.get(reverse("ppp:course_status", args=[course.pk]))
    html = response.content.decode()
    reasons = response.context["decision"].reasons
    assert any("{" not in r.message and any(ch.isdigit() for ch in r.message) for r in reasons), reasons
    for reason in reasons:
        assert escape(reason.message) not in html, reason.message
    assert "Seit" in html or "Der Schwangerschaftstest vom" in html


def test_the_program_page_names_the_contraception_methods(login: Any, prescriber: Any, course: Any,
                                                          add: Callable[..., Any]) -> None:
    # The history listed the stored codes ("iud_copper, male_condom").
    add("contraception", confirmed_on=timezone.localdate(), methods=["iud_copper", "male_condom"])
    html = login(prescriber).get(reverse("ppp:course_status", args=[course.pk])).content.decode()
    assert "iud_copper" not in html
    assert "Copper IUD, Male latex condom" in html
