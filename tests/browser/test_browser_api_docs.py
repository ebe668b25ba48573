"""The API docs page works in a real browser under the strict CSP, with no network but this server."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_every_operation_without_csp_violations(page: Any, live_server: Any) -> None:
    violations: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url)
            and not r.url.startswith("data:") else None)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("ClearCourse API")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/interop/courses/" in t for t in paths)
    assert any("/api/v1/pharmacy/" in t for t in paths)
    assert violations == []
    assert outside == []
