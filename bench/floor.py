"""Benchmark (b): the FLOOR - the SQL that one authorization request issues, replayed directly with psycopg.

    python bench/floor.py [--samples 200 --concurrency 8 --duration 20]   (on the benchmark database)

1. Capture: ``POST /api/v1/pharmacy/authorizations`` is sent in-process (Django's test client, the
   production settings) for ``--samples`` different open prescriptions, with an execute wrapper that
   records every statement, its parameters and whether it ran inside the request's transaction. That
   is everything the request does in the database: the token look-up and rate-limit count, the
   prescription look-up, the facts loader, the authorization INSERT, the audit entry and head update,
   and the read-back of the answer.
2. Replay: ``--concurrency`` processes, one psycopg connection each (client-side binding like Django's),
   replay the captured requests round robin: the statements outside a transaction one by one, those
   inside it in one transaction. The audit statements take the values the database gives now (the
   head's sequence and hash, the new authorization's id), and the entry's hash is computed with the
   same function as the application, so the replayed entries keep the chain valid.

The floor is what the database work alone costs from a client on the same machine; the ratio
``floor_rps / authorize_rps`` is the overhead of everything above the database (HTTP server, Django,
django-ninja, the ORM, the rules core).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

_INSERT_COLUMNS = re.compile(r'^(?:WITH e AS \()?INSERT INTO "(\w+)" \(([^)]*)\)')


def capture(plan: list[dict[str, Any]], samples: int) -> list[list[dict[str, Any]]]:
    """Run ``samples`` requests in-process and return, per request, its statements (needs Django)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    captured: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # Named parameters (the token bucket's UPDATE) stay a mapping; positional ones a list.
        kept = dict(params) if isinstance(params, dict) else list(params) if params is not None else None
        current.append({"sql": sql, "params": kept,
                        "atomic": connection.in_atomic_block, "many": many})
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        for item in plan[:samples]:
            current = []
            response = client.post("/api/v1/pharmacy/authorizations", item["body"], content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {item['token']}", secure=True)
            if response.status_code != 201:
                raise RuntimeError(f"capture: {response.status_code} {response.content[:300]!r}")
            captured.append(_groups(current))
    return captured


def _groups(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive statements inside the transaction become one group; the others stay single."""
    groups: list[dict[str, Any]] = []
    for s in statements:
        if s["atomic"] and groups and groups[-1]["atomic"]:
            groups[-1]["statements"].append(s)
        else:
            groups.append({"atomic": s["atomic"], "statements": [s]})
    return groups


def _portable(value: Any) -> Any:
    """Parameters as plain values that survive pickling into the replay processes (JSON as text)."""
    obj = getattr(value, "obj", None)
    if obj is not None and type(value).__name__ in {"Jsonb", "Json"}:
        return {"__json__": json.dumps(obj, default=str)}
    return value


def portable(captured: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    for groups in captured:
        for group in groups:
            for s in group["statements"]:
                if isinstance(s["params"], dict):
                    s["params"] = {k: _portable(v) for k, v in s["params"].items()}
                elif s["params"] is not None:
                    s["params"] = [_portable(p) for p in s["params"]]
    return captured


def _replay_one(conn: Any, groups: list[dict[str, Any]]) -> None:
    from psycopg.types.json import Jsonb

    from clearcourse.audit.chain import entry_hash

    head: dict[str, Any] = {}
    created: dict[str, Any] = {}
    for group in groups:
        if group["atomic"]:
            with conn.transaction():
                for s in group["statements"]:
                    _execute(conn, s, head, created, Jsonb, entry_hash)
        else:
            for s in group["statements"]:
                _execute(conn, s, head, created, Jsonb, entry_hash)


def _execute(conn: Any, s: dict[str, Any], head: dict[str, Any], created: dict[str, Any], jsonb: Any,
             entry_hash: Any) -> None:
    sql: str = s["sql"]
    if isinstance(s["params"], dict):
        named: dict[str, Any] = s["params"]
        with conn.cursor() as cur:
            cur.execute(sql, named)
            if cur.description is not None:
                cur.fetchall()
        return
    params = [jsonb(json.loads(p["__json__"])) if isinstance(p, dict) and "__json__" in p else p
              for p in (s["params"] or [])]
    if sql.startswith("PREPARE "):
        # The application prepares a statement once per connection (the capture saw it on its first request).
        name = sql.split()[1].split("(")[0]
        prepared = _prepared(conn)
        if name in prepared:
            return
        prepared.add(name)
    match = _INSERT_COLUMNS.match(sql)
    if match and match.group(1) == "audit_auditentry":
        columns = [c.strip().strip('"') for c in match.group(2).split(",")]
        values = dict(zip(columns, params, strict=False))
        values["seq"] = head["last_seq"] + 1
        values["prev_hash"] = head["last_hash"]
        values["object_id"] = str(created.get("pharmacy_authorization", values.get("object_id", "")))
        detail = values.get("detail")
        fields = {**values, "detail": detail.obj if hasattr(detail, "obj") else detail}
        values["hash"] = entry_hash(head["last_hash"], fields)
        head.update(last_seq=values["seq"], last_hash=values["hash"])
        # The audit append is one statement on PostgreSQL (entry INSERT and head UPDATE of its chain):
        # the head's new sequence number and hash follow the entry's columns.
        tail = [values["seq"], values["hash"], *params[len(columns) + 2:]] if sql.startswith("WITH ") else []
        params = [*(values[c] for c in columns), *tail]
    elif sql.startswith('UPDATE "audit_audithead"'):
        params = [head["last_seq"], head["last_hash"], *params[2:]]
    import psycopg

    # EXECUTE of the application's own prepared statement takes literal arguments: client-side binding.
    cursor = psycopg.ClientCursor(conn) if sql.startswith("EXECUTE ") else conn.cursor()
    with cursor as cur:
        cur.execute(sql, params)
        if cur.description is None:
            return
        rows = cur.fetchall()
        if "FROM \"audit_audithead\"" in sql and "FOR UPDATE" in sql and rows:
            names = [d.name for d in cur.description]
            row = dict(zip(names, rows[0], strict=True))
            head.update(last_seq=row["last_seq"], last_hash=row["last_hash"])
        elif match and rows:
            created[match.group(1)] = rows[0][0]


_PREPARED: dict[int, set[str]] = {}


def _prepared(conn: Any) -> set[str]:
    return _PREPARED.setdefault(id(conn), set())


def _worker(args: tuple[str, list[list[dict[str, Any]]], int, float, int, Any]) -> dict[str, Any]:
    url, captured, requests, duration, offset, start_event = args
    import os

    import psycopg

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearcourse.settings")
    import common as bench_common

    latencies: list[float] = []
    errors = 0
    # Bound like the application: server-side binding, psycopg preparing a statement after it has run 5
    # times (settings.py), unless CLEARCOURSE_DB_SERVER_BINDING=false (client-side, Django's default).
    server_binding = os.environ.get("CLEARCOURSE_DB_SERVER_BINDING", "true").strip().lower() not in {"false", "0", "no"}
    factory = psycopg.Cursor if server_binding else psycopg.ClientCursor
    with psycopg.connect(url, autocommit=True, cursor_factory=factory) as conn:
        backend = int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        # The application prepares its statements once per connection; do that before the clock starts,
        # whichever sample this worker replays first.
        for groups in captured:
            for group in groups:
                for s in group["statements"]:
                    if s["sql"].startswith("PREPARE "):
                        _execute(conn, s, {}, {}, None, None)
        start_event.wait()
        backend_cpu0 = bench_common.cpu_seconds(backend)
        client_cpu0 = time.process_time()
        deadline = time.time() + duration
        i = offset
        while len(latencies) + errors < requests and time.time() < deadline:
            t0 = time.perf_counter()
            try:
                _replay_one(conn, captured[i % len(captured)])
                latencies.append(time.perf_counter() - t0)
            except psycopg.Error as exc:
                errors += 1
                if errors == 1:
                    print(f"floor: replay error: {exc}", file=sys.stderr)
            i += 1
        backend_cpu = bench_common.cpu_seconds(backend) - backend_cpu0
        client_cpu = time.process_time() - client_cpu0
    return {"latencies": latencies, "errors": errors, "backend_cpu": backend_cpu, "client_cpu": client_cpu}


def replay(url: str, captured: list[list[dict[str, Any]]], *, concurrency: int, requests: int,
           duration: float) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    manager = ctx.Manager()
    start_event = manager.Event()
    per = max(1, requests // concurrency)
    with ctx.Pool(concurrency) as pool:
        # Every worker connects first; the clock starts when the event releases them all at once.
        pending = pool.map_async(_worker, [(url, captured, per, duration, k * 7, start_event)
                                           for k in range(concurrency)])
        time.sleep(min(5.0, 0.5 + 0.1 * concurrency))
        t0 = time.perf_counter()
        busy0 = common.machine_busy_seconds()
        start_event.set()
        results = pending.get(timeout=duration + 120)
        elapsed = time.perf_counter() - t0
        busy = common.machine_busy_seconds() - busy0
        pg_cpu = sum(r["backend_cpu"] for r in results)
        client_cpu = sum(r["client_cpu"] for r in results)
    manager.shutdown()
    lat = sorted(x * 1000 for r in results for x in r["latencies"])
    done = len(lat)
    return {"requests": done, "errors": sum(r["errors"] for r in results), "seconds": round(elapsed, 3),
            "rps": round(done / elapsed, 1), "concurrency": concurrency,
            "statements_per_request": round(sum(len(g["statements"]) for g in captured[0]), 1),
            "p50_ms": round(common.percentile(lat, 50), 2), "p95_ms": round(common.percentile(lat, 95), 2),
            "p99_ms": round(common.percentile(lat, 99), 2),
            "postgres_cpu_ms_per_request": round(1000 * pg_cpu / max(1, done), 3),
            # The replaying Python processes share the cores with PostgreSQL too.
            "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, done), 3),
            # What every other process on the machine used meanwhile (the noise of the figure).
            "other_cpu_s": round(max(0.0, busy - pg_cpu - client_cpu), 2), "seconds_cpu_available": round(
                elapsed * (os.cpu_count() or 1), 1)}


def measure(url: str, plan: list[dict[str, Any]], *, samples: int, concurrency: int, requests: int,
            duration: float) -> dict[str, Any]:
    captured = portable(capture(plan, samples))
    statements = [len([s for g in c for s in g["statements"]]) for c in captured]
    result = replay(url, captured, concurrency=concurrency, requests=requests, duration=duration)
    result["statements_per_request"] = round(sum(statements) / len(statements), 1)
    result["sample_statements"] = [s["sql"][:100] for g in captured[0] for s in g["statements"]]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="the floor: the authorization's SQL replayed with psycopg")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args()
    url = common.database_url()
    common.setup_django(url)
    plan = common.request_plan(common.open_targets(args.samples * 2), common.make_tokens())
    print(json.dumps({"benchmark": "floor", "machine": common.machine(),
                      **measure(url, plan, samples=args.samples, concurrency=args.concurrency,
                                requests=args.requests, duration=args.duration)}))


if __name__ == "__main__":
    main()
