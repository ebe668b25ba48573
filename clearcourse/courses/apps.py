from __future__ import annotations

from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "clearcourse.courses"
    label = "courses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The audit trail (a lower app) names patients and prescriptions through these (audit/lookups.py).
        from clearcourse.audit import lookups
        from clearcourse.courses import selectors

        lookups.register_patients(find=selectors.audit_patients_named, label=selectors.audit_patient_labels)
        lookups.register_object_labels("Prescription", selectors.audit_prescription_labels)
