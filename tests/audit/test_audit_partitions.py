"""The audit trail partitioned by month on PostgreSQL (migration 0005, ``audit/partitions.py``, ``audit
partitions``): entries land in their month, the default partition catches a month not created in time, the
append-only guard holds on every partition, the chains verify across months, and an existing trail is
converted with its rows, ids and chain intact (and back)."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from clearcourse.audit import partitions
from clearcourse.audit.models import AuditEntry
from clearcourse.audit.services import audit_record

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                   reason="monthly partitions exist on PostgreSQL only; SQLite keeps one table")
UTC = dt.UTC


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def where(entry: AuditEntry) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM audit_auditentry WHERE id = %s", [entry.pk])
        return str(cursor.fetchone()[0])


def write(actor: Any, action: str = "test.write", patient_id: int = 7) -> AuditEntry:
    with transaction.atomic():
        return audit_record(actor=actor, action=action, patient_id=patient_id)


# --- pure calendar arithmetic -----------------------------------------------------------------------------

def test_months_run_across_a_year_end_in_utc() -> None:
    # 23:30 on 31 December in New York is already January in UTC: the partition is chosen by UTC.
    late = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert partitions.month_start(late) == dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert partitions.months(dt.date(2026, 11, 15), dt.date(2027, 2, 1)) == [
        dt.datetime(2026, 11, 1, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC),
        dt.datetime(2027, 1, 1, tzinfo=UTC), dt.datetime(2027, 2, 1, tzinfo=UTC)]
    assert partitions.months(dt.date(2027, 2, 1), dt.date(2026, 11, 1)) == []
    assert partitions.next_month(dt.datetime(2026, 12, 1, tzinfo=UTC)) == dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert partitions.partition_name(dt.datetime(2027, 3, 1, tzinfo=UTC)) == "audit_auditentry_y2027m03"


# --- SQLite: one table, said plainly ------------------------------------------------------------------------

@pytest.mark.django_db
def test_sqlite_keeps_one_table_and_says_so() -> None:
    if connection.vendor == "postgresql":
        assert partitions.is_partitioned()
        return
    assert not partitions.is_partitioned()
    assert partitions.ensure_months(dt.date(2026, 11, 1), dt.date(2027, 1, 1)) == []
    assert partitions.default_entries() == 0
    assert "one table" in run("partitions", "--ahead", "2")


@pytest.mark.django_db
def test_ahead_outside_0_to_24_months_is_refused() -> None:
    with pytest.raises(CommandError, match="from 0 to 24"):
        run("partitions", "--ahead", "25")


# --- PostgreSQL -----------------------------------------------------------------------------------------------

@postgres_only
def test_ahead_creates_this_and_the_coming_months_and_entries_land_in_their_month(prescriber: Any, clock: Any) -> None:
    out = run("partitions", "--ahead", "2")  # the suite's clock: 26 November 2026
    names = {p.name for p in partitions.partitions()}
    assert {"audit_auditentry_y2026m11", "audit_auditentry_y2026m12", "audit_auditentry_y2027m01"} <= names
    assert "November 2026, UTC" in out and "audit_auditentry_default" in out
    assert run("partitions", "--ahead", "2").count("created") == 0  # idempotent

    november = write(prescriber)
    clock.move_to(dt.datetime(2027, 1, 31, 23, 59, tzinfo=UTC))
    january = write(prescriber)
    clock.move_to(dt.datetime(2031, 5, 2, tzinfo=UTC))  # no partition for May 2031: the default one takes it
    stray = write(prescriber)
    assert where(november) == "audit_auditentry_y2026m11"
    assert where(january) == "audit_auditentry_y2027m01"
    assert where(stray) == "audit_auditentry_default"

    # One chain across three partitions verifies, and is read back in order.
    assert "intact: 3 entries" in run("verify")
    assert [e.pk for e in AuditEntry.objects.filter(patient_id=7).order_by("-at")] == [stray.pk, january.pk,
                                                                                        november.pk]
    # Entries in the default partition are reported, with an exit code for the nightly job to alarm on ...
    with pytest.raises(CommandError) as exc:
        run("partitions")
    assert exc.value.returncode == 1 and "1 entry is in the default partition" in str(exc.value)
    # ... and their month is not created afterwards: the trail does not move entries.
    results = partitions.ensure_months(dt.date(2031, 5, 1), dt.date(2031, 6, 1))
    assert [(r.month, r.created) for r in results] == [(dt.date(2031, 5, 1), False), (dt.date(2031, 6, 1), True)]
    assert "default partition" in results[0].note
    assert where(stray) == "audit_auditentry_default"
    assert "intact: 3 entries" in run("verify")


@postgres_only
def test_every_partition_refuses_update_and_delete(prescriber: Any) -> None:
    partitions.ensure_months(dt.date(2026, 11, 1), dt.date(2026, 11, 1))
    entry = write(prescriber)
    table = where(entry)
    assert table == "audit_auditentry_y2026m11"
    for sql in (f"UPDATE {table} SET action = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
                "UPDATE audit_auditentry SET action = 'x' WHERE id = %s", "DELETE FROM audit_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [entry.pk])
    # A partition made later is guarded too (the trigger is the parent's, cloned to every partition).
    partitions.ensure_months(dt.date(2032, 1, 1), dt.date(2032, 1, 1))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_auditentry_y2032m01'::regclass "
                    "AND tgname = 'audit_auditentry_append_only'")
        assert cur.fetchone() == (1,)


@postgres_only
def test_the_conversion_keeps_every_entry_its_id_and_the_chain_and_goes_back(
        prescriber: Any, audit_entries: Callable[[int], None], clock: Any) -> None:
    migration = importlib.import_module("clearcourse.audit.migrations.0005_partition_by_month")
    audit_entries(3)
    clock.move_to(dt.datetime(2025, 3, 1, tzinfo=UTC))  # an old entry, months before the others
    write(prescriber, patient_id=7)
    before = list(AuditEntry.objects.order_by("id").values_list("id", "chain", "seq", "hash"))

    with connection.cursor() as cursor:
        migration.unpartition(cursor)
    assert not partitions.is_partitioned()
    assert list(AuditEntry.objects.order_by("id").values_list("id", "chain", "seq", "hash")) == before
    assert "intact: 4 entries" in run("verify")
    with connection.cursor() as cursor:  # the plain table has its unique hash again
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'audit_auditentry_hash_key'")
        assert cursor.fetchone() == (1,)

    with connection.cursor() as cursor:
        migration.partition(cursor)
    assert partitions.is_partitioned()
    kept = [p for p in partitions.partitions() if p.name.startswith("audit_auditentry_before_")]
    assert len(kept) == 1 and kept[0].start is None  # the old table holds everything before its bound
    assert list(AuditEntry.objects.order_by("id").values_list("id", "chain", "seq", "hash")) == before
    assert "intact: 4 entries" in run("verify")
    # New entries get new ids (the sequence carried over) and chain on.
    newer = write(prescriber, patient_id=7)
    assert newer.pk > before[-1][0]
    assert "intact: 5 entries" in run("verify")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {kept[0].name} WHERE id = %s", [before[0][0]])  # noqa: S608


# --- archiving verified months ----------------------------------------------------------------------------------

def _months_of_entries(prescriber: Any, clock: Any) -> dict[str, list[AuditEntry]]:
    """Entries of five patients (five chains) in September, October, November and December 2026."""
    partitions.ensure_months(dt.date(2026, 9, 1), dt.date(2026, 12, 1))
    written: dict[str, list[AuditEntry]] = {}
    for month in (9, 10, 11, 12):
        clock.move_to(dt.datetime(2026, month, 3, 9, 0, tzinfo=UTC))
        written[f"2026-{month:02d}"] = [write(prescriber, patient_id=p) for p in (1, 2, 3, 4, 5)]
    clock.move_to(dt.datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    return written


@postgres_only
@pytest.mark.django_db(transaction=True)  # each entry commits on its own, so the five patients fill five chains
def test_a_month_is_archived_after_every_check_and_the_rest_verifies_on(
        prescriber: Any, clock: Any, tmp_path: Any, settings: Any) -> None:
    from clearcourse.audit.models import AuditArchive

    settings.CLEARCOURSE_AUDIT_ONLINE_MONTHS = 0
    _months_of_entries(prescriber, clock)
    assert "intact: 20 entries" in run("verify")
    with pytest.raises(CommandError, match="signs its record with the checkpoint key"):
        run("archive", "--month", "2026-09", "--out", str(tmp_path))  # no key configured: nothing happens
    key = tmp_path / "checkpoint.key"
    run("checkpoint-key", "--out", str(key))
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = str(key)
    before = tmp_path / "before.json"
    run("checkpoint", "--out", str(before), "--key", str(key))

    with pytest.raises(CommandError, match="archive the older partition audit_auditentry_y2026m09 first"):
        run("archive", "--month", "2026-10", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="within the 0 months kept online"):
        run("archive", "--month", "2026-12", "--out", str(tmp_path))

    out = run("archive", "--month", "2026-09", "--out", str(tmp_path))
    assert "archived audit_auditentry_y2026m09: audit_auditentry_y2026m09.csv.gz: 5 entries" in out
    archived = tmp_path / "audit_auditentry_y2026m09.csv.gz"
    assert archived.stat().st_mode & 0o777 == 0o600
    assert len(AuditArchive.objects.get().chain_ends) == 5  # five chains, each continued online
    assert "audit_auditentry_y2026m09" not in {p.name for p in partitions.partitions()}
    # The chains online follow on from the archived ends; the archive itself was recorded in the trail.
    assert AuditEntry.objects.filter(action="audit.archive").count() == 1
    assert "intact: 16 entries" in run("verify")
    assert "matches the checkpoint" in run("verify", "--against", str(before), "--key", str(key))
    assert "archive intact: audit_auditentry_y2026m09.csv.gz: 5 entries" in run("archive-check", str(archived))
    with pytest.raises(CommandError, match="no partition of the trail ends with September 2026"):
        run("archive", "--month", "2026-09", "--out", str(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "audit_auditentry_y2026m10.csv.gz").write_bytes(b"an older file")
    with pytest.raises(CommandError, match="exists; an archive file is never overwritten"):
        run("archive", "--month", "2026-10", "--out", str(elsewhere))
    assert (elsewhere / "audit_auditentry_y2026m10.csv.gz").read_bytes() == b"an older file"

    run("archive", "--month", "2026-10", "--out", str(tmp_path))
    assert AuditArchive.objects.count() == 2
    assert "intact: 12 entries" in run("verify")
    assert "archived: audit_auditentry_y2026m10.csv.gz" in run("partitions")


@postgres_only
def test_a_changed_archive_file_and_a_broken_trail_are_refused(
        prescriber: Any, clock: Any, tmp_path: Any, settings: Any, tamper: Callable[..., None]) -> None:
    import gzip

    settings.CLEARCOURSE_AUDIT_ONLINE_MONTHS = 0
    key = tmp_path / "checkpoint.key"
    run("checkpoint-key", "--out", str(key))
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = str(key)
    written = _months_of_entries(prescriber, clock)
    run("archive", "--month", "2026-09", "--out", str(tmp_path))
    archived = tmp_path / "audit_auditentry_y2026m09.csv.gz"
    text = gzip.decompress(archived.read_bytes()).decode()
    changed = tmp_path / "changed.csv.gz"
    changed.write_bytes(gzip.compress(text.replace("test.write", "test.other", 1).encode()))
    with pytest.raises(CommandError, match="matches no archive"):
        run("archive-check", str(changed))

    # A changed entry online: the next month is not archived, nothing is removed, no file is left.
    victim = written["2026-11"][0]
    tamper("UPDATE audit_auditentry SET action = 'test.innocent' WHERE id = %s", params=[victim.pk])
    with pytest.raises(CommandError, match="not archiving a broken trail"):
        run("archive", "--month", "2026-10", "--out", str(tmp_path))
    assert not (tmp_path / "audit_auditentry_y2026m10.csv.gz").exists()
    assert "audit_auditentry_y2026m10" in {p.name for p in partitions.partitions()}


@pytest.mark.django_db
def test_archiving_needs_postgresql_and_a_month(tmp_path: Any) -> None:
    with pytest.raises(CommandError, match="not a month in the form YYYY-MM"):
        run("archive", "--month", "2026-١١", "--out", str(tmp_path))
    if connection.vendor == "postgresql":
        return
    with pytest.raises(CommandError, match="needs the monthly partitions of PostgreSQL"):
        run("archive", "--month", "2024-01", "--out", str(tmp_path))


@pytest.mark.django_db
def test_the_reminder_worker_keeps_the_coming_months_partitioned(clock: Any) -> None:
    """``send_reminders --schedule`` (the long-running worker) creates this month's and the next two months'
    partitions, so a deployment without the nightly job still never writes into the default partition."""
    clock.move_to(dt.datetime(2031, 11, 20, 8, 0, tzinfo=UTC))
    out = io.StringIO()
    call_command("send_reminders", "--once", "--schedule", stdout=out)
    if connection.vendor != "postgresql":
        assert "partition" not in out.getvalue()
        return
    names = {p.name for p in partitions.partitions()}
    assert {"audit_auditentry_y2031m11", "audit_auditentry_y2031m12", "audit_auditentry_y2032m01"} <= names
    assert "audit: partition audit_auditentry_y2032m01 created for January 2032" in out.getvalue()
    again = io.StringIO()
    call_command("send_reminders", "--once", "--schedule", stdout=again)
    assert "partition" not in again.getvalue()


@postgres_only
def test_a_forged_or_changed_archive_record_does_not_hide_deleted_entries(
        prescriber: Any, clock: Any, tmp_path: Any, settings: Any, tamper: Callable[..., None]) -> None:
    """Someone with full database rights deletes a month's entries and writes an archive record that says the
    month was archived: without the checkpoint's private key the record cannot be signed, and every walk of
    the trail (verify, checkpoint, backup) refuses it; a signed record changed afterwards is refused too."""
    from clearcourse.audit.models import AuditArchive, AuditHead

    settings.CLEARCOURSE_AUDIT_ONLINE_MONTHS = 0
    key = tmp_path / "checkpoint.key"
    run("checkpoint-key", "--out", str(key))
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = str(key) + ".pub"
    _months_of_entries(prescriber, clock)
    checkpoint = tmp_path / "before.json"
    run("checkpoint", "--out", str(checkpoint), "--key", str(key))

    # Forged: every entry of September deleted, and a record claiming the chains end where they did.
    september = list(AuditEntry.objects.filter(at__lt=dt.datetime(2026, 10, 1, tzinfo=UTC)).order_by("chain", "seq"))
    ends = {}
    for entry in september:
        ends[str(entry.chain)] = [entry.seq, entry.hash]
    tamper("DELETE FROM audit_auditentry WHERE at < %s", params=[dt.datetime(2026, 10, 1, tzinfo=UTC)])
    forged = AuditArchive.objects.create(
        range_start=dt.datetime(2026, 9, 1, tzinfo=UTC), range_end=dt.datetime(2026, 10, 1, tzinfo=UTC),
        partition="audit_auditentry_y2026m09", entries=len(september), file_name="x.csv.gz", file_sha256="0" * 64,
        chain_starts={}, chain_ends=ends, archived_at=dt.datetime(2026, 12, 5, tzinfo=UTC), archived_by="system",
        signature="AAAA")
    for args in (("verify",), ("verify", "--against", str(checkpoint))):
        with pytest.raises(CommandError, match="does not match its signature") as exc:
            run(*args)
        assert exc.value.returncode == 1
    with pytest.raises(CommandError, match="does not match its signature"):
        run("checkpoint", "--key", str(key))
    forged.delete()
    assert AuditHead.objects.exists()
    with pytest.raises(CommandError, match=r"broken|removed"):
        run("verify")


@postgres_only
def test_a_signed_record_changed_or_removed_afterwards_is_refused(
        prescriber: Any, clock: Any, tmp_path: Any, settings: Any) -> None:
    from clearcourse.audit.models import AuditArchive

    settings.CLEARCOURSE_AUDIT_ONLINE_MONTHS = 0
    key = tmp_path / "checkpoint.key"
    run("checkpoint-key", "--out", str(key))
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = str(key)
    _months_of_entries(prescriber, clock)
    run("archive", "--month", "2026-09", "--out", str(tmp_path))
    run("archive", "--month", "2026-10", "--out", str(tmp_path))
    assert "intact" in run("verify")
    # Verifying needs only the public key; without any key the archived months cannot be trusted.
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = str(key) + ".pub"
    assert "intact" in run("verify")
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = ""
    with pytest.raises(CommandError, match="needs the checkpoint key"):
        run("verify")
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = str(key)

    october = AuditArchive.objects.get(partition="audit_auditentry_y2026m10")
    AuditArchive.objects.filter(pk=october.pk).update(entries=october.entries + 1)
    with pytest.raises(CommandError, match="does not match its signature"):
        run("verify")
    AuditArchive.objects.filter(pk=october.pk).update(entries=october.entries)
    assert "intact" in run("verify")
    AuditArchive.objects.filter(partition="audit_auditentry_y2026m09").delete()
    with pytest.raises(CommandError, match="does not follow on from the one before it"):
        run("verify")


@pytest.mark.django_db
def test_a_failing_partition_step_never_stops_the_reminders(monkeypatch: Any) -> None:
    def busy(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("canceling statement due to lock timeout")

    monkeypatch.setattr(partitions, "ensure_months", busy)
    out = io.StringIO()
    call_command("send_reminders", "--once", "--schedule", stdout=out)
    assert "sent 0" in out.getvalue()  # the pass went on to send what was due


@postgres_only
def test_when_the_month_changed_after_its_file_was_written_nothing_is_removed_and_the_file_goes(
        prescriber: Any, clock: Any, tmp_path: Any, settings: Any, monkeypatch: Any) -> None:
    """The recount under the trail's locks differs from the file (an entry arrived after the snapshot): the
    transaction stops before anything is dropped, and the written file, not needed, is removed."""
    from clearcourse.audit import archive
    from clearcourse.audit.models import AuditArchive

    settings.CLEARCOURSE_AUDIT_ONLINE_MONTHS = 0
    key = tmp_path / "checkpoint.key"
    run("checkpoint-key", "--out", str(key))
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = str(key)
    _months_of_entries(prescriber, clock)
    real = archive.check_file

    def one_short(path: Any, starts: Any) -> Any:
        checked = real(path, starts)
        return archive.FileCheck(checked.entries - 1, checked.ends, checked.problem)

    monkeypatch.setattr(archive, "check_file", one_short)
    out = tmp_path / "files"
    out.mkdir()
    with pytest.raises(CommandError, match="entries were added meanwhile; nothing was removed"):
        run("archive", "--month", "2026-09", "--out", str(out))
    assert list(out.iterdir()) == []
    assert not AuditArchive.objects.exists()
    assert "audit_auditentry_y2026m09" in {p.name for p in partitions.partitions()}
    assert "intact: 20 entries" in run("verify")
