"""`backup PATH` then `restore PATH` gives back every record and an intact audit chain, on SQLite and
PostgreSQL, in the native format (SQLite file / pg_dump archive) and the portable one (XML)."""

from __future__ import annotations

import io
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
            cur.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_auditentry_append_only'")
            assert cur.fetchone() == (1,), "the restore must bring back the append-only trigger"
    # The restored chain accepts new entries.
    with transaction.atomic():
        audit_record(actor=prescriber, action="test.after_restore")
    assert "intact" in run("audit", "verify")


@pytest.mark.django_db(transaction=True)
def test_restore_reports_a_broken_chain_in_the_backup(records: None, tmp_path: Path) -> None:
    target = tmp_path / "backup.xml"
    run("backup", str(target), "--format", "portable")
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


