"""Benchmark (g): the audit trail at scale: the administrator's search, a patient's access report, the
Django admin's audit pages, and ``audit verify``.

    python bench/audit.py [--entries N] [--runs 7] [--verify]   (on a benchmark database built by quick.py/full.py)

``--entries N`` first appends N synthetic, validly chained entries (``python -m clearcourse synth_audit``);
then every page is opened in-process as in ``bench/pages.py`` (production settings, Django's test client,
the same people: the administrator, the largest clinic's busiest prescriber, the patient with the longest
course). The searches are the ones an administrator makes: everything (newest first), one patient, one
person, one action, an action's family (``ppp.``), one day, one person on one day, and page 20 of
everything. Each is reported with its median and worst server time and its SQL statements; the entries
in the trail are counted first. ``--verify`` also times ``audit verify`` (entries per second).

The search form's fields are read from the form, so the benchmark follows a change of the search page
(a patient searched by record number instead of id, say).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import pages


def trail_size() -> int:
    """Entries in the trail (exact; on PostgreSQL a count of millions takes a moment, once)."""
    from clearcourse.audit.models import AuditEntry

    return int(AuditEntry.objects.count())


def search_cases(cast: pages.Cast) -> dict[str, dict[str, str]]:
    """Query strings of the searches, in the form's own field names."""
    from clearcourse.audit.forms import AuditSearchForm
    from clearcourse.audit.models import AuditEntry

    fields = set(AuditSearchForm.base_fields)
    patient = cast.objects["patient"]
    prescriber = cast.users["prescriber"]
    if "patient_id" in fields:
        by_patient = {"patient_id": str(patient.pk)}
    else:
        by_patient = {"patient": patient.record_number}
    # A day inside the synthetic trail (the newest entries are the benchmark's own, written today).
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    inside = (AuditEntry.objects.filter(id__lte=int(last * 0.8)).order_by("-id").values_list("at", flat=True).first()
              or dt.datetime.now(dt.UTC))
    day = inside.date().isoformat()
    cases = {
        "everything": {},
        "one patient": by_patient,
        "one person": {"actor": prescriber.username},
        "one action": {"action": "pharmacy.dispense"},
        "a rare action": {"action": "synth."},
        "one patient, one day": {**by_patient, "date_from": day, "date_to": day},
        "one day": {"date_from": day, "date_to": day},
        "one person, one day": {"actor": prescriber.username, "date_from": day, "date_to": day},
        "everything, page 20": {"page": "20"},
    }
    action = AuditSearchForm.base_fields["action"]
    choices = [str(c[0]) for c in getattr(action, "choices", [])]
    if not choices or "ppp." in choices:
        cases["an action family"] = {"action": "ppp."}
    return cases


def measure(*, runs: int = 7, cast: pages.Cast | None = None) -> dict[str, Any]:
    """Server time of the audit pages (needs Django set up on the benchmark database)."""
    from django.test.utils import override_settings
    from django.urls import reverse
    from worklist import PLAIN_STORAGES

    from clearcourse.audit.models import AuditEntry

    cast = cast or pages.choose_cast()
    by_role = pages.clients(cast)
    entry_id = AuditEntry.objects.order_by("-id").values_list("pk", flat=True).first()
    targets: list[tuple[str, str, str]] = [
        (f"search: {name}", "admin", "/audit/" + (f"?{urlencode(params)}" if params else ""))
        for name, params in search_cases(cast).items()]
    targets += [("access report (patient)", "patient", reverse("portal:access_report")),
                ("admin: audit list", "admin", "/admin/audit/auditentry/"),
                ("admin: audit list, one action", "admin", "/admin/audit/auditentry/?action=pharmacy.dispense"),
                ("admin: one entry", "admin", f"/admin/audit/auditentry/{entry_id}/change/")]
    results: dict[str, Any] = {}
    cpu: dict[str, Any] = {}
    with override_settings(STORAGES=PLAIN_STORAGES), common.cpu_meter(cpu):
        for name, role, path in targets:
            client = by_role[role]
            with pages.count_statements() as statements:
                response = client.get(path, secure=True)
            times, cpu_times = [], []
            for _ in range(runs):
                start, cpu0 = time.perf_counter(), time.process_time()
                response = client.get(path, secure=True)
                times.append((time.perf_counter() - start) * 1000)
                cpu_times.append((time.process_time() - cpu0) * 1000)
            times.sort()
            results[name] = {"path": path, "status": response.status_code, "queries": len(statements),
                             "median_ms": round(statistics.median(times), 1), "max_ms": round(times[-1], 1),
                             # The server process's CPU (not PostgreSQL's): steadier on a shared machine.
                             "cpu_median_ms": round(statistics.median(cpu_times), 1),
                             "kb": round(len(response.content) / 1024, 1)}
    searches = [v["median_ms"] for k, v in results.items() if k.startswith("search:")]
    admin = [v["median_ms"] for k, v in results.items() if k.startswith("admin:")]
    return {
        "cases": results, "runs": runs, "cpu": cpu,
        "audit_search_ms": max(searches) if searches else None,
        "audit_search_slowest": max((k for k in results if k.startswith("search:")),
                                    key=lambda k: results[k]["median_ms"], default=None),
        "audit_access_report_ms": results["access report (patient)"]["median_ms"],
        "audit_admin_ms": max(admin) if admin else None,
        "audit_statuses": sorted({v["status"] for v in results.values()}),
    }


def verify() -> dict[str, Any]:
    """``audit verify`` in this process: entries checked per second."""
    from clearcourse.audit.selectors import verify_trail

    meter: dict[str, Any] = {}
    start = time.perf_counter()
    cpu = time.process_time()
    with common.cpu_meter(meter):
        problem, count, _digest = verify_trail()
    seconds = time.perf_counter() - start
    return {"audit_verify_entries": count, "audit_verify_seconds": round(seconds, 1),
            "audit_verify_entries_per_s": round(count / seconds) if seconds else None,
            "audit_verify_cpu_s": round(time.process_time() - cpu, 1),
            "audit_verify_intact": problem is None, "audit_verify_machine": meter}


def main() -> None:
    parser = argparse.ArgumentParser(description="the audit trail's pages and verification at scale")
    parser.add_argument("--entries", type=int, default=0, help="first append this many synthetic entries")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--verify", action="store_true", help="also time `audit verify`")
    args = parser.parse_args()
    url = common.database_url()
    generated = None
    if args.entries:
        common.log(f"bench: appending {args.entries} audit entries ...")
        generated = json.loads(common.run_cli(["synth_audit", "--entries", str(args.entries), "--days",
                                               str(args.days)], url).strip().splitlines()[-1])
        common.log(f"bench: {generated['entries']} entries in {generated['seconds']} s")
    common.setup_django(url, CLEARCOURSE_REQUIRE_2FA="false")
    result: dict[str, Any] = {"benchmark": "audit", "machine": common.machine(), "generated": generated,
                              "trail_entries": trail_size()}
    result.update(measure(runs=args.runs))
    if args.verify:
        result.update(verify())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
