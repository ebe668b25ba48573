"""Issue 14, finding 4: a signed checkpoint kept outside the database anchors the audit trail, so
``audit verify --against CHECKPOINT`` catches what the chains alone cannot: truncated tables, a chain deleted
with its head, and the newest entries deleted with the head moved back."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from clearcourse.audit.models import AuditEntry, AuditHead
from clearcourse.audit.services import _ChainMemo, audit_record


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint.key"
    call_command("audit", "checkpoint-key", "--out", str(path), stdout=io.StringIO())
    return path


@pytest.fixture
def trail(prescriber: Any) -> Callable[[], None]:
    """Entries on two chains: patient 7's (chain 7) and patient 9's (chain 9), three each."""

    def make() -> None:
        for patient_id in (7, 9):
            with transaction.atomic():
                for i in range(3):
                    audit_record(actor=prescriber, action="test.write", patient_id=patient_id, detail={"i": i})
            # The test's own transaction stays open, so the next "transaction" would keep this chain; forget
            # it, as a commit would.
            connection.run_on_commit[:] = [e for e in connection.run_on_commit if not isinstance(e[1], _ChainMemo)]

    return make


def checkpoint_to(path: Path, key: Path) -> Path:
    call_command("audit", "checkpoint", "--key", str(key), "--out", str(path), stdout=io.StringIO())
    return path


def verify_against(point: Path, key: Path) -> str:
    out = io.StringIO()
    call_command("audit", "verify", "--against", str(point), "--key", str(key), stdout=out)
    return out.getvalue()


def refused(point: Path, key: Path) -> str:
    with pytest.raises(CommandError) as exc:
        verify_against(point, key)
    assert exc.value.returncode == 1
    return str(exc.value)


def raw(*statements: str, params: list[Any] | None = None) -> None:
    """As an attacker with full database rights: the append-only trigger switched off, plain SQL."""
    from tests.audit.conftest import tamper_sql

    tamper_sql(*statements, params=params)


def test_the_key_is_created_readable_by_its_owner_only(key: Path) -> None:
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert key.with_name(key.name + ".pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_a_checkpoint_records_each_chain_and_is_signed(trail: Callable[[], None], key: Path, tmp_path: Path) -> None:
    trail()
    document = json.loads(checkpoint_to(tmp_path / "cp.json", key).read_text())
    chains = document["checkpoint"]["chains"]
    assert set(chains) == {"7", "9"}
    assert chains["7"] == {"entries": 3, "head": AuditHead.objects.get(id=7).last_hash}
    assert document["algorithm"] == "ed25519"
    assert document["checkpoint"]["at"].startswith("2026-11-26T11:00:00")


def test_the_checkpoint_prints_without_out(trail: Callable[[], None], key: Path) -> None:
    trail()
    out = io.StringIO()
    call_command("audit", "checkpoint", "--key", str(key), stdout=out)
    assert json.loads(out.getvalue())["checkpoint"]["chains"]["9"]["entries"] == 3


def test_an_intact_trail_that_grew_matches_its_checkpoint(trail: Callable[[], None], key: Path, tmp_path: Path,
                                                          prescriber: Any) -> None:
    trail()
    point = checkpoint_to(tmp_path / "cp.json", key)
    with transaction.atomic():
        audit_record(actor=prescriber, action="test.later", patient_id=7)
    assert "matches the checkpoint" in verify_against(point, key)
    # The public key alone verifies.
    assert "matches the checkpoint" in verify_against(point, key.with_name(key.name + ".pub"))


@pytest.mark.django_db
def test_without_a_key_it_says_how_to_make_one(settings: Any) -> None:
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = ""
    with pytest.raises(CommandError, match="checkpoint-key"):
        call_command("audit", "checkpoint", stdout=io.StringIO())


def test_the_key_setting_is_used(trail: Callable[[], None], key: Path, tmp_path: Path, settings: Any) -> None:
    settings.CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = str(key)
    trail()
    call_command("audit", "checkpoint", "--out", str(tmp_path / "cp.json"), stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit", "verify", "--against", str(tmp_path / "cp.json"), stdout=out)
    assert "matches the checkpoint" in out.getvalue()


def test_a_changed_checkpoint_fails_its_signature(trail: Callable[[], None], key: Path, tmp_path: Path) -> None:
    trail()
    point = checkpoint_to(tmp_path / "cp.json", key)
    document = json.loads(point.read_text())
    document["checkpoint"]["chains"]["7"]["entries"] = 1
    point.write_text(json.dumps(document))
    assert "signature does not match" in refused(point, key)


def test_a_checkpoint_signed_with_another_key_fails(trail: Callable[[], None], key: Path, tmp_path: Path) -> None:
    trail()
    other = tmp_path / "other.key"
    call_command("audit", "checkpoint-key", "--out", str(other), stdout=io.StringIO())
    point = checkpoint_to(tmp_path / "cp.json", other)
    assert "signature does not match" in refused(point, key)


def test_a_truncated_audit_trail_is_caught(trail: Callable[[], None], key: Path, tmp_path: Path) -> None:
    trail()
    point = checkpoint_to(tmp_path / "cp.json", key)
    if connection.vendor == "postgresql":
        raw("TRUNCATE audit_auditentry, audit_audithead")
    else:
        raw("DELETE FROM audit_auditentry", "DELETE FROM audit_audithead")
    call_command("audit", "verify", stdout=io.StringIO())  # the chains alone cannot see it
    message = refused(point, key)
    assert "audit chain 7 is missing" in message
    assert "truncated" in message


def test_a_chain_deleted_with_its_head_is_caught(trail: Callable[[], None], key: Path, tmp_path: Path) -> None:
    trail()
    point = checkpoint_to(tmp_path / "cp.json", key)
    raw("DELETE FROM audit_auditentry WHERE chain = 9", "DELETE FROM audit_audithead WHERE id = 9")
    call_command("audit", "verify", stdout=io.StringIO())
    assert "audit chain 9 is missing" in refused(point, key)


def test_the_newest_entry_deleted_and_the_head_moved_back_is_caught(trail: Callable[[], None], key: Path,
                                                                     tmp_path: Path) -> None:
    trail()
    point = checkpoint_to(tmp_path / "cp.json", key)
    second = AuditEntry.objects.get(chain=7, seq=2)
    raw("DELETE FROM audit_auditentry WHERE chain = 7 AND seq = 3")
    raw("UPDATE audit_audithead SET last_seq = 2, last_hash = %s WHERE id = 7", params=[second.hash])
    call_command("audit", "verify", stdout=io.StringIO())
    assert "audit chain 7 has 2 entries, fewer than the 3" in refused(point, key)


def test_a_rewritten_chain_with_recomputed_hashes_is_caught(trail: Callable[[], None], key: Path,
                                                            tmp_path: Path) -> None:
    """A changed entry at or before the checkpointed position, every later hash and the head recomputed:
    the chain is valid again, but its entry at the checkpoint's position no longer has the signed hash."""
    from clearcourse.audit.chain import entry_hash

    trail()
    point = checkpoint_to(tmp_path / "cp.json", key)
    rows = list(AuditEntry.objects.filter(chain=7).order_by("seq").values())
    prev = rows[0]["prev_hash"]
    rows[1]["action"] = "test.innocent"
    for row in rows:
        row["hash"] = entry_hash(prev, {**row, "prev_hash": prev})
        raw("UPDATE audit_auditentry SET action = %s, prev_hash = %s, hash = %s WHERE chain = 7 AND seq = %s",
            params=[row["action"], prev, row["hash"], row["seq"]])
        prev = row["hash"]
    raw("UPDATE audit_audithead SET last_hash = %s WHERE id = 7", params=[prev])
    call_command("audit", "verify", stdout=io.StringIO())
    assert "audit chain 7 entry #3 does not match the checkpoint" in refused(point, key)


def test_a_checkpoint_is_never_signed_over_a_broken_trail(trail: Callable[[], None], key: Path,
                                                          tmp_path: Path) -> None:
    trail()
    raw("UPDATE audit_auditentry SET action = 'x' WHERE chain = 7 AND seq = 2")
    with pytest.raises(CommandError, match="not signing a broken trail"):
        checkpoint_to(tmp_path / "cp.json", key)


def test_a_file_that_is_not_a_checkpoint_is_refused(key: Path, tmp_path: Path, db: Any) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    assert "is not a ClearCourse audit checkpoint" in refused(junk, key)
