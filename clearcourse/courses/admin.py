"""Admin for patients and courses: read-only, and every look at a patient's data is audited.

Administrators manage clinics, pharmacies and accounts; patient data is changed only through the
clinic's pages, whose services validate and audit every write. The admin keeps a read-only view for
support; the admin site (``audit/admin_site.py``) writes an ``admin.view`` entry in the patient's access
report for each opened record and ``admin.history`` for its history page.
"""

from __future__ import annotations

from django.contrib import admin

from clearcourse.core.admin_base import ReadOnlyAdmin
from clearcourse.courses.models import (
    Assessment,
    Course,
    DosePlan,
    MissedDoseReport,
    Patient,
    Prescription,
    WeightMeasurement,
)


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    list_display = ("record_number", "clinic", "prescriber", "created_at")
    search_fields = ("record_number",)
    list_filter = ("clinic",)


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ("id", "clinic", "program", "product", "status", "started_on")
    list_filter = ("program", "status", "product")


for model in (Assessment, DosePlan, Prescription, WeightMeasurement, MissedDoseReport):
    admin.site.register(model, ReadOnlyAdmin)
