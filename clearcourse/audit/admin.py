"""The audit trail in the Django admin: read-only, and bounded at any size of the trail.

At ten million entries Django's defaults cost seconds per page: two counts of the whole table, a list
filter built from ``SELECT DISTINCT`` over every entry, and a free-text search (``LIKE '%...%'``) that
reads every row. Here the count stops at :data:`~clearcourse.core.paging.COUNT_CAP`, the action filter
lists the actions through an index probe each (``known_actions``), the role filter lists the roles, and
there is no free-text box: the audit search page (``/audit/``) searches by patient, person, action and
dates through indexes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clearcourse.audit.models import AuditEntry
from clearcourse.audit.selectors import known_actions
from clearcourse.core.access import Role
from clearcourse.core.admin_base import ReadOnlyAdmin
from clearcourse.core.paging import CappedPaginator


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in known_actions()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        return queryset.filter(action=self.value()) if self.value() else queryset


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "actor_role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*Role.choices, ("system", "system")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        return queryset.filter(actor_role=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("chain", "seq", "at", "actor_label", "actor_role", "action", "patient_id", "ip")
    list_filter = (ActionFilter, RoleFilter)
    ordering = ("-at", "-id")
    paginator = CappedPaginator
    show_full_result_count = False
