"""Staff pages: import lab results; download a course as a FHIR R4 Bundle.

Thin views: the form is read, one service or selector is called, the report is rendered. The import
page answers 400 with the report when nothing was written because of bad rows, so a script posting to
it can tell success from refusal.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from clearcourse.accounts.decorators import role_required, signed_in_user
from clearcourse.accounts.models import Role
from clearcourse.core import clock
from clearcourse.core.errors import DomainError, NotFoundError
from clearcourse.interop import selectors, services
from clearcourse.interop.forms import LabImportForm
from clearcourse.interop.rows import MAX_BYTES


@require_http_methods(["GET", "POST"])
@role_required(Role.PRESCRIBER, Role.DELEGATE)
def lab_import(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    report = None
    status = 200
    if request.method == "POST":
        form = LabImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            # One byte more than the limit is enough for the readers to refuse a file that is too large.
            data = upload.read(MAX_BYTES + 1)
            fmt = form.cleaned_data["format"]
            if fmt == "auto":
                fmt = services.detect_format(upload.name or "", data)
            try:
                report = services.lab_import(actor=user, data=data, fmt=fmt, today=clock.today(),
                                             partial=form.cleaned_data["partial"], filename=upload.name or "",
                                             confirm_unusual=form.cleaned_data["confirm_unusual"])
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            if report is not None and not report.written and not report.ok:
                status = 400
        else:
            status = 400
    else:
        form = LabImportForm()
    return render(request, "interop/lab_import.html", {"form": form, "report": report}, status=status)


@require_GET
@role_required(Role.PRESCRIBER, Role.DELEGATE)
def course_fhir(request: HttpRequest, course_id: int) -> HttpResponse:
    """The course as a FHIR R4 Bundle (``application/fhir+json``), as a download."""
    try:
        bundle = selectors.course_bundle_for_user(user=signed_in_user(request), course_id=course_id,
                                                  now=clock.now())
    except NotFoundError:
        raise Http404 from None
    response = HttpResponse(json.dumps(bundle, indent=2, ensure_ascii=False),
                            content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="course-{course_id}-fhir.json"'
    return response
