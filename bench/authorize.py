"""Benchmark (a) and (e): pharmacy authorization end to end over HTTP, and memory per server process.

    python bench/authorize.py --patients 100000 [--workers 2 --threads 4 --concurrency 8 --duration 30]

Builds the benchmark database (synth), creates one API token per pharmacy, starts gunicorn with the
production settings, warms it up, and drives ``POST /api/v1/pharmacy/authorizations`` from a separate
load-generator process on loopback, over every open prescription (round robin; about 5% are refused,
as in a real pharmacy). Prints one JSON object: throughput, p50/p95/p99, status counts, the CPU seconds
spent by the server workers, PostgreSQL and the load generator (they share the machine's cores), and
RSS/PSS per worker after the run. ``--reuse`` skips the database build (uses what is there).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common


def prepare(*, patients: int, clinics: int, pharmacies: int, big_clinic: int | None, reuse: bool = False,
            db: str = common.DEFAULT_DB) -> tuple[str, dict[str, Any]]:
    """The benchmark database (fresh unless ``reuse``) and what synth wrote."""
    url = common.database_url(db)
    info: dict[str, Any] = {"reused": True}
    if not reuse:
        common.log(f"bench: building {db} with {patients} patients ...")
        url = common.fresh_database(db)
        info = common.synth(url, patients=patients, clinics=clinics, pharmacies=pharmacies, big_clinic=big_clinic)
        common.log(f"bench: synth wrote {info['rows']} rows in {info['seconds']} s")
    return url, info


def plan_file(url: str, *, limit: int | None = None) -> tuple[Path, int]:
    """Tokens and request bodies for the load generator, written to a temporary JSON file (needs Django)."""
    tokens = common.make_tokens()
    plan = common.request_plan(common.open_targets(limit), tokens)
    if not plan:
        raise RuntimeError("no open prescriptions to authorize: run synth first")
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, prefix="bench-plan-")  # noqa: SIM115
    with handle:
        json.dump(plan, handle)
    return Path(handle.name), len(plan)


def load(server: common.Server, plan: Path, *, concurrency: int, requests: int, duration: float,
         warmup: int) -> dict[str, Any]:
    """Run the load generator against ``server`` and add the server-side CPU and memory figures."""
    workers = server.worker_pids()
    if warmup:
        _loadgen(server, plan, concurrency=concurrency, requests=warmup, duration=30)
    # The backends of this database only (the gunicorn workers' persistent connections, opened during
    # the warm-up), so another database's load on a shared machine is not counted.
    pg = common.db_backend_pids(server_url_db(server))
    cpu_workers0, cpu_pg0 = common.total_cpu(workers), common.total_cpu(pg)
    busy0 = common.machine_busy_seconds()
    result = _loadgen(server, plan, concurrency=concurrency, requests=requests, duration=duration)
    busy = common.machine_busy_seconds() - busy0
    server_cpu = common.total_cpu(workers) - cpu_workers0
    pg_cpu = common.total_cpu(pg) - cpu_pg0
    seconds = float(result["seconds"]) or 1.0
    result.update({
        "server_cpu_s": round(server_cpu, 2), "postgres_cpu_s": round(pg_cpu, 2),
        "machine_busy_cpu_s": round(busy, 2),
        "other_cpu_s": round(busy - server_cpu - pg_cpu - float(result["loadgen_cpu_s"]), 2),
        "cores_used": round(busy / seconds, 2),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, int(result["requests"])), 3),
        "postgres_cpu_ms_per_request": round(1000 * pg_cpu / max(1, int(result["requests"])), 3),
        # What the machine's cores could carry if nothing else ran: cores / (web + database CPU per request).
        "cpu_ceiling_rps": round((os.cpu_count() or 1) * max(1, int(result["requests"])) / max(1e-9, server_cpu + pg_cpu), 1),
        "workers": server.workers, "threads": server.threads,
        "memory_per_worker": [common.memory_mb(p) for p in workers],
        "memory_master": common.memory_mb(server.process.pid),
    })
    return result


def load_open(server: common.Server, plan: Path, *, rate: float, duration: float) -> dict[str, Any]:
    """An open-loop run at a fixed offered load (``rate`` requests per second), with the server-side CPU."""
    workers = server.worker_pids()
    pg = common.db_backend_pids(server_url_db(server))
    cpu0 = common.total_cpu(workers) + common.total_cpu(pg)
    busy0 = common.machine_busy_seconds()
    result = _loadgen(server, plan, concurrency=0, requests=0, duration=duration, rate=rate)
    busy = common.machine_busy_seconds() - busy0
    server_cpu = common.total_cpu(workers) + common.total_cpu(pg) - cpu0
    result.update({"server_and_postgres_cpu_s": round(server_cpu, 2),
                   "other_cpu_s": round(busy - server_cpu - float(result["loadgen_cpu_s"]), 2),
                   "loadavg_1m": round(os.getloadavg()[0], 2)})
    return result


def server_url_db(server: common.Server) -> str:
    return str(server.extra["database_url"])


def _loadgen(server: common.Server, plan: Path, *, concurrency: int, requests: int,
             duration: float, rate: float | None = None) -> dict[str, Any]:
    argv = [common.PY, str(Path(__file__).resolve().parent / "loadgen.py"), "--url", server.url, "--plan", str(plan),
            "--concurrency", str(concurrency), "--requests", str(requests), "--duration", str(duration)]
    if rate:
        argv += ["--rate", str(rate)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=duration + 120)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description="pharmacy authorization over HTTP (gunicorn, PostgreSQL)")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--pharmacies", type=int, default=50)
    parser.add_argument("--big-clinic", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=None,
                        help="open loop at this offered load (requests/s) instead of as fast as possible")
    parser.add_argument("--reuse", action="store_true", help="keep the existing benchmark database")
    args = parser.parse_args()
    url, info = prepare(patients=args.patients, clinics=args.clinics, pharmacies=args.pharmacies,
                        big_clinic=args.big_clinic, reuse=args.reuse)
    common.setup_django(url)
    plan, targets = plan_file(url)
    try:
        with common.running_server(url, workers=args.workers, threads=args.threads) as server:
            if args.rate:
                _loadgen(server, plan, concurrency=args.concurrency, requests=args.warmup, duration=30)
                result = load_open(server, plan, rate=args.rate, duration=args.duration)
            else:
                result = load(server, plan, concurrency=args.concurrency, requests=args.requests,
                              duration=args.duration, warmup=args.warmup)
    finally:
        plan.unlink(missing_ok=True)
    print(json.dumps({"benchmark": "authorize", "machine": common.machine(), "synth": info,
                      "targets": targets, **result}))


if __name__ == "__main__":
    main()
