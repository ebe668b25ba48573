"""Pages for the program records, the course status and the prescribe page (mounted at /programs/).

Thin views (DESIGN.md convention 3): parse a form, call one service or selector, render. Access: the
prescribers of the course's clinic and the delegates acting for its prescriber; everyone else gets 404
(not 403, so an outsider cannot learn that a course exists). A delegate on a prescriber-only page
(prescribe, verify a home test, risk category, end of treatment) gets 403. A refused input is shown
next to its field with status 400, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_read
from clearcourse.core import clock
from clearcourse.core.access import STAFF_ROLES, page
from clearcourse.core.errors import DomainError
from clearcourse.core.forms_flow import form_status, run_form
from clearcourse.core.wording import draw
from clearcourse.courses.models import Course, prescription_reference
from clearcourse.courses.models import Prescription as PrescriptionRow
from clearcourse.courses.selectors import course_get_for_user, courses_visible_to, current_dose_plan
from clearcourse.courses.state import course_state
from clearcourse.rules.programs import comprehension as bank

from . import forms, labels, selectors, services

ViewFunc = Callable[..., HttpResponseBase]

SAVED = gettext_lazy("Saved.")


#: Prescribers and delegates only (the one access path, ``core.access``): other roles 403, anything out of
#: scope 404, as on every page.
staff_only = page(*STAFF_ROLES)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _require_prescriber(request: HttpRequest) -> None:
    if _user(request).role != Role.PRESCRIBER:
        raise PermissionDenied


def _course(request: HttpRequest, course_id: int) -> Course:
    # A page view is a read of the record (audited); a POST is audited by the service it calls.
    audit = None if request.method == "POST" else "course.view"
    return course_get_for_user(user=_user(request), course_id=course_id, audit=audit)


def _record_page(request: HttpRequest, course: Course, form: django_forms.Form,
                 save: Callable[[dict[str, Any]], object], *, title: str,
                 template: str = "ppp/record_form.html", extra: dict[str, Any] | None = None) -> HttpResponse:
    done = run_form(request, form, save, success_message=str(SAVED),
                    redirect_to=reverse("ppp:course_status", kwargs={"course_id": course.pk}))
    if done is not None:
        return done
    context = {"course": course, "patient": course.patient, "form": form, "title": title,
               "multipart": any(isinstance(f, django_forms.FileField) for f in form.fields.values()),
               **(extra or {})}
    return render(request, template, context, status=form_status(request))


def _today() -> Any:
    return clock.today()


# --- status ------------------------------------------------------------------------------------------


@staff_only
def course_status(request: HttpRequest, course_id: int) -> HttpResponse:
    course = course_get_for_user(user=_user(request), course_id=course_id, audit="ppp.status.view")
    today = _today()
    state = course_state(course, on=today)
    if state.program is None:
        raise DomainError(_(selectors.NO_PROGRAM_IN_FORCE), field="on", code="no_program_in_force")
    status = state.program
    risk = services.current_risk_category(course)
    decision = status.decision
    due = [{"item": i, "label": labels.CONDITION_LABELS.get(i.condition, i.condition)} for i in state.due]
    done = [{"item": i, "label": labels.CONDITION_LABELS.get(i.condition, i.condition)} for i in status.done]
    actions = [{"action": a, "label": labels.ACTION_LABELS.get(a.code) or draw(a.text)} for a in state.next_steps]
    return render(request, "ppp/course_status.html", {
        "course": course, "patient": course.patient, "status": status, "state": state, "today": today,
        "risk": risk,
        "decision": decision, "due": due, "done": done, "actions": actions,
        "phase": labels.PHASE_LABELS.get(status.phase, status.phase),
        "countdown": labels.countdown_text(status.window) if status.window else "",
        "prescription_reference": prescription_reference(int(status.prescription))
        if status.prescription and str(status.prescription).isdigit() else status.prescription,
        "records": selectors.course_records(course),
        "awaiting": selectors.home_tests_awaiting_verification(course),
        "is_prescriber": _user(request).role == Role.PRESCRIBER,
        "is_uk": str(course.program).startswith("uk-mhra"),
    })


# --- records -----------------------------------------------------------------------------------------


@staff_only
def enrollment_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = forms.EnrollmentForm(request.POST or None, course=course, initial={"enrolled_on": _today()})
    return _record_page(request, course, form, lambda d: services.enrollment_record(
        actor=_user(request), course=course, enrolled_on=d["enrolled_on"], program=d["program"],
        ipledge_patient_id=d.get("ipledge_patient_id", ""), today=_today(),
    ), title=_("Record enrolment"))


@staff_only
def risk_category_assign(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    _require_prescriber(request)
    current = services.current_risk_category(course)
    form = forms.RiskCategoryForm(request.POST or None, initial={"effective_on": _today()})
    return _record_page(request, course, form, lambda d: services.risk_category_assign(
        actor=_user(request), course=course, can_get_pregnant=d["can_get_pregnant"],
        effective_on=d["effective_on"], reason=d["reason"], today=_today(),
    ), title=_("Assign the risk category"), extra={"current_risk": current})


@staff_only
def counseling_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = forms.CounselingForm(request.POST or None, initial={"counseled_on": _today()})
    return _record_page(request, course, form, lambda d: services.counseling_record(
        actor=_user(request), course=course, counseled_on=d["counseled_on"], note=d["note"], today=_today(),
    ), title=_("Record counselling"))


@staff_only
def contraception_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = forms.ContraceptionForm(request.POST or None, initial={"confirmed_on": _today()})
    return _record_page(request, course, form, lambda d: services.contraception_confirm(
        actor=_user(request), course=course, confirmed_on=d["confirmed_on"], methods=d["methods"],
        abstinence=d["abstinence"], confirmed_by=d["confirmed_by"], today=_today(),
    ), title=_("Confirm contraception"))


@staff_only
def pregnancy_test_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = forms.PregnancyTestForm(request.POST or None, request.FILES or None,
                                   initial={"collected_on": _today()})
    return _record_page(request, course, form, lambda d: services.pregnancy_test_record(
        actor=_user(request), course=course, collected_on=d["collected_on"], setting=d["setting"],
        result=d["result"], photo=d.get("photo") or None, today=_today(),
    ), title=_("Record a pregnancy test"))


@staff_only
def comprehension_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    language = request.GET.get("lang") or request.POST.get("language") or course.patient.preferred_language
    language = language if language in bank.LANGUAGES else "en"
    form = forms.ComprehensionForm(request.POST or None, course=course, language=language,
                                   initial={"answered_on": _today()})
    return _record_page(request, course, form, lambda d: services.comprehension_submit(
        actor=_user(request), course=course, answered_on=d["answered_on"], answers=form.answers(),
        language=language, today=_today(),
    ), title=_("Comprehension questions"), template="ppp/comprehension_form.html",
        extra={"language": language, "pass_rule": bank.PASS_RULE[language]})


@staff_only
def treatment_end_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    _require_prescriber(request)
    form = forms.TreatmentEndForm(request.POST or None, initial={"ended_on": _today()})
    return _record_page(request, course, form, lambda d: services.treatment_end_record(
        actor=_user(request), course=course, ended_on=d["ended_on"], reason=d["reason"], today=_today(),
    ), title=_("Record the end of treatment"))


@staff_only
def second_prescriber_agreement_create(request: HttpRequest, course_id: int) -> HttpResponse:
    """UK MHRA 2023 (under 18): a second prescriber's agreement to start; prescribers only."""
    course = _course(request, course_id)
    _require_prescriber(request)
    form = forms.SecondPrescriberAgreementForm(request.POST or None, initial={"agreed_on": _today()})
    return _record_page(request, course, form, lambda d: services.second_prescriber_agreement_record(
        actor=_user(request), course=course, second_prescriber_name=d["second_prescriber_name"],
        second_prescriber_registration=d["second_prescriber_registration"], agreed_on=d["agreed_on"],
        only_appropriate_treatment=bool(d.get("only_appropriate_treatment")), today=_today(),
    ), title=_("Record a second prescriber's agreement"))


@staff_only
def risk_form_confirmation_create(request: HttpRequest, course_id: int) -> HttpResponse:
    """UK MHRA 2026: the prescriber's part of the Acknowledgement of Risk Form; prescribers only."""
    course = _course(request, course_id)
    _require_prescriber(request)
    form = forms.RiskFormConfirmationForm(request.POST or None, initial={"confirmed_on": _today()})
    return _record_page(request, course, form, lambda d: services.risk_form_confirmation_record(
        actor=_user(request), course=course, confirmed_on=d["confirmed_on"],
        indication_confirmed=bool(d.get("indication_confirmed")), no_other_treatment=bool(d.get("no_other_treatment")),
        second_opinion_told=bool(d.get("second_opinion_told")), today=_today(),
    ), title=_("Acknowledgement of risk: the prescriber's confirmation"))


# --- home tests --------------------------------------------------------------------------------------


@staff_only
def home_test_verify(request: HttpRequest, test_id: int) -> HttpResponse:
    audit = None if request.method == "POST" else "ppp.home_test.view"
    test = selectors.pregnancy_test_get_for_user(user=_user(request), test_id=test_id, audit=audit)
    _require_prescriber(request)
    if test.setting != "home":
        raise Http404
    course = test.course
    form = forms.VerificationForm(request.POST or None, initial={"verified_on": _today()})
    return _record_page(request, course, form, lambda d: services.home_test_verify(
        actor=_user(request), test=test, outcome=d["outcome"], verified_on=d["verified_on"], note=d["note"],
        today=_today(),
    ), title=_("Verify a home pregnancy test"), template="ppp/verify.html",
        extra={"test": test, "verifications": list(test.verifications.order_by("-verified_on", "-id"))})


@staff_only
def home_test_photo(request: HttpRequest, test_id: int) -> HttpResponseBase:
    """Streams a home-test photo after the access check; photos have no public URL."""
    test = selectors.pregnancy_test_get_for_user(user=_user(request), test_id=test_id,
                                                 audit="ppp.home_test.photo")
    if not test.photo:
        raise Http404
    response = FileResponse(test.photo.open("rb"), content_type=test.photo_content_type or "image/jpeg")
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- prescriptions -----------------------------------------------------------------------------------


@staff_only
def prescribe(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    _require_prescriber(request)
    warnings = services.prescription_warnings(course)
    today = _today()
    plan = current_dose_plan(course, as_of=today)
    limit = services.supply_limit_days(course, today)
    form = forms.PrescriptionForm(request.POST or None, course=course, has_warnings=bool(warnings),
                                  initial={"issued_on": today, "days_supply": limit,
                                           "daily_dose_mg": plan.daily_dose_mg if plan else None})
    return _record_page(request, course, form, lambda d: services.prescription_create(
        actor=_user(request), course=course, issued_on=d["issued_on"], product=d["product"],
        daily_dose_mg=d["daily_dose_mg"], days_supply=d["days_supply"],
        ipledge_confirmation=d.get("ipledge_confirmation", ""),
        acknowledge_warnings=bool(d.get("acknowledge_warnings")), today=today,
        dose_reason=d.get("dose_reason", ""), confirm_unusual=d.get("confirm_unusual", False),
    ), title=_("Write a prescription"), template="ppp/prescribe.html", extra={
        "warnings": warnings, "supply_limit": limit, "plan": plan,
        "still_needed": selectors.prescription_preview(course, on=today, days_supply=limit,
                                                       prescriber_id=_user(request).pk),
    })


@staff_only
def prescription_void(request: HttpRequest, prescription_id: int) -> HttpResponse:
    rx = (PrescriptionRow.objects.select_related("course", "course__patient")
          .filter(pk=prescription_id, course__in=courses_visible_to(_user(request))).first())
    if rx is None:
        raise Http404
    _require_prescriber(request)
    course = rx.course
    if request.method != "POST":
        audit_read(actor=_user(request), patient_id=course.patient_id, action="prescription.view", obj=rx)
    form = forms.VoidForm(request.POST or None)
    return _record_page(request, course, form, lambda d: services.prescription_void(
        actor=_user(request), prescription=rx, reason=d["reason"],
    ), title=_("Void prescription %(id)s") % {"id": rx.pk})


# --- certification of prescribers and pharmacies (issue 15) -------------------------------------------


def admin_only(view: ViewFunc) -> ViewFunc:
    """Administrators only (403 for every other role)."""

    return page(Role.ADMIN, allow=lambda user: bool(getattr(user, "is_superuser", False)))(view)


#: Rows per page of the administrator's list (a national list holds tens of thousands).
CERTIFICATIONS_PER_PAGE = 50


def _certifications_page(request: HttpRequest, *, form: forms.CertificationForm | None = None,
                         training_form: forms.TrainingForm | None = None) -> HttpResponse:
    """The list, a page of it at a time, narrowed by the search in the query string (kept by the page
    links); the forms offer the participants of the page shown. A refused search is shown on its field
    (400) and the list waits for a valid one."""
    today = clock.today()
    search = forms.CertificationSearchForm(request.GET or None)
    page_of = rows = None
    if not search.is_bound or search.is_valid():
        found = search.cleaned_data if search.is_bound else {}
        entries = selectors.certification_index(on=today, query=found.get("q", ""), status=found.get("status"))
        page_of = Paginator(entries, CERTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
        rows = selectors.certification_rows(page_of.object_list, on=today)
    shown = [(row.kind, row.participant) for row in rows or ()]
    form = form or forms.CertificationForm(shown=())
    form.offer(shown)
    training_form = training_form or forms.TrainingForm(initial={"trained_on": today}, shown=())
    training_form.offer([p for kind, p in shown if kind == "pharmacy"])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "today": today,
        "search": search,
        "page": page_of,
        "page_range": (list(page_of.paginator.get_elided_page_range(page_of.number, on_each_side=2, on_ends=1))
                       if page_of is not None else []),
        "rows": rows,
        "query": query.urlencode(),
        "notice_days": selectors.notice_days(),
        "form": form,
        "training_form": training_form,
    }
    status = 400 if search.is_bound and not search.is_valid() else form_status(request)
    return render(request, "ppp/certifications.html", context, status=status)


@admin_only
def certifications(request: HttpRequest) -> HttpResponse:
    """Every prescriber's and pharmacy's program enrolment and staff training; the forms to record them."""
    return _certifications_page(request)


@admin_only
def certification_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect_to_list()
    form = forms.CertificationForm(request.POST, shown=())

    def save(data: dict[str, Any]) -> object:
        participant = form.chosen_participant()
        own = participant.get("prescriber")
        program = own.clinic.program if own is not None else participant["pharmacy"].program
        return services.certification_record(
            actor=_user(request), program=program, activated_on=data["activated_on"],
            expires_on=data.get("expires_on"), today=clock.today(),
            program_id_number=data.get("program_id_number", ""), **participant)

    done = run_form(request, form, save, success_message=str(SAVED), redirect_to="ppp:certifications")
    return done or _certifications_page(request, form=form)


@admin_only
def training_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect_to_list()
    form = forms.TrainingForm(request.POST, shown=())

    def save(data: dict[str, Any]) -> object:
        return services.pharmacy_training_attest(actor=_user(request), pharmacy=data["pharmacy"],
                                                 trained_on=data["trained_on"], attested_by=data["attested_by"],
                                                 today=clock.today())

    done = run_form(request, form, save, success_message=str(SAVED), redirect_to="ppp:certifications")
    return done or _certifications_page(request, training_form=form)


@admin_only
def certification_correct(request: HttpRequest, record_id: int) -> HttpResponse:
    """A correction of one current enrolment record (a wrong date, an enrolment withdrawn early)."""
    record = selectors.certification_get(record_id)
    value = f"prescriber:{record.prescriber_id}" if record.prescriber_id else f"pharmacy:{record.pharmacy_id}"
    initial = {"participant": value, "activated_on": record.activated_on, "expires_on": record.expires_on,
               "program_id_number": record.program_id_number}
    form = forms.CertificationForm(request.POST or None, initial=initial, fixed_participant=value, correction=True)

    def save(data: dict[str, Any]) -> object:
        return services.certification_record(
            actor=_user(request), program=record.program, activated_on=data["activated_on"],
            expires_on=data.get("expires_on"), today=clock.today(),
            program_id_number=data.get("program_id_number", ""), supersedes=record,
            correction_reason=data["correction_reason"], prescriber=record.prescriber, pharmacy=record.pharmacy)

    done = run_form(request, form, save, success_message=str(SAVED), redirect_to="ppp:certifications")
    if done is not None:
        return done
    return render(request, "ppp/certification_correct.html", {"record": record, "form": form},
                  status=form_status(request))


def redirect_to_list() -> HttpResponse:
    return redirect("ppp:certifications")


@login_required
def my_certification(request: HttpRequest) -> HttpResponse:
    """A prescriber's own program enrolment, or a pharmacist's pharmacy's enrolment and staff training.
    Administrators go to the list of everyone; other roles have no certification (403)."""
    user = _user(request)
    if user.role == Role.ADMIN or user.is_superuser:
        return redirect_to_list()
    status = selectors.own_certification(user, on=clock.today())
    if status is None:
        raise PermissionDenied
    return render(request, "ppp/my_certification.html",
                  {"status": status, "who": user.pharmacy if user.role == Role.PHARMACIST else user.display_name(),
                   "notice_days": selectors.notice_days()})
