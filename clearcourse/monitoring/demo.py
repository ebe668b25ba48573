"""Demo safety-monitoring records for the courses builder's patients (``ctx["courses"]``).

Every record goes through the services (validated, scored by the rules core, audited), written by the
course's prescriber or the demo nurse. What the demo clinic's worklist then shows:

- lab results for every course that has started: a baseline before the first dose and a recheck a
  month in, with triglycerides above the clinic thresholds for three patients (one urgent, above
  9 mmol/L) and an ALT above 3x the upper limit of normal for one;
- PHQ-9 questionnaires every month (some patients are behind, so screens are due), with one urgent
  screen (item 9 answered) left unacknowledged and one moderate screen acknowledged;
- side effects: dry lips for most, and one red flag (severe headache with vision changes) left open;
- reminders scheduled for every followed course, a calendar link for one demo patient.

Adds ``ctx["monitoring"]`` = ``{"urgent_mood": Course, "red_flag": Course, "tg_urgent": Course,
"calendar_token": str}`` for later builders and tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from clearcourse.accounts.models import User
from clearcourse.monitoring import ical, reminders, services, worklist_store
from clearcourse.monitoring.models import Alert

ON_TREATMENT = ("month_1", "month_2", "month_3", "month_4", "month_5", "month_6", "completed", "paused")

# (stage, index within stage) -> special triglycerides (value, unit) at the one-month recheck.
TG_HIGH = {("month_3", 0): ("560", "mg/dL"), ("month_5", 0): ("9.4", "mmol/L"), ("month_4", 0): ("5.3", "mmol/L")}
ALT_HIGH = {("month_6", 0): "130"}


def _lab(actor: User, course: Any, today: dt.date, on: dt.date, tg: tuple[str, str] = ("120", "mg/dL"),
         alt: str = "24") -> None:
    services.lab_result_record(actor=actor, course=course, loinc="2571-8", value=Decimal(tg[0]), unit=tg[1],
                               collected_on=on, today=today)
    services.lab_result_record(actor=actor, course=course, loinc="2093-3", value=Decimal("170"), unit="mg/dL",
                               collected_on=on, today=today)
    services.lab_result_record(actor=actor, course=course, loinc="1742-6", value=Decimal(alt), unit="U/L",
                               uln=Decimal("40"), collected_on=on, today=today)


def _phq9(actor: User, course: Any, today: dt.date, on: dt.date, answers: list[int]) -> Any:
    return services.mood_screen_record(actor=actor, course=course, instrument="phq9", answers=answers,
                                       screened_on=on, today=today, completed_by="patient")


def build(ctx: dict[str, Any]) -> None:
    entries: list[dict[str, Any]] = ctx.get("courses") or []
    if not entries:
        return
    today: dt.date = ctx["today"]
    nurse: User = ctx["users"].get("nurse.kim")
    stage_index: dict[str, int] = {}
    special: dict[str, Any] = {}
    for entry in entries:
        stage = entry["stage"]
        position = stage_index.get(stage, 0)
        stage_index[stage] = position + 1
        course, prescriber = entry["course"], entry["prescriber"]
        staff = nurse or prescriber
        started_on: dt.date | None = entry["started_on"]
        if started_on is None:
            if stage == "planned":
                # Baseline labs drawn at the planning visit.
                _lab(staff, course, today, entry["assessed_on"])
            continue
        if stage not in ON_TREATMENT:
            continue
        baseline = max(started_on - dt.timedelta(days=7), entry["assessed_on"])
        _lab(staff, course, today, baseline)
        _phq9(prescriber, course, today, baseline, [0, 1, 0, 1, 0, 0, 0, 0, 0])
        if started_on + dt.timedelta(days=30) <= today:
            _lab(staff, course, today, started_on + dt.timedelta(days=30), tg=("150", "mg/dL"), alt="31")
        # The dose steps up at day 60; its recheck a month later is on file for two patients in three
        # (the third shows as overdue on the worklist).
        if started_on + dt.timedelta(days=90) <= today and position % 3 != 1:
            _lab(staff, course, today, started_on + dt.timedelta(days=90), tg=("165", "mg/dL"), alt="33")
        if (stage, position) in TG_HIGH or (stage, position) in ALT_HIGH:
            # This week's extra check, above the clinic's thresholds.
            _lab(staff, course, today, today - dt.timedelta(days=2),
                 tg=TG_HIGH.get((stage, position), ("170", "mg/dL")), alt=ALT_HIGH.get((stage, position), "30"))
            if (stage, position) == ("month_5", 0):
                special["tg_urgent"] = course
        # Monthly PHQ-9 for the months passed; every third patient is one screen behind (due on the worklist).
        months = min((today - started_on).days // 30, 6)
        for month in range(1, months + (0 if position % 3 == 2 else 1)):
            on = started_on + dt.timedelta(days=30 * month)
            if on > today:
                break
            _phq9(prescriber, course, today, on, [1, 1, 0, 1, 0, 0, 0, 0, 0])
        services.side_effect_report(actor=prescriber, course=course, symptoms={"cheilitis": "mild", "xerosis": "mild"},
                                    reported_on=min(started_on + dt.timedelta(days=14), today), today=today)
    # The programs builder's situation patients: baseline labs and mood on file, so their worklist rows
    # are about the program (windows, tests) rather than missing baselines.
    for course in (ctx.get("ppp") or {}).get("situations", {}).values():
        course.refresh_from_db()
        if course.started_on is not None:
            on = max(course.started_on - dt.timedelta(days=3), course.patient.birth_date)
            _lab(nurse or course.prescriber, course, today, min(on, today))
            _phq9(course.prescriber, course, today, min(on, today), [0, 0, 1, 0, 0, 0, 0, 0, 0])

    def pick(stage: str, position: int = 0) -> Any | None:
        group = [e for e in entries if e["stage"] == stage]
        return group[position]["course"] if len(group) > position else None

    urgent = pick("month_2")
    if urgent is not None:
        # Item 9 answered "several days": urgent, left for a prescriber to acknowledge.
        _phq9(urgent.prescriber, urgent, today, today, [1, 2, 1, 1, 0, 1, 1, 0, 1])
        special["urgent_mood"] = urgent
    moderate = pick("month_4")
    if moderate is not None:
        screen = _phq9(moderate.prescriber, moderate, today, today - dt.timedelta(days=3), [2, 2, 1, 2, 1, 1, 1, 1, 0])
        for alert in Alert.objects.filter(mood_screen=screen):
            services.alert_acknowledge(actor=moderate.prescriber, alert=alert,
                                       note="Discussed at the visit; coping, no self-harm thoughts. Rescreen in 2 weeks.")
    red_flag = pick("month_3", 1) or pick("month_3")
    if red_flag is not None:
        services.side_effect_report(actor=red_flag.prescriber, course=red_flag,
                                    symptoms={"headache": "severe", "vision_change": "moderate"},
                                    reported_on=today, onset=today - dt.timedelta(days=2), today=today,
                                    note="Headache for two days, blurred vision this morning.")
        special["red_flag"] = red_flag

    # Courses the demo dispensed over their cumulative target get the alert a dispense would have raised.
    for entry in entries:
        services.cumulative_target_alert(course_id=entry["course"].pk, today=today)
    scheduled = reminders.reminders_schedule_all(today=today)
    # The worklist page reads stored rows: compute them for every demo course now (the services also
    # refresh each course after the demo's transaction commits, which later builders rely on).
    worklist_store.worklist_refresh_all(today=today)
    first_login = next((e for e in entries if e.get("login") and e["started_on"]), None)
    if first_login is not None:
        special["calendar_token"] = ical.calendar_token_create(actor=first_login["prescriber"],
                                                               patient=first_login["patient"])
    ctx["monitoring"] = special
    out = ctx.get("stdout")
    if out is not None:
        open_alerts = Alert.objects.filter(acknowledgement__isnull=True).count()
        out.write(f"  monitoring: {open_alerts} open alerts, {scheduled} reminders scheduled")
        if "calendar_token" in special:
            out.write(f"  calendar feed for {first_login['patient'].full_name if first_login else ''}: "
                      f"/monitoring/calendar/{special['calendar_token']}.ics")
