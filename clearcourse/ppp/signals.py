"""Events the programs app publishes after its writes commit (docs/architecture.md lists every listener)."""

from __future__ import annotations

from django.dispatch import Signal

from clearcourse.courses.signals import send_after_commit

#: A pregnancy-prevention record of a course was written (enrolment, risk category, counselling,
#: contraception, pregnancy test, verification, comprehension, treatment end, second prescriber, a
#: prescription). Sent after commit with ``course_id``.
program_record_written = Signal()


def program_record_written_after_commit(course_id: int) -> None:
    send_after_commit(program_record_written, "ppp", course_id=course_id)
