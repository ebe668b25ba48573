from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from icalendar import Calendar

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import NotFoundError, PermissionDeniedError
from clearcourse.courses.models import Course
from clearcourse.monitoring import ical
from clearcourse.monitoring.models import CalendarFeedToken


@pytest.fixture
def starting_course(active_course, today):
    # Starts next week: the baseline labs and mood screen are due on the first day.
    Course.objects.filter(pk=active_course.pk).update(status="planned", started_on=today + dt.timedelta(days=7))
    active_course.refresh_from_db()
    return active_course


def test_the_feed_is_a_valid_calendar_of_upcoming_due_dates(client, prescriber, starting_course, today, settings):
    token = ical.calendar_token_create(actor=prescriber, patient=starting_course.patient)
    response = client.get(reverse("monitoring:calendar_feed", kwargs={"token": token}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    summaries = {str(e["SUMMARY"]) for e in events}
    assert {"Blood tests due", "Monthly questionnaire due"} <= summaries
    starts = {e.decoded("DTSTART") for e in events}
    assert today + dt.timedelta(days=7) in starts
    assert all(isinstance(e.decoded("DTSTART"), dt.date) for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)
    # Nothing clinical beyond "what is due": no drug name, no results.
    assert b"isotretinoin" not in response.content.lower()
    assert AuditEntry.objects.filter(action="calendar.feed", patient_id=starting_course.patient_id).exists()


def test_only_a_hash_of_the_token_is_stored(prescriber, starting_course):
    token = ical.calendar_token_create(actor=prescriber, patient=starting_course.patient)
    stored = CalendarFeedToken.objects.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert len(token) >= 40  # 256 bits, URL-safe


def test_a_revoked_token_answers_404(client, prescriber, starting_course):
    token = ical.calendar_token_create(actor=prescriber, patient=starting_course.patient)
    ical.calendar_token_revoke(actor=prescriber, token=CalendarFeedToken.objects.get())
    assert client.get(reverse("monitoring:calendar_feed", kwargs={"token": token})).status_code == 404


@pytest.mark.parametrize("guess", ["x", "a" * 43, "", "../../etc/passwd"])
def test_guessing_a_token_fails(client, prescriber, starting_course, guess):
    ical.calendar_token_create(actor=prescriber, patient=starting_course.patient)
    assert client.get(f"/monitoring/calendar/{guess}.ics").status_code == 404


def test_a_near_miss_of_a_real_token_fails(client, prescriber, starting_course):
    token = ical.calendar_token_create(actor=prescriber, patient=starting_course.patient)
    near = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(reverse("monitoring:calendar_feed", kwargs={"token": near})).status_code == 404


def test_the_patient_may_create_their_own_link_but_not_for_someone_else(patient_user, other_patient, patient):
    assert ical.calendar_token_create(actor=patient_user, patient=patient)
    with pytest.raises(NotFoundError):
        ical.calendar_token_create(actor=patient_user, patient=other_patient)


def test_a_pharmacist_cannot_create_a_link(pharmacist, patient):
    with pytest.raises(PermissionDeniedError):
        ical.calendar_token_create(actor=pharmacist, patient=patient)


def test_the_feed_speaks_the_patients_language(client, prescriber, starting_course):
    from clearcourse.courses.models import Patient

    Patient.objects.filter(pk=starting_course.patient_id).update(preferred_language="de")
    token = ical.calendar_token_create(actor=prescriber, patient=starting_course.patient)
    cal = Calendar.from_ical(client.get(reverse("monitoring:calendar_feed", kwargs={"token": token})).content)
    assert cal.walk("VEVENT")  # translations may be missing; the feed must still build
