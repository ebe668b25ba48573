from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from clearcourse.monitoring import reminders
from clearcourse.monitoring.models import Reminder, ReminderStatus


class RecordingSms:
    def __init__(self, fail_times: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail_times = fail_times
        self.lock = threading.Lock()

    def send(self, *, to: str, body: str) -> None:
        with self.lock:
            if self.fail_times:
                self.fail_times -= 1
                raise ConnectionError("gateway down")
            self.sent.append((to, body))


def make_due(patient: Any, course: Any, count: int, *, channel: str = "email", now: Any = None) -> list[Reminder]:
    now = now or timezone.now()
    past = now - dt.timedelta(minutes=1)
    return Reminder.objects.bulk_create([
        Reminder(patient=patient, course=course, kind="lab_due", due_on=dt.date(2026, 12, 1) + dt.timedelta(days=i),
                 due_at=past, next_attempt_at=past, channel=channel, dedupe_key=f"t:{channel}:{i}")
        for i in range(count)
    ])


# --- scheduling ----------------------------------------------------------------------------------------


def test_scheduling_creates_reminders_for_what_is_due_and_is_idempotent(active_course, today):
    from clearcourse.courses.models import Course

    # Started 3 days ago with no baseline on file: labs and mood are (just) overdue.
    Course.objects.filter(pk=active_course.pk).update(started_on=today - dt.timedelta(days=3))
    active_course.refresh_from_db()
    created = reminders.reminders_schedule_for_course(course=active_course, today=today)
    kinds = set(Reminder.objects.values_list("kind", flat=True))
    assert created == Reminder.objects.count() > 0
    assert {"lab_due", "mood_screen"} <= kinds
    # The patient has an email address and no phone: email only.
    assert set(Reminder.objects.values_list("channel", flat=True)) == {"email"}
    assert reminders.reminders_schedule_for_course(course=active_course, today=today) == 0
    assert reminders.reminders_schedule_all(today=today) == 0
    assert Reminder.objects.count() == created


def test_a_reminder_goes_out_days_before_the_due_date_at_nine(prescriber, active_course, today):
    from clearcourse.courses.models import Course
    from clearcourse.monitoring import services

    start = today - dt.timedelta(days=20)
    Course.objects.filter(pk=active_course.pk).update(started_on=start)
    active_course.refresh_from_db()
    services.lab_result_record(actor=prescriber, course=active_course, loinc="2571-8", value=100, unit="mg/dL",
                               collected_on=start, today=today)
    reminders.reminders_schedule_for_course(course=active_course, today=today)
    lab = Reminder.objects.get(kind="lab_due")
    assert lab.due_on == start + dt.timedelta(days=30)
    local = timezone.localtime(lab.due_at)
    assert (local.date(), local.hour) == (lab.due_on - dt.timedelta(days=2), 9)


def test_long_overdue_items_get_no_new_reminder(active_course, today):
    # Started 40 days ago: the baseline is 40 days overdue; the worklist shows it, the patient is not nagged.
    reminders.reminders_schedule_for_course(course=active_course, today=today)
    assert not Reminder.objects.filter(kind__in=["lab_due", "mood_screen"]).exists()


def test_a_patient_with_a_phone_also_gets_a_text(active_course, today):
    from clearcourse.courses.models import Patient

    Patient.objects.filter(pk=active_course.patient_id).update(phone="+15550100")
    active_course.patient.refresh_from_db()
    reminders.reminders_schedule_for_course(course=active_course, today=today)
    assert set(Reminder.objects.values_list("channel", flat=True)) == {"email", "sms"}


# --- sending -------------------------------------------------------------------------------------------


def test_a_due_reminder_is_sent_once_and_marked_sent(patient, active_course):
    [reminder] = make_due(patient, active_course, 1)
    report = reminders.send_due_reminders(worker="w1")
    assert report.sent == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jordan@example.org"]
    assert "Jordan" in message.body and "1 Dec 2026" in message.body
    # Plain text: no drug name on a lock screen.
    assert "isotretinoin" not in message.body.lower()
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT and reminder.sent_at and reminder.claimed_by == "w1"
    assert reminders.send_due_reminders(worker="w2").sent == 0
    assert len(mail.outbox) == 1


def test_a_reminder_not_yet_due_waits(patient, active_course):
    later = timezone.now() + dt.timedelta(hours=1)
    Reminder.objects.create(patient=patient, course=active_course, kind="lab_due", due_on=dt.date(2026, 12, 1),
                            due_at=later, next_attempt_at=later, channel="email", dedupe_key="later")
    assert reminders.send_due_reminders(worker="w").sent == 0


def test_sms_goes_through_the_sender_interface(patient, active_course):
    from clearcourse.courses.models import Patient

    Patient.objects.filter(pk=patient.pk).update(phone="+15550100")
    make_due(patient, active_course, 2, channel="sms")
    sms = RecordingSms()
    assert reminders.send_due_reminders(worker="w", sms_sender=sms).sent == 2
    assert [to for to, _ in sms.sent] == ["+15550100", "+15550100"]


def test_a_failure_is_retried_with_backoff_then_given_up(patient, active_course):
    from clearcourse.courses.models import Patient

    Patient.objects.filter(pk=patient.pk).update(phone="+15550100")
    [reminder] = make_due(patient, active_course, 1, channel="sms")
    sms = RecordingSms(fail_times=99)
    now = timezone.now()
    report = reminders.send_due_reminders(worker="w", now=now, sms_sender=sms)
    assert report.retried == 1
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING and reminder.attempts == 1
    assert reminder.next_attempt_at == now + reminders.BACKOFF_BASE
    assert "gateway down" in reminder.last_error
    # Not again before the backoff has passed.
    assert reminders.send_due_reminders(worker="w", now=now, sms_sender=sms).retried == 0
    for attempt in range(2, reminders.MAX_ATTEMPTS + 1):
        reminder.refresh_from_db()
        now = reminder.next_attempt_at
        reminders.send_due_reminders(worker="w", now=now, sms_sender=sms)
        reminder.refresh_from_db()
        assert reminder.attempts == attempt
    assert reminder.status == ReminderStatus.FAILED
    assert sms.sent == []


def test_a_transient_failure_then_success_sends_once(patient, active_course):
    from clearcourse.courses.models import Patient

    Patient.objects.filter(pk=patient.pk).update(phone="+15550100")
    [reminder] = make_due(patient, active_course, 1, channel="sms")
    sms = RecordingSms(fail_times=1)
    now = timezone.now()
    reminders.send_due_reminders(worker="w", now=now, sms_sender=sms)
    reminders.send_due_reminders(worker="w", now=now + reminders.BACKOFF_BASE, sms_sender=sms)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT and reminder.attempts == 2
    assert len(sms.sent) == 1


def test_a_reminder_of_a_closed_course_is_cancelled_not_sent(patient, active_course):
    from clearcourse.courses.models import Course

    [reminder] = make_due(patient, active_course, 1)
    Course.objects.filter(pk=active_course.pk).update(status="closed")
    assert reminders.send_due_reminders(worker="w").cancelled == 1
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED and mail.outbox == []


def test_a_row_left_sending_by_a_dead_worker_is_marked_failed_not_resent(patient, active_course):
    now = timezone.now()
    [reminder] = make_due(patient, active_course, 1, now=now - dt.timedelta(hours=2))
    assert reminders.claim(reminder.pk, worker="dead", now=now - dt.timedelta(hours=1))
    reminders.send_due_reminders(worker="w", now=now)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED and mail.outbox == []


def test_a_second_claim_of_the_same_row_fails(patient, active_course):
    [reminder] = make_due(patient, active_course, 1)
    now = timezone.now()
    assert reminders.claim(reminder.pk, worker="a", now=now) is True
    assert reminders.claim(reminder.pk, worker="b", now=now) is False


def test_the_command_runs_one_pass(patient, active_course, today):
    make_due(patient, active_course, 3)
    call_command("send_reminders", "--once")
    assert len(mail.outbox) == 3
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_workers_in_parallel_send_every_reminder_exactly_once(patient, active_course):
    make_due(patient, active_course, 50)
    from clearcourse.courses.models import Patient

    Patient.objects.filter(pk=patient.pk).update(phone="+15550100")
    make_due(patient, active_course, 50, channel="sms")
    sms = RecordingSms()
    barrier = threading.Barrier(2)
    reports: list[reminders.SendReport] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            barrier.wait()
            reports.append(reminders.send_due_reminders(worker=name, limit=500, sms_sender=sms))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(r.sent for r in reports) == 100
    emails = Counter(m.body for m in mail.outbox)
    texts = Counter(body for _, body in sms.sent)
    assert len(mail.outbox) == 50 and set(emails.values()) == {1}
    assert len(sms.sent) == 50 and set(texts.values()) == {1}
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 100
    # Both workers really ran against the same rows (each lost some races or took a share).
    assert len(reports) == 2


def test_a_reminder_for_something_done_early_is_cancelled_at_the_next_scheduling(prescriber, active_course, today):
    from clearcourse.courses.models import Course
    from clearcourse.monitoring import services

    Course.objects.filter(pk=active_course.pk).update(started_on=today - dt.timedelta(days=3))
    active_course.refresh_from_db()
    reminders.reminders_schedule_for_course(course=active_course, today=today)
    lab = Reminder.objects.get(kind="lab_due")
    for loinc, value, unit, uln in (("2571-8", 100, "mg/dL", None), ("1742-6", 20, "U/L", 40)):
        services.lab_result_record(actor=prescriber, course=active_course, loinc=loinc, value=value, unit=unit,
                                   uln=uln, collected_on=today - dt.timedelta(days=3), today=today)
    reminders.reminders_schedule_for_course(course=active_course, today=today)
    lab.refresh_from_db()
    assert lab.status == ReminderStatus.CANCELLED
    # The next check (the first recheck) gets its own reminder.
    assert Reminder.objects.filter(kind="lab_due", status=ReminderStatus.PENDING,
                                   due_on=today + dt.timedelta(days=27)).exists()
