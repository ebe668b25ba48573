"""Django's admin (issue 14, finding 2): it never shows second-factor secrets; every admin write and every
admin read of a patient's data is in the hash-chained audit trail; setting someone's password or resetting
their second factor needs the administrator's own recent code and tells the person."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearcourse.accounts.models import Clinic, User
from clearcourse.accounts.services import PASSWORD_RESET_SUBJECT, SECOND_FACTOR_RESET_SUBJECT
from clearcourse.audit.models import AuditEntry
from clearcourse.audit.selectors import verify_trail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def admin_device(admin_user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)


@pytest.fixture
def verified_admin(settings: Any, admin_user: Any, admin_device: TOTPDevice) -> Client:
    """The administrator signed in with the password and the second factor, through the real steps."""
    settings.CLEARCOURSE_REQUIRE_2FA = True
    client = Client()
    client.post(reverse("accounts:login"), {"username": admin_user.username, "password": PASSWORD})
    done = client.post(reverse("accounts:otp_verify"), {"token": code(admin_device)})
    assert done.status_code == 302
    return client


def admin_actions(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


# --- secrets -----------------------------------------------------------------------------------------


def test_the_admin_never_shows_a_totp_key_or_backup_codes(verified_admin: Client, prescriber: Any) -> None:
    device = TOTPDevice.objects.create(user=prescriber, name="phone", confirmed=True)
    backup = StaticDevice.objects.create(user=prescriber, name="backup", confirmed=True)
    StaticToken.objects.create(device=backup, token="zq7wx3k9")
    secrets = (device.key, base64.b32encode(device.bin_key).decode().rstrip("="), "zq7wx3k9")
    pages = [reverse("admin:otp_totp_totpdevice_changelist"),
             reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
             reverse("admin:otp_static_staticdevice_changelist"),
             reverse("admin:otp_static_staticdevice_change", args=[backup.pk])]
    for url in pages:
        response = verified_admin.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        shown = [s for s in secrets if s in body or s.lower() in body.lower()]
        assert not shown, f"{url} shows a second-factor secret"
    # django-otp's QR code page (it draws the key) is gone too.
    assert verified_admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code in {302, 404}


# --- writes ------------------------------------------------------------------------------------------


def test_every_admin_write_is_in_the_hash_chain(verified_admin: Client, admin_user: Any) -> None:
    added = verified_admin.post(reverse("admin:accounts_clinic_add"),
                                {"name": "Westside Skin", "program": "us-ipledge", "city": "Springfield",
                                 "time_zone": "America/Chicago"})
    assert added.status_code == 302, added.content.decode()[:2000]
    clinic = Clinic.objects.get(name="Westside Skin")
    changed = verified_admin.post(reverse("admin:accounts_clinic_change", args=[clinic.pk]),
                                  {"name": "Westside Skin Clinic", "program": "us-ipledge", "city": "Springfield",
                                   "time_zone": "America/Chicago"})
    assert changed.status_code == 302
    deleted = verified_admin.post(reverse("admin:accounts_clinic_delete", args=[clinic.pk]), {"post": "yes"})
    assert deleted.status_code == 302 and not Clinic.objects.filter(pk=clinic.pk).exists()
    other = Clinic.objects.create(name="To go", program="us-ipledge", city="X")
    bulk = verified_admin.post(reverse("admin:accounts_clinic_changelist"),
                               {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"})
    assert bulk.status_code == 302 and not Clinic.objects.filter(pk=other.pk).exists()

    for action, object_id in (("admin.add", clinic.pk), ("admin.change", clinic.pk), ("admin.delete", clinic.pk),
                              ("admin.delete", other.pk)):
        entries = [e for e in admin_actions(action) if e.detail.get("object_id") == str(object_id)]
        assert len(entries) == 1, (action, object_id)
        assert entries[0].actor_id == admin_user.pk and entries[0].detail["model"] == "accounts.Clinic"
    assert verify_trail()[0] is None


# --- reads of patient data ------------------------------------------------------------------------


def test_admin_reads_of_a_patients_data_reach_the_patients_access_report(
        verified_admin: Client, patient: Any, course: Any, prescriber: Any, make_ready: Any, today: Any) -> None:
    prescription = make_ready(course, prescriber, today)
    pages = [("admin.history", reverse("admin:courses_patient_history", args=[patient.pk])),
             ("admin.view", reverse("admin:courses_prescription_change", args=[prescription.pk])),
             ("admin.view", reverse("admin:accounts_user_change", args=[patient.user.pk])),
             ("admin.history", reverse("admin:accounts_user_history", args=[patient.user.pk]))]
    for action, url in pages:
        before = AuditEntry.objects.filter(action=action, patient_id=patient.pk).count()
        assert verified_admin.get(url).status_code == 200, url
        assert AuditEntry.objects.filter(action=action, patient_id=patient.pk).count() == before + 1, url
    patient_client = Client()
    patient_client.force_login(patient.user, backend="django.contrib.auth.backends.ModelBackend")
    report = patient_client.get(reverse("portal:access_report")).content.decode()
    assert "Read the change history of your record (administration)" in report


# --- password and second factor reset ----------------------------------------------------------------


def test_setting_a_staff_password_needs_a_recent_code_and_tells_the_person(
        verified_admin: Client, admin_device: TOTPDevice, prescriber: Any, clock: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    prescriber.email = "ana.rivera@example.org"
    prescriber.preferred_language = "de"
    prescriber.save()
    url = reverse("admin:auth_user_password_change", args=[prescriber.pk])
    new = {"password1": "a-brand-new-password-2026", "password2": "a-brand-new-password-2026",
           "usable_password": "true"}
    # Eleven minutes after the code step: asked again, nothing changed.
    clock.shift(dt.timedelta(minutes=11))
    stale = verified_admin.post(url, new)
    assert stale.status_code == 302 and stale["Location"].startswith(reverse("accounts:otp_verify"))
    assert "reconfirm=1" in stale["Location"]
    prescriber.refresh_from_db()
    assert prescriber.check_password(PASSWORD) and not admin_actions("account.password_reset")
    # The code again, then the change goes through.
    again = verified_admin.post(stale["Location"], {"token": code(admin_device)})
    assert again.status_code == 302 and again["Location"] == url
    with django_capture_on_commit_callbacks(execute=True):
        done = verified_admin.post(url, new)
    assert done.status_code == 302
    prescriber.refresh_from_db()
    assert prescriber.check_password("a-brand-new-password-2026")
    [entry] = admin_actions("account.password_reset")
    assert entry.detail["user_id"] == prescriber.pk and verify_trail()[0] is None
    [message] = mail.outbox
    assert message.to == ["ana.rivera@example.org"]
    with translation.override("de"):
        german = translation.gettext(PASSWORD_RESET_SUBJECT)
    assert german != PASSWORD_RESET_SUBJECT and message.subject == german


def test_resetting_a_second_factor_needs_a_recent_code_and_tells_the_person(
        verified_admin: Client, admin_device: TOTPDevice, pharmacist: Any, clock: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    pharmacist.email = "lee@example.org"
    pharmacist.save()
    TOTPDevice.objects.create(user=pharmacist, name="phone", confirmed=True)
    StaticDevice.objects.create(user=pharmacist, name="backup", confirmed=True)
    action = {"action": "reset_second_factor", "_selected_action": [pharmacist.pk]}
    changelist = reverse("admin:accounts_user_changelist")
    clock.shift(dt.timedelta(minutes=11))
    stale = verified_admin.post(changelist, action)
    assert stale.status_code == 302 and "reconfirm=1" in stale["Location"]
    assert TOTPDevice.objects.filter(user=pharmacist).exists()
    assert verified_admin.post(stale["Location"], {"token": code(admin_device)}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        done = verified_admin.post(changelist, action)
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=pharmacist).exists()
    assert not StaticDevice.objects.filter(user=pharmacist).exists()
    [entry] = admin_actions("account.second_factor_reset")
    assert entry.detail == {"user_id": pharmacist.pk, "username": pharmacist.username, "devices": 2}
    [message] = mail.outbox
    assert message.to == ["lee@example.org"] and message.subject == SECOND_FACTOR_RESET_SUBJECT
    assert TOTPDevice.objects.filter(user=User.objects.get(pk=verified_admin.session["_auth_user_id"])).exists()
