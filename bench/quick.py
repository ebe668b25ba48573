"""``make bench-quick``: every benchmark in reduced form (a few minutes) on a fresh benchmark database.

    python bench/quick.py            # reduced: 3,000 patients, 200,000 audit entries, short load runs
    python bench/full.py             # the same suite at 100,000 patients and 10 million audit entries

Needs PostgreSQL as in CI (``postgres://postgres@127.0.0.1:5432``; override with ``BENCH_ADMIN_URL``).
It drops and creates ``clearcourse_bench`` (``BENCH_DB``), runs synth and synth_audit, then:
authorization over HTTP as fast as it goes (gunicorn, production settings, load from a separate process)
and at a fixed offered load of 100 requests per second (open loop), the SQL floor, the rules core, the
worklist, every page of every role, the audit trail's search, access report and admin pages, ``audit
verify``, and the memory of each server process. Progress goes to stderr; the LAST line on stdout is one
JSON object with at least ``authorize_rps``, ``authorize_p99_ms``, ``authorize_p99_ms_at_100rps``,
``floor_rps``, ``ratio_to_floor``, ``rules_decisions_per_s``, ``worklist_ms``, ``pages_p95_ms_max``,
``audit_search_ms`` and ``audit_verify_entries_per_s`` (``KEYS``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import audit
import authorize
import common
import floor
import pages
import rules
import worklist

QUICK = {"patients": 3000, "clinics": 3, "pharmacies": 6, "big_clinic": 2000, "duration": 10.0,
         "requests": 20_000, "warmup": 300, "floor_duration": 8.0, "rules_cases": 600, "rules_seconds": 1.5,
         "worklist_runs": 2, "workers": 2, "threads": 4, "concurrency": 8, "audit_entries": 200_000,
         "audit_days": 30.0, "open_rate": 100.0, "open_duration": 10.0, "page_runs": 5, "audit_runs": 5}

#: What the last line always has (tests/bench checks the harness produces them).
KEYS = ("authorize_rps", "authorize_p99_ms", "authorize_p99_ms_at_100rps", "floor_rps", "ratio_to_floor",
        "rules_decisions_per_s", "worklist_ms", "pages_p95_ms_max", "audit_search_ms",
        "audit_verify_entries_per_s")


STEPS = ("authorize", "floor", "rules", "worklist", "pages", "audit", "verify")


def suite(p: dict[str, Any], *, reuse: bool = False, steps: tuple[str, ...] = STEPS) -> dict[str, Any]:
    """Every step of ``steps`` in order (the floor needs the authorization step's plan); the last line has
    the keys of the steps that ran."""
    started = time.perf_counter()
    url, _info = authorize.prepare(patients=p["patients"], clinics=p["clinics"], pharmacies=p["pharmacies"],
                                  big_clinic=p["big_clinic"], reuse=reuse)
    generated = None
    if p["audit_entries"] and not reuse:
        common.log(f"bench: appending {p['audit_entries']} synthetic audit entries ...")
        generated = json.loads(common.run_cli(["synth_audit", "--entries", str(p["audit_entries"]), "--days",
                                               str(p["audit_days"])], url).strip().splitlines()[-1])
        common.log(f"bench: synth_audit wrote {generated['entries']} entries in {generated['seconds']} s")
    common.setup_django(url, CLEARCOURSE_REQUIRE_2FA="false")
    out: dict[str, Any] = {}
    targets = None
    if "authorize" in steps or "floor" in steps:
        plan_path, targets = authorize.plan_file(url)
        try:
            common.log(f"bench: authorization over HTTP ({p['workers']} workers x {p['threads']} threads, "
                       f"{p['concurrency']} connections, {p['duration']} s) ...")
            with common.running_server(url, workers=p["workers"], threads=p["threads"]) as server:
                auth = authorize.load(server, plan_path, concurrency=p["concurrency"], requests=p["requests"],
                                      duration=p["duration"], warmup=p["warmup"])
                common.log(f"bench: authorize {auth['rps']} req/s, p99 {auth['p99_ms']} ms; open loop at "
                           f"{p['open_rate']} req/s for {p['open_duration']} s ...")
                fixed = authorize.load_open(server, plan_path, rate=p["open_rate"], duration=p["open_duration"])
            plan = json.loads(plan_path.read_text())
        finally:
            plan_path.unlink(missing_ok=True)
        common.log(f"bench: at {fixed['offered_rps']} req/s p99 {fixed['p99_ms']} ms; floor ...")
        fl = floor.measure(url, plan, samples=min(200, len(plan)), concurrency=p["concurrency"],
                           requests=p["requests"], duration=p["floor_duration"])
        common.log(f"bench: floor {fl['rps']} req/s")
        rss = [m["rss_mb"] for m in auth["memory_per_worker"]]
        pss = [m["pss_mb"] for m in auth["memory_per_worker"]]
        out.update({
            "authorize_rps": auth["rps"], "authorize_p50_ms": auth["p50_ms"], "authorize_p95_ms": auth["p95_ms"],
            "authorize_p99_ms": auth["p99_ms"], "authorize_requests": auth["requests"],
            "authorize_statuses": auth["statuses"], "authorize_errors": auth["errors"],
            "floor_rps": fl["rps"], "floor_p99_ms": fl["p99_ms"], "floor_errors": fl["errors"],
            "floor_postgres_cpu_ms_per_request": fl["postgres_cpu_ms_per_request"],
            "floor_other_cpu_s": fl.get("other_cpu_s"),
            "ratio_to_floor": round(fl["rps"] / auth["rps"], 2) if auth["rps"] else None,
            "statements_per_request": fl["statements_per_request"],
            "server_cpu_ms_per_request": auth["server_cpu_ms_per_request"],
            "authorize_cpu_ceiling_rps": auth["cpu_ceiling_rps"],
            "postgres_cpu_ms_per_request": auth["postgres_cpu_ms_per_request"],
            "loadgen_cpu_s": auth["loadgen_cpu_s"], "other_cpu_s": auth["other_cpu_s"],
            "authorize_p99_ms_at_100rps": fixed["p99_ms"] if p["open_rate"] == 100 else None,
            "authorize_open_loop": {k: fixed[k] for k in ("offered_rps", "rps", "requests", "p50_ms", "p95_ms",
                                                          "p99_ms", "max_ms", "statuses", "errors",
                                                          "connections_opened", "sent_late", "other_cpu_s",
                                                          "loadavg_1m")},
            "worker_rss_mb": max(rss) if rss else None, "worker_pss_mb": max(pss) if pss else None,
        })
    if "rules" in steps:
        common.log("bench: rules core ...")
        rl = rules.measure(n=p["rules_cases"], seconds=p["rules_seconds"])
        common.log(f"bench: rules {rl['min_decisions_per_s']} decisions/s (slowest history)")
        out.update({
            "rules_decisions_per_s": rl["min_decisions_per_s"],
            "rules_by_history": {k: v["decisions_per_s"] for k, v in rl.items() if k.endswith("_months")},
            "history_build_per_s": {k: v["history_build_per_s"] for k, v in rl.items() if k.endswith("_months")},
        })
    if "worklist" in steps:
        common.log("bench: worklist ...")
        wl = worklist.measure(runs=p["worklist_runs"])
        common.log(f"bench: worklist {wl['median_ms']} ms for {wl['clinic_patients']} patients")
        out.update({"worklist_ms": wl["median_ms"], "worklist_patients": wl["clinic_patients"],
                    "worklist_page_kb": wl["response_kb"]})
    if "pages" in steps:
        common.log("bench: every page ...")
        pg = pages.measure(runs=p["page_runs"])
        common.log(f"bench: {pg['pages_measured']} pages, largest p95 {pg['pages_p95_ms_max']} ms "
                   f"({pg['pages_p95_ms_max_page']})")
        out.update({
            "pages_p95_ms_max": pg["pages_p95_ms_max"], "pages_p95_ms_max_page": pg["pages_p95_ms_max_page"],
            "pages_measured": pg["pages_measured"], "pages_over_budget": pg["pages_over_budget"],
            "pages_queries_max": pg["pages_queries_max"],
            "pages_queries": {f"{r['page']} ({r['role']})": r["queries"] for r in pg["pages"]},
            "pages_skipped": pg["skipped"], "pages_cpu": pg.get("cpu"),
        })
    if "audit" in steps:
        common.log("bench: the audit trail ...")
        au = audit.measure(runs=p["audit_runs"])
        common.log(f"bench: audit search {au['audit_search_ms']} ms (slowest: {au['audit_search_slowest']})")
        out.update({
            "audit_search_ms": au["audit_search_ms"], "audit_search_slowest": au["audit_search_slowest"],
            "audit_access_report_ms": au["audit_access_report_ms"], "audit_admin_ms": au["audit_admin_ms"],
            "audit_queries": {k: v["queries"] for k, v in au["cases"].items()}, "audit_cpu": au.get("cpu"),
        })
    if "verify" in steps:
        common.log("bench: audit verify ...")
        ve = audit.verify()
        common.log(f"bench: audit verify {ve['audit_verify_entries_per_s']} entries/s")
        out.update({
            "audit_entries": ve["audit_verify_entries"],
            "audit_verify_entries_per_s": ve["audit_verify_entries_per_s"],
            "audit_verify_seconds": ve["audit_verify_seconds"], "audit_verify_intact": ve["audit_verify_intact"],
            "audit_verify_machine": ve.get("audit_verify_machine"),
        })
    out.update({"audit_generated": generated, "patients": p["patients"], "open_prescriptions": targets,
                "workers": p["workers"], "threads": p["threads"], "concurrency": p["concurrency"],
                "steps": list(steps), "machine": common.machine(),
                "seconds": round(time.perf_counter() - started, 1)})
    return out


def main(defaults: dict[str, Any] = QUICK) -> None:
    parser = argparse.ArgumentParser(description="the benchmark suite; prints one JSON line last")
    for key, value in defaults.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--reuse", action="store_true", help="keep the existing benchmark database")
    parser.add_argument("--only", default=",".join(STEPS),
                        help=f"comma-separated steps to run (default all: {','.join(STEPS)})")
    args = vars(parser.parse_args())
    reuse = args.pop("reuse")
    steps = tuple(step.strip() for step in args.pop("only").split(",") if step.strip())
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps: {', '.join(unknown)}")
    result = suite(args, reuse=reuse, steps=steps)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
