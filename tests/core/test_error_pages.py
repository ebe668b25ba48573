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


# --- make run: DEBUG on, still the site's pages (issue 13) ------------------------------------------------


def test_with_debug_on_a_missing_page_is_the_sites_page_without_the_url_list(settings: Any, login: Any,
                                                                              patient_user: Any) -> None:
    """``make run`` serves with DEBUG on; a patient who edits an id got Django's page listing every URL."""
    settings.DEBUG = True
    client = login(patient_user)
    for path in ("/no-such-page/", "/portal/courses/999999/"):
        response = client.get(path)
        assert response.status_code == 404
        html = response.content.decode()
        assert "Page not found" in html and 'id="lang-select"' in html, path
        assert "URLconf" not in html and "admin/" not in html and "DEBUG = True" not in html, path


def test_with_debug_on_a_crash_is_the_sites_error_page(settings: Any, client: Any) -> None:
    import sys
    import types

    from django.urls import clear_url_caches, path

    import clearcourse.urls

    def boom(request: Any) -> Any:
        raise RuntimeError("secret detail")

    module = types.ModuleType("error_pages_probe_urls")
    module.urlpatterns = [*clearcourse.urls.urlpatterns, path("boom/", boom)]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings.DEBUG = True
    settings.ROOT_URLCONF = module.__name__
    try:
        clear_url_caches()
        client.raise_request_exception = False
        response = client.get("/boom/")
    finally:
        del sys.modules[module.__name__]
        clear_url_caches()
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and "secret detail" not in html and "Traceback" not in html


def test_a_developer_may_ask_for_djangos_technical_pages(settings: Any, client: Any) -> None:
    settings.DEBUG = True
    settings.CLEARCOURSE_TECHNICAL_ERRORS = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "URLconf" in response.content.decode()


def test_make_run_serves_the_sites_404_page_not_the_url_list(tmp_path: Any) -> None:
    """What ``make run`` starts (``serve`` with the default DEBUG on), asked for a page that does not exist."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLEARCOURSE_", "DJANGO_SETTINGS", "DATABASE_URL"))}
    env["CLEARCOURSE_DATA_DIR"] = str(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "clearcourse", "serve", "--addr", f"127.0.0.1:{port}",
                               "--no-migrate"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=5)
                raise AssertionError("a missing page answered 200")
            except urllib.error.HTTPError as answer:
                status, html = answer.code, answer.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert status == 404
    assert "Page not found" in html and 'id="lang-select"' in html
    assert "URLconf" not in html and "DEBUG = True" not in html
