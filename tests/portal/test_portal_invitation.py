"""Invitations: the clinic sends a signed, expiring, single-use link; the patient sets a password."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.portal import services
from clearcourse.portal.models import Invitation

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def new_patient(prescriber: Any, clinic: Any) -> Any:
    from clearcourse.courses.models import Patient

    return Patient.objects.create(clinic=clinic, prescriber=prescriber, record_number="R-0100", given_name="Lena",
                                  family_name="Vogel", birth_date=dt.date(2001, 5, 2), sex="female",
                                  email="Lena.Vogel@example.org", preferred_language="de")


def _invite(actor: Any, patient: Any, now: dt.datetime | None = None) -> tuple[Invitation, str]:
    return services.invitation_create(actor=actor, patient=patient, now=now or timezone.now(),
                                      base_url="http://testserver/")


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def test_staff_invite_a_patient_by_email_in_the_patients_language(
        login: Callable[[Any], Any], prescriber: Any, new_patient: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    client = login(prescriber)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:invite", args=[new_patient.pk]), {"email": ""})
    assert response.status_code == 302
    invitation = Invitation.objects.get(patient=new_patient)
    assert invitation.email == "Lena.Vogel@example.org"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Lena.Vogel@example.org"]
    assert "/portal/welcome/" in message.body
    assert "Hallo Lena" in message.body  # the patient's preferred language, German


def test_the_link_sets_a_password_and_links_a_patient_account(client: Any, prescriber: Any, new_patient: Any) -> None:
    _invitation, link = _invite(prescriber, new_patient)
    url = reverse("portal:accept", args=[_token(link)])
    assert client.get(url).status_code == 200
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    new_patient.refresh_from_db()
    user = new_patient.user
    assert user is not None and user.role == "patient" and user.username == "lena.vogel@example.org"
    assert user.check_password(NEW_PASSWORD)
    assert user.preferred_language == "de"
    assert Invitation.objects.get(patient=new_patient).accepted_at is not None
    signed_in = client.post(reverse("accounts:login"), {"username": "lena.vogel@example.org",
                                                        "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_a_used_link_is_refused(client: Any, prescriber: Any, new_patient: Any) -> None:
    _invitation, link = _invite(prescriber, new_patient)
    url = reverse("portal:accept", args=[_token(link)])
    client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    response = client.post(url, {"password1": "another-" + NEW_PASSWORD, "password2": "another-" + NEW_PASSWORD})
    assert response.status_code == 410
    assert services.INVITATION_USED in response.content.decode()
    with pytest.raises(DomainError) as exc:
        services.invitation_accept(token=_token(link), password=NEW_PASSWORD, password_again=NEW_PASSWORD,
                                   now=timezone.now())
    assert exc.value.code == "used"


def test_an_expired_link_is_refused_and_creates_nothing(client: Any, prescriber: Any, new_patient: Any) -> None:
    created = timezone.now() - dt.timedelta(days=services.INVITATION_DAYS, seconds=1)
    _invitation, link = _invite(prescriber, new_patient, now=created)
    response = client.post(reverse("portal:accept", args=[_token(link)]),
                           {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 410
    assert services.INVITATION_EXPIRED in response.content.decode()
    new_patient.refresh_from_db()
    assert new_patient.user is None


def test_a_link_still_works_just_before_it_expires(prescriber: Any, new_patient: Any) -> None:
    created = timezone.now() - dt.timedelta(days=services.INVITATION_DAYS) + dt.timedelta(seconds=5)
    _invitation, link = _invite(prescriber, new_patient, now=created)
    user = services.invitation_accept(token=_token(link), password=NEW_PASSWORD, password_again=NEW_PASSWORD,
                                      now=timezone.now())
    assert user.patient_record == new_patient


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: "x" + t,  # payload changed
    lambda t: "not-a-token",
])
def test_a_tampered_link_is_refused(client: Any, prescriber: Any, new_patient: Any,
                                    mangle: Callable[[str], str]) -> None:
    _invitation, link = _invite(prescriber, new_patient)
    response = client.get(reverse("portal:accept", args=[mangle(_token(link))]))
    assert response.status_code == 410
    assert services.INVITATION_INVALID in response.content.decode()


def test_a_forged_token_with_a_valid_signature_but_wrong_nonce_is_refused(prescriber: Any, new_patient: Any) -> None:
    from django.core import signing

    invitation, _link = _invite(prescriber, new_patient)
    forged = signing.dumps({"i": invitation.pk, "n": "guessed"}, salt="clearcourse.portal.invitation")
    with pytest.raises(DomainError) as exc:
        services.invitation_from_token(forged, now=timezone.now())
    assert exc.value.code == "invalid_token"


def test_a_new_invitation_replaces_the_old_link(prescriber: Any, new_patient: Any) -> None:
    _first, old_link = _invite(prescriber, new_patient)
    _second, new_link = _invite(prescriber, new_patient)
    with pytest.raises(DomainError) as exc:
        services.invitation_from_token(_token(old_link), now=timezone.now())
    assert exc.value.code == "replaced"
    assert services.invitation_from_token(_token(new_link), now=timezone.now()).pk == _second.pk


def test_mismatched_passwords_are_a_field_error_and_nothing_is_created(client: Any, prescriber: Any,
                                                                       new_patient: Any) -> None:
    _invitation, link = _invite(prescriber, new_patient)
    response = client.post(reverse("portal:accept", args=[_token(link)]),
                           {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert response.status_code == 400
    assert services.PASSWORDS_DIFFER in response.content.decode()
    new_patient.refresh_from_db()
    assert new_patient.user is None


def test_a_weak_password_is_refused(client: Any, prescriber: Any, new_patient: Any) -> None:
    _invitation, link = _invite(prescriber, new_patient)
    response = client.post(reverse("portal:accept", args=[_token(link)]),
                           {"password1": "12345678", "password2": "12345678"})
    assert response.status_code == 400
    new_patient.refresh_from_db()
    assert new_patient.user is None


def test_a_patient_who_has_an_account_is_not_invited_again(prescriber: Any, patient: Any) -> None:
    with pytest.raises(DomainError) as exc:
        _invite(prescriber, patient)
    assert exc.value.code == "has_account"


def test_an_invitation_needs_an_email_address(prescriber: Any, new_patient: Any) -> None:
    new_patient.email = ""
    new_patient.save()
    with pytest.raises(DomainError) as exc:
        _invite(prescriber, new_patient)
    assert exc.value.field == "email"


def test_staff_of_another_clinic_cannot_invite(other_prescriber: Any, new_patient: Any,
                                               login: Callable[[Any], Any]) -> None:
    with pytest.raises(NotFoundError):
        _invite(other_prescriber, new_patient)
    response = login(other_prescriber).post(reverse("portal:invite", args=[new_patient.pk]))
    assert response.status_code == 404
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["pharmacist", "patient_user", "admin_user"])
def test_only_clinic_staff_may_invite(persona: str, request: pytest.FixtureRequest, login: Callable[[Any], Any],
                                      new_patient: Any) -> None:
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDeniedError):
        _invite(actor, new_patient)
    assert login(actor).post(reverse("portal:invite", args=[new_patient.pk])).status_code == 403


def test_the_invite_button_is_post_only(login: Callable[[Any], Any], prescriber: Any, new_patient: Any) -> None:
    assert login(prescriber).get(reverse("portal:invite", args=[new_patient.pk])).status_code == 405


def test_only_a_hash_of_the_link_secret_is_stored(prescriber: Any, new_patient: Any) -> None:
    from django.core import signing

    invitation, link = _invite(prescriber, new_patient)
    nonce = signing.loads(_token(link), salt="clearcourse.portal.invitation")["n"]
    assert nonce not in invitation.nonce_hash and len(invitation.nonce_hash) == 64


def test_the_patient_language_is_applied_at_sign_in(client: Any, prescriber: Any, new_patient: Any,
                                                    course_for: Callable[[Any], Any]) -> None:
    _invitation, link = _invite(prescriber, new_patient)
    services.invitation_accept(token=_token(link), password=NEW_PASSWORD, password_again=NEW_PASSWORD,
                               now=timezone.now())
    course_for(new_patient)
    response = client.post(reverse("accounts:login"), {"username": "lena.vogel@example.org",
                                                       "password": NEW_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert response.wsgi_request.LANGUAGE_CODE == "de"
    assert "Was ist diesen Monat zu tun" in response.content.decode()
    assert client.cookies["django_language"].value == "de"


@pytest.fixture
def course_for(prescriber: Any) -> Callable[[Any], Any]:
    from clearcourse.courses.services import course_create

    return lambda patient: course_create(actor=prescriber, patient=patient)
