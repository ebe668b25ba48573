"""The page and audit benchmarks' harness (bench/pages.py, bench/audit.py, bench/quick.py): which pages they
open, what they count and which keys they print; never how fast anything is."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import audit as audit_bench
import pages
import quick

from clearcourse.synth import audit_trail
from clearcourse.synth import writer as synth


@pytest.fixture
def population(today: Any) -> Any:
    return synth.generate(patients=24, clinics=2, pharmacies=2, seed=5, today=today)


def _pages_of(matrix: dict[str, Any]) -> set[str]:
    """GET entries some role opens (200), or that name a record by a placeholder the benchmark must replace."""
    names = set()
    for name, value in matrix["MATRIX"].items():
        for entry in value if isinstance(value, tuple) else (value,):
            placeholder = any(v in pages.PLACEHOLDERS for v in entry.params.values())
            if entry.method == "GET" and (placeholder or 200 in entry.expected.values()):
                names.add(name)
    return names


@pytest.mark.django_db(transaction=True)
def test_every_page_is_measured_or_named_and_none_sends_more_statements_as_the_trail_grows(
        population: Any) -> None:
    matrix = pages.load_matrix()
    result = pages.measure(runs=0, matrix=matrix)
    measured = {r["page"] for r in result["pages"]}
    skipped = {s["page"] for s in result["skipped"]}
    missing = _pages_of(matrix) - measured - skipped
    assert not missing, f"pages neither measured nor skipped: {sorted(missing)}"
    assert all(s["reason"] for s in result["skipped"])
    # Every role opens its own pages: the administrator, clinic staff, a pharmacist, a patient, a token.
    assert {r["role"] for r in result["pages"]} >= {"anonymous", "admin", "prescriber", "delegate", "pharmacist",
                                                    "patient", "token"}
    assert {"monitoring:worklist", "audit:search", "portal:access_report", "portal:course_home",
            "pharmacy:home", "admin:audit_auditentry_changelist"} <= measured
    assert result["pages_measured"] == len(result["pages"]) >= 60
    assert all(r["queries"] >= 1 for r in result["pages"] if r["role"] != "anonymous")
    for key in ("pages_p95_ms_max", "pages_p95_ms_max_page", "pages_queries_max", "pages_over_budget"):
        assert key in result

    before = {(r["page"], r["role"]): r["queries"] for r in result["pages"]}
    audit_trail.generate(entries=2000, days=2, jobs=1)
    after = {(r["page"], r["role"]): r["queries"] for r in pages.measure(runs=0, matrix=matrix)["pages"]}
    grew = {k: (before[k], after[k]) for k in before if k in after and after[k] > before[k]}
    assert not grew, f"statements grew with the trail: {grew}"


@pytest.mark.django_db(transaction=True)
def test_the_audit_benchmark_opens_every_search_and_the_admin_pages(population: Any) -> None:
    audit_trail.generate(entries=500, days=5, jobs=1)
    result = audit_bench.measure(runs=1)
    assert result["audit_statuses"] == [200]
    names = set(result["cases"])
    assert {"search: everything", "search: one patient", "search: one person", "search: one day",
            "access report (patient)", "admin: audit list", "admin: one entry"} <= names
    assert all(case["queries"] >= 1 for case in result["cases"].values())
    verified = audit_bench.verify()
    assert verified["audit_verify_intact"] and verified["audit_verify_entries"] >= 500


def test_the_quick_suite_prints_every_key(monkeypatch: Any, tmp_path: Path) -> None:
    """The suite's wiring, with every measurement replaced by a stand-in: each key of ``quick.KEYS`` is in the
    last line and has a value."""
    fake = _stand_ins(monkeypatch, tmp_path)
    result = quick.suite(dict(quick.QUICK))
    missing = [k for k in quick.KEYS if result.get(k) is None]
    assert not missing, missing
    assert fake["open_rate"] == 100.0
    assert result["authorize_p99_ms_at_100rps"] == 12.5
    assert result["ratio_to_floor"] == 2.0


def _stand_ins(monkeypatch: Any, tmp_path: Path) -> dict[str, Any]:
    import contextlib
    import json as jsonlib

    seen: dict[str, Any] = {}
    auth = {"rps": 100.0, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0, "requests": 10, "statuses": {}, "errors": {},
            "server_cpu_ms_per_request": 1.0, "cpu_ceiling_rps": 1.0, "postgres_cpu_ms_per_request": 1.0,
            "loadgen_cpu_s": 0.1, "other_cpu_s": 0.1, "memory_per_worker": [{"rss_mb": 1.0, "pss_mb": 1.0}]}
    fixed = {"offered_rps": 100.0, "rps": 100.0, "requests": 10, "p50_ms": 5.0, "p95_ms": 9.0, "p99_ms": 12.5,
             "max_ms": 13.0, "statuses": {}, "errors": {}, "connections_opened": 4, "sent_late": 0,
             "other_cpu_s": 0.0, "loadavg_1m": 0.1}

    def load_open(server: Any, plan: Any, *, rate: float, duration: float) -> dict[str, Any]:
        seen["open_rate"] = rate
        return fixed

    plan = tmp_path / "plan.json"
    plan.write_text("[]")
    monkeypatch.setattr(quick.authorize, "prepare", lambda **kw: ("postgres://x/y", {}))
    monkeypatch.setattr(quick.common, "run_cli", lambda args, url: jsonlib.dumps({"entries": 1, "seconds": 1.0}))
    monkeypatch.setattr(quick.common, "setup_django", lambda url, **kw: None)
    monkeypatch.setattr(quick.authorize, "plan_file", lambda url: (plan, 10))
    monkeypatch.setattr(quick.common, "running_server", lambda url, **kw: contextlib.nullcontext(object()))
    monkeypatch.setattr(quick.authorize, "load", lambda *a, **kw: auth)
    monkeypatch.setattr(quick.authorize, "load_open", load_open)
    monkeypatch.setattr(quick.floor, "measure", lambda *a, **kw: {
        "rps": 200.0, "p99_ms": 1.0, "errors": 0, "postgres_cpu_ms_per_request": 1.0, "statements_per_request": 8})
    monkeypatch.setattr(quick.rules, "measure", lambda **kw: {"min_decisions_per_s": 1.0})
    monkeypatch.setattr(quick.worklist, "measure", lambda **kw: {"median_ms": 1.0, "clinic_patients": 1,
                                                                 "response_kb": 1.0})
    monkeypatch.setattr(quick.pages, "measure", lambda **kw: {
        "pages": [{"page": "p", "role": "admin", "queries": 3}], "skipped": [], "pages_measured": 1,
        "pages_p95_ms_max": 1.0, "pages_p95_ms_max_page": "p (admin)", "pages_over_budget": [],
        "pages_queries_max": 3})
    monkeypatch.setattr(quick.audit, "measure", lambda **kw: {
        "cases": {"search: everything": {"queries": 3}}, "audit_search_ms": 1.0, "audit_search_slowest": "x",
        "audit_access_report_ms": 1.0, "audit_admin_ms": 1.0})
    monkeypatch.setattr(quick.audit, "verify", lambda: {
        "audit_verify_entries": 1, "audit_verify_entries_per_s": 1.0, "audit_verify_seconds": 1.0,
        "audit_verify_intact": True})
    monkeypatch.setattr(quick.common, "machine", lambda: {})
    return seen
