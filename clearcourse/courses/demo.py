"""Demo patients and courses: 30 synthetic patients at every stage of a course.

Run by ``python -m clearcourse demo`` after ``accounts.demo`` (which puts ``clinic``, ``pharmacy``,
``users`` and ``prescribers`` in ``ctx``). All dates are relative to the real current date
(``clock.today()``), so the demo always looks "live". Records are written through the
services (so they are validated and audited like real ones); prescriptions are written directly,
because the prescription service belongs to the pregnancy-prevention app, whose builder runs later.

What this builder adds to ``ctx`` for the builders that run after it (ppp, pharmacy, monitoring,
portal, interop):

``ctx["today"]``
    ``datetime.date`` used as "today" for every date below.
``ctx["patients"]``
    ``list[Patient]``, all demo patients (30).
``ctx["courses"]``
    ``list[dict]``, one per patient, keys:

    - ``course`` (Course), ``patient`` (Patient), ``prescriber`` (User)
    - ``stage``: one of :data:`STAGES` - ``"assessed"`` (assessment only), ``"not_eligible"``
      (assessed, not indicated), ``"planned"`` (dose plan set, not started), ``"month_1"`` ..
      ``"month_6"`` (on treatment, in that month), ``"completed"`` (treatment ended; in
      post-treatment follow-up), ``"paused"``
    - ``can_get_pregnant`` (bool): for the risk category the ppp builder records
    - ``started_on`` / ``ended_on`` (date or None): first and last dose
    - ``assessed_on`` (date)
    - ``prescriptions``: ``list[Prescription]``, oldest first (monthly, 30 days of supply)
    - ``pickups``: ``list[tuple[Prescription, date]]``: prescriptions the patient picked up and on
      which date; the pharmacy builder creates one ``Dispense`` for each (same daily dose and days)
    - ``open_prescription``: ``Prescription | None``: issued in the last days, not picked up yet
      (the pharmacist's "may I dispense?" case)
    - ``login``: username of the patient's account, or None
``ctx["courses_by_stage"]``
    ``dict[str, list[dict]]``: the same dicts grouped by stage.
``ctx["pickups"]``
    ``list[tuple[Prescription, date]]``: every pick-up of every course, oldest first.
``ctx["open_prescriptions"]``
    ``list[Prescription]``: prescriptions waiting to be picked up.
``ctx["patient_users"]``
    ``dict[str, User]``: patient accounts by username (``patient.<firstname>``; password
    ``clearcourse.accounts.demo.DEMO_PASSWORD``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clearcourse.accounts.demo import DEMO_PASSWORD
from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core import clock
from clearcourse.courses import services
from clearcourse.courses.models import Course, DosePlan, Patient, Prescription

STAGES = ("assessed", "not_eligible", "planned", "month_1", "month_2", "month_3", "month_4", "month_5",
          "month_6", "completed", "paused")
DAYS_SUPPLY = 30

# GAGS grade sets (forehead, right cheek, left cheek, nose, chin, chest and upper back).
_REGIONS = ("forehead", "right_cheek", "left_cheek", "nose", "chin", "chest_upper_back")
GAGS_SETS: Mapping[str, tuple[int, ...]] = {
    "very_severe": (4, 4, 4, 3, 3, 4),  # 42
    "severe": (3, 3, 3, 2, 2, 3),  # 31
    "moderate": (2, 3, 3, 1, 2, 2),  # 25
    "mild": (1, 2, 1, 1, 1, 0),  # 10
}


@dataclass(frozen=True, slots=True)
class DemoPatient:
    given: str
    family: str
    sex: str
    age: int
    can_get_pregnant: bool
    stage: str
    prescriber: str
    weight: float
    acne: str = "severe"  # a key of GAGS_SETS
    offset: int = 10  # days into the current month of treatment / days since the event of the stage
    product: str = "conventional"
    target: int = 120
    scarring: bool = False
    failed: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    missed: int = 0  # days missed in the first month of treatment (only for month 2 and later)
    login: bool = False


R, C = "dr.rivera", "dr.chen"
F, M, X = "female", "male", "other"

ROSTER: tuple[DemoPatient, ...] = (
    # Assessed only (the dose plan is next).
    DemoPatient("Isla", "Moreno", F, 19, True, "assessed", R, 57.0, "moderate", 1, scarring=True,
                medications=("combined oral contraceptive",)),
    DemoPatient("Mateo", "Silva", M, 17, False, "assessed", C, 66.0, "very_severe", 2),
    DemoPatient("Priya", "Raman", F, 26, True, "assessed", R, 59.5, "moderate", 5,
                failed=("doxycycline", "adapalene_benzoyl_peroxide"), medications=("doxycycline 100 mg",)),
    # Assessed, not indicated.
    DemoPatient("Tom", "Becker", M, 23, False, "not_eligible", C, 78.0, "mild", 10),
    # Dose plan set, not started yet.
    DemoPatient("Elena", "Petrova", F, 21, True, "planned", R, 62.0, "severe", 3),
    DemoPatient("Kwame", "Mensah", M, 18, False, "planned", C, 74.0, "moderate", 8, scarring=True,
                product="absorica"),
    DemoPatient("Alex", "Morgan", X, 20, True, "planned", R, 63.5, "severe", 0, login=True),
    # On treatment, month 1..6.
    DemoPatient("Maya", "Lopez", F, 17, True, "month_1", R, 58.0, "severe", 4, login=True),
    DemoPatient("Ethan", "Brooks", M, 16, False, "month_1", C, 64.5, "very_severe", 12),
    DemoPatient("Sofia", "Nguyen", F, 22, True, "month_1", R, 61.0, "moderate", 27, scarring=True),
    DemoPatient("Liam", "Patel", M, 19, False, "month_2", C, 72.0, "severe", 9, missed=2, login=True),
    DemoPatient("Chloe", "Kim", F, 24, True, "month_2", R, 55.5, "moderate", 20,
                failed=("minocycline", "topical_retinoid"), conditions=("depression",), login=True),
    DemoPatient("Noah", "Schmidt", M, 15, False, "month_2", R, 60.0, "severe", 28),
    DemoPatient("Amara", "Okoye", F, 28, True, "month_3", C, 67.0, "severe", 6, target=150),
    DemoPatient("Lucas", "Rossi", M, 21, False, "month_3", R, 80.5, "very_severe", 15, missed=3),
    DemoPatient("Grace", "Whitman", F, 52, False, "month_3", C, 70.0, "moderate", 22, scarring=True,
                medications=("levothyroxine 50 mcg",)),
    DemoPatient("Jonah", "Fischer", M, 20, False, "month_4", R, 77.0, "severe", 3, product="absorica_ld"),
    DemoPatient("Leila", "Haddad", F, 18, True, "month_4", C, 54.0, "severe", 14, allergies=("penicillin",)),
    DemoPatient("Oscar", "Lindqvist", M, 25, False, "month_4", R, 83.0, "moderate", 26,
                failed=("lymecycline",)),
    DemoPatient("Olivia", "Hart", F, 31, False, "month_5", C, 64.0, "severe", 7),
    DemoPatient("Daniel", "Cohen", M, 17, False, "month_5", R, 69.5, "very_severe", 18, missed=2),
    DemoPatient("Aiko", "Tanaka", F, 23, True, "month_5", C, 52.5, "moderate", 27, scarring=True,
                product="absorica"),
    DemoPatient("Ryan", "O'Connor", M, 22, False, "month_6", R, 79.0, "severe", 5),
    DemoPatient("Zoe", "Dubois", F, 20, True, "month_6", C, 60.5, "severe", 16, target=150),
    DemoPatient("Marcus", "Green", M, 24, False, "month_6", R, 88.0, "very_severe", 25),
    # Treatment ended (post-treatment follow-up: tests one month after the last dose).
    DemoPatient("Hannah", "Weber", F, 27, True, "completed", R, 63.0, "severe", 12, target=150),
    DemoPatient("Samuel", "Adeyemi", M, 19, False, "completed", C, 75.0, "severe", 25, target=150),
    DemoPatient("Nora", "Jensen", F, 22, True, "completed", C, 58.5, "moderate", 33, target=150, scarring=True),
    DemoPatient("Felix", "Wagner", M, 26, False, "completed", R, 81.0, "very_severe", 70, target=150),
    # Paused (off treatment for now).
    DemoPatient("Ruby", "Clarke", F, 25, True, "paused", C, 60.0, "severe", 20, conditions=("depression",)),
)


def _birth_date(today: dt.date, age: int, index: int) -> dt.date:
    # Spread birthdays over the year so ages are not all "just turned".
    return today - dt.timedelta(days=age * 365 + age // 4 + (37 * index) % 330 + 10)


def _month(stage: str) -> int:
    return int(stage.split("_")[1]) if stage.startswith("month_") else 0


def _plan_for(plans: list[DosePlan], day: dt.date) -> DosePlan:
    started = [p for p in plans if p.starts_on <= day]
    return started[-1] if started else plans[0]


def _prescribe(*, course: Course, prescriber: User, plan: DosePlan, issued_on: dt.date, number: int) -> Prescription:
    rx = Prescription.objects.create(
        course=course, prescriber=prescriber, issued_on=issued_on, product=course.product,
        daily_dose_mg=plan.daily_dose_mg, capsules=plan.capsules, days_supply=DAYS_SUPPLY,
        ipledge_confirmation=f"DEMO-{course.pk:04d}-{number:02d}" if course.program == "us-ipledge" else "",
        recorded_by=prescriber,
    )
    audit_record(actor=prescriber, action="prescription.create", patient_id=course.patient_id, obj=rx,
                 detail={"issued_on": issued_on.isoformat(), "days_supply": DAYS_SUPPLY,
                         "daily_dose_mg": rx.daily_dose_mg, "demo": True})
    return rx


def _build_one(index: int, spec: DemoPatient, *, ctx: dict[str, Any], today: dt.date) -> dict[str, Any]:
    users: dict[str, User] = ctx["users"]
    prescriber = users[spec.prescriber]
    nurse = users.get("nurse.kim", prescriber)
    patient = services.patient_create(
        actor=prescriber, prescriber=prescriber, record_number=f"RD-{1001 + index}", given_name=spec.given,
        family_name=spec.family, birth_date=_birth_date(today, spec.age, index), sex=spec.sex, today=today,
        email=f"{spec.given.lower()}.{spec.family.lower().replace(chr(39), '')}@example.invalid",
        phone=f"+1-555-01{index:02d}",
    )
    course = services.course_create(actor=prescriber, patient=patient, product=spec.product,
                                     target_mg_per_kg=spec.target)

    # When things happened, counted back from today.
    month = _month(spec.stage)
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    pickups_count = 0
    if month:
        started_on = today - dt.timedelta(days=(month - 1) * DAYS_SUPPLY + spec.offset)
        pickups_count = month
    elif spec.stage == "completed":
        ended_on = today - dt.timedelta(days=spec.offset)
        started_on = ended_on - dt.timedelta(days=6 * DAYS_SUPPLY - 1)
        pickups_count = 6
    elif spec.stage == "paused":
        started_on = today - dt.timedelta(days=2 * DAYS_SUPPLY + spec.offset)
        pickups_count = 2
    if started_on is not None:
        assessed_on = started_on - dt.timedelta(days=24)
    elif spec.stage == "planned":
        assessed_on = today - dt.timedelta(days=7 + spec.offset)
    else:
        assessed_on = today - dt.timedelta(days=spec.offset)

    weight = Decimal(str(spec.weight))
    services.weight_record(actor=nurse, patient=patient, measured_on=assessed_on, weight_kg=weight, today=today)
    grades = dict(zip(_REGIONS, GAGS_SETS[spec.acne], strict=True))
    services.assessment_record(
        actor=prescriber, course=course, assessed_on=assessed_on, today=today, gags=grades,
        iga=4 if spec.acne in ("severe", "very_severe") else (3 if spec.acne == "moderate" else 2),
        scarring=spec.scarring, psychosocial_burden=spec.acne == "moderate" and not spec.scarring,
        failed_therapies=list(spec.failed), medications=list(spec.medications), allergies=list(spec.allergies),
        conditions=list(spec.conditions),
        notes="Synthetic demo patient." if spec.stage != "not_eligible" else
        "Mild acne; continue topical therapy and review in 3 months.",
    )

    plans: list[DosePlan] = []
    if spec.stage not in ("assessed", "not_eligible"):
        # A planned course starts in the coming days (today, when its first prescription is out).
        plan_start = started_on or (today + dt.timedelta(days=0 if spec.offset == 0 else 14 - spec.offset))
        plans.append(services.dose_plan_record(actor=prescriber, course=course, starts_on=plan_start,
                                               weight_kg=weight, mg_per_kg=Decimal("0.5"),
                                               target_mg_per_kg=spec.target, today=today))
    if started_on is not None:
        services.course_status_change(actor=prescriber, course=course, status="active", on=started_on,
                                      today=today)
        if pickups_count >= 3:
            # Tolerated well: weighed again and stepped up to 1.0 mg/kg from the third month.
            change_on = started_on + dt.timedelta(days=2 * DAYS_SUPPLY)
            new_weight = weight + Decimal("1.5") if index % 2 else weight - Decimal("1.0")
            services.weight_record(actor=nurse, patient=patient, measured_on=change_on - dt.timedelta(days=2),
                                   weight_kg=new_weight, today=today)
            plans.append(services.dose_plan_record(actor=prescriber, course=course, starts_on=change_on,
                                                   weight_kg=new_weight, mg_per_kg=Decimal("1.0"),
                                                   target_mg_per_kg=spec.target, today=today))

    prescriptions: list[Prescription] = []
    pickups: list[tuple[Prescription, dt.date]] = []
    open_rx: Prescription | None = None
    if started_on is not None:
        for number in range(pickups_count):
            picked_up = started_on + dt.timedelta(days=number * DAYS_SUPPLY)
            rx = _prescribe(course=course, prescriber=prescriber, plan=_plan_for(plans, picked_up),
                            issued_on=picked_up - dt.timedelta(days=1), number=number + 1)
            prescriptions.append(rx)
            pickups.append((rx, picked_up))
        if spec.missed:
            services.missed_dose_record(actor=nurse, course=course,
                                        first_day=started_on + dt.timedelta(days=12),
                                        days=spec.missed, today=today, note="Forgot while travelling.")
        if month and month < 6 and spec.offset >= 26:
            # The supply runs out in a few days: next month's prescription is waiting at the pharmacy.
            open_rx = _prescribe(course=course, prescriber=prescriber, plan=_plan_for(plans, today),
                                 issued_on=today - dt.timedelta(days=1), number=pickups_count + 1)
            prescriptions.append(open_rx)
    elif spec.stage == "planned" and spec.offset == 0:
        # First prescription issued today, not yet picked up.
        open_rx = _prescribe(course=course, prescriber=prescriber, plan=plans[0], issued_on=today, number=1)
        prescriptions.append(open_rx)

    if spec.stage == "completed" and ended_on is not None:
        services.course_status_change(actor=prescriber, course=course, status="completed", on=ended_on,
                                      today=today, reason="Acne clear; cumulative dose close to the target.")
    elif spec.stage == "paused":
        services.course_status_change(actor=prescriber, course=course, status="paused",
                                      on=today - dt.timedelta(days=spec.offset), today=today,
                                      reason="Low mood reported; paused pending review.")
    course.refresh_from_db()

    login: str | None = None
    if spec.login:
        login = f"patient.{spec.given.lower()}"
        account = User.objects.create_user(
            username=login, password=DEMO_PASSWORD, role=Role.PATIENT, first_name=spec.given,
            last_name=spec.family, email=patient.email,
        )
        Patient.objects.filter(pk=patient.pk).update(user=account)
        patient.user = account
        ctx["patient_users"][login] = account

    return {
        "course": course, "patient": patient, "prescriber": prescriber, "stage": spec.stage,
        "can_get_pregnant": spec.can_get_pregnant, "started_on": started_on, "ended_on": ended_on,
        "assessed_on": assessed_on, "prescriptions": prescriptions, "pickups": pickups,
        "open_prescription": open_rx, "login": login,
    }


def build(ctx: dict[str, Any]) -> None:
    today = ctx.setdefault("today", clock.today())
    ctx.setdefault("patient_users", {})
    entries = [_build_one(index, spec, ctx=ctx, today=today) for index, spec in enumerate(ROSTER)]
    by_stage: dict[str, list[dict[str, Any]]] = {stage: [] for stage in STAGES}
    for entry in entries:
        by_stage[entry["stage"]].append(entry)
    ctx["patients"] = [entry["patient"] for entry in entries]
    ctx["courses"] = entries
    ctx["courses_by_stage"] = by_stage
    ctx["pickups"] = sorted((pickup for entry in entries for pickup in entry["pickups"]),
                            key=lambda item: (item[1], item[0].pk))
    ctx["open_prescriptions"] = [entry["open_prescription"] for entry in entries if entry["open_prescription"]]
    out = ctx.get("stdout")
    if out is not None:
        out.write(f"  courses: {len(entries)} patients, {len(ctx['pickups'])} pick-ups, "
                  f"{len(ctx['open_prescriptions'])} open prescriptions")
