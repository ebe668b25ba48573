"""Writes of the patient portal: invitations (sent by the clinic, accepted by the patient) and consent.

Keyword-only, typed, one transaction each, audited (DESIGN.md conventions 1 and 4). ``now`` and
``today`` come from the view so that expiry and dates are testable; nothing here reads the clock.
The monthly duties (comprehension, contraception, PHQ-9, side effects, missed doses) are written by
the services of the apps that own those records; the portal's views call them directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core.dates import show_date
from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.courses.models import Course, CourseStatus, Patient
from clearcourse.courses.selectors import patients_visible_to
from clearcourse.courses.services import require_clinic_staff
from clearcourse.portal.consent import ConsentDocument, consent_document
from clearcourse.portal.models import ConsentSignature, GuardianRelationship, Invitation
from clearcourse.ppp.services import current_risk_category
from clearcourse.rules import plausibility, programs

# --- messages (tests assert these constants) ------------------------------------------------------

ALREADY_HAS_ACCOUNT = N_("This patient already has a portal account.")
NO_EMAIL = N_("Record the patient's email address before sending an invitation.")
INVITATION_INVALID = N_("This invitation link is not valid. Ask your clinic for a new invitation.")
INVITATION_EXPIRED = N_("This invitation link has expired. Ask your clinic for a new invitation.")
INVITATION_USED = N_("This invitation link has already been used. Sign in with your password instead.")
INVITATION_REPLACED = N_("A newer invitation replaced this link. Use the link in the latest email.")
PASSWORDS_DIFFER = N_("The two passwords are not the same.")
USERNAME_TAKEN = N_("An account with this email address already exists. Ask your clinic for help.")
NOT_YOUR_COURSE = N_("You can only sign the consent for your own course.")
COURSE_CLOSED = N_("This course is closed; there is nothing to sign.")
CATEGORY_MISSING = N_("Your dermatologist has not yet recorded whether you can get pregnant. The consent "
                      "text depends on it, so it cannot be signed yet.")
TEXT_CHANGED = N_("The consent text has changed since you opened this page. Read the current text and sign "
                  "again.")
NAME_MISMATCH = N_("Type your full name exactly as your clinic recorded it: %(name)s.")
NAME_REQUIRED = N_("Type your full name.")
DATE_NOT_TODAY = N_("Enter today's date (%(today)s).")
DEFAULT_GUARDIAN_AGE = 18
GUARDIAN_NAME_REQUIRED = N_("A patient under %(age)s signs with a parent or guardian: type their full name.")
GUARDIAN_NOT_THE_PATIENT = N_("The parent or guardian must be another person than the patient.")
GUARDIAN_RELATIONSHIP_REQUIRED = N_("Choose how the parent or guardian is related to the patient.")
GUARDIAN_NOT_CONFIRMED = N_("The parent or guardian must tick this box to give their consent too.")
GUARDIAN_DATE_NOT_TODAY = N_("Enter today's date (%(today)s) for the parent or guardian.")
RISK_NOT_ACKNOWLEDGED = N_("Tick this box to confirm that you have read and understood this statement.")
LANGUAGE_UNKNOWN = N_("Choose English or German.")

#: How long an invitation link works.
INVITATION_DAYS = 7
_SALT = "clearcourse.portal.invitation"


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


# --- invitations ------------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, actor: User, patient: Patient, now: dt.datetime, base_url: str,
                      email: str = "", send_email: bool = True) -> tuple[Invitation, str]:
    """Invite a patient to the portal by email; returns the invitation and the link sent.

    Clinic staff who can see the patient only. Any earlier open invitation stops working, so only
    the latest email's link is valid. The email goes out after the transaction commits (the demo
    passes ``send_email=False`` and prints the link instead).
    """
    require_clinic_staff(actor)
    if not patients_visible_to(actor).filter(pk=patient.pk).exists():
        raise NotFoundError()
    if patient.user_id is not None:
        raise DomainError(_(ALREADY_HAS_ACCOUNT), code="has_account")
    address = (email or patient.email).strip()
    if not address:
        raise DomainError(_(NO_EMAIL), field="email", code="no_email")
    Invitation.objects.filter(patient=patient, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now)
    nonce = secrets.token_urlsafe(24)
    invitation = Invitation.objects.create(
        patient=patient, email=address, nonce_hash=_hash(nonce), created_by=actor, created_at=now,
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    token = signing.dumps({"i": invitation.pk, "n": nonce}, salt=_SALT)
    link = base_url.rstrip("/") + reverse("portal:accept", args=[token])
    if send_email:
        transaction.on_commit(lambda: _send_invitation(patient, address, link, invitation.expires_at))
    audit_record(actor=actor, action="portal.invitation.create", patient_id=patient.pk, obj=invitation,
                 detail={"expires_at": invitation.expires_at.isoformat()})
    return invitation, link


def _send_invitation(patient: Patient, address: str, link: str, expires_at: dt.datetime) -> None:
    # The email is written in the patient's language, whatever the sender's page language is.
    with translation.override(patient.preferred_language):
        context = {"patient": patient, "link": link, "expires_at": expires_at, "clinic": patient.clinic}
        subject = render_to_string("portal/email/invitation_subject.txt", context).strip()
        body = render_to_string("portal/email/invitation_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])


def invitation_from_token(token: str, *, now: dt.datetime, lock: bool = False) -> Invitation:
    """The open invitation a link's token names, or DomainError saying why the link does not work.

    A token whose signature does not verify (tampered or made up) and one whose nonce does not match
    are both "not valid"; expired, used and replaced links each say so.
    """
    try:
        payload = signing.loads(token, salt=_SALT)
        invitation_id, nonce = int(payload["i"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise DomainError(_(INVITATION_INVALID), code="invalid_token") from None
    qs = Invitation.objects.select_related("patient", "patient__clinic")
    if lock:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.filter(pk=invitation_id).first()
    if invitation is None or not hmac.compare_digest(invitation.nonce_hash, _hash(nonce)):
        raise DomainError(_(INVITATION_INVALID), code="invalid_token")
    if invitation.accepted_at is not None or invitation.patient.user_id is not None:
        raise DomainError(_(INVITATION_USED), code="used")
    if invitation.revoked_at is not None:
        raise DomainError(_(INVITATION_REPLACED), code="replaced")
    if now >= invitation.expires_at:
        raise DomainError(_(INVITATION_EXPIRED), code="expired")
    return invitation


def username_for(invitation: Invitation) -> str:
    """Patients sign in with the email address they were invited at."""
    return invitation.email.strip().lower()


@transaction.atomic
def invitation_accept(*, token: str, password: str, password_again: str, now: dt.datetime) -> User:
    """Create the patient's account from an invitation link, set its password and link it to the
    patient record. The link works once: the invitation row is locked and marked accepted."""
    invitation = invitation_from_token(token, now=now, lock=True)
    patient = invitation.patient
    if password != password_again:
        raise DomainError(_(PASSWORDS_DIFFER), field="password2", code="mismatch")
    username = username_for(invitation)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_(USERNAME_TAKEN), code="username_taken")
    user = User(username=username, email=invitation.email, first_name=patient.given_name[:150],
                last_name=patient.family_name[:150], role=Role.PATIENT,
                preferred_language=patient.preferred_language)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password1", code="weak_password") from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            # The conditional update is the single-use guarantee even without row locks (SQLite).
            linked = Patient.objects.filter(pk=patient.pk, user__isnull=True).update(user=user)
    except IntegrityError:
        raise DomainError(_(USERNAME_TAKEN), code="username_taken") from None
    if linked != 1:
        raise DomainError(_(INVITATION_USED), code="used")
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=now, user=user)
    audit_record(actor=user, action="portal.invitation.accept", patient_id=patient.pk, obj=invitation)
    return user


# --- consent ----------------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """Compare names as people type them: Unicode-normalised, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _require_own_course(actor: User, course: Course) -> None:
    if actor.role != Role.PATIENT or course.patient.user_id != actor.pk:
        raise PermissionDeniedError(_(NOT_YOUR_COURSE), code="not_your_course")


def consent_document_for(course: Course, *, language: str) -> ConsentDocument:
    """The consent text this course's patient signs now, in ``language``; DomainError when the risk
    category is not recorded yet (the text depends on it)."""
    if language not in ("en", "de"):
        raise DomainError(_(LANGUAGE_UNKNOWN), field="language", code="invalid")
    category = current_risk_category(course)
    if category is None:
        raise DomainError(_(CATEGORY_MISSING), code="category_missing")
    return consent_document(program=course.program, can_get_pregnant=category.can_get_pregnant,
                            language=language)


@transaction.atomic
def consent_sign(*, actor: User, course: Course, text_version: str, text_sha256: str, typed_name: str,
                 signed_on: dt.date, risks: Iterable[str], language: str, today: dt.date, now: dt.datetime,
                 ip: str | None = None, guardian_name: str = "", guardian_relationship: str = "",
                 guardian_confirmed: bool = False, guardian_signed_on: dt.date | None = None) -> ConsentSignature:
    """The patient signs the consent text they were shown. Stored append-only with that exact text and
    its hash; refused (nothing stored) when the name does not match the record, the date is not
    today, any risk is unticked, or the text changed since it was shown. A patient under the program's
    age for consenting alone (``consent_needs_guardian``) signs with a parent or guardian: their name (not
    the patient's), relationship, confirmation and today's date are required and stored."""
    _require_own_course(actor, course)
    if course.status in (CourseStatus.CLOSED, CourseStatus.STOPPED):
        raise DomainError(_(COURSE_CLOSED), code="course_closed")
    document = consent_document_for(course, language=language)
    if text_version != document.version_id or not hmac.compare_digest(text_sha256, document.sha256):
        raise DomainError(_(TEXT_CHANGED), code="text_changed")
    if not typed_name.strip():
        raise DomainError(_(NAME_REQUIRED), field="typed_name", code="required")
    if normalise_name(typed_name) != normalise_name(course.patient.full_name):
        raise DomainError(_(NAME_MISMATCH) % {"name": course.patient.full_name}, field="typed_name",
                          code="name_mismatch")
    if signed_on != today:
        raise DomainError(_(DATE_NOT_TODAY) % {"today": show_date(today)}, field="signed_on",
                          code="not_today")
    ticked = set(risks)
    for code in document.risk_codes:
        if code not in ticked:
            raise DomainError(_(RISK_NOT_ACKNOWLEDGED), field=f"risk_{code}", code="risk_not_acknowledged")
    guardian: dict[str, object] = {}
    if consent_needs_guardian(course, today):
        guardian = _check_guardian(course, today, name=guardian_name, relationship=guardian_relationship,
                                   confirmed=guardian_confirmed, signed_on=guardian_signed_on)
    signature = ConsentSignature.objects.create(
        course=course, text_version=document.version_id, text_sha256=document.sha256, text=document.text,
        language=document.language, typed_name=" ".join(typed_name.split()), signed_on=signed_on,
        risks=list(document.risk_codes), signed_at=now, ip=ip or None, recorded_by=actor, **guardian,
    )
    audit_record(actor=actor, action="portal.consent.sign", patient_id=course.patient_id, obj=signature,
                 detail={"course": course.pk, "text_version": document.version_id,
                         "text_sha256": document.sha256,
                         **({"guardian_relationship": guardian["guardian_relationship"]} if guardian else {})})
    return signature


def guardian_age(course: Course, on: dt.date) -> int:
    """The age from which the patient consents alone, for the course's program on ``on``."""
    try:
        return programs.guardian_consent_under_age(course.program, on)
    except programs.ProgramNotFound:
        return DEFAULT_GUARDIAN_AGE


def consent_needs_guardian(course: Course, on: dt.date) -> bool:
    """Is the patient under the program's age for consenting alone on ``on`` (rules.programs)?"""
    # No version in force: the versions' own default age (18), the safer reading.
    return plausibility.age_in_years(course.patient.birth_date, on) < guardian_age(course, on)


def _check_guardian(course: Course, today: dt.date, *, name: str, relationship: str, confirmed: bool,
                    signed_on: dt.date | None) -> dict[str, object]:
    name = " ".join((name or "").split())
    if not name:
        age = guardian_age(course, today)
        raise DomainError(_(GUARDIAN_NAME_REQUIRED) % {"age": age}, field="guardian_name", code="guardian_required")
    if normalise_name(name) == normalise_name(course.patient.full_name):
        raise DomainError(_(GUARDIAN_NOT_THE_PATIENT), field="guardian_name", code="guardian_is_patient")
    if relationship not in GuardianRelationship.values:
        raise DomainError(_(GUARDIAN_RELATIONSHIP_REQUIRED), field="guardian_relationship", code="required")
    if not confirmed:
        raise DomainError(_(GUARDIAN_NOT_CONFIRMED), field="guardian_confirmed", code="guardian_not_confirmed")
    if signed_on != today:
        raise DomainError(_(GUARDIAN_DATE_NOT_TODAY) % {"today": today.isoformat()}, field="guardian_signed_on",
                          code="not_today")
    return {"guardian_name": name[:200], "guardian_relationship": relationship, "guardian_confirmed": True,
            "guardian_signed_on": signed_on}
