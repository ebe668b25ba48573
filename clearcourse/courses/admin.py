"""Admin for courses. Clinical records are shown read-only: they are append-only everywhere."""

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


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "record_number", "clinic", "prescriber", "birth_date")
    search_fields = ("family_name", "given_name", "record_number")
    list_filter = ("clinic",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("id", "patient", "program", "product", "status", "started_on")
    list_filter = ("program", "status", "product")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for model in (Assessment, DosePlan, Prescription, WeightMeasurement, MissedDoseReport):
    admin.site.register(model, ReadOnlyRecordAdmin)
