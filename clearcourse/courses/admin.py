"""Admin for patients and courses: read-only, and every look at a patient's data is audited.

Administrators manage clinics, pharmacies and accounts; patient data is changed only through the
clinic's pages, whose services validate and audit every write. The admin keeps a read-only view for
support; the admin site (``audit/admin_site.py``) writes an ``admin.view`` entry in the patient's access
report for each opened record and ``admin.history`` for its history page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clearcourse.courses.models import (
    Assessment,
    Course,
    DosePlan,
    MissedDoseReport,
    Patient,
    Prescription,
    WeightMeasurement,
)


class ReadOnlyAuditedAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
