"""Writes for accounts: two-factor enrolment (an authenticator app and its backup codes), pharmacy API tokens
(created, shown once, revoked); an administrator resetting someone's password or second factor (audited, and
the person is told by email). Each write has its audit entry."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.utils.translation import gettext_noop as N_
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearcourse.accounts.models import Pharmacy, PharmacyApiToken, Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core import clock
from clearcourse.core.errors import ConflictError, DomainError, PermissionDeniedError

TOKEN_SCHEME = "cc"  # noqa: S105 - the public prefix of every token, not a secret
PREFIX_LENGTH = 8  # hex characters

ONLY_ADMINISTRATORS = N_("Only administrators can manage API tokens.")
TOKEN_ALREADY_REVOKED = N_("This token has already been revoked.")
TOKEN_NAME_REQUIRED = N_("Give the token a name (the pharmacy system it is for).")
ONLY_ADMINISTRATORS_RESET = N_("Only administrators can reset another person's sign-in.")

PASSWORD_RESET_SUBJECT = gettext_noop("ClearCourse: an administrator changed your password")
PASSWORD_RESET_BODY = gettext_noop(
    "Hello %(name)s,\n\nthe ClearCourse administrator %(admin)s has just changed the password of your account "
    "%(username)s.\n\nIf you did not ask for this, tell your clinic or pharmacy at once.\n")
PASSWORD_DISABLED_BODY = gettext_noop(
    "Hello %(name)s,\n\nthe ClearCourse administrator %(admin)s has just turned off password sign-in for your "
    "account %(username)s.\n\nIf you did not ask for this, tell your clinic or pharmacy at once.\n")
SECOND_FACTOR_RESET_SUBJECT = gettext_noop("ClearCourse: an administrator reset your two-factor sign-in")
SECOND_FACTOR_RESET_BODY = gettext_noop(
    "Hello %(name)s,\n\nthe ClearCourse administrator %(admin)s has just removed the authenticator app and "
    "backup codes of your account %(username)s. At your next sign-in you will set up your authenticator app "
    "again.\n\nIf you did not ask for this, tell your clinic or pharmacy at once.\n")
WRONG_CODE = N_("That code is not valid. Check the time on your phone and try again.")
TOO_MANY_CODES = N_("Too many wrong codes. Wait a little and try again.")
BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


@transaction.atomic
def totp_enrolment_start(*, actor: User) -> TOTPDevice:
    """The authenticator app ``actor`` is enrolling: the pending (unconfirmed) device, made the first time
    the enrolment page is opened (its secret is shown until a code confirms it)."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=TOTP_DEVICE_NAME, confirmed=False)
        audit_record(actor=actor, action="otp.enrol_start", detail={"device": "totp"})
    return device


@transaction.atomic
def totp_enrolment_confirm(*, actor: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the pending authenticator app with one of its codes: the device is confirmed, other pending
    devices are removed and single-use backup codes are made; returns the backup codes (shown once, stored
    only in django-otp's table). A wrong code, or too many, raises DomainError on ``token``."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise DomainError(_(TOO_MANY_CODES), field="token", code="throttled")
    if device.user_id != actor.pk or device.confirmed or not device.verify_token(token):
        raise DomainError(_(WRONG_CODE), field="token", code="wrong_code")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    backup = StaticDevice.objects.create(user=actor, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
    audit_record(actor=actor, action="otp.enrol", detail={"device": "totp", "backup_codes": BACKUP_CODE_COUNT})
    return codes


def token_hash(token: str) -> str:
    """SHA-256 of the whole token. The secret has 256 bits of entropy, so a deliberately slow password
    hash would add nothing but latency to every API request."""
    return hashlib.sha256(token.encode()).hexdigest()


def split_token(token: str) -> str | None:
    """Returns the prefix of a well-formed token (``cc_<8 hex>_<secret>``), or None."""
    head = f"{TOKEN_SCHEME}_"
    if not token.startswith(head) or len(token) < len(head) + PREFIX_LENGTH + 2:
        return None
    prefix = token[len(head):len(head) + PREFIX_LENGTH]
    if token[len(head) + PREFIX_LENGTH] != "_":
        return None
    return prefix


def require_admin(actor: User | None) -> None:
    if actor is None or not (actor.is_authenticated and (actor.role == Role.ADMIN or actor.is_superuser)):
        raise PermissionDeniedError(_(ONLY_ADMINISTRATORS), code="not_admin")


@transaction.atomic
def api_token_create(*, actor: User | None, pharmacy: Pharmacy, name: str,
                     by_operator: bool = False) -> tuple[PharmacyApiToken, str]:
    """Creates a token for ``pharmacy`` and returns it with the plain token, which is never stored
    and cannot be shown again. An administrator creates tokens on the API tokens page; the server's
    operator (``python -m clearcourse pharmacy_token``, ``by_operator`` with no actor) from the command
    line, where database access already implies that trust; the audit entry says which."""
    if not by_operator or actor is not None:
        require_admin(actor)
    name = (name or "").strip()[:100]
    if not name:
        raise ConflictError(_(TOKEN_NAME_REQUIRED), code="name_required", field="name")
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    while PharmacyApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    plain = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    service_user = User(username=f"api-{prefix}", role=Role.PHARMACIST, pharmacy=pharmacy,
                        first_name=name[:150], last_name="(API)")
    # The service identity can never sign in on a page: it has no usable password.
    service_user.set_unusable_password()
    service_user.save()
    token = PharmacyApiToken.objects.create(pharmacy=pharmacy, name=name, prefix=prefix,
                                            secret_hash=token_hash(plain), created_by=actor,
                                            service_user=service_user)
    audit_record(actor=actor, action="api_token.create", obj=token,
                 detail={"pharmacy_id": pharmacy.pk, "prefix": prefix, "name": name,
                         **({"via": "command line"} if by_operator else {})})
    return token, plain


@transaction.atomic
def api_token_revoke(*, actor: User, token: PharmacyApiToken) -> PharmacyApiToken:
    require_admin(actor)
    locked = PharmacyApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        raise ConflictError(_(TOKEN_ALREADY_REVOKED), code="already_revoked")
    locked.revoked_at = clock.now()
    locked.save(update_fields=["revoked_at"])
    User.objects.filter(pk=locked.service_user_id).update(is_active=False)
    audit_record(actor=actor, action="api_token.revoke", obj=locked,
                 detail={"pharmacy_id": locked.pharmacy_id, "prefix": locked.prefix})
    return locked


def _tell(user: User, actor: User, subject: str, body: str) -> None:
    """Emails ``user`` (in their language) after the change commits; nothing to send without an address.
    ``subject`` and ``body`` are the constants above (written with ``gettext_noop`` so that makemessages
    finds them)."""
    address = (user.email or "").strip()
    if not address:
        return
    name = user.get_full_name() or user.get_username()
    admin_name = actor.get_full_name() or actor.get_username()

    def send() -> None:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            text = _(body) % {"name": name, "admin": admin_name, "username": user.get_username()}
            send_mail(_(subject), text, settings.DEFAULT_FROM_EMAIL, [address])

    transaction.on_commit(send)


def _require_admin_for_reset(actor: User) -> None:
    if not (actor.is_authenticated and (actor.role == Role.ADMIN or actor.is_superuser)):
        raise PermissionDeniedError(_(ONLY_ADMINISTRATORS_RESET), code="not_admin")


@transaction.atomic
def user_password_set(*, actor: User, user: User, password: str | None) -> User:
    """An administrator sets ``user``'s password (None: password sign-in off). The caller has checked
    the administrator's recent second factor (``accounts.otp.second_factor_is_recent``)."""
    _require_admin_for_reset(actor)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if password is None:
        locked.set_unusable_password()
    else:
        locked.set_password(password)
    locked.save(update_fields=["password"])
    audit_record(actor=actor, action="account.password_reset", obj=locked,
                 detail={"user_id": locked.pk, "username": locked.get_username(),
                         "password_sign_in": password is not None})
    _tell(locked, actor, PASSWORD_RESET_SUBJECT, PASSWORD_RESET_BODY if password is not None else PASSWORD_DISABLED_BODY)
    return locked


@transaction.atomic
def user_second_factor_reset(*, actor: User, user: User) -> int:
    """An administrator removes every second-factor device of ``user`` (authenticator apps and backup
    codes); the next sign-in enrols a new one. Returns the number of devices removed. The caller has
    checked the administrator's recent second factor."""
    _require_admin_for_reset(actor)
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    audit_record(actor=actor, action="account.second_factor_reset", obj=user,
                 detail={"user_id": user.pk, "username": user.get_username(), "devices": len(devices)})
    _tell(user, actor, SECOND_FACTOR_RESET_SUBJECT, SECOND_FACTOR_RESET_BODY)
    return len(devices)
