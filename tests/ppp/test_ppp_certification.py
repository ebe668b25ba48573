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
        k = i % 100  # the dates stay within the five years a record may reach
        user = User.objects.create_user(username=f"rx{i}", role=Role.PRESCRIBER, clinic=clinic, last_name=f"Rx{i}")
        pharmacy = Pharmacy.objects.create(name=f"Pharmacy {i}", program="us-ipledge", registration_number=f"N-{i}")
        if i % 3:
            first = _record(admin_user, today, prescriber=user, expires_on=today + (k * 5) * DAY)
            if i % 2:
                _record(admin_user, today, prescriber=user, activated_on=first.activated_on, supersedes=first,
                        expires_on=today - DAY, correction_reason="withdrawn")
        if i % 4:
            _record(admin_user, today, pharmacy=pharmacy, expires_on=today + (k * 7) * DAY)
            services.pharmacy_training_attest(actor=admin_user, pharmacy=pharmacy, trained_on=today - (k * 20) * DAY,
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


def _rows_shown(html: str) -> int:
    """The participants' rows of the list in a page (the table's body, without the "none" row)."""
    body = html.split('data-testid="certifications"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>") - body.count('<td colspan="5">')


def test_the_administrators_list_sends_the_same_queries_for_5_25_and_85_participants_and_shows_at_most_50(
        admin_user: Any, clinic: Any, today: dt.date) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")

    def queries(path: str = "/programs/certifications/") -> tuple[int, int]:
        with CaptureQueriesContext(connection) as seen:
            response = client.get(path)
            assert response.status_code == 200
        return len(seen), _rows_shown(response.content.decode())

    _participants(admin_user, clinic, today, 5, 100)  # 5 prescribers and 5 pharmacies
    small, shown = queries()
    assert shown == 10
    _participants(admin_user, clinic, today, 20, 200)
    assert queries() == (small, 50)  # 50 participants: one full page
    # 170 participants: four pages. A page of prescribers only skips the pharmacies' two statements, so
    # from here on the count is at most the same.
    _participants(admin_user, clinic, today, 60, 300)
    sent, shown = queries()
    assert sent <= small and shown == 50
    sent, shown = queries("/programs/certifications/?page=4")
    assert sent <= small and shown == 170 - 150
    # A search or a status filter sends no more statements than the whole list.
    assert queries("/programs/certifications/?q=Rx3&status=attention")[0] <= small
    assert queries("/programs/certifications/?q=Pharmacy+3&page=2")[0] <= small


def _names(html: str) -> list[str]:
    import re

    body = html.split('data-testid="certifications"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>\s*<td>([^<]+?) <span", body)


def test_page_two_shows_the_51st_participant_on_and_the_links_are_marked(
        login: Callable[[Any], Any], admin_user: Any, clinic: Any, today: dt.date) -> None:
    _participants(admin_user, clinic, today, 35, 0)
    entries = selectors.certification_index(on=today)
    assert len(entries) > 60
    expected = selectors.certification_rows(entries, on=today)
    label = [r.participant.display_name() if r.kind == "prescriber" else r.participant.name for r in expected]
    client = login(admin_user)
    first = client.get("/programs/certifications/").content.decode()
    second = client.get("/programs/certifications/?page=2").content.decode()
    assert _names(first) == label[:50]
    assert _names(second) == label[50:100]
    # Those that need something first, then by name.
    needs = [r.status.needs_action for r in expected]
    assert needs == sorted(needs, reverse=True)
    assert '<nav class="page-links" aria-label="Pages of the list"' in second
    assert 'href="?page=2" aria-current="page"' in second and 'href="?page=1" rel="prev"' in second
    assert 'href="?page=1" aria-current="page"' in first and 'rel="next"' in first
    # A page number out of range or not a number shows a page, never an error.
    assert client.get("/programs/certifications/?page=999").status_code == 200
    assert _names(client.get("/programs/certifications/?page=abc").content.decode()) == label[:50]


def test_the_search_finds_a_participant_by_name_npi_ncpdp_and_program_id(
        login: Callable[[Any], Any], admin_user: Any, clinic: Any, today: dt.date) -> None:
    from clearcourse.accounts.models import Pharmacy, User

    _participants(admin_user, clinic, today, 60, 0)
    User.objects.filter(username="rx42").update(first_name="Imke", last_name="Ostermann", npi="1245319599")
    Pharmacy.objects.filter(name="Pharmacy 17").update(name="Apotheke am Markt", ncpdp_id="1234563", npi="1679576722")
    _record(admin_user, today, pharmacy=Pharmacy.objects.get(name="Pharmacy 18"), program_id_number="IPL-PH-777")
    client = login(admin_user)

    def found(query: str) -> list[str]:
        response = client.get("/programs/certifications/", {"q": query})
        assert response.status_code == 200
        return _names(response.content.decode())

    assert found("ostermann") == found("Imke Ostermann") == found("1245319599") == ["Imke Ostermann"]
    assert found("apotheke markt") == found("1234563") == found("1679576722") == ["Apotheke am Markt"]
    assert found("ipl-ph-777") == ["Pharmacy 18"]
    assert found("Imke Markt") == []
    assert "No prescriber or pharmacy matches the search." in client.get(
        "/programs/certifications/", {"q": "nobody"}).content.decode()
    # A partial number is not a match (numbers are matched whole); a partial name is.
    assert found("124531") == []
    assert found("Osterm") == ["Imke Ostermann"]


@pytest.mark.parametrize("status", [s.value for s in selectors.StatusFilter])
def test_the_status_filter_shows_only_that_status_and_survives_paging(
        login: Callable[[Any], Any], admin_user: Any, clinic: Any, today: dt.date, status: str) -> None:
    from clearcourse.accounts.models import Pharmacy

    _participants(admin_user, clinic, today, 60, 0)
    for name in ("Pharmacy 0", "Pharmacy 4"):  # without any record so far: enrolled from next week on
        _record(admin_user, today, pharmacy=Pharmacy.objects.get(name=name), activated_on=today + 7 * DAY)
    everyone = selectors.certification_index(on=today)
    wanted = [e for e in everyone if e.matches(status)]
    assert 0 < len(wanted) < len(everyone), status  # the data has some of each
    rows = selectors.certification_overview(on=today, status=status)
    assert [(r.kind, r.participant.pk) for r in rows] == [(e.kind, e.pk) for e in wanted]
    for row in rows:  # the full status of each shown row agrees with the filter's
        state, due = row.status.state, row.status.training is not None and row.status.training.due
        assert selectors.OverviewEntry(row.kind, row.participant.pk, state, due,
                                       row.status.needs_action).matches(status)
    response = login(admin_user).get("/programs/certifications/", {"status": status})
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows_shown(html) == min(50, len(wanted))
    if len(wanted) > 50:
        assert f'href="?status={status}&amp;page=2"' in html
        assert _rows_shown(login(admin_user).get(
            "/programs/certifications/", {"status": status, "page": 2}).content.decode()) == min(50, len(wanted) - 50)


def test_the_status_filter_choices_are_words(login: Callable[[Any], Any], admin_user: Any) -> None:
    html = login(admin_user).get("/programs/certifications/").content.decode()
    assert '<option value="attention">Needs attention</option>' in html
    assert '<option value="lapsed">Lapsed</option>' in html


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"status": "bogus"}, "status", "Select a valid choice. bogus is not one of the available choices."),
    ({"q": "x" * 101}, "q", "Ensure this value has at most 100 characters (it has 101)."),
    ({"q": "Rx\x00"}, "q", "Null characters are not allowed."),
])
def test_a_bad_search_is_refused_on_its_field_without_an_error_page(
        login: Callable[[Any], Any], admin_user: Any, query: dict[str, str], field: str, message: str) -> None:
    response = login(admin_user).get("/programs/certifications/", {**query, "page": "2"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="field-error" id="id_{field}_error" role="alert">{message}</p>' in html
    assert "Correct the search above to see the list." in html
    assert 'data-testid="certifications"' not in html


@pytest.mark.parametrize("persona", ["prescriber", "delegate", "pharmacist", "patient_user"])
def test_the_search_parameters_do_not_open_the_list_to_others(
        request: pytest.FixtureRequest, login: Callable[[Any], Any], persona: str) -> None:
    client = login(request.getfixturevalue(persona))
    for query in ({"q": "Rx", "status": "attention", "page": "2"}, {"status": "bogus"}, {"q": "x" * 500}):
        assert client.get("/programs/certifications/", query).status_code == 403


def test_the_forms_offer_the_participants_of_the_page_and_accept_any(
        login: Callable[[Any], Any], admin_user: Any, clinic: Any, today: dt.date) -> None:
    from clearcourse.accounts.models import Pharmacy

    _participants(admin_user, clinic, today, 60, 0)
    entries = selectors.certification_index(on=today)
    client = login(admin_user)
    html = client.get("/programs/certifications/").content.decode()
    participant_select = html.split('name="participant"', 1)[1].split("</select>", 1)[0]
    assert participant_select.count("<option") == 50
    on_page_one = {f"{e.kind}:{e.pk}" for e in entries[:50]}
    assert all(f'value="{v}"' in participant_select for v in on_page_one)
    pharmacy_select = html.split('name="pharmacy"', 1)[1].split("</select>", 1)[0]
    assert pharmacy_select.count("<option") == 1 + sum(e.kind == "pharmacy" for e in entries[:50])
    # A participant of another page is accepted.
    later = next(e for e in entries[50:] if e.kind == "pharmacy")
    response = client.post("/programs/certifications/training/", {
        "pharmacy": later.pk, "trained_on": today.isoformat(), "attested_by": "D. Lee"})
    assert response.status_code == 302
    assert PharmacyTraining.objects.filter(pharmacy_id=later.pk, trained_on=today, attested_by="D. Lee").exists()
    # After a refused save the chosen participant is still offered, wherever it is in the list.
    refused = client.post("/programs/certifications/new/", {
        "participant": f"pharmacy:{later.pk}", "activated_on": today.isoformat(),
        "expires_on": (today - DAY).isoformat()}).content.decode()
    assert f'<option value="pharmacy:{later.pk}" selected>{Pharmacy.objects.get(pk=later.pk).name}</option>' in refused
    # Nothing else is accepted.
    for value in ("pharmacy:999999", "prescriber:abc", "nurse:1", f"prescriber:{admin_user.pk}"):
        assert client.post("/programs/certifications/new/", {
            "participant": value, "activated_on": today.isoformat()}).status_code == 400


def test_the_list_search_and_pages_read_in_german(login: Callable[[Any], Any], admin_user: Any, clinic: Any,
                                                  today: dt.date, settings: Any) -> None:
    _participants(admin_user, clinic, today, 30, 0)
    client = login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    html = client.get("/programs/certifications/").content.decode()
    for words in ('aria-label="Seiten der Liste"', "Name, NPI, NCPDP oder Programmnummer",
                  '<option value="attention">Handlungsbedarf</option>', "Nächste Seite",
                  "die mit Handlungsbedarf zuerst.", "Seite 1 von 2"):
        assert words in html, words
    narrowed = client.get("/programs/certifications/", {"status": "attention"}).content.decode()
    assert '<option value="attention" selected>Handlungsbedarf</option>' in narrowed
    refused = client.get("/programs/certifications/", {"status": "bogus"})
    assert refused.status_code == 400
    assert "Korrigieren Sie die Suche oben, um die Liste zu sehen." in refused.content.decode()
