"""Issue 13 in a real browser: every page each role can reach passes axe-core (no serious or critical
violation), the patient portal fits a phone (360 and 414 px, English and German) with legible charts and
folded education, the patient's journey works with the keyboard alone, and switching the language keeps
what was typed.

The page list is the access matrix's (``tests/core/page_catalogue.py``), over a course full of records, so a
page added to the matrix is scanned here too. Staff are signed in by session cookie for the scans (the
sign-in with the second factor has journeys of its own).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import sign_in, submit_with_keyboard

CORE_TESTS = Path(__file__).resolve().parents[1] / "core"
if str(CORE_TESTS) not in sys.path:
    sys.path.insert(0, str(CORE_TESTS))

from page_catalogue import ROLES, fill_course, load_matrix, pages_for  # noqa: E402

PASSWORD = "correct-horse-battery-staple"
SERIOUS = ("serious", "critical")
PHONE_WIDTHS = (360, 414)

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && getComputedStyle(el).position !== 'absolute') {
      let inside = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') { inside = true; break; }
      }
      if (!inside) wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + Math.round(box.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 5)};
}"""

SMALL_TEXT_JS = """() => {
  const small = [];
  for (const t of document.querySelectorAll('svg text')) {
    const box = t.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const size = parseFloat(getComputedStyle(t).fontSize);
    const svg = t.ownerSVGElement;
    const scale = svg && svg.viewBox.baseVal && svg.viewBox.baseVal.width
      ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
    if (size * scale < 12) small.push(t.textContent + ' ' + (size * scale).toFixed(1) + 'px');
  }
  return small.slice(0, 5);
}"""


@pytest.fixture
def catalogue(transactional_db: Any, settings: Any, course: Any, patient: Any, other_patient: Any,
              prescriber: Any, delegate: Any, pharmacist: Any, admin_user: Any, today: Any) -> dict[str, Any]:
    settings.CLEARCOURSE_REQUIRE_2FA = False
    extra = fill_course(course=course, prescriber=prescriber, pharmacist=pharmacist, admin=admin_user, today=today)
    objects = {"course": course.pk, "patient": patient.pk, "other_patient": other_patient.pk,
               "missing": 999_999, "text": "not-a-real-value", "cds_service": "rems-order-sign"}
    users = {"admin": admin_user, "prescriber": prescriber, "delegate": delegate, "pharmacist": pharmacist,
             "patient": patient.user}
    return {"pages": pages_for(load_matrix(), objects, extra), "users": users, "course": course}


def _sign_in_by_cookie(context: Any, user: Any, base_url: str, language: str = "en") -> None:
    from django.conf import settings
    from django.test import Client

    from clearcourse.courses.models import Patient

    # A patient's sign-in applies their preferred language on the first portal page (portal/apps.py).
    Patient.objects.filter(user=user).update(preferred_language=language)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
         "url": base_url},
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url},
    ])


def _html_pages(urls: list[str]) -> list[str]:
    return [u for u in dict.fromkeys(urls) if not u.endswith((".pdf", "/pdf/"))]


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [", ".join(n["target"]) for n in violation["nodes"][:3]]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    return found


def test_the_axe_scan_finds_what_it_looks_for(page: Any) -> None:
    page.set_content('<html lang="en"><head><title>x</title></head><body><main><img src="a.png">'
                     '<input type="text"></main></body></html>')
    found = serious_violations(page)
    assert any(v.startswith("image-alt") for v in found) and any(v.startswith("label") for v in found), found


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_passes_axe(role: str, page: Any, live_server: Any,
                                             catalogue: dict[str, Any]) -> None:
    _sign_in_by_cookie(page.context, catalogue["users"][role], live_server.url)
    report: list[str] = []
    urls = _html_pages(catalogue["pages"][role])
    assert len(urls) >= 3, urls
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        report += [f"{url}: {v}" for v in serious_violations(page)]
    assert not report, f"{len(report)} serious or critical violations for {role}:\n" + "\n".join(report)


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_portal_page_fits_a_phone_with_legible_charts(language: str, browser: Any, live_server: Any,
                                                            catalogue: dict[str, Any]) -> None:
    urls = _html_pages(catalogue["pages"]["patient"])
    problems: list[str] = []
    for width in PHONE_WIDTHS:
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 800},
                                      locale="de-DE" if language == "de" else "en-US")
        try:
            _sign_in_by_cookie(context, catalogue["users"]["patient"], live_server.url, language)
            page = context.new_page()
            for url in urls:
                page.goto(url)
                assert page.locator("html").get_attribute("lang") == language
                measured = page.evaluate(OVERFLOW_JS)
                if measured["scroll"] > measured["width"]:
                    problems.append(f"{width}px {url}: page {measured['scroll']}px wide {measured['wide']}")
                small = page.evaluate(SMALL_TEXT_JS)
                if small:
                    problems.append(f"{width}px {url}: chart text under 12 px: {small}")
                for progress in page.locator("progress").all():
                    box = progress.bounding_box()
                    if box is not None and box["x"] + box["width"] > width:
                        problems.append(f"{width}px {url}: progress bar cut off")
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_the_education_page_is_folded_into_sections_a_keyboard_opens(page: Any, live_server: Any,
                                                                      catalogue: dict[str, Any]) -> None:
    _sign_in_by_cookie(page.context, catalogue["users"]["patient"], live_server.url)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/portal/education/")
    sections = page.locator("article.education details")
    assert sections.count() >= 7
    assert page.locator("article.education details > summary h2").count() == sections.count()
    folded_height = page.evaluate("document.documentElement.scrollHeight")
    assert folded_height < 4000, folded_height
    summary = page.locator("article.education details > summary").nth(2)
    summary.focus()
    page.keyboard.press("Enter")
    assert sections.nth(2).get_attribute("open") is not None
    page.keyboard.press("Enter")
    assert sections.nth(2).get_attribute("open") is None


def test_switching_the_language_keeps_what_was_typed(page: Any, live_server: Any,
                                                     catalogue: dict[str, Any]) -> None:
    course = catalogue["course"]
    _sign_in_by_cookie(page.context, catalogue["users"]["patient"], live_server.url)
    page.goto(f"/portal/courses/{course.pk}/side-effects/")
    note = "Dry lips since Monday, and a rash on my arms"
    page.locator("textarea").first.fill(note)
    first_select = page.locator("main select").first
    first_select.select_option(index=2)
    chosen = first_select.input_value()
    # Choosing a language submits the menu: wait for that navigation, not for the page already loaded.
    with page.expect_navigation():
        page.locator("#lang-select").select_option("de")
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("textarea").first.input_value() == note
    assert page.locator("main select").first.input_value() == chosen
    assert page.locator("#draft-restored").is_visible()
    # Kept once: a reload afterwards shows the empty form again.
    page.reload()
    assert page.locator("textarea").first.input_value() == ""


def test_the_patient_journey_works_with_the_keyboard_alone(page: Any, live_server: Any,
                                                          catalogue: dict[str, Any]) -> None:
    """Sign in, reach the contraception page through the links, tick methods and confirm, all with Tab,
    Space and Enter; the page then says the chosen method does not count, and why."""
    from clearcourse.ppp.models import ContraceptionConfirmation

    course = catalogue["course"]
    patient_user = catalogue["users"]["patient"]
    before = ContraceptionConfirmation.objects.filter(course=course).count()
    sign_in(page, patient_user.username, PASSWORD)
    page.goto(f"/portal/courses/{course.pk}/")
    link = page.get_by_role("link", name="Confirm your contraception").first
    page.locator("body").focus()
    _tab_to(page, link)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/contraception/" in page.url
    box = page.get_by_label("Progestin-only pill", exact=False).first
    _tab_to(page, box)
    page.keyboard.press("Space")
    assert box.is_checked()
    with page.expect_navigation():
        submit_with_keyboard(page, page.get_by_role("button", name="Confirm"))
    assert ContraceptionConfirmation.objects.filter(course=course).count() == before + 1
    message = page.locator("ul.messages").inner_text()
    assert "do not count" in message and "Progestin-only pill" in message and "Source: " in message, message
    assert "Saved. Thank you." not in message


def _tab_to(page: Any, locator: Any, max_tabs: int = 150) -> None:
    handle = locator.element_handle()
    for _ in range(max_tabs):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {locator} with Tab on {page.url}")
