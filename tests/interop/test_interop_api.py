"""The interop API: the course bundle and the lab import; the OpenAPI schema and the docs page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clearcourse.interop.csv_import import HEADER
from clearcourse.interop.fhir_validate import bundle_errors
from clearcourse.monitoring.models import LabResult

GOOD = f"{HEADER}\nR-0001,2004-03-01,1742-6,32,U/L,40,2026-10-02\n".encode()
BAD = f"{HEADER}\nR-0001,2004-03-01,1742-6,32,U/L,,2026-10-02\n".encode()


@pytest.mark.django_db
def test_staff_get_a_course_bundle(course: Any, prescriber: Any, login: Any) -> None:
    response = login(prescriber).get(f"/api/v1/interop/courses/{course.pk}/fhir")
    assert response.status_code == 200
    assert bundle_errors(response.json()) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status", "code"), [
    ("other_prescriber", 404, "not_found"), ("pharmacist", 403, "forbidden_role"),
    ("patient_user", 403, "forbidden_role")])
def test_others_get_an_error_body(request: pytest.FixtureRequest, course: Any, login: Any, persona: str,
                                  status: int, code: str) -> None:
    response = login(request.getfixturevalue(persona)).get(f"/api/v1/interop/courses/{course.pk}/fhir")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


@pytest.mark.django_db
def test_anonymous_callers_get_401(course: Any, client: Any) -> None:
    response = client.get(f"/api/v1/interop/courses/{course.pk}/fhir")
    assert response.status_code == 401
    assert "error" in response.json()


@pytest.mark.django_db
def test_the_import_endpoint_imports_or_refuses_with_the_report(course: Any, prescriber: Any, login: Any) -> None:
    client = login(prescriber)
    response = client.post("/api/v1/interop/labs/import", {"file": SimpleUploadedFile("x.csv", BAD)})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "import_refused"
    assert [(p["line"], p["field"]) for p in body["report"]["problems"]] == [(2, "uln")]
    assert LabResult.objects.count() == 0
    response = client.post("/api/v1/interop/labs/import", {"file": SimpleUploadedFile("x.csv", GOOD)})
    assert response.status_code == 200 and response.json()["imported"] == 1


def test_the_openapi_schema_documents_errors_for_every_operation(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    missing = [f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method, op in ops.items()
               if not any(code.startswith("4") for code in op["responses"])]
    assert missing == []


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client: Any) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    # No executable inline script: the only inline <script> is the JSON settings block.
    assert html.count("<script>") == 0
    json.loads(html.split('id="swagger-settings">')[1].split("</script>")[0])
