"""Helpers for the browser tests: sign-in with the second factor, label and keyboard checks."""

from __future__ import annotations

from typing import Any


def totp_now(user: Any) -> str:
    """The current code of the user's TOTP device, as an authenticator app shows it."""
    import time

    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    # django-otp refuses a code of a time step already used (replay protection): wait for the next step.
    while int((time.time() - device.t0) // device.step) + device.drift <= device.last_t:
        time.sleep(0.5)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return str(code).zfill(device.digits)


UNLABELLED_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!named) bad.push(el.outerHTML.slice(0, 120));
  }
  return bad;
}"""


def assert_every_field_labelled(page: Any) -> None:
    unlabelled = page.evaluate(UNLABELLED_JS)
    assert unlabelled == [], f"inputs without a label on {page.url}: {unlabelled}"


def submit_with_keyboard(page: Any, button: Any, max_tabs: int = 200) -> None:
    """Tab from the current focus to ``button`` (a locator) and press Enter, as a keyboard user does."""
    handle = button.element_handle()
    for _ in range(max_tabs):
        if page.evaluate("(el) => document.activeElement === el", handle):
            page.keyboard.press("Enter")
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"the submit button could not be reached with Tab on {page.url}")


def sign_in(page: Any, username: str, password: str, *, user: Any = None) -> None:
    """The sign-in form, then the second factor when the user has a TOTP device."""
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.goto("/accounts/login/")
    assert_every_field_labelled(page)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").focus()
    with page.expect_navigation():
        submit_with_keyboard(page, page.locator("main form button[type=submit]").first)
    if "/accounts/two-factor/" in page.url:
        assert user is not None, "this account needs a second factor"
        assert_every_field_labelled(page)
        page.locator("input[name=token]").fill(totp_now(user))
        page.locator("input[name=token]").focus()
        with page.expect_navigation():
            submit_with_keyboard(page, page.locator("main form button[type=submit]").first)
    assert "/accounts/" not in page.url, f"sign-in did not complete: {visited}: {page.locator('main').inner_text()}"
