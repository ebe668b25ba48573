"""Load a course from the database into the FHIR exporter's input (reads only; the export is audited).

Only current records count (a superseded record is replaced by its correction); voided prescriptions
are left out, and a dispense of an older record of a corrected prescription points at the current one,
as in ``ppp.selectors.course_facts``. The access report is the patient's audit trail, newest
:data:`MAX_ACCESSES` entries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from clearcourse.accounts.models import User
from clearcourse.audit.models import AuditEntry
from clearcourse.core import clock
from clearcourse.courses.models import Course, DosePlan, MissedDoseReport, Prescription, WeightMeasurement
from clearcourse.courses.selectors import course_get_for_user
from clearcourse.courses.state import course_state
from clearcourse.interop import fhir_export as fx
from clearcourse.interop.fhir_export.writer import UUID_NAMESPACE
from clearcourse.monitoring.models import LabResult, MoodScreen, SideEffectReport
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp.models import (
    ComprehensionAttempt,
    ContraceptionConfirmation,
    Counseling,
    Enrollment,
    HomeTestVerification,
    PregnancyTest,
    RiskCategory,
    TreatmentEnd,
    VerificationOutcome,
)
from clearcourse.rules.programs.facts import DEFAULT_CAN_GET_PREGNANT
from clearcourse.rules.severity import GAGS_REGION_CODES

#: The newest audit entries exported as AuditEvents (the bundle stays a reasonable size).
MAX_ACCESSES = 500


def _practitioner(user: User) -> fx.PractitionerIn:
    return fx.PractitionerIn(key=f"user/{user.pk}", given_name=user.first_name, family_name=user.last_name,
                             registration_number=user.registration_number, npi=user.npi)


def medication_request_id(prescription: Prescription) -> str:
    """The ``MedicationRequest.id`` this prescription has in its course's FHIR export (a uuid5 of the
    course and the record, so it is the same in every export), as a pharmacy system may quote it back."""
    return str(uuid.uuid5(UUID_NAMESPACE, f"course/{prescription.course_id}/prescription/{prescription.pk}"))


def _head_of(rows: list[tuple[int, int | None]]) -> dict[int, int]:
    """Each prescription record -> the current record of its correction chain."""
    successor = {sup: pk for pk, sup in rows if sup is not None}
    heads: dict[int, int] = {}
    for pk, _sup in rows:
        head, steps = pk, 0
        while head in successor and steps <= len(rows):  # the bound guards against a corrupt cycle
            head, steps = successor[head], steps + 1
        heads[pk] = head
    return heads


def _assessment(a: Any) -> fx.AssessmentIn:
    grades = [(region, getattr(a, f"gags_{region}")) for region in GAGS_REGION_CODES]
    return fx.AssessmentIn(
        f"assessment/{a.pk}", a.assessed_on, a.iga,
        tuple(grades) if all(g is not None for _r, g in grades) else (),
        a.gags_score, a.gags_band, a.scarring, a.psychosocial_burden)


def _side_effect_groups(course: Course) -> list[fx.SideEffectIn]:
    """One entry per report (the symptoms reported together share a ``report_group``), in report order."""
    groups: dict[Any, list[Any]] = {}
    for row in SideEffectReport.objects.current().filter(course=course).order_by("reported_on", "id"):
        groups.setdefault(row.report_group, []).append(row)
    return [fx.SideEffectIn(f"side-effect/{rows[0].pk}", rows[0].reported_on,
                            tuple((r.code, r.grade) for r in rows), rows[0].onset, rows[0].note)
            for rows in groups.values()]


def course_export_input(course: Course, *, now: dt.datetime | None = None) -> fx.ExportInput:
    """Everything the FHIR bundle of ``course`` holds. ``now`` stamps the bundle (omitted: no timestamp)."""
    patient = course.patient
    state = course_state(course, on=clock.today())
    risk = RiskCategory.objects.current().filter(course=course).order_by("-effective_on", "-id").first()
    practitioners: dict[int, User] = {course.prescriber_id: course.prescriber}

    counselings = list(Counseling.objects.current().filter(course=course).select_related("counseled_by"))
    for c in counselings:
        practitioners.setdefault(c.counseled_by_id, c.counseled_by)
    rx_rows = list(Prescription.objects.filter(course=course).select_related("prescriber").order_by("issued_on", "id"))
    heads = _head_of([(r.pk, r.supersedes_id) for r in rx_rows])
    current_rx = [r for r in rx_rows if heads[r.pk] == r.pk and not r.voided]
    for r in current_rx:
        practitioners.setdefault(r.prescriber_id, r.prescriber)
    exported_rx = {r.pk for r in current_rx}
    dispenses = [d for d in Dispense.objects.current().filter(prescription__course=course).select_related("pharmacy")
                 if heads.get(d.prescription_id) in exported_rx]
    pharmacies = {d.pharmacy_id: d.pharmacy for d in dispenses}

    tests = list(PregnancyTest.objects.current().filter(course=course))
    confirmed: dict[int, dt.date | None] = {}
    for v in HomeTestVerification.objects.current().filter(test__course=course).order_by("verified_on", "id"):
        # The latest one wins: its date when it confirmed the result, else None.
        confirmed[v.test_id] = v.verified_on if v.outcome == VerificationOutcome.CONFIRMED else None

    assessments = list(course.assessments.current().order_by("assessed_on", "id"))
    first_assessment = course.assessments.order_by("assessed_on", "id").values_list("assessed_on", flat=True).first()
    # Newest first through the (patient_id, at) index: the last MAX_ACCESSES entries, however long the trail.
    accesses = list(AuditEntry.objects.filter(patient_id=patient.pk).select_related("actor")
                    .order_by("-at", "-id")[:MAX_ACCESSES])
    accesses.reverse()

    def capsules(value: Any) -> tuple[tuple[int, int], ...]:
        if not isinstance(value, dict):
            return ()
        out = []
        for strength, count in value.items():
            try:
                out.append((int(strength), int(count)))
            except (TypeError, ValueError):
                continue
        return tuple(sorted(out))

    return fx.ExportInput(
        seed=f"course/{course.pk}",
        program=course.program,
        patient=fx.PatientIn(
            key=f"patient/{patient.pk}", birth_date=patient.birth_date,
            can_get_pregnant=risk.can_get_pregnant if risk is not None else DEFAULT_CAN_GET_PREGNANT,
            risk_effective_on=risk.effective_on if risk is not None else None,
            given_name=patient.given_name, family_name=patient.family_name, sex=patient.sex,
            record_number=patient.record_number, email=patient.email, phone=patient.phone,
            language=patient.preferred_language,
        ),
        clinic=fx.OrganizationIn(key=f"clinic/{course.clinic_id}", name=course.clinic.name, kind="clinic",
                                 city=course.clinic.city),
        prescriber=_practitioner(course.prescriber),
        practitioners=tuple(_practitioner(u) for pk, u in sorted(practitioners.items()) if pk != course.prescriber_id),
        pharmacies=tuple(fx.OrganizationIn(key=f"pharmacy/{p.pk}", name=p.name, kind="pharmacy",
                                           registration_number=p.registration_number, city=p.city,
                                           ncpdp_id=p.ncpdp_id, npi=p.npi)
                         for _pk, p in sorted(pharmacies.items())),
        condition=fx.ConditionIn(key=f"course/{course.pk}/condition",
                                 recorded_on=first_assessment or course.created_at.date()),
        enrolments=tuple(fx.EnrolmentIn(f"enrollment/{e.pk}", e.enrolled_on, e.program)
                         for e in Enrollment.objects.current().filter(course=course)),
        counselings=tuple(fx.CounselingIn(f"counseling/{c.pk}", c.counseled_on, f"user/{c.counseled_by_id}")
                          for c in counselings),
        contraceptions=tuple(
            fx.ContraceptionIn(f"contraception/{k.pk}", k.confirmed_on, tuple(dict.fromkeys(k.methods or ())),
                               k.abstinence, k.confirmed_by)
            for k in ContraceptionConfirmation.objects.current().filter(course=course)),
        pregnancy_tests=tuple(
            fx.PregnancyTestIn(f"pregnancy-test/{t.pk}", t.collected_on, t.setting, t.result,
                               verified=t.setting != "home" or confirmed.get(t.pk) is not None,
                               verified_on=confirmed.get(t.pk) if t.setting == "home" else None)
            for t in tests),
        comprehensions=tuple(
            fx.ComprehensionIn(f"comprehension/{q.pk}", q.answered_on, q.passed, q.score, q.total)
            for q in ComprehensionAttempt.objects.current().filter(course=course)),
        prescriptions=tuple(
            fx.PrescriptionIn(f"prescription/{r.pk}", str(r.pk), r.issued_on, r.days_supply, float(r.daily_dose_mg),
                              product=r.product, capsules=capsules(r.capsules), prescriber=f"user/{r.prescriber_id}",
                              ipledge_confirmation=r.ipledge_confirmation)
            for r in current_rx),
        dispenses=tuple(
            fx.DispenseIn(f"dispense/{d.pk}", f"prescription/{heads[d.prescription_id]}", d.dispensed_on,
                          d.days_supply, pharmacy=f"pharmacy/{d.pharmacy_id}", daily_dose_mg=float(d.daily_dose_mg))
            for d in dispenses),
        treatment_ends=tuple(fx.TreatmentEndIn(f"treatment-end/{t.pk}", t.ended_on)
                             for t in TreatmentEnd.objects.current().filter(course=course)),
        lab_results=tuple(
            fx.LabResultIn(f"lab/{lab.pk}", lab.loinc, Decimal(lab.value), lab.unit, lab.collected_on,
                           None if lab.uln is None else Decimal(lab.uln))
            for lab in LabResult.objects.current().filter(course=course)),
        mood_screens=tuple(
            fx.MoodScreenIn(f"mood/{m.pk}", m.instrument, tuple(int(a) for a in (m.answers or ())), m.score,
                            m.screened_on, m.completed_by, m.band)
            for m in MoodScreen.objects.current().filter(course=course)),
        weights=tuple(fx.WeightIn(f"weight/{w.pk}", w.measured_on, Decimal(w.weight_kg))
                      for w in WeightMeasurement.objects.current().filter(patient=patient)),
        course_plan=fx.CoursePlanIn(
            key=f"course/{course.pk}/plan", status=state.status, started_on=course.started_on,
            ended_on=course.ended_on, target_mg_per_kg=Decimal(course.target_mg_per_kg),
            cumulative_mg_per_kg=state.dose.cumulative_mg_per_kg, target_status=str(state.target_status),
            dose_plans=tuple(
                fx.DosePlanIn(f"dose-plan/{p.pk}", p.starts_on, Decimal(p.weight_kg), Decimal(p.mg_per_kg),
                              p.daily_dose_mg, Decimal(p.target_mg_per_kg), p.out_of_range_reason)
                for p in DosePlan.objects.current().filter(course=course).order_by("starts_on", "id"))),
        assessments=tuple(_assessment(a) for a in assessments),
        side_effects=tuple(_side_effect_groups(course)),
        missed_doses=tuple(
            fx.MissedDoseIn(f"missed-dose/{m.pk}", m.first_day, m.days, m.note)
            for m in MissedDoseReport.objects.current().filter(course=course).order_by("first_day", "id")),
        accesses=tuple(
            fx.AccessIn(f"audit/{a.seq}", a.at, a.action, a.actor_label or (a.actor.username if a.actor else "system"),
                        practitioner=f"user/{a.actor_id}" if a.actor_id in practitioners else "")
            for a in accesses),
        timestamp=now,
    )


def course_bundle_for_user(*, user: User, course_id: int, now: dt.datetime) -> dict[str, Any]:
    """The FHIR bundle of a course the user may see (else NotFoundError); the export is audited."""
    course = course_get_for_user(user=user, course_id=course_id, audit="course.export_fhir")
    return fx.build_bundle(course_export_input(course, now=now))
