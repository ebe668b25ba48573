from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clearcourse.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("chain", "seq", "at", "actor_label", "actor_role", "action", "patient_id", "ip")
    list_filter = ("action", "actor_role")
    search_fields = ("actor_label", "action", "object_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
