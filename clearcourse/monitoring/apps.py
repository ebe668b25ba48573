from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "clearcourse.monitoring"
    label = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The worklist row of a course is derived from the records of the apps below this one: each
        # publishes an event after its writes commit, and the row is recomputed (docs/architecture.md).
        # Imported here, not at the top: Django imports this module before the models are ready.
        from clearcourse.courses.signals import course_record_changed
        from clearcourse.monitoring.services import cumulative_target_check
        from clearcourse.monitoring.worklist_store import refresh_worklist_row
        from clearcourse.pharmacy.signals import dispensed
        from clearcourse.ppp.signals import program_record_written

        course_record_changed.connect(refresh_worklist_row, dispatch_uid="monitoring.worklist.courses")
        program_record_written.connect(refresh_worklist_row, dispatch_uid="monitoring.worklist.ppp")
        dispensed.connect(refresh_worklist_row, dispatch_uid="monitoring.worklist.pharmacy")
        # Passing the cumulative target raises an alert, once (the dose changes with these writes).
        course_record_changed.connect(cumulative_target_check, dispatch_uid="monitoring.target.courses")
        dispensed.connect(cumulative_target_check, dispatch_uid="monitoring.target.pharmacy")
