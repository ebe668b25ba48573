"""PDF handouts: they open (PDF bytes, pages) and carry the right text."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from clearcourse.portal.consent import consent_document

pytestmark = pytest.mark.django_db


def _read(body: bytes) -> tuple[int, str]:
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def _sign(client: Any, course: Any, language: str = "en") -> Any:
    from clearcourse.portal.models import ConsentSignature

    doc = consent_document(program="us-ipledge", can_get_pregnant=True, language=language)
    data = {"text_version": doc.version_id, "text_sha256": doc.sha256, "typed_name": "Jordan Miller",
            "signed_on": "2026-11-26", **{f"risk_{c}": "on" for c in doc.risk_codes}}
    assert client.post(reverse("portal:consent", args=[course.pk]), data).status_code == 302
    return ConsentSignature.objects.get(course=course), doc


def test_the_signed_consent_pdf_shows_the_text_signer_and_hash(patient_client: Any, course: Any,
                                                               set_category: Callable[..., Any]) -> None:
    set_category(course, True)
    signature, doc = _sign(patient_client, course)
    response = patient_client.get(reverse("portal:consent_pdf", args=[signature.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages, text = _read(response.content)
    assert pages >= 1
    assert "Consent to isotretinoin treatment and acknowledgement of risk" in text
    assert "Jordan Miller" in text
    assert "2004" in text  # date of birth
    assert signature.text_sha256[:16] in text.replace(" ", "")
    assert "two forms of contraception together" in text
    # The text version in words: no ISO date, no program code (issue 13).
    assert doc.version_id not in text and "us-ipledge" not in text
    assert "US iPLEDGE REMS" in text and "for patients who can get pregnant" in text


def test_a_german_consent_pdf_is_in_german(login: Callable[[Any], Any], patient_user: Any, course: Any,
                                           set_category: Callable[..., Any]) -> None:
    set_category(course, True)
    client = login(patient_user)
    client.get(reverse("portal:home"))
    client.cookies["django_language"] = "de"
    signature, _doc = _sign(client, course, language="de")
    _pages, text = _read(client.get(reverse("portal:consent_pdf", args=[signature.pk])).content)
    assert "Einwilligung in die Behandlung mit Isotretinoin" in text
    assert "Fehlbildungen" in text


def test_the_course_summary_pdf_shows_doses_tests_labs_and_status(
        patient_client: Any, course: Any, planned: Callable[..., Any], dispensed: Callable[..., Any],
        prescriber: Any, set_category: Callable[..., Any]) -> None:
    from decimal import Decimal

    from clearcourse.monitoring.models import LabResult
    from clearcourse.ppp.models import PregnancyTest

    set_category(course, True)
    planned(course)
    dispensed(course, dt.date(2026, 10, 1))
    PregnancyTest.objects.create(course=course, collected_on=dt.date(2026, 9, 29), setting="lab",
                                 result="negative", recorded_by=prescriber)
    LabResult.objects.create(course=course, loinc="1742-6", analyte="alt", value=Decimal("31"), unit="U/L",
                             uln=Decimal("40"), canonical_value=Decimal("31"), canonical_unit="U/L",
                             collected_on=dt.date(2026, 9, 25), recorded_by=prescriber)
    response = patient_client.get(reverse("portal:summary_pdf", args=[course.pk]))
    assert response.status_code == 200
    pages, text = _read(response.content)
    assert pages >= 1
    assert "Isotretinoin course summary" in text
    assert "Jordan Miller" in text and "Riverside Dermatology" in text
    assert "20.0 mg/kg" in text and "1200 mg" in text  # 30 days x 40 mg, 60 kg
    assert "120 mg/kg" in text
    assert "Main Street Pharmacy" in text
    assert "Negative" in text
    assert "ALT" in text and "31" in text
    assert "Planned" in text  # the course's current status


def test_the_summary_pdf_of_a_course_without_records_still_opens(patient_client: Any, course: Any) -> None:
    pages, text = _read(patient_client.get(reverse("portal:summary_pdf", args=[course.pk])).content)
    assert pages >= 1 and "Nothing dispensed yet." in text
