"""A rich course for the course-import tests, built through the owning apps' services.

Two prescribers, two pharmacies, enrolment, risk category, counselling by both prescribers,
contraception confirmed by the prescriber and by the patient, four pregnancy tests (lab, clinic, a
verified and an unverified home test), a failed and a passed comprehension attempt, three
prescriptions (one with an iPLEDGE number, one of two capsule strengths, one not dispensed), two
dispenses, three lab results, a PHQ-9 and a PHQ-2, two weights and the end of treatment.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from clearcourse.accounts.models import Pharmacy, User
from clearcourse.courses.services import (
    assessment_record,
    course_status_change,
    dose_plan_record,
    missed_dose_record,
    weight_record,
)
from clearcourse.interop import codes
from clearcourse.monitoring.services import lab_result_record, mood_screen_record, side_effect_report
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp import services as ppp
from clearcourse.ppp.models import ComprehensionAttempt, VerificationOutcome

D = dt.date


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return SimpleUploadedFile("home-test.png", buffer.getvalue(), content_type="image/png")


def build_rich_course(*, course: Any, prescriber: Any, pharmacy: Any, today: dt.date) -> dict[str, Any]:
    """Fill ``course`` (whose clinic is ``prescriber``'s) with one or more records of every exported kind."""
    chen = User.objects.create_user(username="dr_chen", password=None, role="prescriber", clinic=prescriber.clinic,
                                    registration_number="IPL-P-0002", first_name="Wei", last_name="Chen")
    harbor = Pharmacy.objects.create(name="Harbor Pharmacy", program="us-ipledge", registration_number="NCPDP-2000002",
                                     city="Portsmouth")
    patient = course.patient
    weight_record(actor=prescriber, patient=patient, measured_on=D(2026, 8, 20), weight_kg=64.5, today=today)
    ppp.enrollment_record(actor=prescriber, course=course, enrolled_on=D(2026, 9, 1), today=today)
    ppp.risk_category_assign(actor=prescriber, course=course, can_get_pregnant=True, effective_on=D(2026, 9, 1),
                             today=today)
    ppp.counseling_record(actor=prescriber, course=course, counseled_on=D(2026, 9, 1), today=today)
    ppp.counseling_record(actor=chen, course=course, counseled_on=D(2026, 10, 3), today=today)
    ppp.contraception_confirm(actor=prescriber, course=course, confirmed_on=D(2026, 9, 1), today=today,
                              methods=["iud_copper", "male_condom"])
    ppp.contraception_confirm(actor=prescriber, course=course, confirmed_on=D(2026, 10, 3), today=today,
                              methods=["implant"], confirmed_by="patient")
    ppp.pregnancy_test_record(actor=prescriber, course=course, collected_on=D(2026, 9, 5), setting="lab",
                              result="negative", today=today)
    ppp.pregnancy_test_record(actor=prescriber, course=course, collected_on=D(2026, 10, 3), setting="clinic",
                              result="negative", today=today)
    home = ppp.pregnancy_test_record(actor=prescriber, course=course, collected_on=D(2026, 11, 1), setting="home",
                                     result="negative", today=today, photo=_photo())
    ppp.home_test_verify(actor=prescriber, test=home, outcome=VerificationOutcome.CONFIRMED,
                         verified_on=D(2026, 11, 2), today=today)
    ppp.pregnancy_test_record(actor=prescriber, course=course, collected_on=D(2026, 11, 20), setting="home",
                              result="negative", today=today, photo=_photo())
    ComprehensionAttempt.objects.create(course=course, answered_on=D(2026, 9, 4), program="us-ipledge", answers={},
                                        score=3, total=5, passed=False, recorded_by=prescriber)
    ComprehensionAttempt.objects.create(course=course, answered_on=D(2026, 9, 5), program="us-ipledge", answers={},
                                        score=5, total=5, passed=True, recorded_by=prescriber)
    rx1 = ppp.prescription_create(actor=prescriber, course=course, issued_on=D(2026, 9, 6), product="conventional",
                                  daily_dose_mg=40, days_supply=30, today=today, acknowledge_warnings=True,
                                  ipledge_confirmation="IPL-RX-7788")
    rx2 = ppp.prescription_create(actor=chen, course=course, issued_on=D(2026, 10, 4), product="conventional",
                                  daily_dose_mg=60, days_supply=30, today=today, acknowledge_warnings=True)
    rx3 = ppp.prescription_create(actor=prescriber, course=course, issued_on=D(2026, 11, 3), product="conventional",
                                  daily_dose_mg=40, days_supply=14, today=today, acknowledge_warnings=True)
    Dispense.objects.create(prescription=rx1, pharmacy=pharmacy, dispensed_on=D(2026, 9, 7), days_supply=30,
                            daily_dose_mg=40)
    Dispense.objects.create(prescription=rx2, pharmacy=harbor, dispensed_on=D(2026, 10, 5), days_supply=28,
                            daily_dose_mg=60)
    lab_result_record(actor=prescriber, course=course, loinc="1742-6", value="32", unit="U/L", uln="40",
                      collected_on=D(2026, 9, 5), today=today)
    lab_result_record(actor=prescriber, course=course, loinc="2571-8", value="1.9", unit="mmol/L",
                      collected_on=D(2026, 9, 5), today=today)
    lab_result_record(actor=prescriber, course=course, loinc="2093-3", value="212", unit="mg/dL",
                      collected_on=D(2026, 10, 3), today=today)
    mood_screen_record(actor=prescriber, course=course, instrument="phq9", answers=[0, 1, 0, 0, 1, 0, 0, 0, 0],
                       screened_on=D(2026, 9, 5), today=today, completed_by="patient")
    mood_screen_record(actor=prescriber, course=course, instrument="phq2", answers=[1, 0],
                       screened_on=D(2026, 10, 3), today=today, completed_by="staff")
    weight_record(actor=prescriber, patient=patient, measured_on=D(2026, 10, 3), weight_kg=65, today=today)
    ppp.treatment_end_record(actor=prescriber, course=course, ended_on=D(2026, 11, 24), today=today)
    # Severity, the course plan and what happened on treatment.
    assessment_record(actor=prescriber, course=course, assessed_on=D(2026, 8, 20), today=today, iga=4,
                      gags={"forehead": 3, "right_cheek": 3, "left_cheek": 2, "nose": 1, "chin": 2,
                            "chest_upper_back": 3}, scarring=True)
    assessment_record(actor=prescriber, course=course, assessed_on=D(2026, 11, 20), today=today, iga=1)
    dose_plan_record(actor=prescriber, course=course, starts_on=D(2026, 9, 7), weight_kg="64.5", mg_per_kg="0.5",
                     today=today, target_mg_per_kg="120")
    dose_plan_record(actor=prescriber, course=course, starts_on=D(2026, 10, 4), weight_kg="65", mg_per_kg="1",
                     today=today, target_mg_per_kg="130")
    course_status_change(actor=prescriber, course=course, status="active", on=D(2026, 9, 7), today=today)
    missed_dose_record(actor=prescriber, course=course, first_day=D(2026, 10, 12), days=3, today=today,
                       note="Forgot the capsules on a trip")
    side_effect_report(actor=prescriber, course=course, symptoms={"headache": "mild", "initial_flare": "moderate"},
                       reported_on=D(2026, 9, 20), onset=D(2026, 9, 15), today=today, note="Lips dry too")
    side_effect_report(actor=prescriber, course=course, symptoms={"headache": "mild"}, reported_on=D(2026, 10, 20),
                       today=today)
    course_status_change(actor=prescriber, course=course, status="completed", on=D(2026, 11, 24), today=today)
    return {"chen": chen, "harbor": harbor, "prescriptions": [rx1, rx2, rx3], "home_test": home}


# --- comparing two bundles by clinical content --------------------------------------------------------

#: Resource types that are not clinical content: the access trail is the installation's own.
NOT_CLINICAL = frozenset({"AuditEvent"})


def _local_identifiers_dropped(identifiers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A prescription's identifier is the installation's own record number (RX-n), not clinical content.
    return [i for i in identifiers if i.get("system") != codes.ID_PRESCRIPTION]


def _without_references(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<ref>" if k == "reference" else _local_identifiers_dropped(v) if k == "identifier"
                    and isinstance(v, list) else _without_references(v))
                for k, v in value.items() if k not in ("id", "meta")}
    if isinstance(value, list):
        return [_without_references(v) for v in value]
    return value


def clinical_content(bundle: dict[str, Any]) -> dict[str, Counter[str]]:
    """Per resource type, the multiset of resources without ids, fullUrls, meta and prescription record
    numbers. A reference is
    replaced by its target's type and content (the target's own references blanked), so that two
    bundles with different uuids compare equal exactly when they say the same things."""
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}

    def canonical(value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key in ("id", "meta"):
                    continue
                if key == "identifier" and isinstance(item, list):
                    item = _local_identifiers_dropped(item)
                if key == "reference" and isinstance(item, str):
                    target = by_url[item]
                    out[key] = f"{target['resourceType']}:" + json.dumps(_without_references(target), sort_keys=True)
                else:
                    out[key] = canonical(item)
            return out
        if isinstance(value, list):
            return [canonical(v) for v in value]
        return value

    content: dict[str, Counter[str]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] in NOT_CLINICAL:
            continue
        content.setdefault(resource["resourceType"], Counter())[json.dumps(canonical(resource), sort_keys=True)] += 1
    return content
