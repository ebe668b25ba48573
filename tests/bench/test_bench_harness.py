"""The benchmark harness itself: percentiles, request plans, the load generator and the floor's grouping."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import common
import floor
import loadgen

from clearcourse.courses.models import prescription_reference


def test_percentile_is_nearest_rank() -> None:
    values = [float(x) for x in range(1, 101)]
    assert common.percentile(values, 50) == 50
    assert common.percentile(values, 99) == 99
    assert common.percentile(values, 100) == 100
    assert common.percentile([7.0], 99) == 7.0


def test_request_plan_gives_each_prescription_a_token_of_its_program_family() -> None:
    targets = [{"reference": f"RX-{i}", "birth_date": "2000-01-01", "family": fam}
               for i, fam in enumerate(["us-ipledge", "eu-ppp", "us-ipledge", "uk-mhra"])]
    plan = common.request_plan(targets, {"us-ipledge": ["tu1", "tu2"], "eu-ppp": ["te"]})
    assert [p["token"] for p in plan] == ["tu1", "te", "tu2"]  # no uk token: that prescription is left out
    assert json.loads(plan[0]["body"]) == {"reference": "RX-0", "birth_date": "2000-01-01", "days_supply": 30}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.seen.append({"auth": self.headers["Authorization"], "proto": self.headers["X-Forwarded-Proto"],
                              "body": json.loads(body)})
        status = 201 if len(_Handler.seen) % 4 else 409
        payload = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


def test_load_generator_sends_the_plan_round_robin_and_stops_at_the_request_count() -> None:
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        plan = [{"token": f"t{i}", "body": json.dumps({"n": i})} for i in range(3)]
        result = loadgen.run(f"http://127.0.0.1:{server.server_address[1]}", plan, concurrency=2, requests=40,
                             duration=20)
    finally:
        server.shutdown()
    assert result["requests"] == 40
    assert result["statuses"] == {"201": 30, "409": 10}
    assert result["ok"] == 30 and result["errors"] == {}
    assert sorted(s["body"]["n"] for s in _Handler.seen) == sorted(i % 3 for i in range(40))
    assert {s["auth"] for s in _Handler.seen} == {"Bearer t0", "Bearer t1", "Bearer t2"}
    assert {s["proto"] for s in _Handler.seen} == {"https"}
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]


def test_floor_groups_the_transaction_and_keeps_single_statements_apart() -> None:
    statements = [{"sql": "SELECT 1", "atomic": False}, {"sql": "UPDATE t", "atomic": False},
                  {"sql": "INSERT a", "atomic": True}, {"sql": "INSERT b", "atomic": True},
                  {"sql": "SELECT 2", "atomic": False}]
    groups = floor._groups(statements)
    assert [(g["atomic"], [s["sql"] for s in g["statements"]]) for g in groups] == [
        (False, ["SELECT 1"]), (False, ["UPDATE t"]), (True, ["INSERT a", "INSERT b"]), (False, ["SELECT 2"])]


@pytest.mark.django_db
def test_floor_captures_every_statement_of_an_authorization_request(
        settings: Any, pharmacy: Any, ready_prescription_for_bench: Any) -> None:
    from clearcourse.accounts.models import Role, User
    from clearcourse.accounts.services import api_token_create

    settings.CLEARCOURSE_API_RATE_LIMIT = 10**6
    admin = User.objects.create(username="bench-admin-test", role=Role.ADMIN, is_staff=True)
    _token, plain = api_token_create(actor=admin, pharmacy=pharmacy, name="bench")
    rx, born = ready_prescription_for_bench
    plan = common.request_plan([{"reference": prescription_reference(rx), "birth_date": born.isoformat(), "family": "us-ipledge"}],
                               {"us-ipledge": [plain]})
    captured = floor.capture(plan, 1)
    sql = [s["sql"] for g in captured[0] for s in g["statements"]]
    transactions = [g for g in captured[0] if g["atomic"]]
    assert len(transactions) == 1
    inside = " ".join(s["sql"] for s in transactions[0]["statements"])
    assert 'INSERT INTO "pharmacy_authorization"' in inside and 'INSERT INTO "audit_auditentry"' in inside
    assert any("accounts_pharmacyapitoken" in s for s in sql)


@pytest.fixture
def ready_prescription_for_bench(db: Any, pharmacy: Any) -> Any:
    """A synthetic patient whose open prescription is allowed today (the planner's ready case)."""
    from django.utils import timezone

    from clearcourse.courses.models import Prescription
    from clearcourse.synth import writer as synth

    today = timezone.localdate()
    result = synth.generate(patients=30, clinics=1, pharmacies=1, seed=2, today=today)
    assert result.open_allowed_expected
    from clearcourse.ppp.selectors import course_decision

    for rx in Prescription.objects.filter(dispenses__isnull=True, course__program="us-ipledge").select_related(
            "course__patient"):
        if course_decision(rx.course, prescription=rx, request_date=today, days_supply=30).allowed:
            return rx, rx.course.patient.birth_date
    raise AssertionError("synth planned ready prescriptions, but the loader allows none of them")


def test_the_open_loop_sends_at_the_offered_rate_and_counts_from_when_each_request_was_due() -> None:
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        plan = [{"token": f"t{i}", "body": json.dumps({"n": i})} for i in range(3)]
        result = loadgen.run_open(f"http://127.0.0.1:{server.server_address[1]}", plan, rate=50, duration=1.0)
    finally:
        server.shutdown()
    assert result["mode"] == "open" and result["offered_rps"] == 50
    assert result["requests"] == 50 and len(_Handler.seen) == 50
    assert result["statuses"] == {"201": 38, "409": 12}
    assert sorted(s["body"]["n"] for s in _Handler.seen) == sorted(i % 3 for i in range(50))
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert result["connections_opened"] >= 1
