"""Faults under load: SIGKILL a server worker mid-dispense and restart PostgreSQL, then check that nothing
was lost, doubled or half-written.

    python bench/faults.py [--patients 400 --clients 8 --duration 30]   (root, PostgreSQL as in CI)

What it does, on its own database (``clearcourse_faults``, dropped and created again):

1. synth a small population and one API token per pharmacy; start gunicorn (production settings,
   2 workers x 2 threads; ``CLEARCOURSE_CONN_MAX_AGE=600``, so the workers hold persistent connections
   that the restart breaks).
   The run uses a PostgreSQL cluster of its own (``--cluster faults --port 5433``, created with
   ``pg_createcluster`` on first use and stopped afterwards), so the restart disturbs nobody; ``--cluster
   main --port 5432`` restarts the shared cluster instead.
2. ``--clients`` client threads work through the open prescriptions like pharmacy systems: ask for an
   authorization, then record the dispense with an idempotency key. Some prescriptions are given to
   TWO clients at once (two counters racing, different keys): exactly one may dispense. A client
   retries a request that got no answer, a connection error or a 5xx, with the SAME idempotency key,
   until it gets a success or a 4xx error with a JSON error code (``--retry-for`` seconds at most).
3. While they run: a worker that holds a database transaction touching the dispense tables is found
   (pg_stat_activity's client port, matched to the worker's sockets) and killed with SIGKILL; then
   PostgreSQL is restarted (``pg_ctlcluster --skip-systemctl-redirect <version> main restart``) and
   the script waits until it accepts connections again.
4. Checks: no prescription dispensed twice; every dispense and every authorization written during the
   run has its audit entry, every authorization has its decision (allowed with a validity, or refused
   with reasons), every dispense points at an allowed authorization of its pharmacy; every client
   operation ended in a success or a clear error (JSON code); what clients were told matches the
   database (each dispense in the database was confirmed to some client, each confirmed one exists);
   ``python -m clearcourse audit verify`` passes.

Prints one JSON object (``"ok": true`` when every check passed) and exits 1 otherwise. Needs root (or
the postgres user) for pg_createcluster/pg_ctlcluster, as in CI. The pytest form is
tests/bench/test_faults.py (bounded to well under two minutes).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

FAULTS_DB = os.environ.get("BENCH_FAULTS_DB", "clearcourse_faults")
RETRYABLE = {500, 502, 503, 504}


@dataclass
class Outcome:
    """What one client was finally told for one operation."""

    kind: str  # authorize | dispense
    reference: str
    status: int | None = None
    code: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    retried_after: Counter[str] = field(default_factory=Counter)
    shared: bool = False  # first pass on a prescription that two clients were given

    @property
    def success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def clear_error(self) -> bool:
        return self.status is not None and 400 <= self.status < 500 and bool(self.code)


class Client:
    """One pharmacy system: keep-alive HTTP, retries that are safe (same idempotency key)."""

    def __init__(self, port: int, token: str, *, retry_for: float) -> None:
        self.port, self.token, self.retry_for = port, token, retry_for
        self.conn: http.client.HTTPConnection | None = None

    def call(self, kind: str, reference: str, path: str, body: dict[str, Any],
             headers: dict[str, str] | None = None) -> Outcome:
        outcome = Outcome(kind=kind, reference=reference)
        deadline = time.monotonic() + self.retry_for
        payload = json.dumps(body)
        while True:
            outcome.attempts += 1
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                self.conn.request("POST", path, payload, {
                    "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                    "X-Forwarded-Proto": "https", **(headers or {})})
                response = self.conn.getresponse()
                raw = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    self._drop()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                outcome.retried_after[type(exc).__name__] += 1
                if time.monotonic() > deadline:
                    return outcome
                time.sleep(0.2)
                continue
            if status in RETRYABLE:
                outcome.retried_after[f"http_{status}"] += 1
                if time.monotonic() > deadline:
                    outcome.status = status
                    return outcome
                time.sleep(0.2)
                continue
            outcome.status = status
            try:
                outcome.body = json.loads(raw) if raw else {}
            except ValueError:
                outcome.body = {}
            error = outcome.body.get("error") if isinstance(outcome.body, dict) else None
            outcome.code = str(error.get("code", "")) if isinstance(error, dict) else ""
            return outcome

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def client_loop(client: Client, work: list[dict[str, Any]], outcomes: list[Outcome], stop: threading.Event,
                lock: threading.Lock) -> None:
    """First every prescription of ``work`` (authorize, then dispense); then, until stopped, more
    authorization requests for the same prescriptions (now refused as dispensed: still a write with its
    audit entry), so that the load goes on through the faults."""
    for item in work:
        if stop.is_set():
            return
        auth = client.call("authorize", item["reference"], "/api/v1/pharmacy/authorizations",
                           {"reference": item["reference"], "birth_date": item["birth_date"], "days_supply": 30})
        auth.shared = item.get("shared", False)
        with lock:
            outcomes.append(auth)
        if not auth.success or not auth.body.get("allowed"):
            continue
        key = f"fault-{item['reference']}-{item['counter']}"
        dispense = client.call("dispense", item["reference"], "/api/v1/pharmacy/dispenses",
                               {"authorization_id": auth.body["id"], "days_supply": 30},
                               headers={"Idempotency-Key": key})
        dispense.shared = item.get("shared", False)
        with lock:
            outcomes.append(dispense)
    rng = random.Random(id(client))
    while work and not stop.is_set():
        item = rng.choice(work)
        again = client.call("authorize", item["reference"], "/api/v1/pharmacy/authorizations",
                            {"reference": item["reference"], "birth_date": item["birth_date"], "days_supply": 30})
        with lock:
            outcomes.append(again)


# --- faults -----------------------------------------------------------------------------------------


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _port_inodes() -> dict[int, str]:
    """Local TCP port -> socket inode, from /proc/net/tcp and tcp6."""
    ports: dict[int, str] = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            ports[int(parts[1].rsplit(":", 1)[1], 16)] = parts[9]
    return ports


def worker_in_dispense(url: str, workers: list[int], *, timeout: float) -> tuple[int | None, str]:
    """A gunicorn worker whose database connection is inside a transaction on the dispense path."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute(
                "SELECT client_port, left(query, 80) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND ("
                # statements only the dispense transaction runs: the prescription lock, the key look-up, the INSERT
                "(query ILIKE '%courses_prescription%' AND query ILIKE '%FOR UPDATE%') "
                "OR query ILIKE '%\"pharmacy_dispense\".\"idempotency_key\" =%' "
                "OR query ILIKE 'INSERT INTO \"pharmacy_dispense\"%')").fetchall()
            if rows:
                ports = _port_inodes()
                for port, query in rows:
                    inode = ports.get(int(port or 0))
                    for pid in workers:
                        if inode and inode in _socket_inodes(pid):
                            return pid, query
            time.sleep(0.003)
    return None, ""


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".") if x.isdigit()])[-1]


def ensure_cluster(cluster: str, port: int) -> None:
    """Create (first time) and start a PostgreSQL cluster of its own for the fault run, with trust
    authentication on loopback like the CI cluster. Restarting it disturbs nobody else."""
    version = pg_version()
    if cluster != "main" and not Path(f"/etc/postgresql/{version}/{cluster}").exists():
        subprocess.run(["pg_createcluster", version, cluster, "--port", str(port), "--",
                        "--auth-local=trust", "--auth-host=trust"], check=True, capture_output=True, timeout=120)
    ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port), "-q"], check=False).returncode == 0
    if not ready:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "start"], check=True,
                       capture_output=True, timeout=120)
        wait_postgres(port)


def stop_cluster(cluster: str) -> None:
    if cluster != "main":
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), cluster, "stop"], check=False,
                       capture_output=True, timeout=120)


def restart_postgres(cluster: str, port: int, *, wait: float = 60) -> float:
    """Restart the cluster and wait until it accepts connections; returns the seconds it took."""
    start = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), cluster, "restart"], check=True,
                   capture_output=True, timeout=120)
    wait_postgres(port, wait)
    return time.monotonic() - start


def wait_postgres(port: int, wait: float = 60) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port), "-q"], check=False).returncode == 0:
            return
        time.sleep(0.3)
    raise RuntimeError(f"PostgreSQL on port {port} did not come back within {wait} s")


# --- checks -----------------------------------------------------------------------------------------


def check(url: str, outcomes: list[Outcome], started_at: float) -> dict[str, Any]:
    import psycopg

    problems: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        doubles = conn.execute(
            "SELECT prescription_id, count(*) FROM pharmacy_dispense WHERE supersedes_id IS NULL "
            "GROUP BY prescription_id HAVING count(*) > 1").fetchall()
        if doubles:
            problems.append(f"prescriptions dispensed twice: {doubles[:5]}")
        dispenses = conn.execute(
            "SELECT d.id, d.authorization_id, a.allowed, a.pharmacy_id = d.pharmacy_id FROM pharmacy_dispense d "
            "LEFT JOIN pharmacy_authorization a ON a.id = d.authorization_id WHERE d.idempotency_key LIKE 'fault-%'"
        ).fetchall()
        bad_links = [d for d in dispenses if not d[2] or not d[3]]
        if bad_links:
            problems.append(f"dispenses without an allowed authorization of their pharmacy: {bad_links[:5]}")
        unaudited = conn.execute(
            "SELECT d.id FROM pharmacy_dispense d WHERE d.idempotency_key LIKE 'fault-%' AND NOT EXISTS ("
            "SELECT 1 FROM audit_auditentry e WHERE e.action = 'pharmacy.dispense' AND e.object_id = d.id::text)"
        ).fetchall()
        if unaudited:
            problems.append(f"dispenses without their audit entry: {unaudited[:5]}")
        since = conn.execute("SELECT to_timestamp(%s)", [started_at]).fetchone()[0]  # type: ignore[index]
        authorizations = conn.execute(
            "SELECT a.id, a.allowed, a.valid_through IS NOT NULL, jsonb_array_length(a.reasons), a.program, "
            "EXISTS (SELECT 1 FROM audit_auditentry e WHERE e.action = 'pharmacy.authorize' "
            "AND e.object_id = a.id::text) FROM pharmacy_authorization a WHERE a.created_at >= %s", [since]
        ).fetchall()
        for pk, allowed, has_validity, n_reasons, program, audited in authorizations:
            if not audited:
                problems.append(f"authorization {pk} without its audit entry")
            if not program or (allowed and (not has_validity or n_reasons)) or (not allowed and not n_reasons):
                problems.append(f"authorization {pk} without a complete decision")
        db_dispense_ids = {d[0] for d in dispenses}
    told = {int(o.body["id"]) for o in outcomes if o.kind == "dispense" and o.success and "id" in o.body}
    if told - db_dispense_ids:
        problems.append(f"clients were told of dispenses the database does not have: {sorted(told - db_dispense_ids)[:5]}")
    if db_dispense_ids - told:
        problems.append(f"dispenses no client was told about: {sorted(db_dispense_ids - told)[:5]}")
    unresolved = [o for o in outcomes if not (o.success or o.clear_error)]
    if unresolved:
        problems.append(f"{len(unresolved)} operations ended without a success or a clear error, e.g. "
                        f"{[(o.kind, o.reference, o.status, dict(o.retried_after)) for o in unresolved[:3]]}")
    audit = subprocess.run([common.PY, "-m", "clearcourse", "audit", "verify"], env=common.base_env(url),
                           cwd=common.ROOT, capture_output=True, text=True, check=False)
    audit_ok: bool | None
    if "Unknown command" in audit.stderr:
        audit_ok = None  # the audit command has not landed; nothing to check
    else:
        audit_ok = audit.returncode == 0
        if not audit_ok:
            problems.append(f"audit verify failed: {audit.stdout.strip()} {audit.stderr.strip()[-300:]}")
    codes = Counter(f"{o.kind}:{o.status}:{o.code or 'ok'}" for o in outcomes)
    # Prescriptions given to two counters: the one that lost was stopped at the dispense (409) or, when the
    # other had already dispensed, at the authorization (refused: already dispensed).
    raced = Counter(
        "dispense_409" if o.kind == "dispense" and o.code == "already_dispensed"
        else "authorization_refused" if o.kind == "authorize" and o.success and not o.body.get("allowed")
        and any(r.get("code") == "already_dispensed" for r in o.body.get("reasons", []))
        else "other"
        for o in outcomes if o.shared)
    return {"problems": problems, "dispenses": len(db_dispense_ids), "authorizations": len(authorizations),
            "outcomes": dict(sorted(codes.items())), "audit_verify": audit_ok,
            "shared_stopped": raced["dispense_409"] + raced["authorization_refused"],
            "shared_outcomes": dict(raced),
            "retries": dict(sum((o.retried_after for o in outcomes), Counter()))}


# --- the run ----------------------------------------------------------------------------------------


def run(*, patients: int = 400, clients: int = 8, duration: float = 30, kill_at: float = 4,
        restart_at: float = 10, retry_for: float = 45, restart_db: bool = True, seed: int = 3,
        db: str = FAULTS_DB, cluster: str = "faults", port: int = 5433) -> dict[str, Any]:
    ensure_cluster(cluster, port)
    common.log(f"faults: building {db} ({patients} patients) on cluster {cluster} (port {port}) ...")
    url = common.fresh_database(db, f"postgres://postgres@127.0.0.1:{port}/postgres")
    common.synth(url, patients=patients, clinics=2, pharmacies=4, big_clinic=None, seed=seed)
    common.setup_django(url)
    tokens = common.make_tokens()
    targets = [t for t in common.open_targets() if t["family"] in tokens]
    from django.db import connections

    connections.close_all()  # this process holds no connection across the restart
    rng = random.Random(seed)
    rng.shuffle(targets)
    # Each client is a pharmacy system of one program family and works on that family's prescriptions;
    # every 5th prescription goes to two clients of the family at once (two counters, different keys).
    families = sorted(tokens)
    client_family = [families[k % len(families)] for k in range(clients)]
    work: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    for family in families:
        mine = [k for k in range(clients) if client_family[k] == family]
        for i, t in enumerate(x for x in targets if x["family"] == family):
            shared = i % 5 == 0 and len(mine) > 1
            work[mine[i % len(mine)]].append({**t, "counter": 0, "shared": shared})
            if shared:
                work[mine[(i + 1) % len(mine)]].append({**t, "counter": 1, "shared": True})
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop = threading.Event()
    server = common.start_server(url, workers=2, threads=2)
    report: dict[str, Any] = {"patients": patients, "clients": clients, "prescriptions": len(targets)}
    started_at = time.time()
    try:
        threads = []
        for k in range(clients):
            family = client_family[k]
            client = Client(server.port, tokens[family][k % len(tokens[family])], retry_for=retry_for)
            threads.append(threading.Thread(target=client_loop, args=(client, work[k], outcomes, stop, lock),
                                            daemon=True))
        for t in threads:
            t.start()
        time.sleep(kill_at)
        pid, query = worker_in_dispense(url, server.worker_pids(), timeout=8)
        caught = pid is not None
        if pid is None:
            pid = server.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        report["killed_worker"] = {"pid": pid, "mid_dispense": caught, "query": query}
        common.log(f"faults: SIGKILL worker {pid} (mid-dispense: {caught})")
        if restart_db:
            time.sleep(max(0.0, restart_at - kill_at))
            common.log("faults: restarting PostgreSQL ...")
            report["postgres_restart_s"] = round(restart_postgres(cluster, port), 2)
            common.log(f"faults: PostgreSQL back after {report['postgres_restart_s']} s")
        end = max(started_at + duration, time.time() + 3)  # some load after the restart, always
        while time.time() < end and any(t.is_alive() for t in threads):
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(timeout=retry_for + 30)
        report["hung_clients"] = sum(t.is_alive() for t in threads)
    finally:
        server.stop()
    report["operations"] = len(outcomes)
    report.update(check(url, list(outcomes), started_at))
    if report["hung_clients"]:
        report["problems"].append(f"{report['hung_clients']} client threads never finished")
    if not any(o.kind == "dispense" and o.success for o in outcomes):
        report["problems"].append("no dispense succeeded: the load did not exercise the dispense path")
    report["ok"] = not report["problems"]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="SIGKILL a worker mid-dispense and restart PostgreSQL under load")
    parser.add_argument("--patients", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--kill-at", type=float, default=4)
    parser.add_argument("--restart-at", type=float, default=10)
    parser.add_argument("--retry-for", type=float, default=45)
    parser.add_argument("--no-restart", action="store_true", help="only kill the worker")
    parser.add_argument("--cluster", default="faults",
                        help="PostgreSQL cluster to run on and restart (created on first use; 'main' restarts "
                             "the shared cluster, which breaks every other connection to it)")
    parser.add_argument("--port", type=int, default=5433, help="that cluster's port")
    parser.add_argument("--keep-cluster", action="store_true", help="leave the fault cluster running")
    args = parser.parse_args()
    try:
        report = run(patients=args.patients, clients=args.clients, duration=args.duration, kill_at=args.kill_at,
                     restart_at=args.restart_at, retry_for=args.retry_for, restart_db=not args.no_restart,
                     cluster=args.cluster, port=args.port)
    finally:
        if not args.keep_cluster:
            stop_cluster(args.cluster)
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
