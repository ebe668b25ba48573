"""Benchmark (f): every page a signed-in person can open, server time and SQL statements per page.

    python bench/pages.py [--runs 20]   (on the benchmark database built by quick.py / full.py / authorize.py)

The list of pages is not kept here: it is every GET entry of the access matrix
(``tests/security/test_access_matrix.py``, ``MATRIX``), so a page added to the application (which must
get a matrix entry) is measured without a change to this file. For each entry and each role (anonymous,
administrator, prescriber, delegate, pharmacist, patient, a pharmacy's API token) the page is measured
when the matrix says the role gets it (200), or when the matrix could only name a placeholder object
("missing", "text") and a real object of the population answers 200 instead (an assessment of the
course, an authorization of the pharmacist's pharmacy, ...; see ``RESOLVERS``). A page whose URL needs
an object this file cannot find is listed under ``skipped`` with the status it gave, so a reader sees
what was not measured and why.

The people and records are chosen to be heavy, not typical: the prescriber of the largest clinic, a
delegate acting for them, that prescriber's patient with the longest course (most prescriptions), a
pharmacist of the pharmacy with the most authorizations. The administrator, the delegate and the
patient's portal account do not exist in a synthetic population and are created here.

Server time is the whole Django request in-process (Django's test client: middleware, view, template),
production settings, with the two deviations of ``bench/worklist.py`` (no second factor, static files
without the collectstatic manifest). Each page gets one warm-up request (which also counts its SQL
statements), then ``--runs`` timed requests; the output has p50/p95/max per page and the largest p95.
Pages that read a patient's record write an audit entry on every request, as in real use.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

ROOT = Path(__file__).resolve().parent.parent
MATRIX_MODULE = ROOT / "tests" / "security" / "test_access_matrix.py"
#: One persona per role (the matrix's ``other_*`` personas are the same roles seen from outside).
ROLES = ("anonymous", "admin", "prescriber", "delegate", "pharmacist", "patient", "token")
PLACEHOLDERS = {"missing", "text"}
BUDGET_MS = 150.0
#: Pages of the Django admin worth measuring besides its index (the matrix has one entry for all of
#: /admin/): the audit trail's list and one entry, which grow with the trail.
EXTRA_PAGES = {"admin:audit_auditentry_changelist": ("/admin/audit/auditentry/", ("admin",)),
               "admin:audit_auditentry_change": ("/admin/audit/auditentry/{audit_entry}/change/", ("admin",))}


def load_matrix() -> dict[str, Any]:
    """The access matrix module (it needs Django set up and pytest importable, as in the test extras)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("clearcourse_access_matrix", MATRIX_MODULE)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {MATRIX_MODULE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return {"MATRIX": module.MATRIX, "url_names": module.url_names}


@dataclass
class Cast:
    """The people and records the pages are opened with."""

    users: dict[str, Any]
    token: str
    objects: dict[str, Any]


def choose_cast() -> Cast:
    """Heavy but real people and records from the synthetic population (needs Django)."""
    from django.db.models import Count

    from clearcourse.accounts.models import Clinic, Role, User
    from clearcourse.accounts.services import api_token_create
    from clearcourse.courses.models import Course, Patient

    clinic = (Clinic.objects.annotate(n=Count("patients")).order_by("-n", "pk").first())
    if clinic is None:
        raise RuntimeError("no clinic: run synth first")
    prescriber = (User.objects.filter(clinic=clinic, role=Role.PRESCRIBER).annotate(n=Count("courses"))
                  .order_by("-n", "pk").first())
    course = (Course.objects.filter(prescriber=prescriber, status="active")
              .annotate(n=Count("prescriptions")).order_by("-n", "pk").first()
              or Course.objects.filter(prescriber=prescriber).order_by("pk").first())
    if prescriber is None or course is None:
        raise RuntimeError("the largest clinic has no prescriber with a course")
    patient = Patient.objects.get(pk=course.patient_id)
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={
        "role": Role.ADMIN, "is_staff": True, "is_superuser": True, "first_name": "Bench", "last_name": "Admin"})
    if not admin.is_superuser:
        User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
        admin.refresh_from_db()
    delegate, _ = User.objects.get_or_create(username=f"bench-delegate-{clinic.pk}", defaults={
        "role": Role.DELEGATE, "clinic": clinic, "first_name": "Bench", "last_name": "Delegate"})
    delegate.acts_for.add(prescriber)
    if patient.user_id is None:
        account = User.objects.create(username=f"bench-patient-{patient.pk}", role=Role.PATIENT,
                                      first_name=patient.given_name, last_name=patient.family_name)
        Patient.objects.filter(pk=patient.pk).update(user=account)
        patient.refresh_from_db()
    pharmacist = (User.objects.filter(role=Role.PHARMACIST, pharmacy__isnull=False, is_active=True)
                  .exclude(username__startswith="api-")
                  .annotate(n=Count("pharmacy__authorizations")).order_by("-n", "pk").first())
    if pharmacist is None:
        raise RuntimeError("no pharmacist: run synth first")
    _token, plain = api_token_create(actor=admin, pharmacy=pharmacist.pharmacy, name="bench-pages")
    users = {"admin": admin, "prescriber": prescriber, "delegate": delegate, "pharmacist": pharmacist,
             "patient": patient.user}
    return Cast(users=users, token=plain, objects={"course": course, "patient": patient, "clinic": clinic})


def _first(qs: Any) -> Any:
    obj = qs.order_by("-pk").first()
    return obj.pk if obj is not None else None


def _assessment(cast: Cast, role: str) -> Any:
    return _first(cast.objects["course"].assessments.all())


def _authorization(cast: Cast, role: str) -> Any:
    from clearcourse.pharmacy.models import Authorization

    return _first(Authorization.objects.filter(pharmacy_id=cast.users["pharmacist"].pharmacy_id))


def _signature(cast: Cast, role: str) -> Any:
    return _first(cast.objects["course"].consent_signatures.all())


def _home_test(cast: Cast, role: str) -> Any:
    return _first(cast.objects["course"].pregnancy_tests.exclude(photo=""))


def _calendar_token(cast: Cast, role: str) -> Any:
    from django.db import transaction

    from clearcourse.monitoring.ical import calendar_token_create

    if "calendar" not in cast.objects:
        with transaction.atomic():
            cast.objects["calendar"] = calendar_token_create(actor=cast.users["prescriber"],
                                                             patient=cast.objects["patient"])
    return cast.objects["calendar"]


def _invitation_token(cast: Cast, role: str) -> Any:
    """An open portal invitation for another patient of the clinic (one without an account)."""
    from django.db import transaction

    from clearcourse.core import clock
    from clearcourse.courses.models import Patient
    from clearcourse.portal.services import invitation_create

    if "invitation" not in cast.objects:
        other = (Patient.objects.filter(prescriber=cast.users["prescriber"], user__isnull=True)
                 .exclude(pk=cast.objects["patient"].pk).order_by("pk").first())
        if other is None:
            return None
        with transaction.atomic():
            _invitation, link = invitation_create(actor=cast.users["prescriber"], patient=other, now=clock.now(),
                                                  base_url="https://127.0.0.1", email="bench@example.org",
                                                  send_email=False)
        cast.objects["invitation"] = link.rstrip("/").rsplit("/", 1)[-1]
    return cast.objects["invitation"]


def _audit_entry(cast: Cast, role: str) -> Any:
    from clearcourse.audit.models import AuditEntry

    return AuditEntry.objects.order_by("-id").values_list("pk", flat=True).first()


#: A URL parameter the matrix fills with a placeholder -> the real object of the cast ("page:param" first,
#: then "param").
RESOLVERS: dict[str, Callable[[Cast, str], Any]] = {
    "assessment_id": _assessment,
    "authorization_id": _authorization,
    "signature_id": _signature,
    "test_id": _home_test,
    "monitoring:calendar_feed:token": _calendar_token,
    "portal:accept:token": _invitation_token,
}


@dataclass
class Page:
    name: str
    role: str
    path: str
    resolved: bool = True


def page_list(matrix: dict[str, Any], cast: Cast) -> tuple[list[Page], list[dict[str, Any]]]:
    """Every (GET page, role) the benchmark measures, and what it cannot build a URL for."""
    from django.urls import reverse

    pages: list[Page] = []
    skipped: list[dict[str, Any]] = []
    known = {"course": cast.objects["course"].pk, "patient": cast.objects["patient"].pk}
    for name, value in sorted(matrix["MATRIX"].items()):
        for entry in value if isinstance(value, tuple) else (value,):
            if entry.method != "GET":
                continue
            placeholder = any(v in PLACEHOLDERS for v in entry.params.values())
            # A URL that is its own credential (every persona gets the same answer to the placeholder):
            # whoever holds the real link opens it, so it is measured once, signed out.
            answers = {entry.expected.get(p) for p in ("anonymous", *ROLES[1:-1])}
            own_credential = placeholder and len(answers) == 1
            # A page everyone gets the same (the health check, the API schema) is measured once, signed out.
            public = answers == {200}
            for role in ROLES:
                status = entry.expected.get(role)
                if own_credential or public:
                    if role != "anonymous":
                        continue
                elif status != 200 and not (placeholder and status == 404 and role != "anonymous"):
                    continue
                kwargs: dict[str, Any] = {}
                resolved = True
                for param, key in entry.params.items():
                    resolver = RESOLVERS.get(f"{name}:{param}") or RESOLVERS.get(param)
                    if key in known:
                        kwargs[param] = known[key]
                    elif key in PLACEHOLDERS and resolver is not None and status != 200:
                        real = resolver(cast, role)
                        if real is None:
                            resolved = False
                            break
                        kwargs[param] = real
                    elif key == "text":
                        kwargs[param] = "not-a-real-value"
                    else:
                        resolved = False
                        break
                if not resolved:
                    skipped.append({"page": name, "role": role, "reason": "no such record in the population"})
                    continue
                path = entry.path or reverse(name, kwargs=kwargs)
                pages.append(Page(name=name, role=role, path=path))
    for name, (template, roles) in EXTRA_PAGES.items():
        for role in roles:
            entry_id = _audit_entry(cast, role)
            if "{audit_entry}" in template and entry_id is None:
                skipped.append({"page": name, "role": role, "reason": "no audit entry"})
                continue
            pages.append(Page(name=name, role=role, path=template.format(audit_entry=entry_id)))
    return pages, skipped


def clients(cast: Cast) -> dict[str, Any]:
    from django.test import Client

    out: dict[str, Any] = {"anonymous": Client(HTTP_HOST="127.0.0.1"),
                           "token": Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {cast.token}")}
    for role, user in cast.users.items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        out[role] = client
    return out


@contextlib.contextmanager
def count_statements() -> Iterator[list[str]]:
    """Every SQL statement sent on the default connection meanwhile (an execute wrapper: Django's query log
    is emptied at the start of each request, so CaptureQueriesContext miscounts a second request)."""
    from django.db import connection

    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def measure(*, runs: int = 20, matrix: dict[str, Any] | None = None) -> dict[str, Any]:
    """Measure every page (needs Django set up on the benchmark database)."""
    from django.test.utils import override_settings
    from worklist import PLAIN_STORAGES

    matrix = matrix or load_matrix()
    cast = choose_cast()
    pages, skipped = page_list(matrix, cast)
    by_role = clients(cast)
    results: list[dict[str, Any]] = []
    cpu: dict[str, Any] = {}
    with override_settings(STORAGES=PLAIN_STORAGES), common.cpu_meter(cpu):
        for page in pages:
            client = by_role[page.role]
            with count_statements() as statements:
                response = client.get(page.path, secure=True)
            if response.status_code != 200:
                skipped.append({"page": page.name, "role": page.role, "reason": f"answered {response.status_code}"})
                continue
            size = len(response.content) if not response.streaming else 0
            times: list[float] = []
            cpu_times: list[float] = []
            for _ in range(runs):
                start, cpu0 = time.perf_counter(), time.process_time()
                response = client.get(page.path, secure=True)
                if response.streaming:
                    b"".join(response.streaming_content)  # type: ignore[arg-type]
                times.append((time.perf_counter() - start) * 1000)
                cpu_times.append((time.process_time() - cpu0) * 1000)
            times.sort()
            cpu_times.sort()
            results.append({"page": page.name, "role": page.role, "path": page.path,
                            "queries": len(statements), "kb": round(size / 1024, 1),
                            "p50_ms": round(statistics.median(times), 1) if times else None,
                            "p95_ms": round(common.percentile(times, 95), 1) if times else None,
                            "max_ms": round(times[-1], 1) if times else None,
                            # The server process's own CPU per request (Django and the driver, not
                            # PostgreSQL): steadier than the wall time when others share the cores.
                            "cpu_p50_ms": round(statistics.median(cpu_times), 1) if cpu_times else None})
    timed = [r for r in results if r["p95_ms"] is not None]
    worst = max(timed, key=lambda r: r["p95_ms"]) if timed else None
    return {
        "pages": results, "skipped": skipped, "runs": runs, "pages_measured": len(results), "cpu": cpu,
        "pages_p95_ms_max": worst["p95_ms"] if worst else None,
        "pages_p95_ms_max_page": f"{worst['page']} ({worst['role']})" if worst else None,
        "pages_queries_max": max((r["queries"] for r in results), default=None),
        "pages_over_budget": [f"{r['page']} ({r['role']}): p95 {r['p95_ms']} ms" for r in timed
                              if r["p95_ms"] >= BUDGET_MS],
        "cast": {"clinic_patients": _clinic_size(cast), "course_prescriptions": _course_size(cast),
                 "patient_audit_entries": _patient_entries(cast)},
    }


def _clinic_size(cast: Cast) -> int:
    from clearcourse.courses.models import Patient

    return Patient.objects.filter(clinic=cast.objects["clinic"]).count()


def _course_size(cast: Cast) -> int:
    return int(cast.objects["course"].prescriptions.count())


def _patient_entries(cast: Cast) -> int:
    from clearcourse.audit.models import AuditEntry

    return AuditEntry.objects.filter(patient_id=cast.objects["patient"].pk).count()


def main() -> None:
    parser = argparse.ArgumentParser(description="server time and SQL statements of every page")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--table", action="store_true", help="also print a table to stderr")
    args = parser.parse_args()
    common.setup_django(common.database_url(), CLEARCOURSE_REQUIRE_2FA="false")
    result = measure(runs=args.runs)
    if args.table:
        for r in sorted(result["pages"], key=lambda r: -r["p95_ms"]):
            common.log(f"{r['p95_ms']:8.1f} {r['p50_ms']:8.1f} {r['cpu_p50_ms']:8.1f} {r['queries']:4d}  "
                       f"{r['page']} ({r['role']})")
    print(json.dumps({"benchmark": "pages", "machine": common.machine(), **result}))


if __name__ == "__main__":
    main()
