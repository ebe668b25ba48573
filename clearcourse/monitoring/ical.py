"""A private iCalendar feed per patient: upcoming due dates at an unguessable, revocable URL.

The URL carries a random token (256 bits from :func:`secrets.token_urlsafe`); only its SHA-256 is
stored, so a copy of the database does not reveal working links. Revoking stamps ``revoked_at``; a
revoked or unknown token answers 404, the same for both, so a guesser learns nothing.
The events say what is due and when, never results or the drug's name (calendars get shared).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core import clock
from clearcourse.core.errors import NotFoundError, PermissionDeniedError
from clearcourse.courses.models import Course, Patient
from clearcourse.courses.selectors import patients_visible_to
from clearcourse.monitoring.models import CalendarFeedToken, ReminderKind
from clearcourse.monitoring.reminders import due_dates

FEED_HORIZON_DAYS = 120
ONLY_STAFF_OR_PATIENT = "Only the patient or the clinic's staff can manage calendar links."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_patient_access(actor: User, patient: Patient) -> None:
    if actor.role not in (Role.PRESCRIBER, Role.DELEGATE, Role.PATIENT):
        raise PermissionDeniedError(_(ONLY_STAFF_OR_PATIENT), code="not_allowed")
    if not patients_visible_to(actor).filter(pk=patient.pk).exists():
        raise NotFoundError()


@transaction.atomic
def calendar_token_create(*, actor: User, patient: Patient) -> str:
    """A new calendar link for ``patient``; returns the raw token (shown once, never stored)."""
    _require_patient_access(actor, patient)
    token = secrets.token_urlsafe(32)
    record = CalendarFeedToken.objects.create(patient=patient, token_hash=hash_token(token), created_by=actor)
    audit_record(actor=actor, action="calendar_token.create", patient_id=patient.pk, obj=record)
    return token


@transaction.atomic
def calendar_token_revoke(*, actor: User, token: CalendarFeedToken) -> CalendarFeedToken:
    _require_patient_access(actor, token.patient)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="calendar_token.revoke", patient_id=token.patient_id, obj=token)
    return token


def active_token_for(raw: str) -> CalendarFeedToken | None:
    if not raw or len(raw) > 200:
        return None
    return (CalendarFeedToken.objects.select_related("patient")
            .filter(token_hash=hash_token(raw), revoked_at__isnull=True).first())


def _summary(kind: str) -> str:
    labels: dict[str, str] = {
        ReminderKind.PREGNANCY_TEST: _("Pregnancy test due"),
        ReminderKind.LAB_DUE: _("Blood tests due"),
        ReminderKind.MONTHLY_QUESTIONS: _("Monthly questions due"),
        ReminderKind.MOOD_SCREEN: _("Monthly questionnaire due"),
    }
    return labels.get(kind, _("Clinic step due"))


def feed_for_token(raw: str, *, today: dt.date) -> bytes:
    """The calendar for a token, or NotFoundError (unknown and revoked tokens look the same)."""
    token = active_token_for(raw)
    if token is None:
        raise NotFoundError()
    patient = token.patient
    courses = list(Course.objects.filter(patient=patient).select_related("patient", "clinic"))
    items = [d for d in due_dates(courses, today=today, horizon_days=FEED_HORIZON_DAYS) if d.due >= today]
    cal = Calendar()
    cal.add("prodid", "-//ClearCourse//Due dates//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    stamp = clock.now()
    with translation.override(patient.preferred_language or settings.LANGUAGE_CODE):
        cal.add("x-wr-calname", _("My clinic dates"))
        for item in items:
            event = Event()
            event.add("uid", f"{item.course.pk}-{item.kind}-{item.due.isoformat()}@clearcourse")
            event.add("dtstamp", stamp)
            event.add("dtstart", item.due)
            event.add("dtend", item.due + dt.timedelta(days=1))
            event.add("summary", _summary(item.kind))
            event.add("description", _("Sign in to ClearCourse to see what to do."))
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
    with transaction.atomic():
        # A calendar app reading the feed is a read of the record: audited, with no signed-in actor.
        audit_record(actor=None, action="calendar.feed", patient_id=patient.pk, obj=token,
                     detail={"events": len(items)})
    return cal.to_ical()
