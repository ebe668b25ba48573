"""Benchmark (d): the clinic worklist for the largest synthetic clinic (5,000 patients with ``--big-clinic``).

    python bench/worklist.py [--runs 5]   (on the benchmark database built by bench/authorize.py or quick.py)

Server time: the whole Django request (middleware, the selector reading the stored worklist rows of
``clearcourse/monitoring/worklist_store.py``, one page of the template), measured in-process with Django's test client signed in as a prescriber of that clinic,
with the production settings. Two in-process deviations, neither of which changes the work measured:
the second factor is not asked (``CLEARCOURSE_REQUIRE_2FA=false``; the session is forced) and static
files are looked up without the collectstatic manifest (plain ``StaticFilesStorage``), so the benchmark
needs no collectstatic run. Reports the median and the best of ``--runs`` after one warm-up, the query
count, and the number of courses on the list.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

PLAIN_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def measure(*, runs: int = 5) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from clearcourse.accounts.models import Clinic, Role, User

    clinic = (Clinic.objects.filter(name__startswith="Synthetic Clinic").annotate(n=Count("patients"))
              .order_by("-n").first())
    if clinic is None:
        raise RuntimeError("no synthetic clinic: run synth first")
    prescriber = User.objects.filter(clinic=clinic, role=Role.PRESCRIBER).order_by("pk").first()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(prescriber, backend="django.contrib.auth.backends.ModelBackend")
    times: list[float] = []
    with override_settings(STORAGES=PLAIN_STORAGES):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/monitoring/worklist/", secure=True)
        if response.status_code != 200:
            raise RuntimeError(f"worklist answered {response.status_code}")
        for _ in range(runs):
            start = time.perf_counter()
            response = client.get("/monitoring/worklist/", secure=True)
            times.append((time.perf_counter() - start) * 1000)
    worklist = response.context["worklist"] if response.context else None
    html = response.content.decode()
    # Outside a test environment the response has no context: count what the page shows instead.
    shown = html.split('data-testid="week"', 1)
    return {"clinic_patients": clinic.n, "courses": getattr(worklist, "course_count", None),
            "items_today": len(getattr(worklist, "today_items", []) or []) or shown[0].count('data-kind="'),
            "items_week": (len(getattr(worklist, "week_items", []) or [])
                           or (shown[1].count('data-kind="') if len(shown) > 1 else 0)),
            "alerts_shown": html.count("data-severity="),
            "queries": len(queries.captured_queries), "response_kb": round(len(response.content) / 1024, 1),
            "median_ms": round(statistics.median(times), 1), "best_ms": round(min(times), 1), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description="clinic worklist server time")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    common.setup_django(common.database_url(), CLEARCOURSE_REQUIRE_2FA="false")
    print(json.dumps({"benchmark": "worklist", "machine": common.machine(), **measure(runs=args.runs)}))


if __name__ == "__main__":
    main()
