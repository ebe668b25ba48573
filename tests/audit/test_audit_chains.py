"""The trail is several independent chains; each is verified on its own and tampering names the chain."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from clearcourse.audit.chain import HASHED_FIELDS, canonical_time, entry_hash
from clearcourse.audit.models import AuditEntry, AuditHead
from clearcourse.audit.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)


def _write(prescriber: Any, patient_ids: list[int]) -> None:
    # One transaction per entry, as services write them (a transaction keeps the chain of its first entry).
    for patient_id in patient_ids:
        with transaction.atomic():
            audit_record(actor=prescriber, action="test.write", patient_id=patient_id)


def _verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_entries_of_different_patients_go_to_independent_chains(prescriber: Any) -> None:
    _write(prescriber, [1, 2, 1, 17, 2])
    rows = list(AuditEntry.objects.order_by("id").values_list("patient_id", "chain", "seq"))
    assert rows == [(1, 1, 1), (2, 2, 1), (1, 1, 2), (17, 1, 3), (2, 2, 2)]
    assert {h.id: h.last_seq for h in AuditHead.objects.all()} == {1: 3, 2: 2}
    assert "intact: 5 entries" in _verify()


def test_tampering_in_one_chain_names_that_chain_and_entry(prescriber: Any, tamper: Callable[..., None]) -> None:
    _write(prescriber, [1, 2, 1, 2, 2])
    tamper("UPDATE audit_auditentry SET action = 'test.innocent' WHERE chain = 2 AND seq = 2")
    with pytest.raises(CommandError) as exc:
        _verify()
    assert "chain 2 broken at entry #2:" in str(exc.value) and "changed" in str(exc.value)


def test_removing_the_tail_of_one_chain_is_detected(prescriber: Any, tamper: Callable[..., None]) -> None:
    _write(prescriber, [1, 2, 1, 2])
    tamper("DELETE FROM audit_auditentry WHERE chain = 1 AND seq = 2")
    with pytest.raises(CommandError) as exc:
        _verify()
    assert "chain 1 broken at entry #2:" in str(exc.value) and "removed" in str(exc.value)


def test_moving_an_entry_to_another_chain_is_detected(prescriber: Any, tamper: Callable[..., None]) -> None:
    _write(prescriber, [1, 2])
    tamper("UPDATE audit_auditentry SET chain = 3 WHERE chain = 2")
    with pytest.raises(CommandError):
        _verify()


def test_chain_zero_is_hashed_as_the_single_chain_was(prescriber: Any) -> None:
    """A trail written before the split (one chain, no chain number in the hash) verifies as chain 0."""
    _write(prescriber, [16, 32])  # patients 16 and 32 land on chain 0 of 16
    for row in AuditEntry.objects.order_by("seq").values():
        assert row["chain"] == 0
        values = {k: row[k] for k in HASHED_FIELDS}
        values["at"] = canonical_time(values["at"])
        old = hashlib.sha256((row["prev_hash"] + json.dumps(values, sort_keys=True, separators=(",", ":"),
                                                             default=str, ensure_ascii=True)).encode()).hexdigest()
        assert row["hash"] == old == entry_hash(row["prev_hash"], row)
    assert "intact: 2 entries" in _verify()


def test_one_transaction_keeps_one_chain_so_head_locks_cannot_deadlock(prescriber: Any) -> None:
    with transaction.atomic():
        audit_record(actor=prescriber, action="test.write", patient_id=1)
        audit_record(actor=prescriber, action="test.write", patient_id=2)
    assert list(AuditEntry.objects.order_by("id").values_list("chain", "seq")) == [(1, 1), (1, 2)]
    assert "intact: 2 entries" in _verify()
