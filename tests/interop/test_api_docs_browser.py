"""The API docs page works in a real browser under the strict CSP, with no network but this server."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server_url() -> Iterator[str]:
    """The project's WSGI app with its static files on a free loopback port. (pytest-django's
    ``live_server`` cannot start while ``MEDIA_URL`` is None: its media handler fails.)"""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application

    httpd = make_server("127.0.0.1", 0, StaticFilesHandler(get_wsgi_application()), handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_swagger_ui_renders_every_operation_without_csp_violations(server_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            violations: list[str] = []
            outside: list[str] = []
            page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server_url)
                    and not r.url.startswith("data:") else None)
            page.goto(f"{server_url}/api/v1/docs")
            page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
            assert page.locator(".swagger-ui .info .title").inner_text().startswith("ClearCourse API")
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert any("/api/v1/interop/courses/" in t for t in paths)
            assert any("/api/v1/pharmacy/" in t for t in paths)
        finally:
            browser.close()
    assert violations == []
    assert outside == []
