"""The loader: a course's current records -> the rules core's facts, in ONE query.

The pharmacy API and the clinic worklist call :func:`course_facts` for every authorization (target: about
1000 a second), so it must neither grow with a patient's history nor spend its time building querysets.
It runs a single ``UNION ALL`` statement over the program tables, the prescriptions, the dispenses and the
patient's birth date, whatever the number of records. The statement is written once per shape (with or
without ``as_of``) from the models' table and column names, in SQL that SQLite and PostgreSQL both run,
and cached; building it through the ORM on every call cost about ten times the query itself.

What counts:
- only current records (not superseded by a correction);
- prescriptions that are not voided; a prescription's id is ``str(pk)`` of the current record of its
  correction chain, and a dispense of any record in the chain counts against that id (so a corrected
  prescription can never be dispensed a second time);
- home pregnancy tests carry ``verified_by_prescriber``: true only when the latest current verification
  confirmed the result; the core does not count an unverified home test as a negative test, but a
  positive one still stops dispensing (the safer reading);
- UK MHRA 2023 (fact sheet 6.2): a prescription issued on or after the day of a current second
  prescriber's agreement carries ``second_prescriber_agreed``; the core asks for it only on a first fill
  for a patient under 18;
- the risk category is the latest current assignment effective on or before ``as_of``; when none is
  recorded yet the patient is treated as able to get pregnant (the safer reading: every condition applies).

``as_of`` leaves out records dated after that day (what was known then); ``None`` keeps everything.

One loader for one course and for many (:func:`course_facts_many`: the clinic's worklist, reminders): the
statement takes a list of course ids (a PostgreSQL array, a JSON list on SQLite) and every row carries its
course id, so one course and a thousand run the same SQL, with the same query plan.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Field, Model, OuterRef, Q
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Pharmacy, ProgramFamily, Role, User
from clearcourse.audit.services import audit_read
from clearcourse.core.errors import DomainError, NotFoundError
from clearcourse.courses.models import Course, prescription_reference
from clearcourse.courses.models import Patient as PatientRow
from clearcourse.courses.models import Prescription as PrescriptionRow
from clearcourse.courses.selectors import courses_visible_to
from clearcourse.pharmacy.models import Dispense
from clearcourse.rules import programs
from clearcourse.rules.programs import facts
from clearcourse.rules.programs.facts import (
    DEFAULT_CAN_GET_PREGNANT,
    NO_PARTICIPANTS,
    Certification,
    Decision,
    History,
    Participants,
    Patient,
    Request,
    certification_on,
)
from clearcourse.rules.programs.registry import BY_ID, ProgramNotFound, resolve
from clearcourse.rules.status import CourseStatus
from clearcourse.rules.status import course_status as core_status

from .models import (
    ComprehensionAttempt,
    ContraceptionConfirmation,
    Counseling,
    Enrollment,
    HomeTestVerification,
    PharmacyTraining,
    PregnancyTest,
    ProgramCertification,
    RiskCategory,
    RiskFormConfirmation,
    SecondPrescriberAgreement,
    TreatmentEnd,
    VerificationOutcome,
)

NO_PROGRAM_IN_FORCE = "No version of the course's program is in force on this date."


# Row kinds of the loader's statement.
_BORN, _ENROLLED, _COUNSELING, _COMPREHENSION, _END, _RISK = "b", "e", "c", "q", "t", "r"
_CONTRACEPTION, _TEST, _RX, _DISPENSE, _AGREED = "k", "p", "x", "d", "s"


def _t(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _c(model: type[Model], field: str) -> str:
    column = cast("Field[Any, Any]", model._meta.get_field(field)).column
    return connection.ops.quote_name(str(column))


@cache
def _statement(vendor: str, dated: bool) -> tuple[str, tuple[str, ...]]:
    """The loader's SQL and the names of its parameters in order (``courses`` or ``as_of``).

    Every branch yields (course, kind, day, flag, n1, n2, n3, s1, s2, s3); unused columns are typed NULLs so
    that PostgreSQL can unify the branches. ``courses`` is the list of course ids: a ``bigint[]`` on
    PostgreSQL, a JSON list on SQLite. Identifiers come from the models' metadata, never from input; values
    are always bound parameters (hence the S608 exemptions below)."""
    in_courses = "= ANY(%s)" if vendor == "postgresql" else "IN (SELECT value FROM json_each(%s))"

    # INT, not INTEGER (the same type on both backends): the dated statement must stay within psycopg's
    # cacheable length (``MAX_CACHED_STATEMENT_LENGTH``, 4,096 bytes); at 4,160 it was re-parsed on every
    # authorization (docs/performance.md, round 3; tests/ppp/test_ppp_loader_binding.py checks the length).
    int_null, text_null = "CAST(NULL AS INT)", "CAST(NULL AS TEXT)"
    sql: list[str] = []
    params: list[str] = []

    def current(model: type[Model], alias: str) -> str:
        return f"NOT EXISTS (SELECT 1 FROM {_t(model)} z WHERE z.{_c(model, 'supersedes')} = {alias}.{_c(model, 'id')})"  # noqa: S608

    def add(kind: str, model: type[Model], date_field: str, *, flag: str = "0", n1: str = int_null,
            n2: str = int_null, n3: str = int_null, s1: str = text_null, s2: str = text_null,
            s3: str = text_null, s3_params: tuple[str, ...] = (), join: str = "", course_col: str = "",
            date_limit: bool = True, only_current: bool = True) -> None:
        course_ref = course_col or "r." + _c(model, "course")
        where = [f"{course_ref} {in_courses}"]
        if only_current:
            where.append(current(model, "r"))
        if dated and date_limit:
            where.append(f"r.{_c(model, date_field)} <= %s")
        sql.append(f"SELECT {course_ref}, '{kind}', r.{_c(model, date_field)}, {flag}, {n1}, {n2}, {n3}, {s1}, "  # noqa: S608
                   f"{s2}, {s3} FROM {_t(model)} r {join} WHERE {' AND '.join(where)}")
        params.extend(s3_params)
        params.append("courses")
        if dated and date_limit:
            params.append("as_of")

    def col(model: type[Model], field: str) -> str:
        return f"r.{_c(model, field)}"

    def truth(model: type[Model], field: str) -> str:
        return f"CASE WHEN {col(model, field)} THEN 1 ELSE 0 END"

    add(_ENROLLED, Enrollment, "enrolled_on")
    add(_COUNSELING, Counseling, "counseled_on")
    add(_COMPREHENSION, ComprehensionAttempt, "answered_on", flag=truth(ComprehensionAttempt, "passed"))
    add(_END, TreatmentEnd, "ended_on")
    add(_RISK, RiskCategory, "effective_on", flag=truth(RiskCategory, "can_get_pregnant"),
        n1=col(RiskCategory, "id"))
    add(_AGREED, SecondPrescriberAgreement, "agreed_on")
    add(_CONTRACEPTION, ContraceptionConfirmation, "confirmed_on", flag=truth(ContraceptionConfirmation, "abstinence"),
        s1=f"CAST({col(ContraceptionConfirmation, 'methods')} AS TEXT)")
    # A test carries the outcome of its latest current verification (known by ``as_of``).
    v = HomeTestVerification
    verification = (f"(SELECT v.{_c(v, 'outcome')} FROM {_t(v)} v WHERE v.{_c(v, 'test')} = r.{_c(PregnancyTest, 'id')} "  # noqa: S608
                    f"AND {current(v, 'v')}")
    if dated:
        verification += f" AND v.{_c(v, 'verified_on')} <= %s"
    verification += f" ORDER BY v.{_c(v, 'verified_on')} DESC, v.{_c(v, 'id')} DESC LIMIT 1)"
    add(_TEST, PregnancyTest, "collected_on", s1=col(PregnancyTest, "setting"), s2=col(PregnancyTest, "result"),
        s3=verification, s3_params=("as_of",) if dated else ())
    # Every prescription record, superseded ones too (to map a chain to its head); no date limit here.
    rx = PrescriptionRow
    add(_RX, rx, "issued_on", flag=truth(rx, "voided"), n1=col(rx, "id"), n2=col(rx, "supersedes"),
        n3=col(rx, "days_supply"), s1=f"CAST({col(rx, 'daily_dose_mg')} AS TEXT)", s2=col(rx, "lookup_code"),
        date_limit=False,
        only_current=False)
    d = Dispense
    add(_DISPENSE, d, "dispensed_on", n1=col(d, "prescription"), n3=col(d, "days_supply"),
        join=f"JOIN {_t(rx)} p ON p.{_c(rx, 'id')} = r.{_c(d, 'prescription')}", course_col=f"p.{_c(rx, 'course')}")
    # The patient's birth date, so that the loader never needs the Patient row.
    sql.append(f"SELECT c.{_c(Course, 'id')}, '{_BORN}', r.{_c(PatientRow, 'birth_date')}, 0, {int_null}, "  # noqa: S608
               f"{int_null}, {int_null}, {text_null}, {text_null}, {text_null} FROM {_t(PatientRow)} r "
               f"JOIN {_t(Course)} c ON c.{_c(Course, 'patient')} = r.{_c(PatientRow, 'id')} "
               f"WHERE c.{_c(Course, 'id')} {in_courses}")
    params.append("courses")
    return " UNION ALL ".join(sql), tuple(params)


def _as_date(value: Any) -> dt.date:
    # SQLite hands back ISO strings from a UNION column; PostgreSQL gives dates.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _rows(course_ids: list[int], as_of: dt.date | None) -> list[tuple[Any, ...]]:
    dated = as_of is not None
    sql, names = _statement(connection.vendor, dated)
    ids: Any = course_ids if connection.vendor == "postgresql" else json.dumps(course_ids)
    values = {"courses": ids, "as_of": as_of}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not _auto_prepared():
            # PostgreSQL spends ~10 ms PLANNING this union and well under 1 ms running it, so without
            # psycopg's automatic prepared statements (settings: server-side binding with a
            # prepare_threshold) the statement is prepared once per database session and executed by
            # name (a generic plan after five runs).
            # (A transaction-pooling pgbouncer does not keep named statements: use session pooling.)
            name = _prepared_name(cursor, dated)
            cursor.execute(_execute_sql(name, course_ids, as_of))
        else:
            # SQLite, or psycopg prepares the statement itself after ``prepare_threshold`` runs.
            cursor.execute(sql, [values[n] for n in names])
        return cursor.fetchall()


def _prepared_name(cursor: Any, dated: bool) -> str:
    """Prepare the loader's statement on this session if it is not there yet; return its name."""
    name = "clearcourse_ppp_facts_many_dated" if dated else "clearcourse_ppp_facts_many"
    raw = connection.connection  # the DB-API connection: a new one is a new session
    prepared: set[str] = getattr(raw, "_clearcourse_prepared", None) or set()
    if name not in prepared:
        sql, names = _statement(connection.vendor, dated)
        numbered = iter(f"${1 + ('courses', 'as_of').index(n)}" for n in names)
        body = "".join(part + (next(numbered) if i < len(names) else "")
                       for i, part in enumerate(sql.split("%s")))
        types = "bigint[], date" if dated else "bigint[]"
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"PREPARE {name}({types}) AS {body}")
        raw._clearcourse_prepared = prepared  # type: ignore[union-attr]
        # A PREPARE inside a transaction that is rolled back is undone with it; remembering it at once
        # would leave this session EXECUTE-ing a statement that no longer exists on every later request.
        # So it is remembered once its transaction commits (at once in autocommit); until then each call
        # looks in pg_prepared_statements.
        transaction.on_commit(lambda: prepared.add(name))
    return name


def _auto_prepared() -> bool:
    """Whether psycopg prepares repeated statements on this connection (server-side binding and a
    ``prepare_threshold``; Django's default disables both)."""
    options = connection.settings_dict.get("OPTIONS", {})
    return options.get("server_side_binding") is True and options.get("prepare_threshold") is not None


def _execute_sql(name: str, course_ids: list[int], as_of: dt.date | None) -> str:
    """``EXECUTE name(args)`` with its arguments as literals: EXECUTE is a utility statement, which
    cannot take bound parameters ($1) under server-side binding. The values are typed (ints, a date),
    never text from a request."""
    args = [f"ARRAY[{', '.join(str(int(pk)) for pk in course_ids)}]::bigint[]"]
    if as_of is not None:
        args.append(f"DATE '{dt.date.isoformat(as_of)}'")
    return f"EXECUTE {name}({', '.join(args)})"


def course_facts(course: Course | int, *, as_of: dt.date | None = None) -> tuple[Patient, History]:
    """The rules core's view of ``course`` (a Course or its pk): the patient (birth date, risk category)
    and the history, from one query (the statement of :func:`course_facts_many`)."""
    course_id = course if isinstance(course, int) else course.pk
    found = course_facts_many([course_id], as_of=as_of)
    if course_id not in found:
        raise NotFoundError()
    return found[course_id]


def course_facts_many(courses: Iterable[Course | int], *,
                      as_of: dt.date | None = None) -> dict[int, tuple[Patient, History]]:
    """``{course id: (Patient, History)}`` for every course given that exists, from ONE query whatever
    their number (the same statement as for one course, so the clinic's worklist, the reminders and a
    course's own pages read the records the same way)."""
    ids = sorted({c if isinstance(c, int) else c.pk for c in courses})
    if not ids:
        return {}
    per_course: dict[int, _Gathered] = {}
    for course_id, kind, day, flag, n1, n2, n3, s1, s2, s3 in _rows(ids, as_of):
        got = per_course.get(int(course_id))
        if got is None:
            got = per_course[int(course_id)] = _Gathered()
        got.add(kind, _as_date(day), flag, n1, n2, n3, s1, s2, s3)
    return {pk: got.facts(as_of) for pk, got in per_course.items() if got.born is not None}


class _Gathered:
    """One course's rows of the loader's statement, turned into the core's facts."""

    __slots__ = ("agreed", "born", "dispense_rows", "events", "risk", "rx_rows")

    def __init__(self) -> None:
        self.events: list[facts.Event] = []
        self.born: dt.date | None = None
        self.risk: tuple[dt.date, int, bool] | None = None
        self.rx_rows: list[tuple[int, int | None, bool, dt.date, int, float, str]] = []
        self.dispense_rows: list[tuple[int, dt.date, int]] = []
        self.agreed: dt.date | None = None  # the earliest current second prescriber's agreement

    def add(self, kind: str, day: dt.date, flag: Any, n1: Any, n2: Any, n3: Any, s1: Any, s2: Any,
            s3: Any) -> None:
        events = self.events
        if kind == _COUNSELING:
            events.append(facts.Counseling(date=day))
        elif kind == _CONTRACEPTION:
            methods = json.loads(s1) if s1 else []
            events.append(facts.Contraception(date=day, methods=tuple(dict.fromkeys(methods)),
                                              abstinence=bool(flag)))
        elif kind == _TEST:
            events.append(facts.PregnancyTest(date=day, setting=s1, result=s2, verified_by_prescriber=(
                s1 != "home" or s3 == VerificationOutcome.CONFIRMED)))
        elif kind == _COMPREHENSION:
            events.append(facts.Comprehension(date=day, passed=bool(flag)))
        elif kind == _RX:
            self.rx_rows.append((int(n1), n2, bool(flag), day, int(n3), float(s1), str(s2 or "")))
        elif kind == _DISPENSE:
            self.dispense_rows.append((int(n1), day, int(n3)))
        elif kind == _ENROLLED:
            events.append(facts.Enrolled(date=day))
        elif kind == _END:
            events.append(facts.TreatmentEnd(date=day))
        elif kind == _RISK and (self.risk is None or (day, int(n1)) > self.risk[:2]):
            self.risk = (day, int(n1), bool(flag))
        elif kind == _BORN:
            self.born = day
        elif kind == _AGREED and (self.agreed is None or day < self.agreed):
            self.agreed = day

    def facts(self, as_of: dt.date | None) -> tuple[Patient, History]:
        assert self.born is not None  # noqa: S101 - only courses whose patient row was found
        events = [*self.events, *_prescription_events(self.rx_rows, self.dispense_rows, as_of, self.agreed)]
        can = self.risk[2] if self.risk is not None else DEFAULT_CAN_GET_PREGNANT
        return Patient(birth_date=self.born, can_get_pregnant=can), History(events)


def _prescription_events(rows: list[tuple[int, int | None, bool, dt.date, int, float, str]],
                         dispenses: list[tuple[int, dt.date, int]], as_of: dt.date | None,
                         agreed: dt.date | None = None) -> list[facts.Event]:
    successor = {sup: pk for pk, sup, *_ in rows if sup is not None}

    def head(pk: int) -> int:
        seen = 0
        while pk in successor and seen <= len(rows):  # the bound only guards against a corrupt cycle
            pk = successor[pk]
            seen += 1
        return pk

    out: list[facts.Event] = [
        facts.Prescription(id=str(pk), date=issued, days_supply=days, daily_dose_mg=dose,
                           second_prescriber_agreed=agreed is not None and agreed <= issued,
                           reference=prescription_reference(pk, code=code))
        for pk, _sup, voided, issued, days, dose, code in sorted(rows)
        if pk not in successor and not voided and (as_of is None or issued <= as_of)
    ]
    out.extend(facts.Dispense(prescription=str(head(rx)), date=day, days_supply=days) for rx, day, days in dispenses)
    return out


def risk_category_assigned(course: Course) -> bool:
    return RiskCategory.objects.current().filter(course=course).exists()


def course_decision(course: Course, *, prescription: PrescriptionRow | int | str, request_date: dt.date,
                    days_supply: int, pharmacy_id: int | None = None) -> Decision:
    """May ``prescription`` be dispensed on ``request_date``? The course's program family resolves to the
    version in force on that date (the core chooses it).

    When a pharmacy asks (``pharmacy_id``), the certification of the prescription's prescriber and of that
    pharmacy in the course's program is loaded too (:func:`participants_load`) and judged by the core:
    every authorization passes it. Without ``pharmacy_id`` (what-if checks, demo history) it is not."""
    patient, history = course_facts(course, as_of=request_date)
    rx_id = str(prescription.pk) if isinstance(prescription, PrescriptionRow) else str(prescription)
    request = Request(date=request_date, prescription=rx_id, days_supply=days_supply)
    participants = NO_PARTICIPANTS
    if pharmacy_id is not None:
        prescriber_id = (prescription.prescriber_id if isinstance(prescription, PrescriptionRow)
                         else PrescriptionRow.objects.filter(pk=int(rx_id)).values_list("prescriber_id", flat=True)
                         .first())
        participants = participants_load(program=course.program, prescriber_id=prescriber_id,
                                         pharmacy_id=pharmacy_id, on=request_date)
    try:
        return programs.decide(course.program, patient, history, request, participants)
    except programs.ProgramNotFound as exc:
        raise DomainError(_(NO_PROGRAM_IN_FORCE), field="request_date", code="no_program_in_force") from exc


def course_evaluation(course: Course, *, on: dt.date, prescription: PrescriptionRow | None = None,
                      days_supply: int | None = None, pharmacy_id: int | None = None,
                      prescriber_id: int | None = None) -> Any:
    """Every condition of the course's program on ``on``, met or not, for dispensing ``prescription`` (None:
    a prescription still to be written), with the certification of the prescription's prescriber (or
    ``prescriber_id``) and of ``pharmacy_id`` when given: what the REMS doors list as requirements. The
    same loader and core as :func:`course_decision`, so a requirement and the decision never disagree."""

    patient, history = course_facts(course, as_of=on)
    who = prescription.prescriber_id if prescription is not None else prescriber_id
    participants = (participants_load(program=course.program, prescriber_id=who, pharmacy_id=pharmacy_id, on=on)
                    if who is not None or pharmacy_id is not None else NO_PARTICIPANTS)
    try:
        return programs.evaluate_on(course.program, patient, history, on,
                                    str(prescription.pk) if prescription is not None else None, days_supply,
                                    participants)
    except programs.ProgramNotFound as exc:
        raise DomainError(_(NO_PROGRAM_IN_FORCE), field="on", code="no_program_in_force") from exc


# --- certification of prescribers and pharmacies (issue 15) -----------------------------------------


@cache
def _participants_sql(vendor: str, prescriber: bool, pharmacy: bool) -> tuple[str, str]:
    """The two statements of :func:`participants_load` (current enrolment periods of the prescriber and/or
    the pharmacy; the pharmacy's current trainings), written once per backend and shape: building them
    through the ORM on every authorization cost more CPU than the rest of the decision (docs/performance.md,
    round 3). The same rows, in the same order, as ``ProgramCertification.objects.current()`` and
    ``PharmacyTraining.objects.current()`` filtered by participant and program family."""

    def current(model: type[Model]) -> str:
        return f"NOT EXISTS (SELECT 1 FROM {_t(model)} z WHERE z.{_c(model, 'supersedes')} = r.{_c(model, 'id')})"  # noqa: S608

    pc, pt = ProgramCertification, PharmacyTraining
    who = " OR ".join([*([f"r.{_c(pc, 'prescriber')} = %s"] if prescriber else []),
                       *([f"r.{_c(pc, 'pharmacy')} = %s"] if pharmacy else [])])
    periods = (f"SELECT r.{_c(pc, 'prescriber')}, r.{_c(pc, 'activated_on')}, r.{_c(pc, 'expires_on')} "  # noqa: S608
               f"FROM {_t(pc)} r WHERE {current(pc)} AND ({who}) AND r.{_c(pc, 'program')} = %s "
               f"ORDER BY r.{_c(pc, 'activated_on')}, r.{_c(pc, 'id')}")
    trainings = (f"SELECT r.{_c(pt, 'trained_on')} FROM {_t(pt)} r WHERE {current(pt)} "  # noqa: S608
                 f"AND r.{_c(pt, 'pharmacy')} = %s AND r.{_c(pt, 'program')} = %s "
                 f"ORDER BY r.{_c(pt, 'trained_on')}, r.{_c(pt, 'id')}")
    return periods, trainings


def _optional_date(value: Any) -> dt.date | None:
    return None if value is None else _as_date(value)


def participants_load(*, program: str, prescriber_id: int | None, pharmacy_id: int | None,
                      on: dt.date) -> Participants:
    """The core's view of who takes part in a fill on ``on``: the prescriber's and the pharmacy's current
    enrolment periods in ``program`` (a family; a pinned version counts for its family) and the pharmacy's
    staff-training attestations, in two indexed queries (:func:`_participants_sql`). A participant without
    any record is :data:`~clearcourse.rules.programs.facts.NEVER_CERTIFIED`; a missing id (None) is not
    checked."""
    family = program_family(program)
    periods: dict[str, list[tuple[dt.date, dt.date | None]]] = {"rx": [], "ph": []}
    trainings: list[dt.date] = []
    if prescriber_id is not None or pharmacy_id is not None:
        periods_sql, trainings_sql = _participants_sql(connection.vendor, prescriber_id is not None,
                                                       pharmacy_id is not None)
        ids = [i for i in (prescriber_id, pharmacy_id) if i is not None]
        with connection.cursor() as cursor:
            cursor.execute(periods_sql, [*ids, family])
            for rx, activated, expires in cursor.fetchall():
                periods["rx" if rx is not None else "ph"].append((_as_date(activated), _optional_date(expires)))
            if pharmacy_id is not None:
                cursor.execute(trainings_sql, [pharmacy_id, family])
                trainings = [_as_date(day) for (day,) in cursor.fetchall()]
    return Participants(
        prescriber=certification_on(periods["rx"], on) if prescriber_id is not None else None,
        pharmacy=certification_on(periods["ph"], on, trainings) if pharmacy_id is not None else None,
    )


def program_family(program: str) -> str:
    """``us-ipledge-2026`` -> ``us-ipledge``; a family stays itself."""

    version = BY_ID.get(program)
    return version.family if version is not None else program


class CertificationState(StrEnum):
    ACTIVE = "active"
    RENEW = "renew"  # active, and it lapses within the notice period
    LAPSED = "lapsed"
    NOT_YET_ACTIVE = "not_yet_active"
    NOT_ENROLLED = "not_enrolled"


@dataclass(frozen=True, slots=True)
class TrainingStatus:
    """The pharmacy's yearly staff training where the program version in force asks for it."""

    required: bool
    last: dt.date | None
    #: The last day the latest attestation covers (None: none recorded, or none required).
    covers_through: dt.date | None
    due: bool  # no attestation, or it lapses within the notice period


@dataclass(frozen=True, slots=True)
class CertificationStatus:
    """What a staff page and the renewal worklist show for one prescriber or pharmacy on ``on``."""

    program: str
    on: dt.date
    certification: Certification
    state: CertificationState
    #: From this day on the renewal is shown and reminded (expiry - notice days); None: nothing to renew.
    renew_from: dt.date | None
    training: TrainingStatus | None
    records: tuple[ProgramCertification, ...]
    training_records: tuple[PharmacyTraining, ...]

    @property
    def program_label(self) -> str:

        return str(ProgramFamily(self.program).label) if self.program in ProgramFamily.values else self.program

    @property
    def needs_action(self) -> bool:
        return _needs_action(self.state, self.training)


def notice_days() -> int:
    """How many days before a certification or a training attestation lapses its renewal is shown on the
    worklists and reminded (``CLEARCOURSE_CERTIFICATION_NOTICE_DAYS``, default 42: six weeks). An
    operational default, not a program rule: the programs set no notice period."""
    return int(getattr(settings, "CLEARCOURSE_CERTIFICATION_NOTICE_DAYS", 42))


def _state(cert: Certification, on: dt.date, notice: int) -> tuple[CertificationState, dt.date | None]:
    if cert.activated is None:
        return CertificationState.NOT_ENROLLED, None
    if on < cert.activated:
        return CertificationState.NOT_YET_ACTIVE, None
    if cert.expires is None:
        return CertificationState.ACTIVE, None
    renew_from = cert.expires - dt.timedelta(days=notice)
    if on > cert.expires:
        return CertificationState.LAPSED, renew_from
    return (CertificationState.RENEW if on >= renew_from else CertificationState.ACTIVE), renew_from


def certification_status(*, program: str, on: dt.date, prescriber_id: int | None = None,
                         pharmacy_id: int | None = None) -> CertificationStatus:
    """The enrolment (and for a pharmacy, the staff training) of one participant as it stands on ``on``."""
    family = program_family(program)
    where = Q(prescriber_id=prescriber_id) if prescriber_id is not None else Q(pharmacy_id=pharmacy_id)
    records = tuple(ProgramCertification.objects.filter(where, program=family)
                    .select_related("recorded_by", "superseded_by").order_by("-activated_on", "-id"))
    training_records: tuple[PharmacyTraining, ...] = ()
    if pharmacy_id is not None:
        training_records = tuple(PharmacyTraining.objects.filter(pharmacy_id=pharmacy_id, program=family)
                                 .select_related("recorded_by", "superseded_by").order_by("-trained_on", "-id"))
    return _status_from_records(family=family, on=on, pharmacy=pharmacy_id is not None, records=records,
                                training_records=training_records, notice=notice_days())


def _status_from_records(*, family: str, on: dt.date, pharmacy: bool, records: tuple[ProgramCertification, ...],
                         training_records: tuple[PharmacyTraining, ...], notice: int) -> CertificationStatus:
    """The status from one participant's records in ``family`` (newest first, each with its
    ``superseded_by`` loaded): the current periods and trainings judged as :func:`participants_load` does."""
    periods = [(r.activated_on, r.expires_on) for r in records if r.is_current]
    trainings = [t.trained_on for t in training_records if t.is_current] if pharmacy else None
    cert, state, renew_from, training = _judge(on=on, periods=periods, trainings=trainings, notice=notice,
                                               training_days=_training_days(family, on) if pharmacy else None)
    return CertificationStatus(program=family, on=on, certification=cert, state=state, renew_from=renew_from,
                               training=training, records=records, training_records=training_records)


def _training_days(family: str, on: dt.date) -> int | None:
    """How many days a staff-training attestation counts in the version of ``family`` in force on ``on``
    (None: the program asks for none)."""
    try:
        return resolve(family, on).pharmacy_training_days.value
    except ProgramNotFound:
        return None


def _judge(*, on: dt.date, periods: list[tuple[dt.date, dt.date | None]], trainings: list[dt.date] | None,
           notice: int, training_days: int | None,
           ) -> tuple[Certification, CertificationState, dt.date | None, TrainingStatus | None]:
    """THE judgement of one participant's status on ``on`` from its current enrolment periods and, for a
    pharmacy, its current training days (None: a prescriber) and how long one counts (``training_days``,
    :func:`_training_days`; None: not asked for). Every status shown or filtered on comes
    from here: a single participant's (:func:`certification_status`) and the administrator's list, whose
    filter and order read the same values before the page's records are loaded."""
    cert = certification_on(periods, on, trainings)
    state, renew_from = _state(cert, on, notice)
    training: TrainingStatus | None = None
    if trainings is not None:
        days = training_days
        last = cert.last_training(on)
        if days is not None:
            through = last + dt.timedelta(days=days - 1) if last is not None else None
            training = TrainingStatus(required=True, last=last, covers_through=through,
                                      due=through is None or on >= through - dt.timedelta(days=notice))
        else:
            training = TrainingStatus(required=False, last=last, covers_through=None, due=False)
    return cert, state, renew_from, training


def _needs_action(state: CertificationState, training: TrainingStatus | None) -> bool:
    return state is not CertificationState.ACTIVE or (training is not None and training.due)


def course_status(course: Course, *, on: dt.date) -> CourseStatus:
    """What is done and due on ``on``, the open window's countdown and the next actions, from the core's
    ``rules.status.course_status`` over the course's records known on that day."""
    patient, history = course_facts(course, as_of=on)
    try:
        return core_status(course.program, patient, history, on)
    except ProgramNotFound as exc:
        raise DomainError(_(NO_PROGRAM_IN_FORCE), field="on", code="no_program_in_force") from exc


def pregnancy_test_get_for_user(*, user: User, test_id: int, audit: str | None = None) -> PregnancyTest:
    """A pregnancy test of a course the user may see (staff of its clinic, or the patient), else
    NotFoundError; superseded tests are found too (the history shows them)."""
    test = (PregnancyTest.objects.select_related("course", "course__patient", "course__clinic")
            .filter(pk=test_id, course__in=courses_visible_to(user)).first())
    if test is None:
        raise NotFoundError()
    if audit:
        audit_read(actor=user, patient_id=test.course.patient_id, action=audit, obj=test)
    return test


def course_records(course: Course) -> dict[str, list[Any]]:
    """Every program record of the course, newest first, for the status page's history tables."""
    return {
        "enrollments": list(Enrollment.objects.filter(course=course).select_related("superseded_by")
                            .order_by("-enrolled_on", "-id")),
        "risk_categories": list(RiskCategory.objects.filter(course=course).select_related("superseded_by", "recorded_by")
                                .order_by("-effective_on", "-id")),
        "counselings": list(Counseling.objects.filter(course=course).select_related("superseded_by", "counseled_by")
                            .order_by("-counseled_on", "-id")),
        "contraceptions": list(ContraceptionConfirmation.objects.filter(course=course).select_related("superseded_by")
                               .order_by("-confirmed_on", "-id")),
        "tests": list(PregnancyTest.objects.filter(course=course).select_related("superseded_by", "recorded_by")
                      .prefetch_related("verifications").order_by("-collected_on", "-id")),
        "comprehension": list(ComprehensionAttempt.objects.filter(course=course).select_related("superseded_by")
                              .order_by("-answered_on", "-id")),
        "prescriptions": list(PrescriptionRow.objects.filter(course=course).select_related("superseded_by", "prescriber")
                              .order_by("-issued_on", "-id")),
        "risk_form_confirmations": list(RiskFormConfirmation.objects.filter(course=course)
                                        .select_related("superseded_by", "recorded_by")
                                        .order_by("-confirmed_on", "-id")),
        "second_prescriber_agreements": list(SecondPrescriberAgreement.objects.filter(course=course)
                                             .select_related("superseded_by", "recorded_by")
                                             .order_by("-agreed_on", "-id")),
        "treatment_ends": list(TreatmentEnd.objects.filter(course=course).select_related("superseded_by").order_by("-ended_on", "-id")),
    }


def home_tests_awaiting_verification(course: Course) -> list[PregnancyTest]:
    """Current home tests without a current verification."""
    verified = HomeTestVerification.objects.current().filter(test_id=OuterRef("pk"))
    return list(PregnancyTest.objects.current().filter(course=course, setting="home")
                .exclude(Exists(verified)).order_by("collected_on", "id"))


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    """One prescriber or pharmacy on the administrator's certification page."""

    kind: str  # "prescriber" or "pharmacy"
    participant: Any  # a User or a Pharmacy
    status: CertificationStatus

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.participant.pk}"


class StatusFilter(StrEnum):
    """What the administrator's list can be narrowed to: the states :func:`_judge` computes, grouped."""

    ATTENTION = "attention"  # needs something: anything but active, or a staff training due
    GOOD = "good"  # active, nothing due
    RENEW = "renew"
    LAPSED = "lapsed"
    NOT_YET_ACTIVE = "not_yet_active"
    NOT_ENROLLED = "not_enrolled"
    TRAINING_DUE = "training_due"


@dataclass(frozen=True, slots=True)
class OverviewEntry:
    """A participant of the administrator's list before its page is loaded: who, and the judged status
    the list is filtered and ordered by (no records, no names: a national list holds tens of thousands)."""

    kind: str  # "prescriber" or "pharmacy"
    pk: int
    state: CertificationState
    training_due: bool
    needs_action: bool  # as CertificationStatus.needs_action (``_needs_action``)

    def matches(self, wanted: StatusFilter | str | None) -> bool:
        if not wanted:
            return True
        if wanted == StatusFilter.ATTENTION:
            return self.needs_action
        if wanted == StatusFilter.GOOD:
            return not self.needs_action
        if wanted == StatusFilter.TRAINING_DUE:
            return self.training_due
        return str(self.state) == str(wanted)


#: A search looks for at most this many words (each must match).
SEARCH_WORDS = 6


def _prescriber_search(words: list[str]) -> Q:
    """Each word in the prescriber's first or last name, or the whole NPI, registration number or
    program ID of a current enrolment."""
    found = Q()
    for word in words:
        program_id = ProgramCertification.objects.current().filter(program_id_number__iexact=word,
                                                                   prescriber__isnull=False)
        found &= (Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(npi=word)
                  | Q(registration_number__iexact=word) | Q(pk__in=program_id.values("prescriber_id")))
    return found


def _pharmacy_search(words: list[str]) -> Q:
    """Each word in the pharmacy's name, or the whole NCPDP ID, NPI, registration number or program ID of
    a current enrolment."""
    found = Q()
    for word in words:
        program_id = ProgramCertification.objects.current().filter(program_id_number__iexact=word,
                                                                   pharmacy__isnull=False)
        found &= (Q(name__icontains=word) | Q(ncpdp_id=word) | Q(npi=word) | Q(registration_number__iexact=word)
                  | Q(pk__in=program_id.values("pharmacy_id")))
    return found


def certification_index(*, on: dt.date, query: str = "", status: StatusFilter | str | None = None,
                        ) -> list[OverviewEntry]:
    """Every active prescriber and every pharmacy matching ``query`` (words of a name, an NPI, an NCPDP
    ID, a registration number or a program ID) whose status on ``on`` matches ``status``, those that need
    something first, then by name (prescribers, then pharmacies). Four queries of plain values whatever
    the number of participants: the people, the pharmacies, the current enrolment periods and the current
    training days (of the matching participants only when searching); each status is judged by
    :func:`_judge`, as everywhere. :func:`certification_rows` loads a page of them for display."""
    words = query.split()[:SEARCH_WORDS]
    people = User.objects.filter(role=Role.PRESCRIBER, is_active=True, clinic__isnull=False)
    pharmacies = Pharmacy.objects.all()
    records = ProgramCertification.objects.current()
    trainings = PharmacyTraining.objects.current()
    if words:
        people = people.filter(_prescriber_search(words))
        pharmacies = pharmacies.filter(_pharmacy_search(words))
        records = records.filter(Q(prescriber__in=people.values("pk")) | Q(pharmacy__in=pharmacies.values("pk")))
        trainings = trainings.filter(pharmacy__in=pharmacies.values("pk"))
    periods: dict[tuple[str, int, str], list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for prescriber_id, pharmacy_id, program, activated, expires in records.values_list(
            "prescriber_id", "pharmacy_id", "program", "activated_on", "expires_on"):
        if prescriber_id is not None:
            periods[("prescriber", prescriber_id, program)].append((activated, expires))
        elif pharmacy_id is not None:
            periods[("pharmacy", pharmacy_id, program)].append((activated, expires))
    trained: dict[tuple[int, str], list[dt.date]] = defaultdict(list)
    for pharmacy_id, program, day in trainings.values_list("pharmacy_id", "program", "trained_on"):
        trained[(pharmacy_id, program)].append(day)
    notice = notice_days()
    training_days: dict[str, int | None] = {}
    # Participants with the same periods and trainings get the same verdict: judged once (a national list
    # has far fewer distinct enrolment histories than participants).
    judged: dict[tuple[Any, ...], OverviewEntry] = {}
    entries: list[OverviewEntry] = []

    def judge(kind: str, pk: int, program: str) -> None:
        family = program_family(program)
        found = periods.get((kind, pk, family), [])
        days = trained.get((pk, family), []) if kind == "pharmacy" else None
        key = (family, tuple(found), tuple(days) if days is not None else None)
        verdict = judged.get(key)
        if verdict is None:
            if days is not None and family not in training_days:
                training_days[family] = _training_days(family, on)
            _cert, state, _renew, training = _judge(on=on, periods=found, trainings=days, notice=notice,
                                                    training_days=training_days.get(family))
            verdict = judged[key] = OverviewEntry(kind, 0, state, training is not None and training.due,
                                                  _needs_action(state, training))
        if verdict.matches(status):
            entries.append(OverviewEntry(kind, pk, verdict.state, verdict.training_due, verdict.needs_action))

    for pk, program in people.order_by("last_name", "first_name", "pk").values_list("pk", "clinic__program"):
        judge("prescriber", pk, program)
    for pk, program in pharmacies.order_by("name", "pk").values_list("pk", "program"):
        judge("pharmacy", pk, program)
    return sorted(entries, key=lambda e: not e.needs_action)


def certification_rows(entries: Iterable[OverviewEntry], *, on: dt.date) -> list[ParticipantRow]:
    """The participants of ``entries`` (a page of :func:`certification_index`) in that order, each with its
    records and status, in at most four queries whatever their number: the people, the pharmacies, their
    enrolment records and their training attestations."""
    wanted = list(entries)
    prescriber_ids = [e.pk for e in wanted if e.kind == "prescriber"]
    pharmacy_ids = [e.pk for e in wanted if e.kind == "pharmacy"]
    people = {u.pk: u for u in User.objects.filter(pk__in=prescriber_ids).select_related("clinic")}
    pharmacies = {p.pk: p for p in Pharmacy.objects.filter(pk__in=pharmacy_ids)}
    by_prescriber: dict[tuple[int, str], list[ProgramCertification]] = defaultdict(list)
    by_pharmacy: dict[tuple[int, str], list[ProgramCertification]] = defaultdict(list)
    if wanted:
        for record in (ProgramCertification.objects
                       .filter(Q(prescriber_id__in=prescriber_ids) | Q(pharmacy_id__in=pharmacy_ids))
                       .select_related("recorded_by", "superseded_by").order_by("-activated_on", "-id")):
            if record.prescriber_id is not None:
                by_prescriber[(record.prescriber_id, record.program)].append(record)
            elif record.pharmacy_id is not None:
                by_pharmacy[(record.pharmacy_id, record.program)].append(record)
    trainings: dict[tuple[int, str], list[PharmacyTraining]] = defaultdict(list)
    for attestation in (PharmacyTraining.objects.filter(pharmacy_id__in=pharmacy_ids)
                        .select_related("recorded_by", "superseded_by").order_by("-trained_on", "-id")):
        trainings[(attestation.pharmacy_id, attestation.program)].append(attestation)
    notice = notice_days()
    rows: list[ParticipantRow] = []
    for entry in wanted:
        if entry.kind == "prescriber":
            user = people.get(entry.pk)
            if user is None or user.clinic is None:
                continue  # gone since the list was read
            family = program_family(user.clinic.program)
            rows.append(ParticipantRow("prescriber", user, _status_from_records(
                family=family, on=on, pharmacy=False, records=tuple(by_prescriber.get((user.pk, family), ())),
                training_records=(), notice=notice)))
        else:
            pharmacy = pharmacies.get(entry.pk)
            if pharmacy is None:
                continue
            family = program_family(pharmacy.program)
            rows.append(ParticipantRow("pharmacy", pharmacy, _status_from_records(
                family=family, on=on, pharmacy=True, records=tuple(by_pharmacy.get((pharmacy.pk, family), ())),
                training_records=tuple(trainings.get((pharmacy.pk, family), ())), notice=notice)))
    return rows


def certification_overview(*, on: dt.date, query: str = "", status: StatusFilter | str | None = None,
                           ) -> list[ParticipantRow]:
    """Every matching participant with its records and status (:func:`certification_index` then
    :func:`certification_rows` over all of them): for tests and small lists; the page shows one page."""
    return certification_rows(certification_index(on=on, query=query, status=status), on=on)


def certification_get(record_id: int) -> ProgramCertification:
    """One enrolment record that is still current (a correction corrects the current record), else 404."""
    record = (ProgramCertification.objects.current().select_related("prescriber__clinic", "pharmacy")
              .filter(pk=record_id).first())
    if record is None:
        raise NotFoundError()
    return record


@dataclass(frozen=True, slots=True)
class RenewalItem:
    who: str
    status: CertificationStatus


def renewals_for(user: User, *, on: dt.date) -> list[RenewalItem]:
    """The worklist items "renew the program enrolment": the signed-in prescriber's own, a delegate's
    prescribers', a pharmacist's pharmacy's; only those that lapse within the notice period, have lapsed,
    or lack the yearly staff training."""

    found: list[RenewalItem] = []
    if user.role == Role.PRESCRIBER or user.role == Role.PHARMACIST:
        status = own_certification(user, on=on)
        if status is not None and status.needs_action:
            who = user.pharmacy.name if user.role == Role.PHARMACIST and user.pharmacy else user.display_name()
            found.append(RenewalItem(who, status))
    elif user.role == Role.DELEGATE:
        for prescriber in user.acts_for.filter(is_active=True, clinic__isnull=False).select_related("clinic"):
            assert prescriber.clinic is not None  # noqa: S101 - filtered above
            status = certification_status(program=prescriber.clinic.program, on=on, prescriber_id=prescriber.pk)
            if status.needs_action:
                found.append(RenewalItem(prescriber.display_name(), status))
    return found


def own_certification(user: User, *, on: dt.date) -> CertificationStatus | None:
    """The signed-in prescriber's own status, or the pharmacist's pharmacy's; None for anyone else."""
    if user.role == "prescriber" and user.clinic_id is not None and user.clinic is not None:
        return certification_status(program=user.clinic.program, on=on, prescriber_id=user.pk)
    if user.role == "pharmacist" and user.pharmacy_id is not None and user.pharmacy is not None:
        return certification_status(program=user.pharmacy.program, on=on, pharmacy_id=user.pharmacy_id)
    return None


__all__ = [
    "CertificationState",
    "CertificationStatus",
    "certification_get",
    "certification_index",
    "certification_overview",
    "certification_rows",
    "certification_status",
    "course_decision", "course_evaluation",
    "course_facts",
    "course_records",
    "course_status",
    "home_tests_awaiting_verification",
    "notice_days",
    "own_certification",
    "participants_load",
    "pregnancy_test_get_for_user",
    "program_family",
    "renewals_for",
    "risk_category_assigned",
]


def prescription_preview(course: Course, *, on: dt.date, days_supply: int, prescriber_id: int) -> list[Any]:
    """What the program still needs before a prescription written on ``on`` may be dispensed: the unmet
    conditions of the core's evaluation for a prescription not yet written (the pharmacy asks the same core
    later). Empty when everything is met. The prescribe page lists these before saving; whether writing the
    prescription is allowed is the prescribing service's rule, not this list's."""
    try:
        evaluation = course_evaluation(course, on=on, days_supply=days_supply, prescriber_id=prescriber_id)
    except DomainError as exc:
        return [exc]
    return list(evaluation.reasons)
