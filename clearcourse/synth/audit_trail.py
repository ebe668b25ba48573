"""A synthetic audit trail for benchmarks: millions of valid hash-chained entries in minutes.

``python -m clearcourse synth_audit --entries 10000000 [--days 30] [--jobs 2]`` (after ``synth``). The
entries look like a national deployment's trail: clinic staff opening and changing their patients'
records, pharmacists authorizing and dispensing, list pages without a patient; spread evenly over the
last ``--days`` days (a country adds about 10 million a month, issue 17). Every chain stays valid:
``python -m clearcourse audit verify`` passes afterwards.

How it is fast:

- **Chains are independent**, so they are written in parallel: ``--jobs`` processes each take some of
  the chains, compute their hashes and stream them to PostgreSQL with their own ``COPY``. The entries are
  interleaved by a fixed rule (global entry ``k`` belongs to chain ``k % chains``), so every process
  knows each of its entries' id and time without asking the others, and ids, times and each chain's
  sequence numbers rise together as they do when the application writes.
- **The canonical JSON is formatted, not built**: for each kind of entry and actor the JSON that
  ``audit.chain.entry_hash`` hashes is produced once by ``json.dumps`` with markers where the varying
  values go, and each entry fills the markers in. The first entry of every chain is checked against
  ``entry_hash`` itself, so a change to the hashed fields stops the generator instead of writing a
  broken trail.
- **Indexes are built once, not maintained row by row**: for large runs on PostgreSQL the entry table's
  secondary indexes are dropped before the COPY and created again afterwards (their definitions are
  read from the catalogue first, so nothing is lost), and the per-row foreign-key trigger on the actor
  is switched off for the COPY (superuser only, as ``synth`` does); the actors are then checked with one
  query.

Ids are reserved from the table's sequence up front. Run it on a benchmark database nobody writes to
meanwhile: the chains' head rows are moved at the end, in one transaction.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import json
import multiprocessing
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections, transaction

from clearcourse.accounts.models import Role, User
from clearcourse.audit import partitions
from clearcourse.audit.chain import GENESIS, HASHED_FIELDS, entry_hash
from clearcourse.audit.models import AuditEntry, AuditHead
from clearcourse.audit.services import chain_count
from clearcourse.core import clock
from clearcourse.courses.models import Course

#: What happens in a clinic's and a pharmacy's day, by share of the trail: (weight, action, who,
#: object type, channel, detail). Reads of a record outnumber writes, as in the benchmark's own pages.
ACTION_MIX: tuple[tuple[int, str, str, str, str, dict[str, Any]], ...] = (
    (26, "course.view", "staff", "Course", "web", {}),
    (14, "monitoring.view", "staff", "Course", "web", {}),
    (12, "patient.view", "staff", "Patient", "web", {}),
    (6, "ppp.status.view", "staff", "Course", "web", {}),
    (4, "dose_plan.view", "staff", "Course", "web", {}),
    (3, "assessment.view", "staff", "Course", "web", {}),
    (3, "course.export_fhir", "staff", "Course", "web", {}),
    (4, "ppp.counseling.create", "staff", "Counseling", "web", {}),
    (3, "ppp.contraception.confirm", "staff", "ContraceptionConfirmation", "web", {}),
    (3, "ppp.pregnancy_test.record", "staff", "PregnancyTest", "web", {}),
    (3, "lab.record", "staff", "LabResult", "web", {}),
    (3, "mood.record", "staff", "MoodScreen", "web", {}),
    (2, "prescription.create", "staff", "Prescription", "web", {}),
    (5, "pharmacy.authorize", "pharmacist", "Authorization", "api", {"allowed": True}),
    (3, "pharmacy.authorization.view", "pharmacist", "Authorization", "api", {}),
    (3, "pharmacy.dispense", "pharmacist", "Dispense", "api", {}),
    (4, "worklist.view", "staff-only", "", "web", {}),
)

_DETAIL_JSON = tuple(json.dumps(mix[5]) for mix in ACTION_MIX)
STAFF_ONLY = next(i for i, mix in enumerate(ACTION_MIX) if mix[2] == "staff-only")
_MARK = "\x1f{}\x1f"  # a marker json.dumps keeps as it is (escaped as \u001f) and no real value contains


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    label: str
    role: str
    ip: str


@dataclass(slots=True)
class ChainPlan:
    """What one process needs to write one chain."""

    chain: int
    start_seq: int
    start_hash: str
    patients: list[tuple[int, int, int]]  # (patient id, course id, clinic id)
    # Staff of each clinic (prescribers and delegates), and every pharmacist.
    staff: dict[int, list[Actor]]
    pharmacists: list[Actor]
    # Actors of this chain, for entries without a patient (they go to their actor's chain).
    own_actors: list[Actor]


@dataclass
class Population:
    chains: int
    patients_by_chain: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    staff: dict[int, list[Actor]] = field(default_factory=dict)
    pharmacists: list[Actor] = field(default_factory=list)


def load_population(chains: int) -> Population:
    """Patients with their course and clinic, each clinic's staff, every pharmacist (needs Django)."""
    pop = Population(chains=chains)
    by_chain: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    seen: set[int] = set()
    for course_id, patient_id, clinic_id in Course.objects.order_by("patient_id", "-pk").values_list(
            "pk", "patient_id", "clinic_id").iterator(chunk_size=10_000):
        if patient_id in seen:
            continue  # the patient's latest course
        seen.add(patient_id)
        by_chain[patient_id % chains].append((patient_id, course_id, clinic_id))
    pop.patients_by_chain = dict(by_chain)
    staff: dict[int, list[Actor]] = defaultdict(list)
    for pk, username, role, clinic_id in User.objects.filter(
            role__in=[Role.PRESCRIBER, Role.DELEGATE, Role.PHARMACIST], is_active=True).exclude(
            username__startswith="api-").order_by("pk").values_list("pk", "username", "role", "clinic_id"):
        actor = Actor(id=pk, label=username[:150], role=role, ip=f"10.{pk // 65536 % 256}.{pk // 256 % 256}.{pk % 256}")
        if role == Role.PHARMACIST:
            pop.pharmacists.append(actor)
        elif clinic_id is not None:
            staff[clinic_id].append(actor)
    pop.staff = dict(staff)
    return pop


class Formatter:
    """The canonical JSON of entries (the bytes ``entry_hash`` hashes), filled into a template made once per
    (action, actor, chain) by ``json.dumps`` itself."""

    VARYING = ("seq", "at", "patient_id", "object_id")

    def __init__(self) -> None:
        self.templates: dict[tuple[int, int, int, bool], str] = {}

    def template(self, kind: int, actor: Actor, chain: int, *, has_patient: bool = True) -> str:
        key = (kind, actor.id, chain, has_patient)
        found = self.templates.get(key)
        if found is not None:
            return found
        _w, action, _who, object_type, channel, detail = ACTION_MIX[kind]
        values: dict[str, Any] = {
            "actor_id": actor.id, "actor_label": actor.label, "actor_role": actor.role, "action": action,
            "object_type": object_type, "ip": actor.ip, "channel": channel, "detail": detail,
        }
        for name in self.VARYING:
            values[name] = _MARK.format(name)
        if not has_patient:
            values["patient_id"] = None
        unknown = set(HASHED_FIELDS) - set(values)
        if unknown:
            raise RuntimeError(f"synth_audit: the audit hash covers fields it does not know: {sorted(unknown)}; "
                               "teach clearcourse/synth/audit_trail.py about them")
        payload = {k: values[k] for k in HASHED_FIELDS}
        if chain:
            payload["chain"] = chain
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)
        text = text.replace("%", "%%")
        for name in self.VARYING:
            marker = json.dumps(_MARK.format(name))
            # Numbers are written bare, text in quotes.
            text = text.replace(marker, f"%({name})d" if name in ("seq", "patient_id") else f'"%({name})s"')
        self.templates[key] = text
        return text


def _canonical_time(micros: int) -> str:
    return (_EPOCH + dt.timedelta(microseconds=micros)).isoformat(timespec="microseconds")


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(slots=True)
class Row:
    id: int
    chain: int
    seq: int
    at_micros: int
    actor: Actor
    kind: int
    patient_id: int | None
    object_id: str
    prev_hash: str
    hash: str
    at_text: str = ""

    def fields(self) -> dict[str, Any]:
        _w, action, _who, object_type, channel, detail = ACTION_MIX[self.kind]
        return {"chain": self.chain, "seq": self.seq, "at": _EPOCH + dt.timedelta(microseconds=self.at_micros),
                "actor_id": self.actor.id, "actor_label": self.actor.label, "actor_role": self.actor.role,
                "action": action, "patient_id": self.patient_id, "object_type": object_type,
                "object_id": self.object_id, "ip": self.actor.ip, "channel": channel, "detail": dict(detail),
                "prev_hash": self.prev_hash, "hash": self.hash}


@dataclass(frozen=True, slots=True)
class Layout:
    """Where entry ``k`` (0-based, over the whole run) goes: chain ``k % chains``, id ``first_id + k``, at
    ``start + k * span / entries`` (microseconds since 1970)."""

    entries: int
    chains: int
    first_id: int
    start_micros: int
    span_micros: int

    def count_for(self, chain: int) -> int:
        return len(range(chain, self.entries, self.chains))


def chain_rows(plan: ChainPlan, layout: Layout, *, seed: int, formatter: Formatter | None = None) -> Iterator[Row]:
    """The entries of one chain, hashed, in sequence order."""
    formatter = formatter or Formatter()
    rng = random.Random(seed * 1_000_003 + plan.chain)  # noqa: S311 - synthetic data, not security
    kinds = list(range(len(ACTION_MIX)))
    if not plan.own_actors:
        kinds = [k for k in kinds if ACTION_MIX[k][2] != "staff-only"]
    cumulative = list(itertools.accumulate(ACTION_MIX[k][0] for k in kinds))
    total = cumulative[-1]
    pick = rng.random
    seq, prev = plan.start_seq, plan.start_hash
    if not plan.patients and not plan.own_actors:
        return  # nobody's entries would go to this chain (a tiny population): its share stays unused ids
    first = True
    sha = hashlib.sha256
    for k in range(plan.chain, layout.entries, layout.chains):
        seq += 1
        at = layout.start_micros + k * layout.span_micros // layout.entries
        kind = kinds[bisect.bisect(cumulative, pick() * total)]
        who = ACTION_MIX[kind][2]
        patient_id: int | None
        if who == "staff-only" or not plan.patients:
            actor = plan.own_actors[rng.randrange(len(plan.own_actors))]
            kind = STAFF_ONLY
            patient_id, object_id = None, ""
        else:
            patient_id, course_id, clinic_id = plan.patients[rng.randrange(len(plan.patients))]
            if who == "pharmacist" and plan.pharmacists:
                actor = plan.pharmacists[rng.randrange(len(plan.pharmacists))]
            else:
                team = plan.staff.get(clinic_id) or plan.pharmacists
                actor = team[rng.randrange(len(team))]
            object_type = ACTION_MIX[kind][3]
            object_id = str(patient_id if object_type == "Patient" else course_id if object_type == "Course"
                            else course_id * 16 + (seq % 16))
        at_text = _canonical_time(at)
        payload = formatter.template(kind, actor, plan.chain, has_patient=patient_id is not None) % {
            "seq": seq, "at": at_text, "patient_id": patient_id or 0, "object_id": object_id}
        digest = sha(f"{prev}{payload}".encode()).hexdigest()
        row = Row(id=layout.first_id + k, chain=plan.chain, seq=seq, at_micros=at, actor=actor, kind=kind,
                  patient_id=patient_id, object_id=object_id, prev_hash=prev, hash=digest, at_text=at_text)
        if first:
            expected = entry_hash(prev, row.fields())
            if expected != digest:
                raise RuntimeError("synth_audit: the fast canonical JSON no longer matches audit.chain.entry_hash "
                                   f"(chain {plan.chain}, entry #{seq}); fix clearcourse/synth/audit_trail.py")
            first = False
        prev = digest
        yield row


COLUMNS = ("id", "chain", "seq", "at", "actor_id", "actor_label", "actor_role", "action", "patient_id",
           "object_type", "object_id", "ip", "channel", "detail", "prev_hash", "hash")


def copy_line(row: Row) -> str:
    """One line of COPY's text format (no value contains a tab, newline or backslash)."""
    _w, action, _who, object_type, channel, _detail = ACTION_MIX[row.kind]
    return "\t".join((
        str(row.id), str(row.chain), str(row.seq), row.at_text, str(row.actor.id), row.actor.label,
        row.actor.role, action, str(row.patient_id) if row.patient_id is not None else "\\N", object_type,
        row.object_id, row.actor.ip, channel, _DETAIL_JSON[row.kind], row.prev_hash, row.hash)) + "\n"


def _conninfo() -> str:
    import psycopg

    db = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None, port=str(db["PORT"]) if db.get("PORT") else None)


def _write_chains_postgres(args: tuple[list[ChainPlan], Layout, int, str, str]) -> list[tuple[int, int, str, int]]:
    """One process: its chains through one COPY on its own connection; returns (chain, last seq, last hash,
    entries)."""
    plans, layout, seed, table, conninfo = args
    import psycopg

    ends: list[tuple[int, int, str, int]] = []
    formatter = Formatter()
    with psycopg.connect(conninfo) as conn:
        replica = _try(conn, "SET session_replication_role = replica")
        columns = ", ".join(f'"{c}"' for c in COLUMNS)
        with conn.cursor() as cursor, cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for plan in plans:
                last_seq, last_hash, n = plan.start_seq, plan.start_hash, 0
                buffer: list[str] = []
                for row in chain_rows(plan, layout, seed=seed, formatter=formatter):
                    buffer.append(copy_line(row))
                    last_seq, last_hash, n = row.seq, row.hash, n + 1
                    if len(buffer) >= 5000:
                        copy.write("".join(buffer))
                        buffer.clear()
                if buffer:
                    copy.write("".join(buffer))
                ends.append((plan.chain, last_seq, last_hash, n))
        conn.commit()
        if replica:
            conn.execute("SET session_replication_role = DEFAULT")
    return ends


def _try(conn: Any, sql: str) -> bool:
    try:
        conn.execute(sql)
    except Exception:  # not a superuser: keep the ordinary checks
        conn.rollback()
        return False
    return True


@dataclass
class AuditSynthResult:
    entries: int
    chains: int
    jobs: int
    seconds: float
    write_seconds: float
    index_seconds: float
    first_id: int
    start: str
    end: str
    rebuilt_indexes: list[str]

    def summary(self) -> dict[str, Any]:
        return {"entries": self.entries, "chains": self.chains, "jobs": self.jobs, "seconds": round(self.seconds, 1),
                "write_seconds": round(self.write_seconds, 1), "index_seconds": round(self.index_seconds, 1),
                "entries_per_s": round(self.entries / self.seconds) if self.seconds else None,
                "first_id": self.first_id, "start": self.start, "end": self.end,
                "rebuilt_indexes": self.rebuilt_indexes}


def generate(*, entries: int, days: float = 30.0, seed: int = 1, jobs: int = 2, end: dt.datetime | None = None,
             rebuild_indexes: bool | None = None, progress: Callable[[str], None] | None = None) -> AuditSynthResult:
    """Append ``entries`` entries, spread over the ``days`` days before ``end`` (default now), to every
    chain; returns what was written."""
    if entries < 1:
        raise ValueError("entries must be at least 1")
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    chains = chain_count()
    population = load_population(chains)
    if not population.patients_by_chain:
        raise RuntimeError("synth_audit: no courses in the database; run synth first")
    end = end or clock.now()
    span = int(days * 86_400 * 1_000_000)
    end_micros = int((end - _EPOCH).total_seconds() * 1_000_000)
    heads = {h.id: (h.last_seq, h.last_hash) for h in AuditHead.objects.all()}
    table = AuditEntry._meta.db_table
    first_id = _reserve_ids(table, entries)
    layout = Layout(entries=entries, chains=chains, first_id=first_id, start_micros=end_micros - span,
                    span_micros=span)
    own: dict[int, list[Actor]] = defaultdict(list)
    for actor in [a for team in population.staff.values() for a in team]:
        own[actor.id % chains].append(actor)
    plans = []
    for chain in range(chains):
        start_seq, start_hash = heads.get(chain, (0, GENESIS))
        plans.append(ChainPlan(chain=chain, start_seq=start_seq, start_hash=start_hash,
                               patients=population.patients_by_chain.get(chain, []), staff=population.staff,
                               pharmacists=population.pharmacists, own_actors=own.get(chain, [])))
    postgres = connection.vendor == "postgresql"
    # The months the entries fall in get their partitions first (PostgreSQL), as the nightly job would have made.
    partitions.ensure_months(_EPOCH + dt.timedelta(microseconds=layout.start_micros), end)
    rebuild = (entries >= 500_000) if rebuild_indexes is None else rebuild_indexes
    rebuild = rebuild and postgres
    dropped: list[tuple[str, str, str]] = []
    index_seconds = 0.0
    if rebuild:
        t0 = time.perf_counter()
        dropped = _drop_secondary_indexes(table)
        index_seconds += time.perf_counter() - t0
        say(f"synth_audit: dropped {len(dropped)} indexes of {table} for the load")
    write_started = time.perf_counter()
    try:
        if postgres:
            ends = _write_postgres(plans, layout, seed=seed, jobs=max(1, jobs), table=table)
        else:
            ends = _write_sqlite(plans, layout, seed=seed)
    finally:
        write_seconds = time.perf_counter() - write_started
        if dropped:
            say(f"synth_audit: {entries} entries written in {write_seconds:.1f} s; building the indexes again ...")
            t0 = time.perf_counter()
            _create_indexes(dropped)
            index_seconds += time.perf_counter() - t0
    with transaction.atomic():
        for chain, last_seq, last_hash, n in ends:
            if n:
                AuditHead.objects.update_or_create(id=chain, defaults={"last_seq": last_seq, "last_hash": last_hash})
    if postgres:
        with connection.cursor() as cursor:
            _check_actors(cursor, table, first_id, entries)
            cursor.execute(f'ANALYZE "{table}"')
    return AuditSynthResult(
        entries=entries, chains=chains, jobs=jobs if postgres else 1, seconds=time.perf_counter() - started,
        write_seconds=write_seconds, index_seconds=index_seconds, first_id=first_id,
        start=_canonical_time(layout.start_micros), end=_canonical_time(end_micros),
        rebuilt_indexes=[name for name, _kind, _sql in dropped])


def _reserve_ids(table: str, entries: int) -> int:
    """The first of ``entries`` consecutive ids nobody else will get."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = int(cursor.fetchone()[0])
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + entries - 1])
        return first
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return int(last) + 1


def _write_postgres(plans: list[ChainPlan], layout: Layout, *, seed: int, jobs: int,
                    table: str) -> list[tuple[int, int, str, int]]:
    groups = [plans[i::jobs] for i in range(jobs)]
    groups = [g for g in groups if g]
    conninfo = _conninfo()
    if len(groups) == 1:
        return _write_chains_postgres((groups[0], layout, seed, table, conninfo))
    connections.close_all()  # the children open their own connections; a forked socket is not shared
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(len(groups)) as pool:
        results = pool.map(_write_chains_postgres, [(g, layout, seed, table, conninfo) for g in groups])
    return [end for part in results for end in part]


def _write_sqlite(plans: list[ChainPlan], layout: Layout, *, seed: int) -> list[tuple[int, int, str, int]]:
    ends = []
    formatter = Formatter()
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql = f'INSERT INTO "{AuditEntry._meta.db_table}" ({columns}) VALUES ({placeholders})'  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for plan in plans:
            last_seq, last_hash, n = plan.start_seq, plan.start_hash, 0
            batch: list[Sequence[Any]] = []
            for row in chain_rows(plan, layout, seed=seed, formatter=formatter):
                f = row.fields()
                batch.append([row.id, row.chain, row.seq, connection.ops.adapt_datetimefield_value(f["at"]),
                              row.actor.id, row.actor.label, row.actor.role, f["action"], row.patient_id,
                              f["object_type"], row.object_id, row.actor.ip, f["channel"], json.dumps(f["detail"]),
                              row.prev_hash, row.hash])
                last_seq, last_hash, n = row.seq, row.hash, n + 1
                if len(batch) >= 2000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
            ends.append((plan.chain, last_seq, last_hash, n))
    return ends


def _drop_secondary_indexes(table: str) -> list[tuple[str, str, str]]:
    """Drop every index and unique constraint of ``table`` but its primary key; returns how to create each
    again: (name, "index" or "constraint", SQL)."""
    dropped: list[tuple[str, str, str]] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con "
            "JOIN pg_class rel ON rel.oid = con.conrelid WHERE rel.relname = %s AND con.contype = 'u'", [table])
        for name, definition in cursor.fetchall():
            dropped.append((name, "constraint", f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = %s AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)", [table])
        for name, definition in cursor.fetchall():
            dropped.append((name, "index", definition))
        for name, kind, _sql in dropped:
            if kind == "constraint":
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            else:
                cursor.execute(f'DROP INDEX "{name}"')
    return dropped


def _create_indexes(dropped: list[tuple[str, str, str]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, _kind, sql in dropped:
            # A partitioned table's index is defined ``ON ONLY`` the parent; built again, it must reach every
            # partition.
            cursor.execute(sql.replace(" ON ONLY ", " ON ", 1))
        cursor.execute("RESET maintenance_work_mem")


def _check_actors(cursor: Any, table: str, first_id: int, entries: int) -> None:
    """The foreign key the COPY may have skipped: every actor of the new entries exists."""
    user_table = User._meta.db_table
    cursor.execute(
        f'SELECT count(*) FROM (SELECT DISTINCT actor_id FROM "{table}" WHERE id BETWEEN %s AND %s '  # noqa: S608
        f'AND actor_id IS NOT NULL) a LEFT JOIN "{user_table}" u ON u.id = a.actor_id WHERE u.id IS NULL',
        [first_id, first_id + entries - 1])
    missing = int(cursor.fetchone()[0])
    if missing:
        raise RuntimeError(f"synth_audit: {missing} actors of the new entries do not exist")
