"""Events the pharmacy app publishes after its writes commit (docs/architecture.md lists every listener)."""

from __future__ import annotations

from django.dispatch import Signal

from clearcourse.courses.signals import send_after_commit

#: A prescription of a course was dispensed. Sent after commit with ``course_id`` and ``dispense_id``.
dispensed = Signal()


def dispensed_after_commit(course_id: int, dispense_id: int) -> None:
    send_after_commit(dispensed, "pharmacy", course_id=course_id, dispense_id=dispense_id)
