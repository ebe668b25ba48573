"""Regressions found by QA clicking through the demo: the pregnancy-prevention program pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_program_page_links_back_to_the_course_and_its_monitoring(login: Any, prescriber: Any,
                                                                      course: Any) -> None:
    response = login(prescriber).get(reverse("ppp:course_status", args=[course.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("courses:course_detail", args=[course.pk])}"' in html
    assert f'href="{reverse("monitoring:course", kwargs={"course_id": course.pk})}"' in html
