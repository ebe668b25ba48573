"""PDF handouts (WeasyPrint): the signed consent and a course summary to take to another doctor.

The HTML is rendered from templates under ``portal/pdf/`` with no external resources (the stylesheet
is inline in the PDF template and the chart is inline SVG), so WeasyPrint never fetches anything.
A consent PDF is written in the language the patient signed in and shows the exact text signed with
its SHA-256; the course summary follows the page language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

from clearcourse.core import clock
from clearcourse.courses.models import Course, Prescription
from clearcourse.monitoring.models import LabResult, MoodScreen
from clearcourse.pharmacy.models import Dispense
from clearcourse.portal import selectors
from clearcourse.portal.models import ConsentSignature
from clearcourse.ppp.models import PregnancyTest


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    # base_url "." keeps WeasyPrint from resolving anything against the server; there is nothing to load.
    return HTML(string=html, base_url=".").write_pdf()


def pdf_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def consent_pdf(signature: ConsentSignature) -> bytes:
    course = signature.course
    blocks = signature.text.split("\n\n")
    with translation.override(signature.language):
        html = render_to_string("portal/pdf/consent.html", {
            "signature": signature, "course": course, "patient": course.patient, "title": blocks[0],
            "blocks": blocks[1:], "signed_at": timezone.localtime(signature.signed_at),
        })
    return render_pdf(html)


def course_summary_context(course: Course, *, today: dt.date) -> dict[str, Any]:
    """Everything the summary shows: doses dispensed, cumulative dose, tests, labs, mood screens and the
    current status (the other apps' selectors; the caller has authorised and audited the read)."""

    dose = selectors.dose_part(course, today=today)
    severity = selectors.severity_part(course)
    prescriptions = list(Prescription.objects.current().filter(course=course, voided=False)
                         .order_by("issued_on", "id"))
    dispenses = list(Dispense.objects.current().filter(prescription__course=course)
                     .select_related("pharmacy", "prescription").order_by("dispensed_on", "id"))
    tests = list(PregnancyTest.objects.current().filter(course=course).order_by("collected_on", "id"))
    labs = list(LabResult.objects.current().filter(course=course).order_by("collected_on", "id"))
    screens = list(MoodScreen.objects.current().filter(course=course).order_by("screened_on", "id"))
    return {
        "course": course, "patient": course.patient, "today": today, "dose": dose, "severity": severity,
        "prescriptions": prescriptions, "dispenses": dispenses, "tests": tests, "labs": labs, "screens": screens,
        "chart": selectors.progress_chart(dose.summary, today=today),
        "signature": selectors.latest_signature(course), "generated_at": timezone.localtime(clock.now()),
        "category": selectors.risk_category(course),
    }


def course_summary_pdf(course: Course, *, today: dt.date) -> bytes:
    html = render_to_string("portal/pdf/summary.html", course_summary_context(course, today=today))
    return render_pdf(html)
