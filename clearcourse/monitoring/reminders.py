"""Patient reminders: scheduling (idempotent) and a database-backed sender that sends each one once.

Scheduling turns what the rules core says is due (labs, mood screens, and, from the programs app,
pregnancy tests and monthly questions) into :class:`~clearcourse.monitoring.models.Reminder` rows,
one per due item and channel; a unique ``dedupe_key`` makes running it again harmless.

Sending follows healthchecks' ``sendalerts``: a worker claims a row with a conditional UPDATE
(``status`` pending -> sending WHERE status = pending) and only sends when that UPDATE changed exactly
one row. Two workers can race for the same row; the database lets one of them win. A failure puts the
row back to pending with a later ``next_attempt_at`` (exponential backoff) until ``MAX_ATTEMPTS``.
A worker that dies between claiming and marking sent leaves the row in ``sending``; such rows are
never resent automatically (that could send twice) but marked failed after ``STALE_CLAIM`` so staff
see them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import OperationalError
from django.db.models import F
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Pharmacy, Role, User
from clearcourse.core import clock
from clearcourse.core.dates import show_date
from clearcourse.courses.models import Course, Patient
from clearcourse.monitoring import config as monitoring_config
from clearcourse.monitoring import programs_bridge
from clearcourse.monitoring.models import Channel, Reminder, ReminderKind, ReminderStatus
from clearcourse.monitoring.selectors import SCHEDULED_STATUSES, course_schedule, load_course_facts
from clearcourse.ppp.selectors import CertificationState, certification_status, notice_days
from clearcourse.rules import monitoring as rules_monitoring

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 5
BACKOFF_BASE = dt.timedelta(minutes=5)
STALE_CLAIM = dt.timedelta(minutes=30)
SEND_HOUR = 9  # reminders go out at 09:00 local time
#: Overdue items older than this get no new reminder (the clinic's worklist shows them instead).
OVERDUE_REMIND_DAYS = 7
#: How far ahead due dates are turned into reminders.
HORIZON_DAYS = 45

_KIND_BY_CHECK = {
    rules_monitoring.Check.LIPIDS: ReminderKind.LAB_DUE,
    rules_monitoring.Check.LIVER: ReminderKind.LAB_DUE,
    rules_monitoring.Check.CBC: ReminderKind.LAB_DUE,
    rules_monitoring.Check.MOOD: ReminderKind.MOOD_SCREEN,
}


# ---------------------------------------------------------------------------------------------
# SMS behind an interface
# ---------------------------------------------------------------------------------------------


class SmsSender(Protocol):
    """Sends one text message; raises on failure (the worker retries)."""

    def send(self, *, to: str, body: str) -> None: ...


class ConsoleSmsSender:
    """The default: writes the message to the log instead of sending it (development and demo)."""

    def send(self, *, to: str, body: str) -> None:
        logger.warning("SMS to %s: %s", to, body)


def default_sms_sender() -> SmsSender:
    """The sender named by ``CLEARCOURSE_SMS_SENDER`` (a dotted path to a class), else the console one."""
    path = getattr(settings, "CLEARCOURSE_SMS_SENDER", "") or os.environ.get("CLEARCOURSE_SMS_SENDER", "")
    if not path:
        return ConsoleSmsSender()
    sender: SmsSender = import_string(path)()
    return sender


# ---------------------------------------------------------------------------------------------
# Scheduling
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueDate:
    course: Course
    kind: str
    due: dt.date
    code: str  # what exactly is due (a check, or a program action), for calendar UIDs


def due_dates(courses: Sequence[Course], *, today: dt.date, horizon_days: int = HORIZON_DAYS) -> list[DueDate]:
    """What is due for ``courses`` from ``today - OVERDUE_REMIND_DAYS`` to ``today + horizon_days``."""
    until = today + dt.timedelta(days=horizon_days)
    since = today - dt.timedelta(days=OVERDUE_REMIND_DAYS)
    scheduled = [c for c in courses if c.status in SCHEDULED_STATUSES]
    if not scheduled:
        return []
    configs = monitoring_config.effective_configs({(c.clinic_id, c.clinic.program) for c in scheduled})
    facts = load_course_facts(scheduled)
    found: list[DueDate] = []
    for course in scheduled:
        schedule = course_schedule(course, facts[course.pk], configs[course.clinic_id], today)
        if schedule is None:
            continue
        for item in schedule.items:
            kind = _KIND_BY_CHECK.get(item.check)
            if kind is not None and since <= item.due <= until:
                found.append(DueDate(course, kind, item.due, f"{item.check.value}-{item.occasion.value}"))
    programs = programs_bridge.program_items(scheduled, as_of=today, until=until)
    for entry in programs.items:
        if entry.due < since:
            continue
        if entry.kind == "questions":
            found.append(DueDate(entry.course, ReminderKind.MONTHLY_QUESTIONS, entry.due, entry.code))
        elif entry.code.endswith("pregnancy_test") or entry.code.startswith("window:"):
            found.append(DueDate(entry.course, ReminderKind.PREGNANCY_TEST, entry.due, entry.code))
    # One reminder per kind and day: two lab checks due the same day are one trip to the lab.
    unique: dict[tuple[int, str, dt.date], DueDate] = {}
    for entry_due in sorted(found, key=lambda d: (d.course.pk, d.due, d.kind, d.code)):
        unique.setdefault((entry_due.course.pk, entry_due.kind, entry_due.due), entry_due)
    return list(unique.values())


def _send_at(due: dt.date, days_before: int, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """``days_before`` the due day at SEND_HOUR on the clinic's wall clock (never in the past)."""
    day = due - dt.timedelta(days=days_before)
    when = clock.local_datetime(day, dt.time(SEND_HOUR), tz)
    return max(when, now)


def dedupe_key(course_id: int, kind: str, due: dt.date, channel: str) -> str:
    return f"{course_id}:{kind}:{due.isoformat()}:{channel}"


def _channels(patient: Patient) -> list[str]:
    channels: list[str] = []
    if patient.email:
        channels.append(Channel.EMAIL)
    if patient.phone:
        channels.append(Channel.SMS)
    return channels


def reminders_schedule(*, courses: Iterable[Course], today: dt.date, now: dt.datetime | None = None) -> int:
    """Create the reminders ``courses`` need; already scheduled ones are left alone. Returns how many
    were created. Safe to run as often as you like (and from two processes: the key is unique)."""
    now = now or clock.now()
    course_list = list(courses)
    if not course_list:
        return 0
    configs = monitoring_config.effective_configs({(c.clinic_id, c.clinic.program) for c in course_list})
    wanted: list[Reminder] = []
    for item in due_dates(course_list, today=today):
        course = item.course
        days_before = configs[course.clinic_id].reminder_days_before
        for channel in _channels(course.patient):
            send_at = _send_at(item.due, days_before, now, clock.zone_of(course.clinic))
            wanted.append(Reminder(
                patient_id=course.patient_id, course=course, kind=item.kind, due_on=item.due, due_at=send_at,
                channel=channel, next_attempt_at=send_at,
                dedupe_key=dedupe_key(course.pk, item.kind, item.due, channel),
            ))
    # Pending reminders for something no longer due (the lab was drawn early, the course changed) are
    # cancelled; the conditional UPDATE never touches a row a worker has already claimed.
    Reminder.objects.filter(course__in=course_list, status=ReminderStatus.PENDING).exclude(
        dedupe_key__in=[r.dedupe_key for r in wanted]).update(
        status=ReminderStatus.CANCELLED, last_error="no longer due")
    if not wanted:
        return 0
    existing = set(Reminder.objects.filter(dedupe_key__in=[r.dedupe_key for r in wanted])
                   .values_list("dedupe_key", flat=True))
    new = [r for r in wanted if r.dedupe_key not in existing]
    # ignore_conflicts: a concurrent scheduler may insert the same key between the read and the write.
    Reminder.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def reminders_schedule_for_course(*, course: Course, today: dt.date, now: dt.datetime | None = None) -> int:
    return reminders_schedule(courses=[course], today=today, now=now)


CERT_KEY_PREFIX = "cert:"


def _staff_reminder(*, recipient: Any, due: dt.date, send_from: dt.date, key: str, now: dt.datetime,
                    tz: dt.tzinfo) -> Reminder | None:
    if not recipient.email:
        return None
    send_at = max(clock.local_datetime(send_from, dt.time(SEND_HOUR), tz), now)
    return Reminder(recipient=recipient, kind=ReminderKind.CERTIFICATION, due_on=due, due_at=send_at,
                    channel=Channel.EMAIL, next_attempt_at=send_at, dedupe_key=f"{key}:{recipient.pk}:email"[:120])


def certification_reminders_schedule(*, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """One email to each prescriber whose program enrolment lapses within the notice period, and to each
    pharmacist of a pharmacy whose enrolment or yearly staff-training attestation does, on the first day of
    that period at nine on their clinic's or pharmacy's wall clock. Once per expiry date (the dedupe key
    names it), so a renewal recorded later, with a new expiry, is reminded again in its turn."""

    now = now or clock.now()
    wanted: list[Reminder] = []
    renew = (CertificationState.RENEW, CertificationState.ACTIVE)
    for user in (User.objects.filter(role=Role.PRESCRIBER, is_active=True, clinic__isnull=False)
                 .select_related("clinic")):
        assert user.clinic is not None  # noqa: S101 - filtered above
        zone = clock.zone_of(user.clinic)
        day = today or clock.today_in(zone)
        status = certification_status(program=user.clinic.program, on=day, prescriber_id=user.pk)
        cert = status.certification
        if status.state in renew and status.renew_from is not None and cert.expires is not None \
                and status.renew_from <= day + dt.timedelta(days=HORIZON_DAYS):
            found = _staff_reminder(recipient=user, due=cert.expires, send_from=status.renew_from, now=now, tz=zone,
                                    key=f"{CERT_KEY_PREFIX}prescriber:{user.pk}:{cert.expires.isoformat()}")
            if found is not None:
                wanted.append(found)
    for pharmacy in Pharmacy.objects.all():
        zone = clock.zone_of(pharmacy)
        day = today or clock.today_in(zone)
        status = certification_status(program=pharmacy.program, on=day, pharmacy_id=pharmacy.pk)
        cert = status.certification
        items: list[tuple[dt.date, dt.date, str]] = []
        if status.state in renew and status.renew_from is not None and cert.expires is not None:
            items.append((cert.expires, status.renew_from, f"{CERT_KEY_PREFIX}pharmacy:{pharmacy.pk}"))
        training = status.training
        if training is not None and training.required and training.covers_through is not None:
            items.append((training.covers_through, training.covers_through - dt.timedelta(days=_notice_days()),
                          f"{CERT_KEY_PREFIX}training:{pharmacy.pk}"))
        # People, not the API tokens' service identities (they have no mailbox).
        pharmacists = list(User.objects.filter(role=Role.PHARMACIST, pharmacy=pharmacy, is_active=True,
                                               api_token__isnull=True))
        for due, send_from, key in items:
            if send_from > day + dt.timedelta(days=HORIZON_DAYS) or due < day:
                continue
            for user in pharmacists:
                found = _staff_reminder(recipient=user, due=due, send_from=send_from, now=now, tz=zone,
                                        key=f"{key}:{due.isoformat()}")
                if found is not None:
                    wanted.append(found)
    if not wanted:
        return 0
    existing = set(Reminder.objects.filter(dedupe_key__in=[r.dedupe_key for r in wanted])
                   .values_list("dedupe_key", flat=True))
    new = [r for r in wanted if r.dedupe_key not in existing]
    Reminder.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _notice_days() -> int:

    return notice_days()


def reminders_schedule_all(*, today: dt.date | None = None, now: dt.datetime | None = None,
                           batch: int = 500) -> int:
    """Schedule for every course still followed, a batch at a time, and the staff's program-enrolment
    renewals. Without ``today``, each course is scheduled as of today in its clinic's time zone (the
    worker serves clinics in several zones)."""
    created = certification_reminders_schedule(today=today, now=now)
    qs = (Course.objects.filter(status__in=SCHEDULED_STATUSES).select_related("patient", "clinic")
          .order_by("pk"))
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last)[:batch])
        if not chunk:
            return created
        if today is not None:
            created += reminders_schedule(courses=chunk, today=today, now=now)
        else:
            by_day: dict[dt.date, list[Course]] = {}
            for course in chunk:
                by_day.setdefault(clock.today_in(clock.zone_of(course.clinic)), []).append(course)
            for day, courses in by_day.items():
                created += reminders_schedule(courses=courses, today=day, now=now)
        last = chunk[-1].pk


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost_races: int = 0
    cancelled: int = 0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(reminder_id: int, *, worker: str, now: dt.datetime) -> bool:
    """Claim one reminder for ``worker``: True only if this UPDATE moved it from pending to sending."""
    changed = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING, next_attempt_at__lte=now) \
        .update(status=ReminderStatus.SENDING, claimed_by=worker, claimed_at=now, attempts=F("attempts") + 1)
    return changed == 1


def staff_message_for(reminder: Reminder) -> tuple[str, str]:
    """Subject and body of a program-enrolment renewal reminder, in the recipient's language."""
    recipient = reminder.recipient
    assert recipient is not None  # noqa: S101 - a staff reminder has a recipient
    with translation.override(recipient.preferred_language or settings.LANGUAGE_CODE):
        if reminder.dedupe_key.startswith(f"{CERT_KEY_PREFIX}training:"):
            what = _("your pharmacy's yearly staff-training attestation for the program")
        elif reminder.dedupe_key.startswith(f"{CERT_KEY_PREFIX}pharmacy:"):
            what = _("your pharmacy's enrolment in the program")
        else:
            what = _("your enrolment in the program")
        subject = _("ClearCourse: program enrolment to renew")
        body = _("Hello %(name)s, %(what)s lapses after %(date)s. Ask your ClearCourse administrator to record "
                 "the renewal before then: once it lapses, every authorization to dispense is refused.") % {
            "name": recipient.first_name or recipient.get_username(), "what": what,
            "date": show_date(reminder.due_on)}
    return subject, body


def message_for(reminder: Reminder) -> tuple[str, str]:
    """Subject and body in the patient's language. Deliberately plain: no diagnosis, no drug name, no
    results (a phone's lock screen or a shared mailbox may show it)."""
    if reminder.patient is None:
        return staff_message_for(reminder)
    patient = reminder.patient
    with translation.override(patient.preferred_language or settings.LANGUAGE_CODE):
        labels: dict[str, str] = {
            ReminderKind.PREGNANCY_TEST: _("your pregnancy test"),
            ReminderKind.LAB_DUE: _("your blood tests"),
            ReminderKind.MONTHLY_QUESTIONS: _("your monthly questions"),
            ReminderKind.MOOD_SCREEN: _("your monthly questionnaire"),
        }
        what = labels.get(reminder.kind, _("your next step"))
        subject = _("ClearCourse reminder")
        body = _("Hello %(name)s, a reminder from your clinic: %(what)s is due on %(date)s. "
                 "Sign in to ClearCourse to see what to do.") % {
            "name": patient.given_name, "what": what, "date": show_date(reminder.due_on)}
    return subject, body


def deliver(reminder: Reminder, *, sms_sender: SmsSender) -> None:
    subject, body = message_for(reminder)
    if reminder.patient is None:
        if reminder.recipient is None or not reminder.recipient.email or reminder.channel != Channel.EMAIL:
            raise ValueError("a staff reminder goes by email to a recipient with an address")
        EmailMessage(subject=subject, body=body, to=[reminder.recipient.email]).send(fail_silently=False)
        return
    if reminder.channel == Channel.EMAIL:
        if not reminder.patient.email:
            raise ValueError("the patient has no email address")
        EmailMessage(subject=subject, body=body, to=[reminder.patient.email]).send(fail_silently=False)
    elif reminder.channel == Channel.SMS:
        if not reminder.patient.phone:
            raise ValueError("the patient has no phone number")
        sms_sender.send(to=reminder.patient.phone, body=body)
    else:
        raise ValueError(f"unknown channel {reminder.channel!r}")


def _with_retry(fn: Callable[[], T], attempts: int = 5) -> T:
    """Run a short write, retrying when SQLite reports the database as locked by the other worker
    (PostgreSQL waits on the row lock instead, so this only ever retries on SQLite)."""
    for attempt in range(attempts - 1):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc).lower():
                raise
            time.sleep(0.05 * (attempt + 1))
    return fn()


def release_stale_claims(*, now: dt.datetime) -> int:
    """Rows left in ``sending`` by a worker that died: marked failed, never resent (they may have gone)."""
    return Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=ReminderStatus.FAILED, last_error="worker stopped while sending; check whether it arrived")


def _finish(pk: int, worker: str, **fields: Any) -> int:
    """Record the outcome of a claimed reminder; only the worker holding the claim may."""
    return Reminder.objects.filter(pk=pk, status=ReminderStatus.SENDING, claimed_by=worker).update(**fields)


def send_due_reminders(*, worker: str | None = None, now: dt.datetime | None = None, limit: int = 200,
                       sms_sender: SmsSender | None = None) -> SendReport:
    """One pass: claim and send every due reminder (up to ``limit``)."""
    worker = worker or worker_name()
    now = now or clock.now()
    sender = sms_sender or default_sms_sender()
    report = SendReport()
    candidates = list(Reminder.objects.filter(status=ReminderStatus.PENDING, next_attempt_at__lte=now)
                      .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    for pk in candidates:
        if not _with_retry(partial(claim, pk, worker=worker, now=now)):
            report.lost_races += 1
            continue
        reminder = Reminder.objects.select_related("patient", "course", "recipient").get(pk=pk)
        if reminder.course is not None and reminder.course.status not in SCHEDULED_STATUSES:
            _with_retry(partial(_finish, pk, worker, status=ReminderStatus.CANCELLED, last_error="course closed"))
            report.cancelled += 1
            continue
        try:
            deliver(reminder, sms_sender=sender)
        except Exception as exc:  # any delivery failure is retried, then recorded
            logger.warning("reminder %s failed (attempt %s): %s", pk, reminder.attempts, exc)
            if reminder.attempts >= MAX_ATTEMPTS:
                status, report.failed = ReminderStatus.FAILED, report.failed + 1
            else:
                status, report.retried = ReminderStatus.PENDING, report.retried + 1
            retry_at = now + BACKOFF_BASE * (2 ** (reminder.attempts - 1))
            _with_retry(partial(_finish, pk, worker, status=status, next_attempt_at=retry_at,
                                last_error=str(exc)[:500]))
            continue
        _with_retry(partial(_finish, pk, worker, status=ReminderStatus.SENT, sent_at=clock.now(), last_error=""))
        report.sent += 1
    _with_retry(partial(release_stale_claims, now=now))
    return report

