"""Build a course with one record of every kind, through the owning apps' services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clearcourse.courses.services import weight_record
from clearcourse.monitoring.services import lab_result_record, mood_screen_record
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp import services as ppp
from clearcourse.ppp.models import ComprehensionAttempt

D = dt.date


def build_full_course(*, course: Any, prescriber: Any, pharmacy: Any, today: dt.date) -> dict[str, Any]:
    ppp.enrollment_record(actor=prescriber, course=course, enrolled_on=D(2026, 9, 1), today=today)
    ppp.risk_category_assign(actor=prescriber, course=course, can_get_pregnant=True, effective_on=D(2026, 9, 1),
                             today=today)
    ppp.counseling_record(actor=prescriber, course=course, counseled_on=D(2026, 9, 1), today=today)
    ppp.contraception_confirm(actor=prescriber, course=course, confirmed_on=D(2026, 9, 1), today=today,
                              methods=["iud_copper", "male_condom"])
    ppp.pregnancy_test_record(actor=prescriber, course=course, collected_on=D(2026, 9, 5), setting="lab",
                              result="negative", today=today)
    ppp.pregnancy_test_record(actor=prescriber, course=course, collected_on=D(2026, 10, 5), setting="clinic",
                              result="negative", today=today)
    ComprehensionAttempt.objects.create(course=course, answered_on=D(2026, 10, 5), program="us-ipledge",
                                        answers={}, score=5, total=5, passed=True, recorded_by=prescriber)
    rx = ppp.prescription_create(actor=prescriber, course=course, issued_on=D(2026, 10, 5), product="conventional",
                                 daily_dose_mg=40, days_supply=30, today=today, acknowledge_warnings=True)
    Dispense.objects.create(prescription=rx, pharmacy=pharmacy, dispensed_on=D(2026, 10, 7), days_supply=30,
                            daily_dose_mg=40)
    lab_result_record(actor=prescriber, course=course, loinc="1742-6", value="32", unit="U/L", uln="40",
                      collected_on=D(2026, 9, 5), today=today)
    lab_result_record(actor=prescriber, course=course, loinc="2571-8", value="1.9", unit="mmol/L",
                      collected_on=D(2026, 9, 5), today=today)
    mood_screen_record(actor=prescriber, course=course, instrument="phq9", answers=[0, 1, 0, 0, 1, 0, 0, 0, 0],
                       screened_on=D(2026, 10, 5), today=today)
    weight_record(actor=prescriber, patient=course.patient, measured_on=D(2026, 9, 1), weight_kg=64.5, today=today)
    ppp.treatment_end_record(actor=prescriber, course=course, ended_on=D(2026, 11, 20), today=today)
    return {"prescription": rx}
