from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from clearcourse.accounts.models import Clinic, Pharmacy, User


@admin.register(User)
class ClearCourseUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "clinic", "pharmacy", "is_active")
    list_filter = ("role", "clinic", "pharmacy", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("ClearCourse", {"fields": ("role", "clinic", "pharmacy", "registration_number", "acts_for",
                                    "preferred_language")}),
    )


admin.site.register(Clinic)
admin.site.register(Pharmacy)
