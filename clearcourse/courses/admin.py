"""Admin for patients and courses: read-only, and every look at a patient's data is audited.

Administrators manage clinics, pharmacies and accounts; patient data is changed only through the
clinic's pages, whose services validate and audit every write. The admin keeps a read-only view for
support, and each opened record writes an ``admin.view`` entry in the patient's access report.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from clearcourse.audit.services import audit_read
from clearcourse.courses.models import (
    Assessment,
    Course,
    DosePlan,
    MissedDoseReport,
    Patient,
    Prescription,
    WeightMeasurement,
)


def _patient_id(obj: Any) -> int | None:
    if isinstance(obj, Patient):
        return obj.pk
    if hasattr(obj, "patient_id"):
        return int(obj.patient_id)
    course = getattr(obj, "course", None)
    return int(course.patient_id) if course is not None else None


class ReadOnlyAuditedAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        obj = self.get_object(request, object_id)
        patient_id = _patient_id(obj) if obj is not None else None
        if obj is not None and patient_id is not None:
            audit_read(actor=request.user, patient_id=patient_id, action="admin.view", obj=obj)  # type: ignore[arg-type]
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Patient)
class PatientAdmin(ReadOnlyAuditedAdmin):
    list_display = ("record_number", "clinic", "prescriber", "created_at")
    search_fields = ("record_number",)
    list_filter = ("clinic",)


@admin.register(Course)
class CourseAdmin(ReadOnlyAuditedAdmin):
    list_display = ("id", "clinic", "program", "product", "status", "started_on")
    list_filter = ("program", "status", "product")


for model in (Assessment, DosePlan, Prescription, WeightMeasurement, MissedDoseReport):
    admin.site.register(model, ReadOnlyAuditedAdmin)
