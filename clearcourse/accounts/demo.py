"""Demo organisations and one account per role."""

from __future__ import annotations

from typing import Any

from clearcourse.accounts.models import Clinic, Pharmacy, Role, User

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo credential for synthetic data

DEMO_ACCOUNTS = [
    # username, role, first, last
    ("dr.rivera", Role.PRESCRIBER, "Ana", "Rivera"),
    ("dr.chen", Role.PRESCRIBER, "Wei", "Chen"),
    ("nurse.kim", Role.DELEGATE, "Hana", "Kim"),
    ("pharm.lee", Role.PHARMACIST, "Daniel", "Lee"),
    ("admin", Role.ADMIN, "Ada", "Admin"),
]


def build(ctx: dict[str, Any]) -> None:
    clinic = Clinic.objects.create(name="Riverside Dermatology (demo)", program="us-ipledge", city="Springfield")
    pharmacy = Pharmacy.objects.create(name="Main Street Pharmacy (demo)", program="us-ipledge",
                                       registration_number="NCPDP-0000001", city="Springfield")
    users: dict[str, User] = {}
    for i, (username, role, first, last) in enumerate(DEMO_ACCOUNTS):
        extra: dict[str, Any] = {}
        if role in (Role.PRESCRIBER, Role.DELEGATE):
            extra["clinic"] = clinic
        if role == Role.PRESCRIBER:
            extra["registration_number"] = f"IPL-P-{1000 + i}"
        if role == Role.PHARMACIST:
            extra["pharmacy"] = pharmacy
        if role == Role.ADMIN:
            extra.update(is_staff=True, is_superuser=True)
        users[username] = User.objects.create_user(
            username=username, password=DEMO_PASSWORD, role=role, first_name=first, last_name=last,
            email=f"{username}@demo.clearcourse.invalid", **extra,
        )
    users["nurse.kim"].acts_for.set([users["dr.rivera"], users["dr.chen"]])
    ctx.update(clinic=clinic, pharmacy=pharmacy, users=users, prescribers=[users["dr.rivera"], users["dr.chen"]])


def print_sign_ins(out: Any) -> None:
    out.write(f"\nDemo sign-ins (password for every account: {DEMO_PASSWORD}):")
    for user in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).order_by("role"):
        out.write(f"  {user.get_role_display():<13} {user.username}")
    patient = User.objects.filter(role=Role.PATIENT, username__startswith="patient.").order_by("username").first()
    if patient:
        out.write(f"  {'Patient':<13} {patient.username}  (and the other patient.* accounts)")
    out.write("Open http://127.0.0.1:8000/ and sign in.\n")
