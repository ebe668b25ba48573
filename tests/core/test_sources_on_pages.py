"""Every source a page or the pharmacy API shows is a register document or a labelled clinic default.

The pages are the ones a user sees a rule's source on: the assessment, the dose plan, the course and its
program status, the prescription form, the monitoring page with lab, mood and side-effect alerts and the
alert acknowledgement, the clinic's monitoring settings, the pharmacist's refusal (page and API), and the
patient's education, consent, mood and contraception pages, in English and German. A link in a source
must go to a register document's official address and have text; no page may name a copy, a summary
site, an AI summary or an internal file (the list is the register test's ``FORBIDDEN``).
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clearcourse.courses.models import prescription_reference
from clearcourse.monitoring import services as monitoring
from clearcourse.monitoring.models import Alert
from clearcourse.rules import sources as register
from tests.rules.test_sources_register import FORBIDDEN

pytestmark = pytest.mark.django_db

OFFICIAL = {d.url for d in register.REGISTER.values() if d.url}
LINK = re.compile(r'<a href="([^"]*)"[^>]*class="source-link"[^>]*>(.*?)</a>', re.DOTALL)
SOURCE_SPAN = re.compile(r'class="source[^"]*"[^>]*>(.*?)</(?:span|p|td|li)>', re.DOTALL)
# Hrefs that go off-site: sources must never point anywhere but the register's official addresses.
HREF = re.compile(r'href="(https?://[^"]*)"')


def check_page(html: str, where: str, *, expect_links: bool = True) -> int:
    links = LINK.findall(html)
    if expect_links:
        assert links, f"{where}: no source link"
    for href, text in links:
        href = html_lib.unescape(href)
        assert href in OFFICIAL, f"{where}: {href} is not a register document's official address"
        assert re.sub(r"<[^>]+>", "", text).strip(), f"{where}: a source link with empty text"
    for href in map(html_lib.unescape, HREF.findall(html)):
        assert href in OFFICIAL or href.startswith("http://testserver"), f"{where}: link to {href}"
    for block in SOURCE_SPAN.findall(html):
        for word in FORBIDDEN:
            assert word not in block, f"{where}: {word!r} shown as a source"
    lowered = html.lower()
    for word in ("droracle", "rxreasoner", "docslib", "issuhub", "research/", "peers-and-interop"):
        assert word not in lowered, f"{where}: {word!r} on the page"
    return len(links)


@pytest.fixture
def monitored(course: Any, prescriber: Any, today: dt.date) -> Any:
    """The persona's course on treatment, with lab, mood and side-effect alerts of every kind of source."""
    from clearcourse.courses.models import Course

    Course.objects.filter(pk=course.pk).update(status="active", started_on=today - dt.timedelta(days=40))
    course.refresh_from_db()
    day = today - dt.timedelta(days=1)
    for loinc, value, unit, uln in (("2571-8", "9.5", "mmol/L", None), ("2571-8", "5.2", "mmol/L", None),
                                    ("1742-6", "130", "U/L", "40")):
        monitoring.lab_result_record(actor=prescriber, course=course, today=today, loinc=loinc, value=Decimal(value),
                                     unit=unit, uln=Decimal(uln) if uln else None, collected_on=day)
    monitoring.mood_screen_record(actor=prescriber, course=course, instrument="phq9", answers=[2, 2, 2, 2, 2, 1, 1, 1, 1],
                                  screened_on=day, today=today)
    monitoring.side_effect_report(actor=prescriber, course=course, reported_on=day, today=today,
                                  symptoms={"headache": "severe", "vision_change": "mild", "cheilitis": "severe",
                                            "rectal_bleeding": "mild", "hearing_impairment": "mild"})
    assert Alert.objects.filter(course=course).count() >= 6
    return course


def test_the_prescribers_pages_show_only_register_sources(login: Callable[[Any], Client], prescriber: Any,
                                                          monitored: Any, today: dt.date) -> None:
    client = login(prescriber)
    response = client.post(reverse("courses:assessment_create", args=[monitored.pk]), {
        "assessed_on": (today - dt.timedelta(days=2)).isoformat(), "iga": "4",
        "failed_therapies": ["doxycycline"], "medications": "minocycline\nSt John's wort\nprednisolone",
        "allergies": "peanuts", "conditions": ["depression", "eating_disorder"], "pregnant": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    pages = {
        "assessment": response["Location"],
        "assessment form": reverse("courses:assessment_create", args=[monitored.pk]),
        "dose plan": reverse("courses:dose_plan", args=[monitored.pk]),
        "course": reverse("courses:course_detail", args=[monitored.pk]),
        "program status": reverse("ppp:course_status", args=[monitored.pk]),
        "monitoring": reverse("monitoring:course", args=[monitored.pk]),
        "alert": reverse("monitoring:alert_acknowledge", args=[Alert.objects.filter(course=monitored).first().pk]),
        "lab form": reverse("monitoring:lab_record", args=[monitored.pk]),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        check_page(response.content.decode(), name, expect_links=name not in ("assessment form",))
    html = client.get(pages["monitoring"]).content.decode()
    assert "Clinic default: no published threshold" in html  # the 5 mmol/L and 3 x ULN alerts
    assert "bnf.nice.org.uk" in html  # the 9 mmol/L alert cites the BNF
    assert "Clinic default: no primary source" in html  # the PHQ tool


def test_the_monitoring_settings_page_cites_the_register(login: Callable[[Any], Client], prescriber: Any) -> None:
    html = login(prescriber).get(reverse("monitoring:config")).content.decode()
    check_page(html, "config", expect_links=False)
    assert "Clinic default: no published threshold" in html


def test_the_pharmacists_refusal_shows_only_register_sources(login: Callable[[Any], Client], pharmacist: Any,
                                                             course: Any, prescriber: Any, today: dt.date) -> None:
    from clearcourse.courses.models import Prescription

    rx = Prescription.objects.create(course=course, prescriber=prescriber, issued_on=today - dt.timedelta(days=1),
                                     product=course.product, daily_dose_mg=40, capsules={"40": 1}, days_supply=30,
                                     recorded_by=prescriber)
    html = login(pharmacist).post("/pharmacy/", {"reference": prescription_reference(rx), "birth_date": "2004-03-01"}).content.decode()
    assert check_page(html, "refusal") >= 3


def test_the_pharmacy_api_names_register_sources(course: Any, prescriber: Any, pharmacist: Any, today: dt.date) -> None:
    from clearcourse.courses.models import Prescription
    from clearcourse.pharmacy import services

    rx = Prescription.objects.create(course=course, prescriber=prescriber, issued_on=today - dt.timedelta(days=1),
                                     product=course.product, daily_dose_mg=40, capsules={"40": 1}, days_supply=30,
                                     recorded_by=prescriber)
    authorization = services.authorization_request(actor=pharmacist, reference=prescription_reference(rx),
                                                   birth_date=course.patient.birth_date, days_supply=30, today=today)
    assert authorization.reasons
    for reason in authorization.reasons:
        source = register.resolve(reason["source"])
        assert source is not None and register.is_registered(source), reason
        assert reason["source"] == source.cite()


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_patients_pages_show_only_register_sources(login: Callable[[Any], Client], patient_user: Any,
                                                       course: Any, language: str) -> None:
    from clearcourse.ppp.models import RiskCategory

    RiskCategory.objects.create(course=course, can_get_pregnant=True, effective_on=dt.date(2026, 11, 1),
                                recorded_by=course.patient.prescriber)
    client = login(patient_user)
    client.get(reverse("portal:home"))  # applies the patient's preferred language once; then the choice counts
    client.cookies["django_language"] = language
    total = 0
    for name in ("course_education", "consent", "mood", "contraception"):
        response = client.get(reverse(f"portal:{name}", args=[course.pk]))
        assert response.status_code == 200, name
        total += check_page(response.content.decode(), f"{language} {name}", expect_links=name != "mood")
    assert total >= 10
    html = client.get(reverse("portal:course_education", args=[course.pk])).content.decode()
    if language == "de":
        # Titles, versions and the default's label are translated; the section numbers stay as they are.
        assert "US-Fachinformation" in html and "Standardwert der Praxis" in html and "§8.3" in html
    else:
        assert "Isotretinoin Capsules USP, prescribing information" in html


def test_an_alert_stored_with_an_old_source_shows_the_register_document_instead(
        login: Callable[[Any], Client], prescriber: Any, monitored: Any) -> None:
    alert = Alert.objects.filter(course=monitored, code="tg_pancreatitis_stop").get()
    # Rows written before the register stored the copy they cited; the page shows the replacement.
    Alert.objects.create(
        course=monitored, kind=alert.kind, code=alert.code, severity=alert.severity, severity_rank=alert.severity_rank,
        message=alert.message, advice=alert.advice, recorded_by=prescriber, lab_result=alert.lab_result, sources=[
        {"key": "bnf", "title": "BNF isotretinoin monograph (copy)", "url": "https://issuhub.com/view/index?id=3493",
         "quality": "S"},
        {"key": "droracle", "title": "droracle.ai summaries", "url": "https://www.droracle.ai/articles/779488",
         "quality": "W"}])
    assert Alert.objects.filter(course=monitored, code="tg_pancreatitis_stop").count() == 2
    html = login(prescriber).get(reverse("monitoring:course", args=[monitored.pk])).content.decode()
    check_page(html, "monitoring with old alert")
    assert "https://bnf.nice.org.uk/drugs/isotretinoin/" in html


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_uk_courses_assessment_and_program_pages_show_only_register_sources(
        login: Callable[[Any], Client], prescriber: Any, course: Any, today: dt.date, language: str) -> None:
    """The region's own contraindication list (EU/UK SmPC), the UK acknowledgement-of-risk page and the
    program page of a UK course: register documents only, titles translated on German pages."""
    from clearcourse.courses.models import Course

    Course.objects.filter(pk=course.pk).update(program="uk-mhra")
    client = login(prescriber)
    client.cookies["django_language"] = language
    response = client.post(reverse("courses:assessment_create", args=[course.pk]), {
        "assessed_on": (today - dt.timedelta(days=1)).isoformat(), "iga": "4", "medications": "doxycycline",
        "allergies": "soya\nvitamin A", "conditions": ["hepatic_insufficiency"], "breastfeeding": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    html = client.get(response["Location"]).content.decode()
    assert check_page(html, f"{language} UK assessment") >= 8
    assert 'id="region-list"' in html
    if language == "de":
        assert "EU/UK-Fachinformation (SmPC)" in html and "Zusammenfassung der Merkmale" not in html
    for name in ("ppp:risk_form_confirmation_create", "ppp:course_status"):
        page_html = client.get(reverse(name, args=[course.pk])).content.decode()
        check_page(page_html, f"{language} {name}", expect_links=name != "ppp:risk_form_confirmation_create")


def test_the_pharmacists_home_with_the_reversal_window_names_no_web_page(login: Callable[[Any], Client],
                                                                         pharmacist: Any) -> None:
    html = login(pharmacist).get(reverse("pharmacy:home")).content.decode()
    check_page(html, "pharmacy home", expect_links=False)
    assert "no published number of days" in html
