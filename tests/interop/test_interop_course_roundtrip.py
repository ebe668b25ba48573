"""Issue 7 "done when": export a course, import it into an empty database, export again: same clinical content.

The database is emptied inside the test with ``flush`` (TRUNCATE on PostgreSQL, DELETE on SQLite: the
append-only guards of the models and the audit trigger do not apply), so the import really starts from
nothing but the importing prescriber and their clinic.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from interop_rich_course import build_rich_course, clinical_content

from clearcourse.accounts.models import Clinic, User
from clearcourse.audit.models import AuditEntry
from clearcourse.courses.models import Course, Patient, Prescription
from clearcourse.interop import fhir_export
from clearcourse.interop.fhir_course_import import course_import
from clearcourse.interop.fhir_validate import bundle_errors
from clearcourse.interop.selectors import course_bundle_for_user, course_export_input
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp.models import HomeTestVerification, PregnancyTest

NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


# Home-test photos of the built course go to a temporary folder (tests/conftest.py), not the project's media.
pytestmark = pytest.mark.usefixtures("media")


def _empty_database_with_an_importing_prescriber() -> User:
    call_command("flush", interactive=False, verbosity=0)
    assert Patient.objects.count() == 0 and User.objects.count() == 0 and AuditEntry.objects.count() == 0
    clinic = Clinic.objects.create(name="Riverside Dermatology", program="us-ipledge", city="Springfield")
    return User.objects.create_user(username="dr_new", password=None, role="prescriber", clinic=clinic,
                                    registration_number="IPL-P-0099", first_name="Noor", last_name="Haddad")


@pytest.mark.django_db(transaction=True)
def test_export_import_into_an_empty_database_and_export_again_gives_the_same_clinical_content(
        course: Any, prescriber: Any, pharmacy: Any, today: dt.date) -> None:
    build_rich_course(course=course, prescriber=prescriber, pharmacy=pharmacy, today=today)
    first = course_bundle_for_user(user=prescriber, course_id=course.pk, now=NOW)
    assert bundle_errors(first) == []
    data = json.dumps(first).encode()

    importer = _empty_database_with_an_importing_prescriber()
    report = course_import(actor=importer, data=data, today=max(today, timezone.localdate()), filename="c.json")
    assert report.problems == [] and report.file_error == ""
    assert report.written

    imported = Course.objects.get()
    second = fhir_export.build_bundle(course_export_input(imported, now=NOW))
    assert bundle_errors(second) == []
    before, after = clinical_content(first), clinical_content(second)
    assert sorted(before) == sorted(after)
    for kind in before:
        assert after[kind] == before[kind], kind
    # Not vacuous: every kind of record is there, as often as it was built (14 Observations: risk, 2
    # contraception, 4 pregnancy tests, 3 labs, 2 PHQ totals, 2 weights, 2 assessments, 2 side-effect
    # reports; MedicationStatement: the end of treatment and a missed-dose report).
    sizes = {kind: sum(c.values()) for kind, c in before.items()}
    assert sizes == {"Patient": 1, "Organization": 3, "Practitioner": 2, "Observation": 18, "Condition": 1,
                     "Consent": 1, "Procedure": 2, "QuestionnaireResponse": 4, "MedicationRequest": 3,
                     "MedicationDispense": 2, "MedicationStatement": 2, "CarePlan": 1}
    # The course itself came back: status, first and last dose, target and both dose plans.
    original = Course.objects.get()
    assert (original.status, original.started_on, original.ended_on, original.target_mg_per_kg) == (
        "completed", dt.date(2026, 9, 7), dt.date(2026, 11, 24), Decimal("130"))
    assert [(p.starts_on, p.daily_dose_mg, p.target_mg_per_kg) for p in original.dose_plans.order_by("starts_on")] == [
        (dt.date(2026, 9, 7), 30, Decimal("120")), (dt.date(2026, 10, 4), 60, Decimal("130"))]
    assert [(a.assessed_on, a.iga, a.gags_score, a.scarring) for a in original.assessments.order_by("assessed_on")] \
        == [(dt.date(2026, 8, 20), 4, 28, True), (dt.date(2026, 11, 20), 1, None, False)]
    assert list(original.missed_doses.values_list("first_day", "days", "note")) == [
        (dt.date(2026, 10, 12), 3, "Forgot the capsules on a trip")]
    assert sorted(original.side_effect_reports.values_list("code", "grade", "reported_on", "onset")) == [
        ("headache", "mild", dt.date(2026, 9, 20), dt.date(2026, 9, 15)),
        ("headache", "mild", dt.date(2026, 10, 20), None),
        ("initial_flare", "moderate", dt.date(2026, 9, 20), dt.date(2026, 9, 15))]


@pytest.mark.django_db(transaction=True)
def test_the_imported_course_keeps_authors_pharmacies_and_the_home_test_verification(
        course: Any, prescriber: Any, pharmacy: Any, today: dt.date) -> None:
    build_rich_course(course=course, prescriber=prescriber, pharmacy=pharmacy, today=today)
    data = json.dumps(fhir_export.build_bundle(course_export_input(course))).encode()

    importer = _empty_database_with_an_importing_prescriber()
    report = course_import(actor=importer, data=data, today=max(today, timezone.localdate()))
    assert report.written, report.as_json()

    # The practitioners became inactive prescribers of the importer's clinic, unable to sign in.
    rivera = User.objects.get(registration_number="IPL-P-0001")
    chen = User.objects.get(registration_number="IPL-P-0002")
    for user in (rivera, chen):
        assert (user.role, user.clinic_id, user.is_active, user.has_usable_password()) == (
            "prescriber", importer.clinic_id, False, False)
    assert sorted(report.created["practitioners"]) == ["imported-ipl-p-0001", "imported-ipl-p-0002"]
    imported = Course.objects.get()
    assert imported.prescriber == rivera and imported.patient.prescriber == rivera
    assert sorted(Prescription.objects.values_list("prescriber__username", flat=True)) == [
        "imported-ipl-p-0001", "imported-ipl-p-0001", "imported-ipl-p-0002"]
    assert Prescription.objects.get(issued_on=dt.date(2026, 9, 6)).ipledge_confirmation == "IPL-RX-7788"

    # Dispenses: no authorization here, the pharmacies re-created from their registration numbers.
    dispenses = Dispense.objects.order_by("dispensed_on")
    assert [(d.pharmacy.registration_number, d.days_supply, d.authorization_id) for d in dispenses] == [
        ("NCPDP-1000001", 30, None), ("NCPDP-2000002", 28, None)]

    # The verified home test is confirmed on its own day; the unverified one awaits verification.
    homes = PregnancyTest.objects.filter(setting="home").order_by("collected_on")
    assert [bool(t.photo) for t in homes] == [False, False]
    verification = HomeTestVerification.objects.get()
    assert (verification.test_id, verification.verified_on, verification.verified_by_id) == (
        homes[0].pk, dt.date(2026, 11, 2), importer.pk)

    entry = AuditEntry.objects.get(action="interop.course_import")
    assert entry.actor_id == importer.pk and entry.patient_id == imported.patient_id
    assert entry.detail["imported"]["prescription"] == 3
    assert len(entry.detail["direct"]["dispense"]) == 2
    assert entry.detail["skipped"]["AuditEvent"] >= 1
