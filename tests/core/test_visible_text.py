"""What people read: every GET page of every role (the access matrix's pages, with a course full of records),
in English and German, shows dates as "7 Dec 2026" / "7. Dez. 2026" and words, never a numeric day/month
date, an ISO date or a snake_case code (issue 13). Tags, scripts, styles and attribute values are not read:
a ``<input type=date>`` value and a link's address are not text a person reads."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from page_catalogue import fill_course, load_matrix, pages_for

pytestmark = pytest.mark.django_db

NUMERIC_DATE = re.compile(r"(?<![\d.:/-])(?:\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{4}-\d{2}-\d{2})(?![\d/])")
MONTH_FIRST = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}")
SNAKE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
PROGRAM_CODE = re.compile(r"\b(?:us-ipledge|eu-ppp|uk-mhra)(?:-\d{4})?\b")
MODEL_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")
#: CamelCase words that are names, not model names.
ALLOWED_CAMEL = frozenset({"ClearCourse", "JavaScript", "WeasyPrint", "DailyMed", "PubMed", "MedWatch", "YellowCard"})
#: Words with an underscore that are not codes (none today).
ALLOWED_SNAKE: frozenset[str] = frozenset()


class _Text(HTMLParser):
    # <code>: literal text a person copies as it is (a file's column names, backup codes).
    SKIP = {"script", "style", "template", "head", "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def problems_in(text: str) -> list[str]:
    found = [f"numeric date {m.group(0)!r}" for m in NUMERIC_DATE.finditer(text)]
    found += [f"month-first date {m.group(0)!r}" for m in MONTH_FIRST.finditer(text)]
    found += [f"code {m.group(0)!r}" for m in SNAKE_CODE.finditer(text) if m.group(0) not in ALLOWED_SNAKE]
    found += [f"program code {m.group(0)!r}" for m in PROGRAM_CODE.finditer(text)]
    found += [f"model name {m.group(0)!r}" for m in MODEL_NAME.finditer(text) if m.group(0) not in ALLOWED_CAMEL]
    return found


def test_the_checker_finds_what_it_looks_for() -> None:
    html = ('<main><p>Due 12/07/2026, 2026-12-05 and 07.12.2026, Dec. 7, 2026</p><p>pregnancy_test_missing</p>'
            '<input type="date" value="2026-12-05"><a href="/x/some_path/">7 Dec 2026</a>'
            '<p>Program applied today: us-ipledge-2026. ContraceptionConfirmation 72</p>'
            '<script>var a_b = "2026-01-01";</script></main>')
    found = problems_in(visible_text(html))
    assert found == ["numeric date '12/07/2026'", "numeric date '2026-12-05'", "numeric date '07.12.2026'",
                     "month-first date 'Dec. 7, 2026'", "code 'pregnancy_test_missing'",
                     "program code 'us-ipledge-2026'", "model name 'ContraceptionConfirmation'"]
    assert problems_in("7 Dec 2026, 7. Dez. 2026, 40 mg/day, 1/2 capsule, 10:25") == []


@pytest.fixture
def catalogue(course: Any, patient: Any, other_patient: Any, prescriber: Any, pharmacist: Any, admin_user: Any,
              today: Any) -> dict[str, Any]:
    extra = fill_course(course=course, prescriber=prescriber, pharmacist=pharmacist, admin=admin_user, today=today)
    objects = {"course": course.pk, "patient": patient.pk, "other_patient": other_patient.pk,
               "missing": 999_999, "text": "not-a-real-value", "cds_service": "rems-order-sign"}
    return {"pages": pages_for(load_matrix(), objects, extra), "extra": extra}


def _client(user: Any, language: str) -> Client:
    from clearcourse.courses.models import Patient

    # A patient's sign-in applies their preferred language on the first portal page (portal/apps.py).
    Patient.objects.filter(user=user).update(preferred_language=language)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_page_of_every_role_shows_dates_and_words(language: str, catalogue: dict[str, Any], admin_user: Any,
                                                         prescriber: Any, delegate: Any, pharmacist: Any,
                                                         patient_user: Any) -> None:
    users = {"admin": admin_user, "prescriber": prescriber, "delegate": delegate, "pharmacist": pharmacist,
             "patient": patient_user}
    report: list[str] = []
    seen = 0
    for role, urls in catalogue["pages"].items():
        client = _client(users[role], language)
        for url in urls:
            with translation.override(settings.LANGUAGE_CODE):
                response = client.get(url)
            assert response.status_code == 200, f"{role} {url}: {response.status_code}"
            if response.get("Content-Type", "").startswith("text/html"):
                assert f'<html lang="{language}"' in response.content.decode(), f"{role} {url} not in {language}"
            kind = response.get("Content-Type", "")
            if kind.startswith("application/pdf"):
                from pypdf import PdfReader

                text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(response.content)).pages)
                text = " ".join(text.split())
            elif kind.startswith("text/html"):
                text = visible_text(response.content.decode())
            else:
                continue
            seen += 1
            report += [f"{role} {url}: {p}" for p in dict.fromkeys(problems_in(text))]
    assert seen >= 60, f"only {seen} pages read"
    assert not report, f"{len(report)} problems ({language}):\n" + "\n".join(report)
