"""Error pages (QA): with DEBUG off, a missing or forbidden page was Django's bare "Not Found" / "403 Forbidden"
text with no navigation, no language and no way back."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_a_missing_page_has_the_site_layout_and_a_way_back(login: Any, prescriber: Any) -> None:
    response = login(prescriber).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'href="/"' in html and 'id="lang-select"' in html


def test_a_record_outside_ones_scope_says_not_found_in_german(login: Any, prescriber: Any) -> None:
    client = login(prescriber)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    with translation.override(settings.LANGUAGE_CODE):  # the request activates German in this thread
        response = client.get("/patients/999999/")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_a_page_the_role_may_not_open_explains_it(login: Any, patient_user: Any) -> None:
    response = login(patient_user).get("/monitoring/worklist/")
    assert response.status_code == 403
    assert "Your role cannot open this page" in response.content.decode()


def test_the_server_error_page_renders_without_a_request_context() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
