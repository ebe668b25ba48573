"""Shared plumbing for the benchmarks: the benchmark database, the production server, tokens, targets,
process CPU and memory, percentiles.

Every benchmark runs against its own PostgreSQL database (default ``clearcourse_bench`` on the CI
cluster, ``postgres://postgres@127.0.0.1:5432``), dropped and created again by :func:`fresh_database`.
The server is gunicorn with the production settings (``CLEARCOURSE_DEBUG=false``), started on a free
loopback port; the load comes from a separate process (``bench/loadgen.py``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DEFAULT_DB = os.environ.get("BENCH_DB", "clearcourse_bench")
#: Far above any benchmark's request count: the per-token limiter still runs its UPDATE on every request
#: (real work, measured), it just never refuses.
RATE_LIMIT = "1000000000"
DATA_DIR = ROOT / "var" / "bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_url(name: str = DEFAULT_DB, admin_url: str = ADMIN_URL) -> str:
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def fresh_database(name: str = DEFAULT_DB, admin_url: str = ADMIN_URL) -> str:
    """Drop and create the benchmark database, apply the migrations, and return its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name, admin_url)
    run_cli(["migrate", "--noinput", "-v0"], url)
    return url


def base_env(url: str, **extra: str) -> dict[str, str]:
    """The production configuration (DEBUG off, a secret key, allowed hosts, persistent connections)."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "clearcourse.settings",
        "DATABASE_URL": url,
        "CLEARCOURSE_DEBUG": "false",
        "CLEARCOURSE_SECRET_KEY": env.get("CLEARCOURSE_SECRET_KEY") or secrets.token_urlsafe(40),
        "CLEARCOURSE_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "CLEARCOURSE_CONN_MAX_AGE": "600",
        "CLEARCOURSE_API_RATE_LIMIT": RATE_LIMIT,
        "CLEARCOURSE_DATA_DIR": str(DATA_DIR),
        "CLEARCOURSE_LOG_LEVEL": "ERROR",
    })
    env.update(extra)
    return env


def run_cli(args: Sequence[str], url: str, **extra: str) -> str:
    """``python -m clearcourse <args>`` against the benchmark database; returns stdout."""
    done = subprocess.run([PY, "-m", "clearcourse", *args], env=base_env(url, **extra), cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"clearcourse {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def synth(url: str, *, patients: int, clinics: int, pharmacies: int, big_clinic: int | None,
          seed: int = 1) -> dict[str, Any]:
    args = ["synth", "--patients", str(patients), "--clinics", str(clinics), "--pharmacies", str(pharmacies),
            "--seed", str(seed)]
    if big_clinic:
        args += ["--big-clinic", str(big_clinic)]
    out = run_cli(args, url)
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def setup_django(url: str, **extra: str) -> None:
    """Configure Django in this process for the benchmark database (production settings)."""
    os.environ.update(base_env(url, **extra))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- tokens and targets (need setup_django) --------------------------------------------------------


def make_tokens() -> dict[str, list[str]]:
    """One API token per synthetic pharmacy, through the accounts service; returns family -> tokens."""
    from clearcourse.accounts.models import Pharmacy, Role, User
    from clearcourse.accounts.services import api_token_create

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": Role.ADMIN, "is_staff": True})
    tokens: dict[str, list[str]] = {}
    for pharmacy in Pharmacy.objects.filter(registration_number__startswith="SYN-").order_by("pk"):
        _token, plain = api_token_create(actor=admin, pharmacy=pharmacy, name="bench")
        tokens.setdefault(pharmacy.program, []).append(plain)
    return tokens


def open_targets(limit: int | None = None) -> list[dict[str, Any]]:
    """Every prescription waiting for pick-up (not dispensed, not voided), with what a pharmacy sends."""
    from clearcourse.courses.models import Prescription, prescription_reference

    qs = (Prescription.objects.filter(voided=False, dispenses__isnull=True, course__status__in=["planned", "active"])
          .values_list("pk", "lookup_code", "course__patient__birth_date", "course__program").order_by("pk"))
    rows = list(qs[:limit] if limit else qs)
    return [{"reference": prescription_reference(pk, code=code), "birth_date": born.isoformat(), "family": family}
            for pk, code, born, family in rows]


def request_plan(targets: list[dict[str, Any]], tokens: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Targets with the token of a pharmacy of the same program family (round robin)."""
    out = []
    counters: dict[str, int] = {}
    for t in targets:
        family_tokens = tokens.get(t["family"])
        if not family_tokens:
            continue
        i = counters.get(t["family"], 0)
        counters[t["family"]] = i + 1
        out.append({"token": family_tokens[i % len(family_tokens)],
                    "body": json.dumps({"reference": t["reference"], "birth_date": t["birth_date"],
                                        "days_supply": 30})})
    return out


# --- the server ------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    workers: int
    threads: int
    log_path: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(url: str, *, workers: int = 2, threads: int = 4, port: int | None = None,
                 timeout: float = 60, **extra: str) -> Server:
    """gunicorn (gthread workers, keep-alive) with the production settings on a free loopback port."""
    port = port or free_port()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    log_path = DATA_DIR / f"gunicorn-{port}.log"
    argv = [PY, "-m", "gunicorn", "clearcourse.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--keep-alive", "30", "--backlog", "2048", "--timeout", "60", "--graceful-timeout", "5"]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(argv, env=base_env(url, **extra), cwd=ROOT, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    server = Server(process=process, port=port, workers=workers, threads=threads, log_path=log_path,
                    extra={"database_url": url})
    wait_ready(server, timeout=timeout)
    return server


def wait_ready(server: Server, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {server.log_path}:\n{server.log_path.read_text()[-2000:]}")
        try:
            # The health check: the API schema is for signed-in administrators in production (issue 14).
            req = urllib.request.Request(server.url + "/healthz",  # noqa: S310 - our loopback server
                                         headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
                if resp.status == 200 and len(server.worker_pids()) >= server.workers:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {server.log_path}")


@contextlib.contextmanager
def running_server(url: str, **kwargs: Any) -> Iterator[Server]:
    server = start_server(url, **kwargs)
    try:
        yield server
    finally:
        server.stop()


# --- processes: CPU and memory ---------------------------------------------------------------------


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (threads included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in {"postgres", "postmaster"}:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def db_backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends connected to the database of ``url`` (not other databases' backends,
    which on a shared machine belong to someone else's work)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid()").fetchall()
    return [int(r[0]) for r in rows]


def total_cpu(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(p) for p in pids)


def machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine spent (from /proc/stat), to see other load."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(x) for x in parts]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def cpu_meter(out: dict[str, Any]) -> Iterator[None]:
    """What the machine's CPUs did meanwhile, written into ``out``: wall seconds, the CPU of this process
    and of its database backends (the connections of this database open at the end), and ``other_cpu_s``,
    the CPU every other process used (on a shared machine: other people's work, the noise of the figure).
    Needs Django set up (it reads the database's backends through the default connection)."""
    from django.db import connection

    def backends() -> dict[int, float]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            return {int(r[0]): cpu_seconds(int(r[0])) for r in cursor.fetchall()}

    postgres = connection.vendor == "postgresql"
    before = backends() if postgres else {}
    own0, busy0, wall0 = time.process_time(), machine_busy_seconds(), time.perf_counter()
    try:
        yield
    finally:
        wall, busy, own = time.perf_counter() - wall0, machine_busy_seconds() - busy0, time.process_time() - own0
        after = backends() if postgres else {}
        db = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
        out.update({"wall_s": round(wall, 1), "own_cpu_s": round(own, 1), "db_cpu_s": round(db, 1),
                    "other_cpu_s": round(max(0.0, busy - own - db), 1), "cores": os.cpu_count(),
                    "loadavg_1m": round(os.getloadavg()[0], 2)})


def memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS (proportional: shared pages split among the processes sharing them) in MiB."""
    out = {"rss_mb": 0.0, "pss_mb": 0.0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                out["rss_mb"] = round(int(line.split()[1]) / 1024, 1)
            elif line.startswith("Pss:"):
                out["pss_mb"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return out


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def machine() -> dict[str, Any]:
    import platform

    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "loadavg_1m": round(os.getloadavg()[0], 2)}
