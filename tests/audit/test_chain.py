from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from clearcourse.audit.chain import verify_chain
from clearcourse.audit.models import AuditEntry
from clearcourse.audit.services import audit_record


def _rows() -> list[dict[str, Any]]:
    return list(AuditEntry.objects.order_by("seq").values())


@pytest.mark.django_db
def test_entries_form_an_intact_chain(prescriber: Any) -> None:
    with transaction.atomic():
        for i in range(3):
            audit_record(actor=prescriber, action="test.write", patient_id=7, detail={"i": i, "note": "ü"})
    rows = _rows()
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert verify_chain(rows) is None


@pytest.mark.django_db
def test_it_names_the_first_changed_removed_or_reordered_entry(prescriber: Any) -> None:
    with transaction.atomic():
        for i in range(4):
            audit_record(actor=prescriber, action="test.write", detail={"i": i})
    rows = _rows()
    changed = [dict(r) for r in rows]
    changed[1]["action"] = "test.tampered"
    problem = verify_chain(changed)
    assert problem is not None and problem.seq == 2 and "changed" in problem.reason
    removed = rows[:1] + rows[2:]
    problem = verify_chain(removed)
    assert problem is not None and problem.seq == 3
    reordered = [rows[0], rows[2], rows[1], rows[3]]
    problem = verify_chain(reordered)
    assert problem is not None and problem.seq == 3


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction(prescriber: Any) -> None:
    with pytest.raises(RuntimeError):
        audit_record(actor=prescriber, action="test.write")
