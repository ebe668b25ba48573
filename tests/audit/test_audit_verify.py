"""`python -m clearcourse audit verify` detects every kind of tampering with the stored trail."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from clearcourse.audit.models import AuditEntry


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def verify_error() -> str:
    with pytest.raises(CommandError) as exc:
        verify()
    assert exc.value.returncode == 1
    return str(exc.value)


def test_it_passes_an_intact_trail(audit_entries: Callable[[int], None]) -> None:
    audit_entries(5)
    assert "intact: 5 entries" in verify()


@pytest.mark.django_db
def test_it_passes_an_empty_trail() -> None:
    assert "intact: 0 entries" in verify()


TAMPERING = {
    "changed": (["UPDATE audit_auditentry SET action = 'test.innocent' WHERE seq = 3"], 3, "changed"),
    "changed detail": (["UPDATE audit_auditentry SET patient_id = 8 WHERE seq = 2"], 2, "changed"),
    "removed": (["DELETE FROM audit_auditentry WHERE seq = 2"], 3, "removed"),
    "removed at the end": (["DELETE FROM audit_auditentry WHERE seq = 5"], 5, "removed"),
    "reordered": (["UPDATE audit_auditentry SET seq = -2 WHERE seq = 2", "UPDATE audit_auditentry SET seq = 2 WHERE seq = 3",
                   "UPDATE audit_auditentry SET seq = 3 WHERE seq = -2"], 2, "reordered"),
    "renumbered after a removal": (["DELETE FROM audit_auditentry WHERE seq = 2",
                                    "UPDATE audit_auditentry SET seq = seq - 1 WHERE seq > 2"], 2, "link"),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_it_names_the_first_bad_entry(audit_entries: Callable[[int], None], tamper: Callable[..., None],
                                      kind: str) -> None:
    audit_entries(5)
    statements, seq, word = TAMPERING[kind]
    tamper(*statements)
    message = verify_error()
    assert f"entry #{seq}:" in message
    assert word in message


def test_a_changed_entry_with_a_recomputed_hash_breaks_the_next_link(audit_entries: Callable[[int], None],
                                                                   tamper: Callable[..., None]) -> None:
    from clearcourse.audit.chain import entry_hash

    audit_entries(4)
    row = AuditEntry.objects.values().get(seq=2)
    row["action"] = "test.innocent"
    new_hash = entry_hash(row["prev_hash"], row)
    tamper("UPDATE audit_auditentry SET action = 'test.innocent', hash = %s WHERE seq = 2", params=[new_hash])
    assert "entry #3:" in verify_error()


def test_the_database_refuses_to_update_or_delete_entries_on_postgresql(audit_entries: Callable[[int], None]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only; set DATABASE_URL=postgres://...")
    audit_entries(2)
    for sql in ("UPDATE audit_auditentry SET action = 'x' WHERE seq = 1", "DELETE FROM audit_auditentry WHERE seq = 2"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEntry.objects.count() == 2
    assert "intact" in verify()


def _copy_sqlite_database(target: Path) -> None:
    # Copied outside any transaction: the backup API waits forever for the test's own open transaction
    # on the shared in-memory database (hence transaction=True on the test).
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    dest = sqlite3.connect(target)
    raw.backup(dest)
    dest.close()


def _cli_verify(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CLEARCOURSE_TEST_DB_NAME"}}
    env.update(CLEARCOURSE_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="clearcourse.test_settings")
    return subprocess.run([sys.executable, "-m", "clearcourse", "audit", "verify"], env=env,
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_1_on_a_tampered_copy_of_the_database(audit_entries: Callable[[int], None],
                                                                tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("copies the SQLite file; PostgreSQL tampering is tested in the database above")
    audit_entries(4)
    _copy_sqlite_database(tmp_path / "clearcourse.sqlite3")
    intact = _cli_verify(tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert "intact: 4 entries" in intact.stdout
    copy = sqlite3.connect(tmp_path / "clearcourse.sqlite3")
    copy.execute("UPDATE audit_auditentry SET actor_label = 'someone_else' WHERE seq = 2")
    copy.commit()
    copy.close()
    broken = _cli_verify(tmp_path)
    assert broken.returncode == 1
    assert "entry #2" in broken.stderr
    # The original is untouched.
    assert "intact" in verify()


def test_reads_of_a_patient_record_are_in_the_trail(patient: Any, prescriber: Any) -> None:
    from clearcourse.courses.selectors import patient_get_for_user

    before = AuditEntry.objects.count()
    patient_get_for_user(user=prescriber, patient_id=patient.pk)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry is not None
    assert (entry.action, entry.patient_id, entry.actor_id, entry.actor_role) == (
        "patient.view", patient.pk, prescriber.pk, "prescriber")


def test_an_api_token_acts_under_its_own_name_in_the_trail(admin_user: Any, pharmacy: Any, patient: Any) -> None:
    from clearcourse.accounts.services import api_token_create
    from clearcourse.audit.services import audit_record

    token, _plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    with transaction.atomic():
        entry = audit_record(actor=token.service_user, action="dispense.record", patient_id=patient.pk)
    assert entry.actor_label == f"api-{token.prefix}"
    assert entry.actor_role == "pharmacist"


