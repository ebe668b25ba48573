"""Every GET page each persona can reach, taken from the access matrix, with a course full of records.

Used by the visible-text test (``test_visible_text.py``) and the browser's axe scan
(``tests/browser/test_browser_axe.py``): both walk the same list, so a page added to the matrix is checked
by both without another list to keep.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

from django.urls import reverse

MATRIX_FILE = Path(__file__).resolve().parents[1] / "security" / "test_access_matrix.py"
#: Not pages a person reads: the JSON API, the REMS doors, data exports, feeds, the health check.
NOT_PAGES = ("api:", "rems:", "interop:course_fhir", "core:healthz", "monitoring:calendar_feed", "set_language")
ROLES = ("admin", "prescriber", "delegate", "pharmacist", "patient")


def load_matrix() -> Any:
    name = "clearcourse_access_matrix_pages"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, MATRIX_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _photo() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return SimpleUploadedFile("home-test.png", buffer.getvalue(), content_type="image/png")


def fill_course(*, course: Any, prescriber: Any, pharmacist: Any, admin: Any, today: dt.date) -> dict[str, Any]:
    """An active course with one or more records of every kind a page shows, written through the services
    (so the audit trail has them too), including a contraception method that does not count, an alert, a
    dispense and a refused authorization."""
    from clearcourse.courses.services import (
        assessment_record,
        course_status_change,
        dose_plan_record,
        missed_dose_record,
        weight_record,
    )
    from clearcourse.monitoring.services import lab_result_record, mood_screen_record, side_effect_report
    from clearcourse.pharmacy.selectors import prescription_reference
    from clearcourse.pharmacy.services import authorization_request, dispense_record
    from clearcourse.ppp import services as ppp
    from clearcourse.ppp.models import ComprehensionAttempt, ProgramCertification

    day = dt.timedelta(days=1)
    patient = course.patient
    start = today - 40 * day
    weight_record(actor=prescriber, patient=patient, measured_on=start, weight_kg=64.5, today=today)
    assessment = assessment_record(actor=prescriber, course=course, assessed_on=start, today=today, iga=4,
                                   gags={"forehead": 3, "right_cheek": 3, "left_cheek": 2, "nose": 1, "chin": 2,
                                         "chest_upper_back": 3}, scarring=True)
    ppp.enrollment_record(actor=prescriber, course=course, enrolled_on=start, today=today)
    ppp.risk_category_assign(actor=prescriber, course=course, can_get_pregnant=True, effective_on=start, today=today)
    ppp.counseling_record(actor=prescriber, course=course, counseled_on=start, today=today)
    ppp.contraception_confirm(actor=prescriber, course=course, confirmed_on=start, today=today,
                              methods=["iud_copper", "male_condom"])
    ppp.contraception_confirm(actor=prescriber, course=course, confirmed_on=today - 5 * day, today=today,
                              methods=["progestin_only_pill"], confirmed_by="patient")
    ppp.pregnancy_test_record(actor=prescriber, course=course, collected_on=start, setting="lab",
                              result="negative", today=today)
    ppp.pregnancy_test_record(actor=prescriber, course=course, collected_on=today - 8 * day, setting="home",
                              result="negative", today=today, photo=_photo())
    ComprehensionAttempt.objects.create(course=course, answered_on=start, program=course.program, answers={},
                                        score=5, total=5, passed=True, recorded_by=prescriber)
    dose_plan_record(actor=prescriber, course=course, starts_on=start + 2 * day, weight_kg="64.5", mg_per_kg="0.5",
                     today=today, target_mg_per_kg="120")
    rx1 = ppp.prescription_create(actor=prescriber, course=course, issued_on=start + day, product="conventional",
                                  daily_dose_mg=30, days_supply=30, today=today, acknowledge_warnings=True)
    rx2 = ppp.prescription_create(actor=prescriber, course=course, issued_on=today - 2 * day,
                                  product="conventional", daily_dose_mg=30, days_supply=30, today=today,
                                  acknowledge_warnings=True)
    course_status_change(actor=prescriber, course=course, status="active", on=start + 2 * day, today=today)
    authorization = authorization_request(actor=pharmacist, reference=prescription_reference(rx1),
                                          birth_date=patient.birth_date, days_supply=30, today=today)
    refused = authorization_request(actor=pharmacist, reference=prescription_reference(rx2),
                                    birth_date=patient.birth_date, days_supply=30, today=today)
    if authorization.allowed:
        dispense_record(actor=pharmacist, authorization_id=authorization.pk, idempotency_key="visible-text-1",
                        days_supply=30, today=today)
    lab_result_record(actor=prescriber, course=course, loinc="2571-8", value="9.5", unit="mmol/L",
                      collected_on=today - 6 * day, today=today)
    lab_result_record(actor=prescriber, course=course, loinc="1742-6", value="32", unit="U/L", uln="40",
                      collected_on=today - 6 * day, today=today)
    mood_screen_record(actor=prescriber, course=course, instrument="phq9", answers=[1, 1, 1, 2, 1, 0, 0, 0, 1],
                       screened_on=today - 6 * day, today=today, completed_by="patient")
    missed_dose_record(actor=prescriber, course=course, first_day=today - 10 * day, days=2, today=today,
                       note="Forgot the capsules on a trip")
    side_effect_report(actor=prescriber, course=course, symptoms={"headache": "mild", "initial_flare": "moderate"},
                       reported_on=today - 4 * day, onset=today - 6 * day, today=today)
    certification = ProgramCertification.objects.filter(prescriber=prescriber).first()
    return {"assessment": assessment, "authorization": authorization, "refused": refused,
            "prescriptions": [rx1, rx2], "certification": certification}


def pages_for(matrix_module: Any, objects: dict[str, Any], extra: dict[str, Any]) -> dict[str, list[str]]:
    """Per role, the URLs of every GET page that role opens with 200 (the matrix's statuses), plus pages of
    records the matrix reaches only with an id that does not exist."""
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    for name, value in sorted(matrix_module.MATRIX.items()):
        if name.startswith(NOT_PAGES):
            continue
        for entry in value if isinstance(value, tuple) else (value,):
            if entry.method != "GET":
                continue
            url = matrix_module.build_url(name, entry, objects)
            for role in ROLES:
                if entry.expected.get(role) == 200:
                    found[role].append(url)
    found["prescriber"] += [
        reverse("courses:assessment_detail", kwargs={"course_id": objects["course"],
                                                     "assessment_id": extra["assessment"].pk}),
    ]
    found["delegate"] += found["prescriber"][-1:]
    found["pharmacist"].append(reverse("pharmacy:authorization",
                                       kwargs={"authorization_id": extra["authorization"].pk}))
    found["pharmacist"].append(reverse("pharmacy:authorization", kwargs={"authorization_id": extra["refused"].pk}))
    if extra.get("certification") is not None:
        found["admin"].append(reverse("ppp:certification_correct",
                                      kwargs={"record_id": extra["certification"].pk}))
    found["admin"].append(reverse("audit:search") + "?q=RX-1")
    return found
