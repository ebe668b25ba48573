"""The synthetic audit trail: many valid hash-chained entries, written fast (``synth_audit``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from clearcourse.audit.models import AuditEntry, AuditHead
from clearcourse.audit.selectors import verify_trail
from clearcourse.core import clock
from clearcourse.synth import audit_trail
from clearcourse.synth import writer as synth


@pytest.fixture
def population(today: dt.date) -> Any:
    return synth.generate(patients=48, clinics=2, pharmacies=2, seed=3, today=today)


@pytest.mark.django_db(transaction=True)
def test_the_generated_entries_keep_every_chain_valid_and_continue_it(population: Any) -> None:
    before = AuditEntry.objects.count()
    jobs = 2 if connection.vendor == "postgresql" else 1
    first = audit_trail.generate(entries=640, days=3, jobs=jobs, end=clock.now() - dt.timedelta(hours=1))
    second = audit_trail.generate(entries=320, days=0.02, jobs=jobs, end=clock.now())
    problem, count, _digest = verify_trail()
    assert problem is None
    assert count == before + 640 + 320
    assert first.entries == 640 and second.first_id > first.first_id + 639
    heads = {h.id: h.last_seq for h in AuditHead.objects.all()}
    assert sum(heads.values()) == count
    # Ids, times and sequence numbers rise together in every chain, as when the application writes.
    for chain in range(16):
        rows = list(AuditEntry.objects.filter(chain=chain, id__gte=first.first_id).order_by("seq")
                    .values_list("id", "at", "seq"))
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)
        assert [r[1] for r in rows] == sorted(r[1] for r in rows)
        assert [r[2] for r in rows] == list(range(rows[0][2], rows[0][2] + len(rows))) if rows else True


@pytest.mark.django_db(transaction=True)
def test_the_entries_look_like_a_clinics_and_a_pharmacys_day(population: Any) -> None:
    audit_trail.generate(entries=800, days=1, jobs=1)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"course.view", "patient.view", "pharmacy.authorize", "worklist.view"} <= actions
    roles = dict(AuditEntry.objects.filter(action="pharmacy.authorize").values_list("actor_role", "channel")[:1])
    assert roles == {"pharmacist": "api"}
    # An entry about a patient is written by someone of that patient's clinic (or a pharmacist).
    from clearcourse.courses.models import Patient

    clinic_of = dict(Patient.objects.values_list("pk", "clinic_id"))
    for patient_id, clinic_id, role in AuditEntry.objects.filter(action="patient.view").values_list(
            "patient_id", "actor__clinic_id", "actor_role")[:50]:
        assert role in {"prescriber", "delegate"} and clinic_of[patient_id] == clinic_id
    assert not AuditEntry.objects.filter(action="worklist.view", patient_id__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_a_canonical_json_that_drifts_from_the_hash_stops_the_generator(population: Any, monkeypatch: Any) -> None:
    original = audit_trail.Formatter.template

    def drifted(self: Any, *args: Any, **kwargs: Any) -> str:
        return original(self, *args, **kwargs).replace('"channel":', '"channel" :')

    monkeypatch.setattr(audit_trail.Formatter, "template", drifted)
    with pytest.raises(RuntimeError, match="no longer matches"):
        audit_trail.generate(entries=50, days=1, jobs=1)
