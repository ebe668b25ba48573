"""Issue 12, done when: every demo course's state (rules.course_state) is drawn with the same numbers and the
same status on every page and export that shows it: the course page, the program page, the worklist, the
patient's portal, the PDF summary (its HTML text) and the FHIR CarePlan."""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _testid(html: str, name: str) -> str | None:
    found = re.search(rf'data-testid="{name}">([^<]*)<', html)
    return found.group(1).strip() if found else None


def _expected(state: Any) -> dict[str, str | None]:
    dose = state.dose
    return {
        "state-cumulative": (f"{floatformat(dose.cumulative_mg_per_kg, '-1')} mg/kg"
                             if dose.cumulative_mg_per_kg is not None else "-"),
        "state-percent": f"{state.percent_of_target}% of target" if state.percent_of_target is not None else None,
    }


def _sign_in(client: Client, user: Any) -> None:
    """Signed in with the second factor passed, as the demo's staff have one."""
    from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = next(iter(devices_for_user(user, confirmed=True)), None)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def _drawn(html: str) -> dict[str, str | None]:
    return {"state-cumulative": _testid(html, "state-cumulative"), "state-percent": _testid(html, "state-percent")}


def test_every_demo_course_shows_the_same_state_everywhere(client: Client, today: Any) -> None:
    from clearcourse.accounts.models import Role, User
    from clearcourse.courses.models import Course
    from clearcourse.courses.state import course_state
    from clearcourse.interop import codes
    from clearcourse.interop.fhir_export import build_bundle
    from clearcourse.interop.selectors import course_export_input
    from clearcourse.monitoring import worklist_store
    from clearcourse.monitoring.models import Alert, WorklistEntry
    from clearcourse.portal.pdf import course_summary_context
    from clearcourse.ppp import labels
    from clearcourse.rules.course_state import PLAN_END

    call_command("demo", stdout=StringIO())
    worklist_store.worklist_refresh_all(today=today)
    courses = list(Course.objects.select_related("patient", "prescriber").order_by("pk"))
    assert len(courses) > 20
    seen_end_due = seen_passed = 0
    for course in courses:
        state = course_state(course, on=today)
        expected = _expected(state)
        where = f"course {course.pk}"
        # One status: a course with a dispense is on treatment on every page (it became active when dispensed).
        assert state.status == course.status, where
        _sign_in(client, course.prescriber)

        response = client.get(reverse("courses:course_detail", args=[course.pk]))
        assert response.status_code == 200, (where, response.status_code, response.get("Location"))
        page = response.content.decode()
        assert _drawn(page) == expected, (where, "course page")
        assert ('data-testid="target-status"' in page) == state.dose.target_reached, (where, "course page")

        if state.program is not None:
            program = client.get(reverse("ppp:course_status", args=[course.pk])).content.decode()
            assert _drawn(program) == expected, (where, "program page")
            assert ('data-testid="target-status"' in program) == state.dose.target_reached, (where, "program page")
            assert _testid(program, "state-phase") == str(labels.PHASE_LABELS[state.phase]), (where, "program page")
            if state.end_due:
                assert "Write a new prescription." not in program, (where, "program page asks for a prescription")

        entry = WorklistEntry.objects.filter(course=course).first()
        item_codes = {i["code"] for i in (entry.items if entry else [])}
        if state.end_due and state.program is not None and entry is not None and entry.items is not None \
                and course.status in ("active", "paused"):
            seen_end_due += 1
            assert f"program:{PLAN_END}" in item_codes, (where, "worklist")
            assert "program:visit" not in item_codes, (where, "worklist asks for the next prescription")
        else:
            assert f"program:{PLAN_END}" not in item_codes, (where, "worklist")

        patient = course.patient
        if patient.user is None:
            patient.user = User.objects.create_user(username=f"patient-{patient.pk}", password="x",
                                                    role=Role.PATIENT)
            patient.save(update_fields=["user"])
        _sign_in(client, patient.user)
        portal = client.get(reverse("portal:course_home", args=[course.pk])).content.decode()
        assert _drawn(portal) == expected, (where, "portal")
        assert ('data-testid="target-status"' in portal) == state.dose.target_reached, (where, "portal")

        pdf_text = render_to_string("portal/pdf/summary.html", course_summary_context(course, today=today))
        assert _drawn(pdf_text) == expected, (where, "PDF summary")
        assert ('data-testid="target-status"' in pdf_text) == state.dose.target_reached, (where, "PDF summary")

        bundle = build_bundle(course_export_input(course))
        care_plan = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan")
        extensions = {x["url"]: x for x in care_plan["extension"]}
        assert extensions[codes.EXT_COURSE_STATUS]["valueCode"] == state.status, (where, "FHIR")
        assert extensions[codes.EXT_TARGET_STATUS]["valueCode"] == str(state.target_status), (where, "FHIR")
        if state.dose.cumulative_mg_per_kg is not None:
            assert (Decimal(str(extensions[codes.EXT_CUMULATIVE_MG_PER_KG]["valueQuantity"]["value"]))
                    == state.dose.cumulative_mg_per_kg), (where, "FHIR")

        passed_alerts = Alert.objects.filter(course=course, code="cumulative_target_passed").count()
        if state.running and state.dose.target_passed:
            seen_passed += 1
            assert passed_alerts == 1, (where, "one alert when the target is passed")
    # The demo has courses at and over their target (issue 12: demo course 25).
    assert seen_end_due >= 1 and seen_passed >= 1
