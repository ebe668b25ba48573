"""`backup PATH` then `restore PATH` gives back every record and an intact audit chain, on SQLite and
PostgreSQL, in the native format (SQLite file / pg_dump archive) and the portable one (XML)."""

from __future__ import annotations

import io
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from clearcourse.audit.models import AuditEntry
from clearcourse.audit.services import audit_record

# Rebuilt by migrate (content types, permissions) or ephemeral (sessions): not in portable backups.
REBUILT = {"contenttypes.contenttype", "auth.permission", "sessions.session"}


def snapshot(skip: set[str]) -> dict[str, list[dict[str, Any]]]:
    return {
        model._meta.label_lower: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.label_lower not in skip and model._meta.managed
    }


def run(*args: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def records(course: Any, prescriber: Any, delegate: Any, pharmacist: Any, admin_user: Any,
            other_patient: Any) -> None:
    from clearcourse.courses.selectors import course_get_for_user, patient_get_for_user

    patient_get_for_user(user=prescriber, patient_id=course.patient_id)
    course_get_for_user(user=delegate, course_id=course.pk)
    with transaction.atomic():
        audit_record(actor=admin_user, action="test.note", detail={"text": "Grüße <b>", "n": 1.5})


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["native", "portable"])
def test_a_round_trip_keeps_every_record_and_a_valid_chain(records: None, tmp_path: Path, fmt: str,
                                                           make_user: Any, prescriber: Any) -> None:
    skip = REBUILT if fmt == "portable" else {"sessions.session"}
    before = snapshot(skip)
    assert len(before["audit.auditentry"]) >= 4
    target = tmp_path / "backup.bin"
    out = run("backup", str(target), "--format", fmt)
    assert "intact" in out and target.stat().st_size > 0

    # Work continues after the backup; the restore must take the database back to the backup exactly.
    make_user("late_user", "patient")
    with transaction.atomic():
        audit_record(actor=prescriber, action="test.after_backup")

    out = run("restore", str(target), "--yes")
    assert "intact" in out
    after = snapshot(skip)
    assert after == before
    assert not AuditEntry.objects.filter(action="test.after_backup").exists()
    assert "intact" in run("audit", "verify")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_auditentry_append_only' "
                        "AND tgrelid = 'audit_auditentry'::regclass")
            assert cur.fetchone() == (1,), "the restore must bring back the append-only trigger"
            # ... on every monthly partition too (migration 0005).
            cur.execute("SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = "
                        "i.inhrelid AND t.tgname = 'audit_auditentry_append_only')), count(*) FROM pg_inherits i "
                        "WHERE i.inhparent = 'audit_auditentry'::regclass")
            unguarded, parts = cur.fetchone()
            assert parts >= 2 and unguarded == 0
            # The planner has statistics again (a dump carries none; the restore runs ANALYZE).
            cur.execute("SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'accounts_user'")
            assert cur.fetchone()[0] > 0
    # The restored chain accepts new entries.
    with transaction.atomic():
        audit_record(actor=prescriber, action="test.after_restore")
    assert "intact" in run("audit", "verify")


@pytest.mark.django_db(transaction=True)
def test_restore_reports_a_broken_chain_in_the_backup(records: None, tmp_path: Path) -> None:
    """An older backup (a bare XML dump, no manifest) with a changed entry: the chain check still catches it."""
    from django.core.management import call_command as django_command

    target = tmp_path / "backup.xml"
    django_command("dumpdata", format="xml", natural_foreign=True, output=str(target), verbosity=0,
                   exclude=["contenttypes", "auth.permission", "sessions"])
    text = target.read_text()
    assert "test.note" in text
    target.write_text(text.replace("test.note", "test.harmless"))
    with pytest.raises(CommandError) as exc:
        run("restore", str(target), "--yes")
    assert exc.value.returncode == 1 and "entry #" in str(exc.value)


@pytest.mark.django_db
def test_backup_refuses_to_overwrite_and_restore_refuses_unknown_files(tmp_path: Path) -> None:
    existing = tmp_path / "exists"
    existing.write_text("x")
    with pytest.raises(CommandError, match="exists"):
        run("backup", str(existing))
    with pytest.raises(CommandError, match="not a ClearCourse backup"):
        run("restore", str(existing), "--yes")




# --- issue 14, finding 5: media files, mode 0600, encryption, a manifest ---------------------------------------


@pytest.fixture
def photo_test(course: Any, delegate: Any, login: Any, media: Path, today: Any, png_bytes: bytes) -> Any:
    """A home test with its photo, uploaded on the page as a delegate does."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from clearcourse.ppp.models import PregnancyTest

    photo = SimpleUploadedFile("x.png", png_bytes, content_type="image/png")
    response = login(delegate).post(reverse("ppp:pregnancy_test_create", args=[course.pk]), {
        "collected_on": today.isoformat(), "setting": "home", "result": "negative", "photo": photo})
    assert response.status_code == 302
    return PregnancyTest.objects.get()


@pytest.fixture
def open_umask() -> Any:
    previous = os.umask(0o022)  # what most servers run with: new files world-readable
    yield
    os.umask(previous)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["native", "portable"])
def test_a_backup_file_is_readable_by_its_owner_only(records: None, tmp_path: Path, fmt: str, open_umask: Any) -> None:
    target = tmp_path / "backup.bin"
    run("backup", str(target), "--format", fmt)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # Overwriting an existing, world-readable file leaves it private too.
    target.chmod(0o644)
    run("backup", str(target), "--format", fmt, "--force")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.django_db(transaction=True)
def test_a_restore_brings_the_home_test_photos_back(photo_test: Any, media: Path, tmp_path: Path, login: Any,
                                                    delegate: Any, png_bytes: bytes) -> None:
    from django.urls import reverse

    photo_url = reverse("ppp:home_test_photo", args=[photo_test.pk])
    target = tmp_path / "backup.bin"
    out = run("backup", str(target))
    assert "1 media files" in out
    shutil.rmtree(media)  # the server's disk is lost; the database is restored from the backup
    out = run("restore", str(target), "--yes")
    assert "1 media files" in out
    response = login(delegate).get(photo_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes
    restored = next(p for p in media.rglob("*") if p.is_file())
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600


@pytest.mark.django_db(transaction=True)
def test_an_encrypted_backup_cannot_be_read_or_restored_without_its_key(photo_test: Any, media: Path,
                                                                         tmp_path: Path, png_bytes: bytes) -> None:
    key = tmp_path / "backup.key"
    run("backup_key", str(key))
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    target = tmp_path / "backup.enc"
    assert "encrypted" in run("backup", str(target), "--key-file", str(key))
    data = target.read_bytes()
    assert b"test.note" not in data and b"SQLite format" not in data and png_bytes not in data
    assert b"manifest" not in data and b"pregnancy" not in data
    with pytest.raises(CommandError, match="encrypted: give --key-file"):
        run("restore", str(target), "--yes")
    other = tmp_path / "other.key"
    run("backup_key", str(other))
    with pytest.raises(CommandError, match="cannot be decrypted with this key"):
        run("restore", str(target), "--yes", "--key-file", str(other))
    cut = tmp_path / "cut.enc"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CommandError, match="cannot be decrypted"):
        run("restore", str(cut), "--yes", "--key-file", str(key))
    shutil.rmtree(media)
    assert "1 media files" in run("restore", str(target), "--yes", "--key-file", str(key))
    assert any(p.is_file() for p in media.rglob("*"))


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_replaced(records: None, tmp_path: Path,
                                                                 prescriber: Any) -> None:
    target = tmp_path / "backup.bin"
    run("backup", str(target), "--format", "portable")
    data = bytearray(target.read_bytes())
    at = data.index(b"test.note")
    data[at:at + 9] = b"test.nope"
    target.write_bytes(bytes(data))
    with transaction.atomic():
        audit_record(actor=prescriber, action="test.after_backup")
    with pytest.raises(CommandError, match="does not match its manifest"):
        run("restore", str(target), "--yes")
    assert AuditEntry.objects.filter(action="test.after_backup").exists()  # nothing was replaced


@pytest.mark.django_db(transaction=True)
def test_a_restore_that_fails_half_way_leaves_the_database_as_it_was(records: None, tmp_path: Path) -> None:
    """A pg_dump archive cut short (an older backup without a manifest, so nothing checks it first): pg_restore
    fails part-way through its output, and nothing of the restore may be committed, not even the schema's
    removal."""
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("a pg_dump archive restores into PostgreSQL only")
    from clearcourse.audit.management.commands.backup import pg_env_and_args, run_tool

    before = snapshot({"sessions.session"})
    whole = tmp_path / "whole.dump"
    env, conn_args = pg_env_and_args()
    run_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(whole), *conn_args], env)
    cut = tmp_path / "cut.dump"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(CommandError, match="nothing was replaced"):
        run("restore", str(cut), "--yes")
    connection.close()
    assert snapshot({"sessions.session"}) == before
    assert "intact" in run("audit", "verify")
