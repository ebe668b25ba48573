"""Sign-in in two steps (password, then a TOTP or backup code), TOTP enrolment, pharmacy API tokens.

After the password step the session is signed in but not verified; until it passes the second factor,
:class:`clearcourse.accounts.otp.RequireOTPMiddleware` lets it reach only the sign-in steps.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearcourse.accounts.decorators import role_required, signed_in_user
from clearcourse.accounts.forms import ApiTokenCreateForm, OTPEnrolForm, OTPTokenForm
from clearcourse.accounts.models import PharmacyApiToken, Role
from clearcourse.accounts.otp import (
    confirmed_devices,
    mark_verified_now,
    otp_step_url,
    session_is_verified,
    user_has_confirmed_device,
    user_needs_otp,
)
from clearcourse.accounts.services import (
    TOO_MANY_CODES,
    WRONG_CODE,
    api_token_create,
    api_token_revoke,
    totp_enrolment_confirm,
    totp_enrolment_start,
)
from clearcourse.core.errors import DomainError

ENROLLED = N_("Two-factor sign-in is set up. Keep your backup codes somewhere safe.")
TOKEN_REVOKED = N_("The token was revoked.")


def _safe_next(request: HttpRequest, default: str = "") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return default or reverse("core:home")


def verified_login(request: HttpRequest, device: Any) -> None:
    """Marks the session as having passed the second factor, under a NEW session id: an id seen before
    the code step (a fixed or sniffed cookie) must not become a fully signed-in session."""
    request.session.cycle_key()
    otp_login(request, device)
    mark_verified_now(request)


class SignInView(auth_views.LoginView):
    """Step 1: the password (AuthenticationForm passes ``request`` to ``authenticate``, which
    django-axes needs to count failures and lock out)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        target = self.get_redirect_url() or reverse("core:home")
        user = self.request.user
        if user_has_confirmed_device(user) and not session_is_verified(self.request):
            return otp_step_url(self.request, target)
        if user_needs_otp(user) and not session_is_verified(self.request):
            return otp_step_url(self.request, target)
        return target


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: a code from the user's authenticator app or a backup code."""
    next_url = _safe_next(request)
    devices = confirmed_devices(request.user)
    if not devices:
        return redirect(otp_step_url(request, next_url))
    # ``reconfirm``: a verified session asked for its code again before a sensitive step (an administrator
    # resetting someone's password or second factor, accounts/admin.py).
    reconfirm = bool(request.GET.get("reconfirm") or request.POST.get("reconfirm"))
    if session_is_verified(request) and not reconfirm:
        return HttpResponseRedirect(next_url)
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = re.sub(r"\s+", "", form.cleaned_data["token"])
        throttled = False
        for device in devices:
            allowed, _details = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(token):
                verified_login(request, device)
                return HttpResponseRedirect(next_url)
        form.add_error("token", _(TOO_MANY_CODES) if throttled else _(WRONG_CODE))
        return render(request, "accounts/otp_verify.html",
                      {"form": form, "next": next_url, "reconfirm": reconfirm}, status=400)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url, "reconfirm": reconfirm})


def qr_svg(text: str) -> SafeString:
    """The QR code as inline SVG markup (paths only, no style attributes, so the strict CSP holds).
    The input is our own otpauth URL; the output contains no text from it."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg"):]
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="QR code" class="qr" ', 1))  # noqa: S308


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show the secret and its QR code, confirm one code, then show
    single-use backup codes once. The writes are the service's (accounts.services, with audit entries)."""
    user = signed_in_user(request)
    next_url = _safe_next(request)
    if user_has_confirmed_device(user):
        if not session_is_verified(request):
            return redirect(otp_step_url(request, next_url))
        return render(request, "accounts/otp_status.html", {"devices": confirmed_devices(user)})
    device = totp_enrolment_start(actor=user)
    form = OTPEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_enrolment_confirm(actor=user, device=device, token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            verified_login(request, device)
            messages.success(request, _(ENROLLED))
            return render(request, "accounts/otp_backup_codes.html", {"codes": codes, "next": next_url})
    context = {"form": form, "secret": base32_secret(device), "qr": qr_svg(device.config_url),
               "next": next_url, "required": user_needs_otp(user)}
    return render(request, "accounts/otp_setup.html", context, status=400 if form.errors else 200)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@never_cache
@role_required(Role.ADMIN)
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Administrators create and revoke pharmacy API tokens; a new token is shown on this one response
    only."""
    form = ApiTokenCreateForm(request.POST or None)
    created: tuple[PharmacyApiToken, str] | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actor = signed_in_user(request)
            try:
                created = api_token_create(actor=actor, pharmacy=form.cleaned_data["pharmacy"],
                                           name=form.cleaned_data["name"])
                form = ApiTokenCreateForm()
            except DomainError as exc:
                form.add_error(exc.field or None, exc.message)
                status = 400
        else:
            status = 400
    tokens = PharmacyApiToken.objects.select_related("pharmacy", "created_by").all()
    return render(request, "accounts/api_tokens.html",
                  {"form": form, "tokens": tokens, "created": created}, status=status)


@require_POST
@role_required(Role.ADMIN)
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = PharmacyApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise Http404
    actor = signed_in_user(request)
    try:
        api_token_revoke(actor=actor, token=token)
        messages.success(request, _(TOKEN_REVOKED))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:api_tokens")
