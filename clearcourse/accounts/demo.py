"""Demo organisations and one account per role."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearcourse.accounts.models import Clinic, Pharmacy, Role, User
from clearcourse.core.identifiers import npi_with_check_digit

#: The demo pharmacy's NCPDP Provider ID (a pharmacy system's SCRIPT messages carry it).
DEMO_NCPDP_ID = "0000001"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo credential for synthetic data

DEMO_ACCOUNTS = [
    # username, role, first, last
    ("dr.rivera", Role.PRESCRIBER, "Ana", "Rivera"),
    ("dr.chen", Role.PRESCRIBER, "Wei", "Chen"),
    ("nurse.kim", Role.DELEGATE, "Hana", "Kim"),
    ("pharm.lee", Role.PHARMACIST, "Daniel", "Lee"),
    ("admin", Role.ADMIN, "Ada", "Admin"),
]

# Staff sign in with a second factor, the demo too. These TOTP secrets are PUBLISHED (here, in the
# demo's output and in docs/security.md), so they protect nothing: they only let a tester sign in.
# `python -m clearcourse demo_otp USERNAME` prints the current code of a demo account.
DEMO_BACKUP_CODES = ("demo-backup-1", "demo-backup-2", "demo-backup-3", "demo-backup-4", "demo-backup-5")


def demo_totp_key(username: str) -> str:
    """The fixed, published TOTP key (hex, 20 bytes) of a demo account."""
    return hashlib.sha1(f"clearcourse-demo-totp:{username}".encode(), usedforsecurity=False).hexdigest()


def demo_totp_secret(username: str) -> str:
    """The same key in base32, as authenticator apps take it."""
    return base64.b32encode(bytes.fromhex(demo_totp_key(username))).decode()


def is_demo_device(device: TOTPDevice) -> bool:
    username = device.user.get_username()
    return username in {a[0] for a in DEMO_ACCOUNTS} and device.key == demo_totp_key(username)


def enrol_demo_devices(user: User) -> None:
    TOTPDevice.objects.create(user=user, name="Demo authenticator", key=demo_totp_key(user.username),
                              confirmed=True)
    backup = StaticDevice.objects.create(user=user, name="Demo backup codes", confirmed=True)
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in DEMO_BACKUP_CODES])


def build(ctx: dict[str, Any]) -> None:
    clinic = Clinic.objects.create(name="Riverside Dermatology (demo)", program="us-ipledge", city="Springfield")
    # Synthetic identifiers of the right form (the NPIs pass the check digit); they name no real provider.
    pharmacy = Pharmacy.objects.create(name="Main Street Pharmacy (demo)", program="us-ipledge",
                                       registration_number="NCPDP-0000001", city="Springfield",
                                       ncpdp_id=DEMO_NCPDP_ID, npi=npi_with_check_digit("199000001"))
    users: dict[str, User] = {}
    for i, (username, role, first, last) in enumerate(DEMO_ACCOUNTS):
        extra: dict[str, Any] = {}
        if role in (Role.PRESCRIBER, Role.DELEGATE):
            extra["clinic"] = clinic
        if role == Role.PRESCRIBER:
            extra["registration_number"] = f"IPL-P-{1000 + i}"
            extra["npi"] = npi_with_check_digit(f"19900010{i}")
        if role == Role.PHARMACIST:
            extra["pharmacy"] = pharmacy
        if role == Role.ADMIN:
            extra.update(is_staff=True, is_superuser=True)
        users[username] = User.objects.create_user(
            username=username, password=DEMO_PASSWORD, role=role, first_name=first, last_name=last,
            email=f"{username}@demo.clearcourse.invalid", **extra,
        )
    for user in users.values():
        enrol_demo_devices(user)
    users["nurse.kim"].acts_for.set([users["dr.rivera"], users["dr.chen"]])
    ctx.update(clinic=clinic, pharmacy=pharmacy, users=users, prescribers=[users["dr.rivera"], users["dr.chen"]])


def print_sign_ins(out: Any) -> None:
    out.write(f"\nDemo sign-ins (password for every account: {DEMO_PASSWORD}):")
    for user in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).order_by("role"):
        out.write(f"  {user.get_role_display():<13} {user.username:<10} TOTP secret {demo_totp_secret(user.username)}")
    patients = list(User.objects.filter(role=Role.PATIENT, username__startswith="patient.")
                    .order_by("username").values_list("username", flat=True))
    if patients:
        out.write(f"  {'Patient':<13} {', '.join(patients)}")
    out.write("Staff accounts need a second factor (patients do not). Either add the TOTP secret above to an\n"
              "authenticator app, or print the current code with `python -m clearcourse demo_otp USERNAME`,\n"
              f"or use a single-use backup code: {', '.join(DEMO_BACKUP_CODES)} (each works once per demo database).")
    out.write("Open http://127.0.0.1:8000/ and sign in.\n")
