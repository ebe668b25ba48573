"""Synthetic population for benchmarks: clinics, pharmacies, patients and months of course history.

``python -m clearcourse synth --patients N --clinics C --pharmacies P [--seed S]`` (issue 8). Two parts:

1. A pure **planner** (``clearcourse.synth.plan``, :func:`plan_course`): for one patient it lays out a course's records day by day
   (enrolment, risk category, counselling, contraception, pregnancy tests, comprehension, prescriptions,
   dispenses, treatment end, plus assessment, dose plan, labs and mood screens for the worklist). The
   histories are built to be valid under every program version in force on their dates (both iPLEDGE
   versions: laboratory tests, screening test 19+ days before the confirmation test, two methods one
   of them primary; the EU/UK PPP: test on the prescription day, dispense within 7 days of it), so
   every past dispense was allowed on its day and most open prescriptions are allowed today. A share
   of open prescriptions is deliberately refused (this month's test missing, window lapsed), as in a
   real pharmacy. :func:`plan_facts` turns a plan into the rules core's ``Patient``/``History``, which
   the rules benchmark and the tests use without a database.
2. A **bulk writer** (:class:`BulkWriter`): rows go to PostgreSQL with ``COPY`` (psycopg) and to SQLite
   with ``bulk_create`` in big batches, never one ORM save per row. Primary keys are reserved up front
   (from the table's sequence on PostgreSQL) so that foreign keys can be filled before insertion. The
   column list is read from the models when the writer starts, and every column the planner does not
   set takes the model field's default, so a field another app adds later (with a default) needs no
   change here.

Records are append-only models; inserting them in bulk is an insert like any other. The synthetic
history writes no per-row audit entries: it is not something anybody did. One summarising entry
(``synth.generate``, with the counts) is appended through ``audit_record``, so the chain stays valid.

Run it on a quiet database (a benchmark database): key ranges are reserved from the sequences without
a table lock, and the load commits in chunks of patients (a failure leaves the chunks already written).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, models, transaction

from clearcourse.accounts.models import Clinic, Pharmacy, Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core import clock
from clearcourse.courses.models import Assessment, Course, DosePlan, Patient, Prescription, WeightMeasurement
from clearcourse.monitoring import worklist_store
from clearcourse.monitoring.models import LabResult, MoodScreen
from clearcourse.pharmacy.models import Authorization, Dispense
from clearcourse.ppp import models as ppp
from clearcourse.rules.programs.registry import resolve
from clearcourse.synth.plan import (
    CLINIC_FAMILY_CYCLE,
    DAILY_DOSE_MG,
    DAY,
    DAYS_SUPPLY,
    FAMILY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    CoursePlan,
    plan_course,
)

_MISSING = object()

# ---------------------------------------------------------------------------------------------------
# The bulk writer
# ---------------------------------------------------------------------------------------------------


class BulkWriter:
    """Collects rows per model and inserts them in big batches (COPY on PostgreSQL, bulk_create elsewhere).

    ``add(model, **values)`` takes attribute names (``course_id``, not ``course``) and returns the row's
    primary key, reserved in advance. Columns not given take the field's default (``auto_now_add``
    fields: now; nullable fields: NULL), read from the model when the writer first sees it.
    """

    def __init__(self, *, block: int = 50_000) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.block = block
        self.rows: dict[type[models.Model], list[tuple[Any, ...]]] = defaultdict(list)
        self.columns: dict[type[models.Model], list[models.Field[Any, Any]]] = {}
        self.spec: dict[type[models.Model], list[tuple[str, Any, bool, bool]]] = {}
        self.next_id: dict[type[models.Model], int] = {}
        self.last_id: dict[type[models.Model], int] = {}
        self.counts: Counter[str] = Counter()
        self.now = clock.now()

    def _prepare(self, model: type[models.Model]) -> None:
        fields = list(model._meta.concrete_fields)
        self.columns[model] = fields
        spec: list[tuple[str, Any, bool, bool]] = []  # (attname, default, default is callable, JSON text)
        for f in fields:
            default: Any = _MISSING
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                default = self.now
            elif f.has_default():
                default = f.get_default
            elif f.null:
                default = None
            elif f.empty_strings_allowed and not f.primary_key:
                default = ""  # what Django itself stores for a text field left unset
            spec.append((f.attname, default, callable(default), self.postgres and isinstance(f, models.JSONField)))
        self.spec[model] = spec

    def _reserve(self, model: type[models.Model]) -> None:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                # One statement: take the next value and move the sequence past the whole block.
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id'))"
                               " + %s - 1)", [table, table, self.block])
                end = int(cursor.fetchone()[0])
                start = end - self.block + 1
            else:
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - a model's table name
                start = max(int(cursor.fetchone()[0]) + 1, self.last_id.get(model, 0) + 1)
                end = start + self.block - 1
        self.next_id[model], self.last_id[model] = start, end

    def add(self, model: type[models.Model], **values: Any) -> int:
        spec = self.spec.get(model)
        if spec is None:
            self._prepare(model)
            spec = self.spec[model]
            missing = [name for name, default, _c, _j in spec
                       if default is _MISSING and name != "id" and name not in values]
            if missing:
                raise ValueError(f"synth: {model.__name__} fields {missing} have no value and no default; "
                                 "teach clearcourse/synth/writer.py about these new fields")
        if self.next_id.get(model, 1) > self.last_id.get(model, 0):
            self._reserve(model)
        pk = self.next_id[model]
        self.next_id[model] = pk + 1
        values["id"] = pk
        row = [values[name] if name in values else (default() if call else default)
               for name, default, call, _j in spec]
        for i, (_n, _d, _c, as_json) in enumerate(spec):
            if as_json:
                row[i] = json.dumps(row[i])  # COPY takes JSON as text
        self.rows[model].append(tuple(row))
        return pk

    def flush(self, order: Sequence[type[models.Model]]) -> None:
        """Insert everything collected, parents before children (``order``), then forget it. Call it
        inside a transaction.

        On PostgreSQL, when the role may (a superuser, as in CI and the benchmarks), the per-row foreign
        key triggers are switched off for the COPY (``session_replication_role = replica``, as
        pg_restore does) and every foreign key of the new rows is then checked with one anti-join per
        key: the same guarantee, an order of magnitude faster than millions of deferred row checks.
        """
        fast = self.postgres and self._replica_mode(True)
        ranges: dict[type[models.Model], tuple[int, int]] = {}
        try:
            for model in order:
                rows = self.rows.pop(model, [])
                if rows:
                    self._insert(model, rows)
                    self.counts[model.__name__] += len(rows)
                    ranges[model] = (rows[0][self._pk_index(model)], rows[-1][self._pk_index(model)])
        finally:
            if fast:
                self._replica_mode(False)
        leftover = [m.__name__ for m, r in self.rows.items() if r]
        if leftover:
            raise RuntimeError(f"synth: rows of {leftover} were not in the flush order")
        if fast:
            self._check_foreign_keys(ranges)

    def _pk_index(self, model: type[models.Model]) -> int:
        return next(i for i, f in enumerate(self.columns[model]) if f.primary_key)

    def _replica_mode(self, on: bool) -> bool:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL session_replication_role = {'replica' if on else 'DEFAULT'}")
        except DatabaseError:
            return False  # not a superuser: keep the ordinary (deferred) foreign key checks
        return True

    def _check_foreign_keys(self, ranges: dict[type[models.Model], tuple[int, int]]) -> None:
        problems = []
        with connection.cursor() as cursor:
            for model, (low, high) in ranges.items():
                for f in self.columns[model]:
                    if not f.is_relation or not getattr(f, "db_constraint", False):
                        continue
                    target = f.related_model._meta  # type: ignore[union-attr]
                    table = model._meta.db_table
                    cursor.execute(
                        f'SELECT count(*) FROM "{table}" c LEFT JOIN "{target.db_table}" p '  # noqa: S608
                        f'ON p."{target.pk.column}" = c."{f.column}" WHERE c."{f.column}" IS NOT NULL '
                        f'AND p."{target.pk.column}" IS NULL AND c.id BETWEEN %s AND %s', [low, high])
                    missing = int(cursor.fetchone()[0])
                    if missing:
                        problems.append(f"{model.__name__}.{f.name}: {missing} rows point nowhere")
        if problems:
            raise RuntimeError("synth: foreign keys broken: " + "; ".join(problems))

    def _insert(self, model: type[models.Model], rows: list[tuple[Any, ...]]) -> None:
        fields = self.columns[model]
        if self.postgres:
            columns = ", ".join(f'"{f.column}"' for f in fields)
            with connection.connection.cursor() as cursor, cursor.copy(
                    f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            names = [f.attname for f in fields]
            objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
            model._default_manager.bulk_create(objs, batch_size=500)

    def finish(self) -> None:
        """Nothing to do: on PostgreSQL each sequence already stands past the reserved blocks (unused ids
        are skipped), and SQLite's AUTOINCREMENT follows the highest id inserted."""


# ---------------------------------------------------------------------------------------------------
# The population
# ---------------------------------------------------------------------------------------------------


@dataclass
class SynthResult:
    patients: int
    clinics: int
    pharmacies: int
    counts: dict[str, int]
    open_allowed_expected: int
    open_refused_expected: int
    seconds: float
    clinic_ids: list[int]
    pharmacy_ids: list[int]

    def summary(self) -> dict[str, Any]:
        return {"patients": self.patients, "clinics": self.clinics, "pharmacies": self.pharmacies,
                "rows": sum(self.counts.values()), "rows_by_model": dict(sorted(self.counts.items())),
                "open_prescriptions_expected_allowed": self.open_allowed_expected,
                "open_prescriptions_expected_refused": self.open_refused_expected,
                "seconds": round(self.seconds, 1)}


def clinic_sizes(patients: int, clinics: int, big_clinic: int | None) -> list[int]:
    """Patients per clinic: the first clinic gets ``big_clinic`` (capped at ``patients``) when given, the
    rest share the remainder evenly."""
    if clinics < 1:
        raise ValueError("at least one clinic")
    sizes = [0] * clinics
    remaining = patients
    start = 0
    if big_clinic:
        sizes[0] = min(big_clinic, patients)
        remaining -= sizes[0]
        start = 1
    others = clinics - start
    if others == 0:
        sizes[0] += remaining
        return sizes
    for i in range(others):
        sizes[start + i] = remaining // others + (1 if i < remaining % others else 0)
    return sizes


def _stamp(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)


def generate(*, patients: int, clinics: int, pharmacies: int, seed: int = 1, today: dt.date | None = None,
             big_clinic: int | None = None, chunk: int = 5_000,
             progress: Callable[[str], None] | None = None) -> SynthResult:
    """Create the population (see the module docstring) and return what was written."""
    started = time.perf_counter()
    today = today or clock.today()
    # Unique per run (not per seed), so that running synth twice on one database never collides on names.
    tag = f"{seed}-{secrets.token_hex(3)}"
    sizes = clinic_sizes(patients, clinics, big_clinic)

    with transaction.atomic():
        clinic_objs = Clinic.objects.bulk_create([
            Clinic(name=f"Synthetic Clinic {tag}-{i + 1}", program=CLINIC_FAMILY_CYCLE[i % len(CLINIC_FAMILY_CYCLE)],
                   city="Synthville") for i in range(clinics)])
        families_used = sorted({c.program for c in clinic_objs})
        pharmacy_objs = Pharmacy.objects.bulk_create([
            Pharmacy(name=f"Synthetic Pharmacy {tag}-{i + 1}",
                     program=(families_used[i % len(families_used)]),
                     registration_number=f"SYN-{tag}-{i + 1}", city="Synthville")
            for i in range(max(pharmacies, len(families_used)))])
        staff: list[User] = []
        for c in clinic_objs:
            for j in range(3):
                staff.append(User(username=f"syn{tag}-c{c.pk}-dr{j + 1}", role=Role.PRESCRIBER, clinic=c,
                                  first_name=f"Doctor{j + 1}", last_name=f"Clinic{c.pk}",
                                  registration_number=f"SYN-P-{c.pk}-{j + 1}"))
        for p in pharmacy_objs:
            staff.append(User(username=f"syn{tag}-p{p.pk}-rx", role=Role.PHARMACIST, pharmacy=p,
                              first_name="Pharmacist", last_name=f"Pharmacy{p.pk}"))
        for u in staff:
            u.set_unusable_password()
        User.objects.bulk_create(staff)
        staff = list(User.objects.filter(username__startswith=f"syn{tag}-"))
        # Every synthetic prescriber and pharmacy is enrolled in its program (and each pharmacy attested
        # its staff training), so authorizations are judged on the patients' records as before.
        since = today - dt.timedelta(days=3 * 365)
        ppp.ProgramCertification.objects.bulk_create(
            [ppp.ProgramCertification(program=u.clinic.program, prescriber=u, activated_on=since)
             for u in staff if u.role == Role.PRESCRIBER and u.clinic is not None]
            + [ppp.ProgramCertification(program=p.program, pharmacy=p, activated_on=since) for p in pharmacy_objs])
        ppp.PharmacyTraining.objects.bulk_create(
            [ppp.PharmacyTraining(pharmacy=p, program=p.program, trained_on=today - dt.timedelta(days=days),
                                  attested_by="Synthetic pharmacist")
             for p in pharmacy_objs for days in (30, 395, 760)])
    prescribers: dict[int, list[User]] = defaultdict(list)
    pharmacist_of: dict[int, User] = {}
    for u in staff:
        if u.role == Role.PRESCRIBER and u.clinic_id is not None:
            prescribers[u.clinic_id].append(u)
        elif u.pharmacy_id is not None:
            pharmacist_of[u.pharmacy_id] = u
    pharmacies_by_family: dict[str, list[Pharmacy]] = defaultdict(list)
    for p in pharmacy_objs:
        pharmacies_by_family[p.program].append(p)

    order: list[type[models.Model]] = [
        Patient, Course, WeightMeasurement, Assessment, DosePlan, ppp.Enrollment, ppp.RiskCategory,
        ppp.Counseling, ppp.ContraceptionConfirmation, ppp.PregnancyTest, ppp.ComprehensionAttempt,
        Prescription, Authorization, Dispense, ppp.TreatmentEnd, LabResult, MoodScreen,
    ]
    writer = BulkWriter()
    allowed = refused = 0

    def assignments() -> Iterator[tuple[Clinic, int]]:
        for clinic, size in zip(clinic_objs, sizes, strict=True):
            for i in range(size):
                yield clinic, i

    pending = 0
    for done, (clinic, i) in enumerate(assignments(), start=1):
        # One generator per patient: the same seed gives the same histories, whatever the chunking.
        prng = random.Random(f"{seed}:{clinic.pk}:{i}")  # noqa: S311 - synthetic data, not a secret
        plan = plan_course(prng, family=clinic.program, today=today)
        if plan.expect_allowed is True:
            allowed += 1
        elif plan.expect_allowed is False:
            refused += 1
        _write_plan(writer, plan, prng, clinic=clinic, number=i, tag=tag,
                    prescriber=prng.choice(prescribers[clinic.pk]),
                    pharmacy=prng.choice(pharmacies_by_family[clinic.program]), pharmacist_of=pharmacist_of,
                    today=today)
        pending += 1
        if pending >= chunk:
            with transaction.atomic():
                writer.flush(order)
            pending = 0
            if progress:
                progress(f"  {done}/{patients} patients ({time.perf_counter() - started:.0f} s)")
    with transaction.atomic():
        writer.flush(order)
        writer.finish()
        counts = dict(writer.counts)
        counts.update(Clinic=len(clinic_objs), Pharmacy=len(pharmacy_objs), User=len(staff))
        audit_record(actor=None, action="synth.generate", detail={
            "patients": patients, "clinics": clinics, "pharmacies": len(pharmacy_objs), "seed": seed,
            "today": today.isoformat(), "rows": counts})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in order:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    # The clinic worklist reads stored per-course rows (a derived cache the services keep current); the
    # bulk rows above bypassed the services, so compute the rows for every new course now.
    worklist_started = time.perf_counter()
    worklist_rows = worklist_store.worklist_refresh_courses(
        Course.objects.filter(clinic__in=clinic_objs).values_list("pk", flat=True), today=today)
    worklist_store.analyze()
    if progress:
        progress(f"  worklist rows for {worklist_rows} courses ({time.perf_counter() - worklist_started:.0f} s)")
    return SynthResult(patients=patients, clinics=clinics, pharmacies=len(pharmacy_objs), counts=counts,
                       open_allowed_expected=allowed, open_refused_expected=refused,
                       seconds=time.perf_counter() - started, clinic_ids=[c.pk for c in clinic_objs],
                       pharmacy_ids=[p.pk for p in pharmacy_objs])


def _write_plan(w: BulkWriter, plan: CoursePlan, rng: random.Random, *, clinic: Any, number: int, tag: str,
                prescriber: Any, pharmacy: Any, pharmacist_of: dict[int, Any], today: dt.date) -> None:
    female = plan.sex == "female"
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    family_name = rng.choice(FAMILY)
    dr = prescriber.pk
    patient_id = w.add(Patient, clinic_id=clinic.pk, prescriber_id=dr, user_id=None,
                       record_number=f"S{tag}-{clinic.pk}-{number:06d}", given_name=given, family_name=family_name,
                       birth_date=plan.birth_date, sex=plan.sex, email="", phone="",
                       preferred_language="de" if plan.family != "us-ipledge" and rng.random() < 0.5 else "en",
                       created_at=_stamp(plan.assessed_on))
    ended_on = plan.treatment_end
    course_id = w.add(Course, patient_id=patient_id, clinic_id=clinic.pk, prescriber_id=dr, program=plan.family,
                      product="conventional", status=plan.status, target_mg_per_kg=Decimal(120),
                      started_on=plan.started_on, ended_on=ended_on, created_at=_stamp(plan.assessed_on))
    rec = {"recorded_by_id": dr, "supersedes_id": None, "correction_reason": ""}
    weight = Decimal(rng.randint(480, 950)) / 10
    w.add(WeightMeasurement, patient_id=patient_id, measured_on=plan.assessed_on, weight_kg=weight,
          recorded_at=_stamp(plan.assessed_on), **rec)
    w.add(Assessment, course_id=course_id, assessed_on=plan.assessed_on, iga=rng.choice((3, 4)), scarring=rng.random() < 0.4,
          eligible=True, decision={"eligible": True, "synthetic": True}, failed_therapies=["oral_antibiotic"],
          recorded_at=_stamp(plan.assessed_on), **rec)
    w.add(DosePlan, course_id=course_id, starts_on=plan.enrolled_on + 35 * DAY, weight_kg=weight,
          mg_per_kg=Decimal("0.50"), daily_dose_mg=DAILY_DOSE_MG, capsules={"20": 2}, target_mg_per_kg=Decimal(120),
          recorded_at=_stamp(plan.enrolled_on), **rec)
    us = plan.family == "us-ipledge"
    w.add(ppp.Enrollment, course_id=course_id, program=plan.family, enrolled_on=plan.enrolled_on,
          ipledge_patient_id=f"IPL-S{patient_id}" if us else "", recorded_at=_stamp(plan.enrolled_on), **rec)
    w.add(ppp.RiskCategory, course_id=course_id, can_get_pregnant=plan.can_get_pregnant, effective_on=plan.enrolled_on,
          reason="", recorded_at=_stamp(plan.enrolled_on), **rec)
    for day in plan.counselings:
        w.add(ppp.Counseling, course_id=course_id, counseled_on=day, counseled_by_id=dr, note="",
              recorded_at=_stamp(day), **rec)
    for day, methods in plan.contraceptions:
        w.add(ppp.ContraceptionConfirmation, course_id=course_id, confirmed_on=day, methods=list(methods),
              abstinence=False, confirmed_by="patient", recorded_at=_stamp(day), **rec)
    for day, setting, result in plan.tests:
        w.add(ppp.PregnancyTest, course_id=course_id, collected_on=day, setting=setting, result=result, photo="",
              photo_content_type="", recorded_at=_stamp(day), **rec)
    for day in plan.comprehensions:
        w.add(ppp.ComprehensionAttempt, course_id=course_id, answered_on=day, program=plan.family,
              language="en", answers={}, score=10, total=10, passed=True, recorded_at=_stamp(day), **rec)
    rx_ids: list[int] = []
    for key, day in enumerate(plan.prescriptions):
        rx_ids.append(w.add(Prescription, course_id=course_id, prescriber_id=dr, issued_on=day, product="conventional",
                            daily_dose_mg=DAILY_DOSE_MG, capsules={"20": 2}, days_supply=DAYS_SUPPLY,
                            ipledge_confirmation=f"C{patient_id}{key:02d}" if us else "", voided=False,
                            recorded_at=_stamp(day), **rec))
    pharmacist = pharmacist_of[pharmacy.pk]
    for key, day in plan.dispenses:
        authorization_id = w.add(
            Authorization, pharmacy_id=pharmacy.pk, prescription_id=rx_ids[key], patient_id=patient_id, decided_on=day,
            allowed=True, reasons=[], valid_through=day, program=resolve(plan.family, day).id,
            days_supply=DAYS_SUPPLY, ipledge_rma="", created_by_id=pharmacist.pk, created_at=_stamp(day))
        w.add(Dispense, prescription_id=rx_ids[key], pharmacy_id=pharmacy.pk, dispensed_on=day,
              days_supply=DAYS_SUPPLY, daily_dose_mg=DAILY_DOSE_MG, authorization_id=authorization_id,
              idempotency_key="", ipledge_rma="", recorded_at=_stamp(day), recorded_by_id=pharmacist.pk,
              supersedes_id=None, correction_reason="")
    if plan.treatment_end is not None and plan.treatment_end <= today:
        w.add(ppp.TreatmentEnd, course_id=course_id, ended_on=plan.treatment_end, reason="Cumulative target reached.",
              recorded_at=_stamp(plan.treatment_end), **rec)
    for day in plan.labs:
        for loinc, analyte, value, unit, uln in (("2571-8", "triglycerides", 120, "mg/dL", None),
                                                 ("1742-6", "alt", 22, "U/L", 40)):
            v = Decimal(value + rng.randint(-15, 25))
            w.add(LabResult, course_id=course_id, loinc=loinc, analyte=analyte, value=v, unit=unit,
                  uln=Decimal(uln) if uln else None, canonical_value=v, canonical_unit=unit, collected_on=day,
                  source="manual", recorded_at=_stamp(day), **rec)
    for day in plan.mood_screens:
        w.add(MoodScreen, course_id=course_id, instrument="phq2", answers=[0, 1], score=1, band="negative",
              item9_positive=None, urgent=False, completed_by="patient", screened_on=day,
              recorded_at=_stamp(day), **rec)


__all__ = ["BulkWriter", "SynthResult", "clinic_sizes", "generate"]
