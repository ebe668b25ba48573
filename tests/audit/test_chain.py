from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from clearcourse.audit.chain import canonical_payload, canonical_time, reference_payload, verify_chain
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


_text = st.text(max_size=30)
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(chain=st.integers(0, 40), seq=st.integers(1, 10**12),
       at=st.datetimes(timezones=st.just(dt.UTC)) | st.datetimes(timezones=st.sampled_from(
           [dt.timezone(dt.timedelta(hours=h)) for h in (-7, 1, 14)])),
       actor_id=st.none() | st.integers(1, 10**9), patient_id=st.none() | st.integers(1, 10**12),
       label=_text, role=_text, action=_text, object_type=_text, object_id=_text, ip=_text, channel=_text,
       detail=st.dictionaries(_text, _json, max_size=4))
def test_the_fast_canonical_json_is_the_defined_one(chain: int, seq: int, at: dt.datetime, actor_id: int | None,
                                                   patient_id: int | None, label: str, role: str, action: str,
                                                   object_type: str, object_id: str, ip: str, channel: str,
                                                   detail: dict[str, Any]) -> None:
    """``canonical_payload`` (what verify and the append hash) writes exactly the text ``json.dumps`` of the
    hashed fields would, for any text (quotes, control characters, non-ASCII), number, time zone and
    nested detail; also with the time already in its canonical text form."""
    fields = {"chain": chain, "seq": seq, "at": at, "actor_id": actor_id, "actor_label": label,
              "actor_role": role, "action": action, "patient_id": patient_id, "object_type": object_type,
              "object_id": object_id, "ip": ip, "channel": channel, "detail": detail}
    assert canonical_payload(fields) == reference_payload(fields)
    assert canonical_payload({**fields, "at": canonical_time(at)}) == reference_payload(fields)
