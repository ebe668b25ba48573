"""Events the courses app publishes after its writes commit (docs/architecture.md lists every listener).

A higher app that keeps something derived from a course (the monitoring worklist row) connects to these in
its ``AppConfig.ready()``; this app never imports it.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db import transaction
from django.dispatch import Signal

#: A course's clinical record changed (patient, course, status, assessment, dose plan, weight, prescription,
#: missed doses). Sent after commit with ``course_id`` and ``today`` (the writer's day, or None).
course_record_changed = Signal()


def send_after_commit(signal: Signal, sender: object, **kwargs: object) -> None:
    """Send ``signal`` once the current transaction has committed; a failing listener is logged, never
    raised: the write has committed by then, and the listener's data is repaired by its own refresh."""
    transaction.on_commit(partial(signal.send, sender=sender, **kwargs), robust=True)


def course_record_changed_after_commit(course_id: int, *, today: dt.date | None = None) -> None:
    send_after_commit(course_record_changed, "courses", course_id=course_id, today=today)
