from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from clearcourse.accounts.decorators import signed_in_user
from clearcourse.accounts.models import Clinic, Pharmacy, PharmacyApiToken, User
from clearcourse.accounts.services import api_token_revoke
from clearcourse.core.errors import DomainError


@admin.register(User)
class ClearCourseUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "clinic", "pharmacy", "is_active")
    list_filter = ("role", "clinic", "pharmacy", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("ClearCourse", {"fields": ("role", "clinic", "pharmacy", "registration_number", "npi", "acts_for",
                                    "preferred_language")}),
    )


admin.site.register(Clinic)
admin.site.register(Pharmacy)


@admin.register(PharmacyApiToken)
class PharmacyApiTokenAdmin(admin.ModelAdmin):
    """Read-only list with a revoke action; tokens are created on the API tokens page, the only place
    that shows the plain token (once)."""

    list_display = ("pharmacy", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("pharmacy",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[PharmacyApiToken]) -> None:
        actor = signed_in_user(request)
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                api_token_revoke(actor=actor, token=token)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)


def _admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin has no sign-in of its own: it would skip the second factor and the lockout page.
    A signed-in user who is not an administrator gets 403 (sending them to sign in again would loop)."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("accounts:login"))


admin.site.login = _admin_login  # type: ignore[method-assign]
