"""Demo program records (synthetic data), after the accounts and courses builders.

1. The courses builder's patients (``ctx["courses"]``) get the program records their stage implies: the
   risk category at assessment (``can_get_pregnant`` of each entry), enrolment and counselling, and for
   patients who can get pregnant contraception, a screening test and a visit (counselling, contraception,
   negative laboratory test, comprehension questions) before every pick-up and before each open
   prescription, so that open prescriptions are ready to dispense today. A completed course gets its
   treatment end. Patients still being assessed are not enrolled yet.
2. Eight patients of its own (record numbers ``PPP-01``..``PPP-08``), one per situation in
   :data:`SITUATIONS`, so that every situation exists exactly, whatever the courses builder made.

Everything is written through the ppp services (validated, audited) with dates relative to
``ctx["today"]``. Tests are laboratory tests and the screening test is 19+ days before the confirmation
test, so "ready" patients are ready under both iPLEDGE versions (2021: CLIA lab, 19-day gap; 2026).

ctx keys written (read by the pharmacy, monitoring and portal builders):

- ``ctx["ppp"]["situations"]``: situation code -> Course (codes in :data:`SITUATIONS`);
- ``ctx["ppp"]["prescriptions"]``: situation code -> the open Prescription, where there is one;
- ``ctx["ppp"]["ready"]``: list of ``{"situation", "course", "patient", "prescription", "reference",
  "birth_date", "allowed", "valid_through"}``: every open prescription a pharmacist can authorize and
  dispense today (the situation patients first, then the courses builder's; ``situation`` is
  ``"courses:<stage>"`` for those);
- ``ctx["ppp"]["refused"]``: the same shape, for open prescriptions that are refused today (with
  ``"codes"``).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from clearcourse.accounts.models import User
from clearcourse.core import clock
from clearcourse.courses.models import Course, CourseStatus, Patient, Prescription
from clearcourse.courses.services import course_create
from clearcourse.pharmacy.models import Dispense
from clearcourse.pharmacy.selectors import prescription_reference
from clearcourse.rules.programs import comprehension as bank

from . import services as s
from .selectors import course_decision

#: situation code -> (record number, given, family, sex, birth date, can get pregnant, description)
SITUATIONS: dict[str, tuple[str, str, str, str, dt.date, bool, str]] = {
    "ready_first_fill": ("PPP-01", "Mia", "Alvarez", "female", dt.date(2003, 4, 12), True,
                         "can get pregnant; every condition met today; first prescription open"),
    "window_closes_in_2_days": ("PPP-02", "Hana", "Suzuki", "female", dt.date(2001, 8, 3), True,
                                "on treatment; ready, but the 7-day window closes in 2 days"),
    "ready_cannot_get_pregnant": ("PPP-03", "Ben", "Carter", "male", dt.date(2005, 1, 20), False,
                                  "cannot get pregnant; ready to fill"),
    "missing_test": ("PPP-04", "Emma", "Schultz", "female", dt.date(2002, 11, 5), True,
                     "on treatment; this month's pregnancy test is missing"),
    "home_test_unverified": ("PPP-05", "Ivy", "Sinclair", "female", dt.date(1999, 6, 30), True,
                             "on treatment; home test submitted, waiting for the prescriber's verification"),
    "window_expired": ("PPP-06", "Ava", "Lindgren", "female", dt.date(2000, 2, 14), True,
                       "on treatment; the test window lapsed before pick-up"),
    "lead_in_too_short": ("PPP-07", "Rosa", "Martin", "female", dt.date(2006, 9, 9), True,
                          "starting; contraception in use for less than a month"),
    "not_enrolled": ("PPP-08", "Omar", "Farouk", "male", dt.date(2004, 12, 1), False,
                     "new course; not enrolled, risk category not assigned"),
}
READY = ("ready_first_fill", "window_closes_in_2_days", "ready_cannot_get_pregnant")
METHODS = ["iud_copper", "male_condom"]


def _png() -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 40, 220, 80), outline="black")
    draw.line((100, 45, 100, 75), fill="purple", width=4)  # one line: negative (synthetic picture)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return SimpleUploadedFile("home-test.png", buf.getvalue(), content_type="image/png")


class _Builder:
    def __init__(self, ctx: dict[str, Any]) -> None:
        self.today: dt.date = ctx.get("today") or clock.today()
        users: dict[str, User] = ctx["users"]
        self.prescriber = users["dr.rivera"]
        self.clinic = ctx["clinic"]
        self.pharmacy = ctx["pharmacy"]

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def course(self, code: str) -> Course:
        number, given, family, sex, born, _can, _ = SITUATIONS[code]
        patient = Patient.objects.create(
            clinic=self.clinic, prescriber=self.prescriber, record_number=number, given_name=given,
            family_name=family, birth_date=born, sex=sex, email=f"{given.lower()}.{family.lower()}@example.invalid",
        )
        return course_create(actor=self.prescriber, patient=patient)

    # Each helper writes one kind of record through its service, dated ``offset`` days from today.
    def enrol(self, c: Course, offset: int, can: bool | None) -> None:
        s.enrollment_record(actor=self.prescriber, course=c, enrolled_on=self.day(offset), today=self.today,
                            ipledge_patient_id=f"IPL-{c.patient.record_number}")
        if can is not None:
            s.risk_category_assign(actor=self.prescriber, course=c, can_get_pregnant=can,
                                   effective_on=self.day(offset), today=self.today)

    def visit(self, c: Course, offset: int, *, test: str | None = "lab", counsel: bool = True,
              contraception: bool = True, comprehension: bool = True) -> None:
        """One monthly visit: counselling, contraception, a negative test, comprehension."""
        p = self.prescriber
        if counsel:
            s.counseling_record(actor=p, course=c, counseled_on=self.day(offset), today=self.today)
        if contraception:
            s.contraception_confirm(actor=p, course=c, confirmed_on=self.day(offset), today=self.today,
                                    methods=METHODS, confirmed_by="patient")
        if test is not None:
            s.pregnancy_test_record(actor=p, course=c, collected_on=self.day(offset), setting=test,
                                    result="negative", today=self.today,
                                    photo=_png() if test == "home" else None)
        if comprehension:
            answers = {q.id: q.correct for q in bank.questions_for(c.program)}
            s.comprehension_submit(actor=p, course=c, answered_on=self.day(offset), answers=answers,
                                   today=self.today)

    def prescribe(self, c: Course, offset: int) -> Prescription:
        return s.prescription_create(actor=self.prescriber, course=c, issued_on=self.day(offset),
                                     product=c.product, daily_dose_mg=40, days_supply=30, today=self.today,
                                     ipledge_confirmation=f"C{c.pk:05d}{offset + 100:03d}")

    def dispense(self, rx: Prescription, offset: int) -> None:
        """A past fill, as imported history (no authorization row: it predates this demo)."""
        Dispense.objects.create(prescription=rx, pharmacy=self.pharmacy, dispensed_on=self.day(offset),
                                days_supply=rx.days_supply, daily_dose_mg=rx.daily_dose_mg,
                                recorded_by=self.prescriber)
        Course.objects.filter(pk=rx.course_id, started_on__isnull=True).update(
            started_on=self.day(offset), status=CourseStatus.ACTIVE)

    def first_month(self, c: Course, confirmation: int) -> None:
        """Enrolment and contraception well before, a screening test 25 days before ``confirmation``."""
        self.enrol(c, confirmation - 40, True)
        self.visit(c, confirmation - 40, test=None, comprehension=False)
        self.visit(c, confirmation - 25, counsel=False, contraception=False, comprehension=False)
        self.visit(c, confirmation)

    def on_treatment(self, c: Course, last_fill: int) -> None:
        """Started one fill ago: the first month's records and a dispense ``last_fill`` days from today."""
        self.first_month(c, last_fill - 1)
        self.dispense(self.prescribe(c, last_fill - 1), last_fill)


def _roster(b: _Builder, entries: list[dict[str, Any]]) -> None:
    """Program records for the courses builder's patients (see the module docstring)."""
    for entry in entries:
        c: Course = entry["course"]
        actor: User = entry.get("prescriber") or b.prescriber
        can = bool(entry.get("can_get_pregnant"))
        assessed: dt.date = entry["assessed_on"]
        today = b.today
        s.risk_category_assign(actor=actor, course=c, can_get_pregnant=can, effective_on=assessed, today=today)
        if entry["stage"] in ("assessed", "not_eligible"):
            continue
        s.enrollment_record(actor=actor, course=c, enrolled_on=assessed, today=today,
                            ipledge_patient_id=f"IPL-{c.patient.record_number}" if c.program == "us-ipledge" else "")
        s.counseling_record(actor=actor, course=c, counseled_on=assessed, today=today)
        if can:
            # Reported at the assessment as in use for two weeks already (the month's lead-in counts from it).
            s.contraception_confirm(actor=actor, course=c, confirmed_on=max(assessed - dt.timedelta(days=14),
                                                                            c.patient.birth_date),
                                    today=today, methods=METHODS, confirmed_by="patient")
            s.pregnancy_test_record(actor=actor, course=c, collected_on=assessed, setting="lab", result="negative",
                                    today=today)
        visits = [rx.issued_on for rx, _day in entry.get("pickups", [])]
        open_rx: Prescription | None = entry.get("open_prescription")
        if open_rx is not None and entry.get("started_on") is not None:
            visits.append(open_rx.issued_on)
        for day in visits:
            if day > today or day < assessed:
                continue
            s.counseling_record(actor=actor, course=c, counseled_on=day, today=today)
            if can:
                s.contraception_confirm(actor=actor, course=c, confirmed_on=day, today=today, methods=METHODS,
                                        confirmed_by="patient")
                s.pregnancy_test_record(actor=actor, course=c, collected_on=day, setting="lab",
                                        result="negative", today=today)
                answers = {q.id: q.correct for q in bank.questions_for(c.program)}
                s.comprehension_submit(actor=actor, course=c, answered_on=day, answers=answers, today=today)
        ended: dt.date | None = entry.get("ended_on")
        if entry["stage"] == "completed" and ended is not None and ended <= today:
            s.treatment_end_record(actor=actor, course=c, ended_on=ended, today=today,
                                   reason="Cumulative target reached.")


def _judge(b: _Builder, code: str, course: Course, rx: Prescription) -> dict[str, Any]:
    decision = course_decision(course, prescription=rx, request_date=b.today, days_supply=rx.days_supply,
                               pharmacy_id=b.pharmacy.pk)
    return {"situation": code, "course": course, "patient": course.patient, "prescription": rx,
            "reference": prescription_reference(rx), "birth_date": course.patient.birth_date,
            "allowed": decision.allowed, "valid_through": decision.valid_through, "codes": decision.codes}


#: Demo enrolment of the prescribers and the pharmacy, in days from today (activated, expires): dr.chen's
#: lapses in three weeks, so the renewal shows on the worklist and is reminded.
DEMO_CERTIFICATIONS = {"dr.rivera": (-700, 330, "IPL-P-1000"), "dr.chen": (-700, 21, "IPL-P-1001"),
                       "pharmacy": (-700, 180, "IPL-PH-0001")}
#: The pharmacy's yearly staff-training attestations, in days from today (the latest covers today).
DEMO_TRAININGS = (-800, -430, -90)


def certify_demo(b: _Builder, ctx: dict[str, Any]) -> None:
    """Every demo prescriber and the demo pharmacy are enrolled and active (through the service, as an
    administrator records them), and the pharmacy attested its staff training every year."""
    users: dict[str, User] = ctx["users"]
    admin = users["admin"]
    for username, (start, end, number) in DEMO_CERTIFICATIONS.items():
        participant: dict[str, Any] = ({"pharmacy": b.pharmacy} if username == "pharmacy"
                                       else {"prescriber": users[username]})
        s.certification_record(actor=admin, program=b.clinic.program, activated_on=b.day(start),
                               expires_on=b.day(end), today=b.today, program_id_number=number, **participant)
    for offset in DEMO_TRAININGS:
        s.pharmacy_training_attest(actor=admin, pharmacy=b.pharmacy, trained_on=b.day(offset),
                                   attested_by="Daniel Lee, responsible pharmacist", today=b.today)


def build(ctx: dict[str, Any]) -> None:
    b = _Builder(ctx)
    certify_demo(b, ctx)
    roster: list[dict[str, Any]] = ctx.get("courses", [])
    _roster(b, roster)
    courses: dict[str, Course] = {}
    open_rx: dict[str, Prescription] = {}

    c = courses["ready_first_fill"] = b.course("ready_first_fill")
    b.first_month(c, -1)
    open_rx["ready_first_fill"] = b.prescribe(c, -1)

    c = courses["window_closes_in_2_days"] = b.course("window_closes_in_2_days")
    b.on_treatment(c, -31)
    b.visit(c, -4)  # the test collected 4 days ago: window through today + 2
    open_rx["window_closes_in_2_days"] = b.prescribe(c, -4)

    c = courses["ready_cannot_get_pregnant"] = b.course("ready_cannot_get_pregnant")
    b.enrol(c, -3, False)
    b.visit(c, -1, test=None, contraception=False, comprehension=False)
    open_rx["ready_cannot_get_pregnant"] = b.prescribe(c, -1)

    c = courses["missing_test"] = b.course("missing_test")
    b.on_treatment(c, -30)
    b.visit(c, -1, test=None)
    open_rx["missing_test"] = b.prescribe(c, -1)

    c = courses["home_test_unverified"] = b.course("home_test_unverified")
    b.on_treatment(c, -29)
    b.visit(c, -1, test="home")
    open_rx["home_test_unverified"] = b.prescribe(c, -1)

    c = courses["window_expired"] = b.course("window_expired")
    b.on_treatment(c, -40)
    b.visit(c, -10)
    open_rx["window_expired"] = b.prescribe(c, -10)

    c = courses["lead_in_too_short"] = b.course("lead_in_too_short")
    b.enrol(c, -12, True)
    b.visit(c, -12, test=None, comprehension=False)
    b.visit(c, -1)
    open_rx["lead_in_too_short"] = b.prescribe(c, -1)

    courses["not_enrolled"] = b.course("not_enrolled")

    judged = [_judge(b, code, courses[code], rx) for code, rx in open_rx.items()]
    judged += [_judge(b, f"courses:{e['stage']}", e["course"], e["open_prescription"])
               for e in roster if e.get("open_prescription") is not None]
    ready = [j for j in judged if j["allowed"]]
    ctx["ppp"] = {"situations": courses, "ready": ready, "prescriptions": open_rx,
                  "refused": [j for j in judged if not j["allowed"]]}
    out = ctx.get("stdout")
    if out is not None:
        out.write("  ppp: open prescriptions a pharmacist may dispense today (reference, patient, date of birth):")
        for item in ready:
            out.write(f"    {item['reference']:<8} {item['patient'].full_name:<18} {item['birth_date']}")
        missing = [code for code in READY if not any(j["situation"] == code for j in ready)]
        if missing:
            out.write(f"  ppp: WARNING: not ready today, check the program rules: {', '.join(missing)}")
