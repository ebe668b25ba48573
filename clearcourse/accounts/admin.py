from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearcourse.accounts.decorators import signed_in_user
from clearcourse.accounts.models import Clinic, Pharmacy, PharmacyApiToken, User
from clearcourse.accounts.otp import reconfirm_url, second_factor_is_recent
from clearcourse.accounts.services import api_token_revoke, user_password_set, user_second_factor_reset
from clearcourse.core.admin_base import ReadOnlyAdmin
from clearcourse.core.errors import DomainError

RECONFIRM_FIRST = N_("Enter a current code first, then run the action again.")
PASSWORD_SET = N_("The password was changed and %(username)s was told by email.")
SECOND_FACTOR_RESET = N_("Two-factor sign-in was reset for %(count)s accounts; each was told by email.")


@admin.register(User)
class ClearCourseUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "clinic", "pharmacy", "is_active")
    list_filter = ("role", "clinic", "pharmacy", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("ClearCourse", {"fields": ("role", "clinic", "pharmacy", "registration_number", "npi", "acts_for",
                                    "preferred_language")}),
    )
    actions = ["reset_second_factor"]

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Setting someone's password needs the administrator's own second factor from the last few
        minutes (asked again otherwise), goes through the service (audited in the hash chain) and tells
        the person by email."""
        user = self.get_object(request, unquote(id))
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        if user is None:
            raise Http404
        if not second_factor_is_recent(request):
            return HttpResponseRedirect(reconfirm_url(request, request.get_full_path()))
        if request.method == "POST":
            form = self.change_password_form(user, request.POST)
            usable = form.is_valid() and form.cleaned_data.get("set_usable_password", True)
            if form.is_valid() and (usable or "unset-password" in request.POST):
                changed = user_password_set(actor=signed_in_user(request), user=user,
                                            password=form.cleaned_data["password1"] if usable else None)
                if changed.pk == request.user.pk:
                    update_session_auth_hash(request, changed)
                self.message_user(request, _(PASSWORD_SET) % {"username": changed.get_username()}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=(changed.pk,)))
        # The form, or its errors: Django's own page (it writes nothing for an invalid form).
        return super().user_change_password(request, id, form_url)

    @admin.action(description=gettext_lazy("Reset two-factor sign-in (they set it up again at the next sign-in)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        if not second_factor_is_recent(request):
            self.message_user(request, _(RECONFIRM_FIRST), messages.WARNING)
            return HttpResponseRedirect(reconfirm_url(request, request.get_full_path()))
        actor = signed_in_user(request)
        for user in queryset:
            user_second_factor_reset(actor=actor, user=user)
        self.message_user(request, _(SECOND_FACTOR_RESET) % {"count": queryset.count()}, messages.SUCCESS)
        return None


# django-otp's own admin pages show each device's secret key and QR code and the backup codes. Here the
# devices are listed only (who has which, confirmed or not); they are removed with the user list's
# "Reset two-factor sign-in" action, which asks for the administrator's own code and tells the person.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


class DeviceAdmin(ReadOnlyAdmin):
    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed")
    readonly_fields = fields


admin.site.register(TOTPDevice, DeviceAdmin)
admin.site.register(StaticDevice, DeviceAdmin)


admin.site.register(Clinic)
admin.site.register(Pharmacy)


@admin.register(PharmacyApiToken)
class PharmacyApiTokenAdmin(ReadOnlyAdmin):
    """Read-only list with a revoke action; tokens are created on the API tokens page, the only place
    that shows the plain token (once)."""

    list_display = ("pharmacy", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("pharmacy",)
    actions = ["revoke"]

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
