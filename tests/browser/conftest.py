"""Real-browser tests: Playwright drives Debian's chromium (never a downloaded browser) against
pytest-django's live server. ``pytest -m browser`` runs them alone; they also run in the default run.

Screenshots of every step go to ``test-artifacts/browser/<test>/`` (gitignored). Staff sign in with their
second factor: the tests switch ``CLEARCOURSE_REQUIRE_2FA`` on and compute the TOTP code from the device
(``django_otp.oath.totp``), as an authenticator app would.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The test modules import ``browser_helpers`` (beside this file) under any import mode, importlib included.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _media_url_for_live_server() -> None:
    """The live server wraps the site in Django's media-file handler, which cannot start while MEDIA_URL is
    None (settings.py leaves it unset on purpose: uploads have no public URL). A prefix no page links to
    keeps that true for the tests; set before the session's live server starts."""
    from django.conf import settings

    if not settings.MEDIA_URL:
        settings.MEDIA_URL = "/__no-public-media__/"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser-deps); Playwright must not "
                    "download a browser")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], live_server: Any) -> dict[str, Any]:
    return {**browser_context_args, "base_url": live_server.url, "locale": "en-US",
            "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def _require_2fa(settings: Any) -> None:
    settings.CLEARCOURSE_REQUIRE_2FA = True
    settings.AXES_ENABLED = True


class Shots:
    """Numbered full-page screenshots of one test's steps."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page: Any, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Iterator[Shots]:
    yield Shots(ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))


@pytest.fixture
def with_totp() -> Callable[[Any], Any]:
    """Gives a staff user a confirmed TOTP device (as after enrolment)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def add(user: Any) -> Any:
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    return add
