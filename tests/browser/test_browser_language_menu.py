"""Regressions found by QA in a real browser."""

from __future__ import annotations

from typing import Any


def test_arrow_keys_on_the_language_menu_do_not_reload_the_page_until_enter(page: Any) -> None:
    # Pressing the down arrow on the focused language menu switched the whole page to German at once.
    page.goto("/accounts/login/")
    page.focus("#lang-select")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(800)
    assert page.evaluate("document.documentElement.lang") == "en"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.documentElement.lang") == "de"


def test_choosing_a_language_with_the_mouse_still_switches_at_once(page: Any) -> None:
    page.goto("/accounts/login/")
    with page.expect_navigation():
        page.select_option("#lang-select", "de")
    assert page.evaluate("document.documentElement.lang") == "de"
