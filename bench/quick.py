"""``make bench-quick``: every benchmark in reduced form (about a minute) on a fresh benchmark database.

    python bench/quick.py            # reduced: 3,000 patients, short load runs
    python bench/full.py             # the same suite at 100,000 patients (see docs/performance.md)

Needs PostgreSQL as in CI (``postgres://postgres@127.0.0.1:5432``; override with ``BENCH_ADMIN_URL``).
It drops and creates ``clearcourse_bench`` (``BENCH_DB``), runs synth, then: authorization over HTTP
(gunicorn, production settings, load from a separate process), the SQL floor, the rules core, the
worklist, and the memory of each server process. Progress goes to stderr; the LAST line on stdout is
one JSON object with at least ``authorize_rps``, ``authorize_p99_ms``, ``floor_rps``,
``ratio_to_floor``, ``rules_decisions_per_s`` and ``worklist_ms``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import authorize
import common
import floor
import rules
import worklist

QUICK = {"patients": 3000, "clinics": 3, "pharmacies": 6, "big_clinic": 2000, "duration": 10.0,
         "requests": 20_000, "warmup": 300, "floor_duration": 8.0, "rules_cases": 600, "rules_seconds": 1.5,
         "worklist_runs": 2, "workers": 2, "threads": 4, "concurrency": 8}


def suite(p: dict[str, Any], *, reuse: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    url, _info = authorize.prepare(patients=p["patients"], clinics=p["clinics"], pharmacies=p["pharmacies"],
                                  big_clinic=p["big_clinic"], reuse=reuse)
    common.setup_django(url, CLEARCOURSE_REQUIRE_2FA="false")
    plan_path, targets = authorize.plan_file(url)
    try:
        common.log(f"bench: authorization over HTTP ({p['workers']} workers x {p['threads']} threads, "
                   f"{p['concurrency']} connections, {p['duration']} s) ...")
        with common.running_server(url, workers=p["workers"], threads=p["threads"]) as server:
            auth = authorize.load(server, plan_path, concurrency=p["concurrency"], requests=p["requests"],
                                  duration=p["duration"], warmup=p["warmup"])
        plan = json.loads(plan_path.read_text())
    finally:
        plan_path.unlink(missing_ok=True)
    common.log(f"bench: authorize {auth['rps']} req/s, p99 {auth['p99_ms']} ms; floor ...")
    fl = floor.measure(url, plan, samples=min(200, len(plan)), concurrency=p["concurrency"],
                       requests=p["requests"], duration=p["floor_duration"])
    common.log(f"bench: floor {fl['rps']} req/s; rules core ...")
    rl = rules.measure(n=p["rules_cases"], seconds=p["rules_seconds"])
    common.log(f"bench: rules {rl['min_decisions_per_s']} decisions/s (slowest history); worklist ...")
    wl = worklist.measure(runs=p["worklist_runs"])
    common.log(f"bench: worklist {wl['median_ms']} ms for {wl['clinic_patients']} patients")
    rss = [m["rss_mb"] for m in auth["memory_per_worker"]]
    pss = [m["pss_mb"] for m in auth["memory_per_worker"]]
    return {
        "authorize_rps": auth["rps"], "authorize_p50_ms": auth["p50_ms"], "authorize_p95_ms": auth["p95_ms"],
        "authorize_p99_ms": auth["p99_ms"], "authorize_requests": auth["requests"],
        "authorize_statuses": auth["statuses"], "authorize_errors": auth["errors"],
        "floor_rps": fl["rps"], "floor_p99_ms": fl["p99_ms"], "floor_errors": fl["errors"],
        "floor_postgres_cpu_ms_per_request": fl["postgres_cpu_ms_per_request"],
        "ratio_to_floor": round(fl["rps"] / auth["rps"], 2) if auth["rps"] else None,
        "statements_per_request": fl["statements_per_request"],
        "server_cpu_ms_per_request": auth["server_cpu_ms_per_request"],
        "authorize_cpu_ceiling_rps": auth["cpu_ceiling_rps"],
        "postgres_cpu_ms_per_request": auth["postgres_cpu_ms_per_request"],
        "loadgen_cpu_s": auth["loadgen_cpu_s"], "other_cpu_s": auth["other_cpu_s"],
        "rules_decisions_per_s": rl["min_decisions_per_s"],
        "rules_by_history": {k: v["decisions_per_s"] for k, v in rl.items() if k.endswith("_months")},
        "history_build_per_s": {k: v["history_build_per_s"] for k, v in rl.items() if k.endswith("_months")},
        "worklist_ms": wl["median_ms"], "worklist_patients": wl["clinic_patients"],
        "worklist_page_kb": wl["response_kb"],
        "worker_rss_mb": max(rss) if rss else None, "worker_pss_mb": max(pss) if pss else None,
        "patients": p["patients"], "open_prescriptions": targets,
        "workers": p["workers"], "threads": p["threads"], "concurrency": p["concurrency"],
        "machine": common.machine(), "seconds": round(time.perf_counter() - started, 1),
    }


def main(defaults: dict[str, Any] = QUICK) -> None:
    parser = argparse.ArgumentParser(description="the benchmark suite; prints one JSON line last")
    for key, value in defaults.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--reuse", action="store_true", help="keep the existing benchmark database")
    args = vars(parser.parse_args())
    reuse = args.pop("reuse")
    result = suite(args, reuse=reuse)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
