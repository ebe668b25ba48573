"""Program enrolment of prescribers and pharmacies (issue 15): the administrator's services and pages,
each persona's access, the own-status page, the renewal on the worklists and the renewal reminder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.ppp import selectors, services
from clearcourse.ppp.models import PharmacyTraining, ProgramCertification

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)
PERSONAS = ["prescriber", "delegate", "pharmacist", "admin_user", "patient_user", "other_prescriber",
            "other_pharmacist"]


def _shown(day: dt.date) -> str:
    """A date as English pages and emails show it ("6 Dec 2026", issue 13)."""
    return f"{day.day} {day:%b} {day.year}"


def _record(admin_user: Any, today: dt.date, **kwargs: Any) -> ProgramCertification:
    defaults: dict[str, Any] = {"program": "us-ipledge", "activated_on": today - 10 * DAY,
                                "expires_on": today + 355 * DAY}
    return services.certification_record(actor=admin_user, today=today, **{**defaults, **kwargs})


# --- services -------------------------------------------------------------------------------------


def test_an_administrator_records_an_enrolment_with_an_audit_entry(admin_user: Any, prescriber: Any,
                                                                   today: dt.date) -> None:
    record = _record(admin_user, today, prescriber=prescriber, program_id_number="IPL-P-7")
    assert record.recorded_by == admin_user
    entry = AuditEntry.objects.get(action="certification.record", object_id=str(record.pk))
    assert entry.detail["prescriber"] == prescriber.pk and entry.detail["expires_on"] == (today + 355 * DAY).isoformat()


@pytest.mark.parametrize("persona", ["prescriber", "pharmacist", "delegate"])
def test_only_administrators_record_enrolments(request: pytest.FixtureRequest, persona: str, pharmacy: Any,
                                               today: dt.date) -> None:
    actor = request.getfixturevalue(persona)
    before = ProgramCertification.objects.count()
    with pytest.raises(PermissionDeniedError):
        _record(actor, today, pharmacy=pharmacy)
    with pytest.raises(PermissionDeniedError):
        services.pharmacy_training_attest(actor=actor, pharmacy=pharmacy, trained_on=today, attested_by="x",
                                          today=today)
    assert ProgramCertification.objects.count() == before


@pytest.mark.parametrize(("change", "field"), [
    ({"expires_on": dt.date(2026, 1, 1), "activated_on": dt.date(2026, 2, 1)}, "expires_on"),
    ({"program": "eu-ppp"}, "program"),
    ({"program": "mars"}, "program"),
    ({"activated_on": dt.date(1999, 1, 1)}, "activated_on"),
    ({"program_id_number": "no spaces please"}, "program_id_number"),
])
def test_a_bad_enrolment_is_refused_on_its_field_and_nothing_is_written(
        admin_user: Any, pharmacy: Any, today: dt.date, change: dict[str, Any], field: str) -> None:
    before = ProgramCertification.objects.count()
    with pytest.raises(DomainError) as refused:
        _record(admin_user, today, pharmacy=pharmacy, **change)
    assert refused.value.field == field
    assert ProgramCertification.objects.count() == before


def test_only_prescribers_are_enrolled_as_prescribers(admin_user: Any, delegate: Any, today: dt.date) -> None:
    with pytest.raises(DomainError) as refused:
        _record(admin_user, today, prescriber=delegate)
    assert refused.value.code == "not_prescriber"


def test_a_correction_supersedes_and_needs_a_reason(admin_user: Any, pharmacy: Any, today: dt.date) -> None:
    original = ProgramCertification.objects.current().get(pharmacy=pharmacy)
    with pytest.raises(DomainError) as refused:
        _record(admin_user, today, pharmacy=pharmacy, supersedes=original)
    assert refused.value.field == "correction_reason"
    corrected = _record(admin_user, today, pharmacy=pharmacy, activated_on=original.activated_on,
                        expires_on=today - DAY, supersedes=original, correction_reason="withdrawn")
    assert not ProgramCertification.objects.get(pk=original.pk).is_current
    assert corrected.is_current
    with pytest.raises(DomainError):  # the old record cannot be corrected twice
        _record(admin_user, today, pharmacy=pharmacy, supersedes=original, correction_reason="again")


def test_a_training_cannot_be_attested_for_the_future(admin_user: Any, pharmacy: Any, today: dt.date) -> None:
    with pytest.raises(DomainError) as refused:
        services.pharmacy_training_attest(actor=admin_user, pharmacy=pharmacy, trained_on=today + DAY,
                                          attested_by="Lee", today=today)
    assert refused.value.field == "trained_on"
    record = services.pharmacy_training_attest(actor=admin_user, pharmacy=pharmacy, trained_on=today,
                                               attested_by="Lee", today=today)
    assert AuditEntry.objects.filter(action="certification.training", object_id=str(record.pk)).exists()


def test_the_loader_gives_the_core_both_participants(prescriber: Any, pharmacy: Any, today: dt.date) -> None:
    from clearcourse.rules.programs.facts import Certification

    participants = selectors.participants_load(program="us-ipledge-2026", prescriber_id=prescriber.pk,
                                               pharmacy_id=pharmacy.pk, on=today)
    assert participants.prescriber == Certification(dt.date(2020, 1, 1), None)
    assert participants.pharmacy == Certification(dt.date(2020, 1, 1), None, trainings=(dt.date(2026, 8, 1),))


# --- status, renewals, reminders ------------------------------------------------------------------


def _expiring(admin_user: Any, today: dt.date, days: int, **who: Any) -> None:
    current = ProgramCertification.objects.current().get(**who)
    _record(admin_user, today, activated_on=current.activated_on, expires_on=today + days * DAY, supersedes=current,
            correction_reason="renewal date", **who)


def test_an_enrolment_lapsing_within_six_weeks_is_a_renewal_item(admin_user: Any, prescriber: Any,
                                                                 today: dt.date) -> None:
    _expiring(admin_user, today, 43, prescriber=prescriber)
    assert selectors.renewals_for(prescriber, on=today) == []
    _expiring(admin_user, today, 42, prescriber=prescriber)
    (item,) = selectors.renewals_for(prescriber, on=today)
    assert item.status.state == selectors.CertificationState.RENEW


def test_the_worklist_shows_the_prescribers_renewal_to_them_and_their_delegate(
        admin_user: Any, prescriber: Any, delegate: Any, login: Callable[[Any], Any], today: dt.date) -> None:
    _expiring(admin_user, today, 10, prescriber=prescriber)
    for user in (prescriber, delegate):
        page = login(user).get("/monitoring/worklist/")
        assert page.status_code == 200
        assert 'data-testid="renewals"' in page.content.decode(), user
        assert _shown(today + 10 * DAY) in page.content.decode()


def test_the_pharmacy_home_shows_a_missing_training(admin_user: Any, pharmacist: Any, pharmacy: Any,
                                                    login: Callable[[Any], Any]) -> None:
    training = PharmacyTraining.objects.current().get(pharmacy=pharmacy)
    PharmacyTraining.objects.create(pharmacy=pharmacy, program="us-ipledge", trained_on=dt.date(2025, 1, 1),
                                    attested_by="x", supersedes=training, correction_reason="wrong")
    page = login(pharmacist).get("/pharmacy/").content.decode()
    assert 'data-testid="renewals"' in page and "attest this year" in page


def test_a_renewal_reminder_is_sent_once_to_the_prescriber(admin_user: Any, prescriber: Any,
                                                            today: dt.date) -> None:
    from clearcourse.core import clock
    from clearcourse.monitoring import reminders
    from clearcourse.monitoring.models import Reminder, ReminderKind

    prescriber.email = "rivera@example.org"
    prescriber.save()
    _expiring(admin_user, today, 20, prescriber=prescriber)
    assert reminders.certification_reminders_schedule(today=today) == 1
    assert reminders.certification_reminders_schedule(today=today) == 0
    reminder = Reminder.objects.get(kind=ReminderKind.CERTIFICATION)
    assert reminder.recipient == prescriber and reminder.patient is None
    report = reminders.send_due_reminders(now=clock.now())
    assert report.sent == 1 and len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rivera@example.org"]
    assert _shown(today + 20 * DAY) in mail.outbox[0].body
    assert reminders.send_due_reminders(now=clock.now()).sent == 0


def test_pharmacists_are_reminded_of_the_staff_training_but_api_identities_are_not(
        admin_user: Any, pharmacist: Any, pharmacy: Any, today: dt.date) -> None:
    from clearcourse.accounts.services import api_token_create
    from clearcourse.monitoring import reminders
    from clearcourse.monitoring.models import Reminder

    pharmacist.email = "lee@example.org"
    pharmacist.save()
    api_token_create(actor=admin_user, pharmacy=pharmacy, name="PMS")
    training = PharmacyTraining.objects.current().get(pharmacy=pharmacy)
    PharmacyTraining.objects.create(pharmacy=pharmacy, program="us-ipledge", trained_on=today - 340 * DAY,
                                    attested_by="x", supersedes=training, correction_reason="date")
    assert reminders.certification_reminders_schedule(today=today) == 1
    assert Reminder.objects.get().recipient == pharmacist


# --- pages and access -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_to_the_administrators_list(request: pytest.FixtureRequest, login: Callable[[Any], Any],
                                           persona: str, pharmacy: Any) -> None:
    client = login(request.getfixturevalue(persona))
    expected = 200 if persona == "admin_user" else 403
    assert client.get("/programs/certifications/").status_code == expected
    assert client.post("/programs/certifications/new/", {}).status_code in ((400,) if expected == 200 else (403,))
    record = ProgramCertification.objects.current().get(pharmacy=pharmacy)
    assert client.get(f"/programs/certifications/{record.pk}/correct/").status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_to_the_own_status_page(request: pytest.FixtureRequest, login: Callable[[Any], Any],
                                       persona: str) -> None:
    response = login(request.getfixturevalue(persona)).get("/programs/certification/")
    expected = {"prescriber": 200, "other_prescriber": 200, "pharmacist": 200, "other_pharmacist": 200,
                "admin_user": 302}.get(persona, 403)
    assert response.status_code == expected


def test_signed_out_visitors_are_sent_to_sign_in(client: Any) -> None:
    for path in ("/programs/certification/", "/programs/certifications/"):
        assert client.get(path).status_code == 302


def test_the_own_status_page_shows_only_ones_own_records(login: Callable[[Any], Any], prescriber: Any,
                                                          other_prescriber: Any, admin_user: Any,
                                                          today: dt.date) -> None:
    _record(admin_user, today, prescriber=prescriber, program_id_number="IPL-P-4242")
    page = login(other_prescriber).get("/programs/certification/").content.decode()
    assert "IPL-P-4242" not in page
    assert "IPL-P-4242" in login(prescriber).get("/programs/certification/").content.decode()


def test_the_administrator_records_an_enrolment_through_the_page(login: Callable[[Any], Any], admin_user: Any,
                                                                 prescriber: Any, today: dt.date) -> None:
    client = login(admin_user)
    response = client.post("/programs/certifications/new/", {
        "participant": f"prescriber:{prescriber.pk}", "activated_on": today.isoformat(),
        "expires_on": (today + 365 * DAY).isoformat(), "program_id_number": "IPL-P-9"})
    assert response.status_code == 302
    assert ProgramCertification.objects.filter(prescriber=prescriber, program_id_number="IPL-P-9").exists()
    bad = client.post("/programs/certifications/new/", {
        "participant": f"prescriber:{prescriber.pk}", "activated_on": today.isoformat(),
        "expires_on": (today - DAY).isoformat()})
    assert bad.status_code == 400
    assert services.CERTIFY_EXPIRES_BEFORE in bad.content.decode()


def test_the_administrator_corrects_a_record_through_the_page(login: Callable[[Any], Any], admin_user: Any,
                                                              pharmacy: Any, today: dt.date) -> None:
    record = ProgramCertification.objects.current().get(pharmacy=pharmacy)
    response = login(admin_user).post(f"/programs/certifications/{record.pk}/correct/", {
        "activated_on": record.activated_on.isoformat(), "expires_on": (today - DAY).isoformat(),
        "correction_reason": "withdrawn"})
    assert response.status_code == 302
    assert ProgramCertification.objects.current().get(pharmacy=pharmacy).expires_on == today - DAY
    assert login(admin_user).get(f"/programs/certifications/{record.pk}/correct/").status_code == 404


def test_the_administrator_records_a_training_through_the_page(login: Callable[[Any], Any], admin_user: Any,
                                                               pharmacy: Any, today: dt.date) -> None:
    response = login(admin_user).post("/programs/certifications/training/", {
        "pharmacy": pharmacy.pk, "trained_on": today.isoformat(), "attested_by": "D. Lee"})
    assert response.status_code == 302
    assert PharmacyTraining.objects.filter(pharmacy=pharmacy, trained_on=today).exists()


# --- the administrator's list at scale ---------------------------------------------------------------


def _participants(admin_user: Any, clinic: Any, today: dt.date, n: int, start: int) -> None:
    from clearcourse.accounts.models import Pharmacy, Role, User

    for i in range(start, start + n):
        user = User.objects.create_user(username=f"rx{i}", role=Role.PRESCRIBER, clinic=clinic, last_name=f"Rx{i}")
        pharmacy = Pharmacy.objects.create(name=f"Pharmacy {i}", program="us-ipledge", registration_number=f"N-{i}")
        if i % 3:
            first = _record(admin_user, today, prescriber=user, expires_on=today + (i * 5) * DAY)
            if i % 2:
                _record(admin_user, today, prescriber=user, activated_on=first.activated_on, supersedes=first,
                        expires_on=today - DAY, correction_reason="withdrawn")
        if i % 4:
            _record(admin_user, today, pharmacy=pharmacy, expires_on=today + (i * 7) * DAY)
            services.pharmacy_training_attest(actor=admin_user, pharmacy=pharmacy, trained_on=today - (i * 20) * DAY,
                                              attested_by="Lee", today=today)


def test_the_overview_judges_every_participant_as_their_own_status_does(admin_user: Any, clinic: Any,
                                                                         prescriber: Any, pharmacy: Any,
                                                                         today: dt.date) -> None:
    _participants(admin_user, clinic, today, 12, 0)
    rows = selectors.certification_overview(on=today)
    assert len(rows) == 13 + 13
    for row in rows:
        who = {"prescriber_id": row.participant.pk} if row.kind == "prescriber" else {"pharmacy_id": row.participant.pk}
        program = row.participant.clinic.program if row.kind == "prescriber" else row.participant.program
        alone = selectors.certification_status(program=program, on=today, **who)
        assert (row.status.state, row.status.certification, row.status.training, row.status.renew_from) == (
            alone.state, alone.certification, alone.training, alone.renew_from), row.participant
        assert [r.pk for r in row.status.records] == [r.pk for r in alone.records]
        assert [t.pk for t in row.status.training_records] == [t.pk for t in alone.training_records]


def test_the_administrators_list_sends_the_same_queries_for_5_and_25_participants(
        admin_user: Any, clinic: Any, today: dt.date) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/programs/certifications/").status_code == 200
        return len(seen)

    _participants(admin_user, clinic, today, 5, 100)
    small = queries()
    _participants(admin_user, clinic, today, 20, 200)
    assert queries() == small
