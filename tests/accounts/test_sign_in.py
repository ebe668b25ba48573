"""Sign-in: password, then a second factor for everyone but patients; enrolment; lockout; expiry;
password reset; the demo's published second factors."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearcourse.accounts.views import TOO_MANY_CODES, WRONG_CODE

PW = "a-long-test-password-2026"
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _known_passwords(prescriber: Any, patient_user: Any, admin_user: Any, pharmacist: Any) -> None:
    for user in (prescriber, patient_user, admin_user, pharmacist):
        user.set_password(PW)
        user.save()


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def enrol(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in(client: Client, user: Any, password: str = PW, next_url: str = "") -> Any:
    data = {"username": user.username, "password": password}
    url = LOGIN + (f"?next={next_url}" if next_url else "")
    return client.post(url, data)


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_staff_with_a_device_must_enter_a_code_before_any_page(client: Client, admin_user: Any) -> None:
    device = enrol(admin_user)
    response = sign_in(client, admin_user, next_url="/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    # Signed in with the password only: every page sends the session back to the code step.
    blocked = client.get("/audit/")
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("accounts:otp_verify"))
    with time_machine.travel(dt.datetime.now(tz=dt.UTC)) as traveller:
        wrong = client.post(reverse("accounts:otp_verify") + "?next=/audit/", {"token": "000000"})
        assert wrong.status_code == 400
        assert WRONG_CODE.split(".")[0] in wrong.content.decode()
        # django-otp throttles: straight after a wrong code even the right one waits a moment.
        too_soon = client.post(reverse("accounts:otp_verify"), {"token": current_code(device)})
        assert too_soon.status_code == 400 and TOO_MANY_CODES.split(".")[0] in too_soon.content.decode()
        traveller.shift(dt.timedelta(seconds=5))
        right = client.post(reverse("accounts:otp_verify"), {"token": current_code(device), "next": "/audit/"})
    assert right.status_code == 302 and right["Location"] == "/audit/"
    assert client.get("/audit/").status_code == 200


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_the_code_step_refuses_an_outside_next_url(client: Client, admin_user: Any) -> None:
    device = enrol(admin_user)
    sign_in(client, admin_user)
    response = client.post(reverse("accounts:otp_verify"),
                           {"token": current_code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("core:home")


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_first_sign_in_of_staff_enrols_a_totp_device_and_gives_backup_codes(client: Client, prescriber: Any) -> None:
    response = sign_in(client, prescriber)
    assert response["Location"].startswith(reverse("accounts:otp_setup"))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7]+)<', html)
    assert secret is not None
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC)) as traveller:
        wrong = client.post(reverse("accounts:otp_setup"), {"token": "123456"})
        assert wrong.status_code == 400
        traveller.shift(dt.timedelta(seconds=5))
        done = client.post(reverse("accounts:otp_setup"), {"token": current_code(device)})
    assert done.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = StaticToken.objects.filter(device__user=prescriber)
    assert codes.count() == 10
    assert all(c.token in done.content.decode() for c in codes)
    # The session is verified now.
    home = client.get("/")
    assert home.status_code == 302 and "two-factor" not in home["Location"]
    # The enrolment was written by the accounts service, each write with its audit entry (none for the codes).
    from clearcourse.audit.models import AuditEntry

    entries = list(AuditEntry.objects.filter(actor=prescriber, action__startswith="otp.enrol")
                   .order_by("id").values_list("action", flat=True))
    assert entries == ["otp.enrol_start", "otp.enrol"]
    assert not any(c.token in str(AuditEntry.objects.filter(action="otp.enrol").values_list("detail", flat=True))
                   for c in codes)


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_an_unverified_session_cannot_enrol_a_second_device(client: Client, prescriber: Any) -> None:
    enrol(prescriber)
    sign_in(client, prescriber)
    response = client.get(reverse("accounts:otp_setup"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_verify"))
    assert TOTPDevice.objects.filter(user=prescriber).count() == 1


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_a_backup_code_works_once(client: Client, pharmacist: Any) -> None:
    enrol(pharmacist)
    backup = StaticDevice.objects.create(user=pharmacist, name="backup", confirmed=True)
    backup.token_set.create(token="abcd1234")
    sign_in(client, pharmacist)
    assert client.post(reverse("accounts:otp_verify"), {"token": "abcd1234"}).status_code == 302
    client.post(reverse("accounts:logout"))
    sign_in(client, pharmacist)
    assert client.post(reverse("accounts:otp_verify"), {"token": "abcd1234"}).status_code == 400


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
@pytest.mark.parametrize("step", ["code", "enrolment"])
def test_the_second_factor_step_gives_the_session_a_new_id(client: Client, pharmacist: Any, step: str) -> None:
    """Issue 14, finding 10: the id a session had before its code step (one an attacker may have fixed or
    seen) must not become a fully signed-in session."""
    from django.contrib.sessions.backends.db import SessionStore

    if step == "code":
        device = enrol(pharmacist)
        sign_in(client, pharmacist)
        before = client.cookies["sessionid"].value
        done = client.post(reverse("accounts:otp_verify"), {"token": current_code(device)})
        assert done.status_code == 302
    else:
        sign_in(client, pharmacist)
        client.get(reverse("accounts:otp_setup"))
        device = TOTPDevice.objects.get(user=pharmacist, confirmed=False)
        before = client.cookies["sessionid"].value
        done = client.post(reverse("accounts:otp_setup"), {"token": current_code(device)})
        assert done.status_code == 200
    after = client.cookies["sessionid"].value
    assert after != before
    assert not SessionStore().exists(before)
    # The old id is worth nothing: a client holding it is signed out.
    stale = Client()
    stale.cookies["sessionid"] = before
    assert stale.get(reverse("pharmacy:home"))["Location"].startswith(reverse("accounts:login"))
    assert client.get(reverse("pharmacy:home")).status_code == 200


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_patients_sign_in_without_a_second_factor_unless_they_enrolled(client: Client, patient_user: Any) -> None:
    response = sign_in(client, patient_user)
    assert response.status_code == 302 and "two-factor" not in response["Location"]
    assert client.get(reverse("portal:access_report")).status_code == 200
    client.post(reverse("accounts:logout"))
    enrol(patient_user)
    response = sign_in(client, patient_user)
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.get(reverse("portal:access_report")).status_code == 302


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_a_patient_may_enrol_optionally(client: Client, patient_user: Any) -> None:
    sign_in(client, patient_user)
    page = client.get(reverse("accounts:otp_setup"))
    assert page.status_code == 200 and "optional" in page.content.decode()


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_the_middleware_sends_an_unverified_staff_session_to_enrolment(login: Any, prescriber: Any) -> None:
    client = login(prescriber)
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_setup") + "?next=%2Fpatients%2F"


@override_settings(CLEARCOURSE_REQUIRE_2FA=False)
def test_without_the_requirement_staff_go_straight_in(client: Client, prescriber: Any) -> None:
    response = sign_in(client, prescriber)
    assert response.status_code == 302 and "two-factor" not in response["Location"]


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(client: Client, prescriber: Any) -> None:
    for _ in range(5):
        assert sign_in(client, prescriber, password="wrong-password").status_code in (200, 429)
    locked = sign_in(client, prescriber)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_does_not_sign_in(client: Client, prescriber: Any) -> None:
    response = sign_in(client, prescriber, password="wrong-password")
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_session_expires_after_thirty_idle_minutes(client: Client, prescriber: Any) -> None:
    start = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        sign_in(client, prescriber)
        assert client.get("/patients/").status_code == 200
        traveller.shift(dt.timedelta(minutes=29))
        assert client.get("/patients/").status_code == 200  # activity renews the session
        traveller.shift(dt.timedelta(minutes=29))
        assert client.get("/patients/").status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        expired = client.get("/patients/")
        assert expired.status_code == 302 and expired["Location"].startswith(LOGIN)


def test_password_reset_by_email(client: Client, prescriber: Any) -> None:
    prescriber.email = "ana@example.org"
    prescriber.save()
    response = client.post(reverse("accounts:password_reset"), {"email": "ana@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    new_password = "an-entirely-new-password-77"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_reset_complete")
    prescriber.refresh_from_db()
    assert prescriber.check_password(new_password)


def test_password_reset_does_not_reveal_whether_an_address_exists(client: Client) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_the_admin_has_no_sign_in_of_its_own(client: Client, login: Any, prescriber: Any) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert login(prescriber).get("/admin/login/").status_code == 403


def test_the_demo_enrols_staff_with_published_secrets_and_prints_codes(db: Any) -> None:
    from clearcourse.accounts import demo

    ctx: dict[str, Any] = {}
    demo.build(ctx)
    out = io.StringIO()
    demo.print_sign_ins(out)
    printed = out.getvalue()
    for username, *_ in demo.DEMO_ACCOUNTS:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert device.key == demo.demo_totp_key(username)
        assert demo.demo_totp_secret(username) in printed
        code = io.StringIO()
        call_command("demo_otp", username, stdout=code, stderr=io.StringIO())
        assert code.getvalue().strip() == current_code(device)
    assert "demo_otp" in printed and demo.DEMO_BACKUP_CODES[0] in printed


def test_demo_otp_refuses_accounts_that_are_not_demo_accounts(prescriber: Any) -> None:
    enrol(prescriber)
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("demo_otp", prescriber.username, stdout=io.StringIO())


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_a_demo_account_signs_in_with_the_printed_code(client: Client, db: Any) -> None:
    from clearcourse.accounts import demo

    demo.build({})
    client.post(LOGIN, {"username": "dr.rivera", "password": demo.DEMO_PASSWORD})
    code = io.StringIO()
    call_command("demo_otp", "dr.rivera", stdout=code, stderr=io.StringIO())
    response = client.post(reverse("accounts:otp_verify"), {"token": code.getvalue().strip()})
    assert response.status_code == 302 and "two-factor" not in response["Location"]
