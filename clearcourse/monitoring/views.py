"""Monitoring pages for clinic staff. Thin: a form, one service or selector, a template.

Access: prescribers and delegates (delegates only for the prescribers they act for; the selectors
answer 404 outside that scope); acknowledging alerts and the clinic configuration are prescriber-only
(403 for everyone else). The calendar feed is public but needs a valid token (404 otherwise).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clearcourse.accounts.decorators import role_required, signed_in_user
from clearcourse.accounts.models import Role
from clearcourse.core import clock
from clearcourse.core.access import refusals_as_http
from clearcourse.core.errors import DomainError
from clearcourse.core.forms_flow import form_status, run_form, show_domain_error
from clearcourse.courses.models import Course
from clearcourse.courses.selectors import course_get_for_user
from clearcourse.monitoring import charts, forms, ical, selectors, services
from clearcourse.monitoring import config as monitoring_config
from clearcourse.monitoring.models import CalendarFeedToken, CompletedBy
from clearcourse.ppp import selectors as ppp_selectors
from clearcourse.rules import mood

STAFF = (Role.PRESCRIBER, Role.DELEGATE)

T = TypeVar("T")


def _today() -> dt.date:
    return clock.today()


def _course(request: HttpRequest, course_id: int, audit: str | None = "monitoring.view") -> Course:
    """The course in the user's scope (else NotFoundError: a 404 from ``core.access.page``)."""
    return course_get_for_user(user=signed_in_user(request), course_id=course_id, audit=audit)


def _render_error(request: HttpRequest, template: str, context: dict[str, Any], form: Any,
                  exc: DomainError) -> HttpResponse:
    """A refused write: the message goes on the field at fault and nothing was written.

    Lab and mood pages keep this explicit flow (not ``run_form``) because they add a second message
    (alert raised, urgent review) after the success message, and that order is what the user sees.
    """
    show_domain_error(form, exc)  # a refusal of the user (403/404) is raised again, for core.access.page
    return render(request, template, {**context, "form": form}, status=400)


@require_GET
@role_required(*STAFF)
def worklist(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        prescriber_id = int(request.GET.get("prescriber") or 0) or None
    except ValueError:
        prescriber_id = None
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 1
    data = selectors.worklist(user=user, today=_today(), prescriber_id=prescriber_id, page=page)
    selectors.audit_worklist_view(user=user, worklist=data)
    renewals = ppp_selectors.renewals_for(user, on=_today())
    return render(request, "monitoring/worklist.html", {"worklist": data, "renewals": renewals,
                                                        "show_link": user.role == "prescriber"})


@require_GET
@role_required(*STAFF)
def course_monitoring(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    data = selectors.course_monitoring(course=course, today=_today())
    tokens = CalendarFeedToken.objects.filter(patient=course.patient, revoked_at__isnull=True)
    return render(request, "monitoring/course.html", {
        "course": course, "data": data, "charts": charts.course_charts(data),
        "calendar_tokens": tokens, "instruments": list(mood.INSTRUMENTS.values()),
    })


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def lab_record(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit=None if request.method == "POST" else "monitoring.view")
    context = {"course": course}
    form = forms.LabResultForm(request.POST or None, initial={"collected_on": _today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.lab_result_record(
                actor=signed_in_user(request), course=course, loinc=data["loinc"], value=data["value"],
                unit=data["unit"], uln=data["uln"], collected_on=data["collected_on"], today=_today(),
                confirm_unusual=data.get("confirm_unusual", False),
            )
        except DomainError as exc:
            return _render_error(request, "monitoring/lab_form.html", context, form, exc)
        messages.success(request, _("Lab result saved."))
        if record.alerts.exists():
            messages.warning(request, _("The result raised an alert; see below."))
        return redirect("monitoring:course", course_id=course.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "monitoring/lab_form.html", {**context, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def mood_record(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit=None if request.method == "POST" else "monitoring.view")
    try:
        instrument = mood.Instrument(request.GET.get("instrument") or request.POST.get("instrument") or "phq9")
    except ValueError:
        raise Http404 from None
    spec = mood.INSTRUMENTS[instrument]
    context = {"course": course, "spec": spec, "instrument": instrument,
               "instruments": list(mood.INSTRUMENTS.values())}
    form = forms.MoodScreenForm(request.POST or None, instrument=instrument,
                                initial={"screened_on": _today(), "completed_by": CompletedBy.PATIENT})
    if request.method == "POST" and form.is_valid():
        try:
            screen = services.mood_screen_record(
                actor=signed_in_user(request), course=course, instrument=instrument, answers=form.answers(),
                screened_on=form.cleaned_data["screened_on"], today=_today(),
                completed_by=form.cleaned_data["completed_by"],
            )
        except DomainError as exc:
            return _render_error(request, "monitoring/mood_form.html", context, form, exc)
        messages.success(request, _("%(title)s saved: score %(score)s.") % {"title": spec.title,
                                                                           "score": screen.score})
        if screen.urgent:
            messages.error(request, _("Urgent: a prescriber must review this patient now."))
        return redirect("monitoring:course", course_id=course.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "monitoring/mood_form.html", {**context, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def sexual_function_record(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit=None if request.method == "POST" else "monitoring.view")
    context = {"course": course}
    form = forms.SexualFunctionForm(request.POST or None, initial={"assessed_on": _today()})
    done = run_form(request, form, lambda data: services.sexual_function_record(
        actor=signed_in_user(request), course=course, assessed_on=data["assessed_on"],
        outcome=data["outcome"], note=data["note"], today=_today(),
    ), success_message=_("Assessment saved."), redirect_to=reverse("monitoring:course", args=[course.pk]))
    return done or render(request, "monitoring/sexual_function_form.html", {**context, "form": form},
                          status=form_status(request))


@require_http_methods(["GET", "POST"])
@role_required(*STAFF)
def side_effect_record(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit=None if request.method == "POST" else "monitoring.view")
    context = {"course": course}
    form = forms.SideEffectForm(request.POST or None, initial={"reported_on": _today()})
    done = run_form(request, form, lambda data: services.side_effect_report(
        actor=signed_in_user(request), course=course, symptoms=form.symptoms(), reported_on=data["reported_on"],
        onset=data["onset"], note=data["note"], today=_today(),
    ), success_message=_("Side effects saved."), redirect_to=reverse("monitoring:course", args=[course.pk]))
    return done or render(request, "monitoring/side_effect_form.html", {**context, "form": form},
                          status=form_status(request))


@require_http_methods(["GET", "POST"])
@role_required(Role.PRESCRIBER)
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = signed_in_user(request)
    alert = selectors.alert_get_for_user(user=user, alert_id=alert_id,
                                         audit=None if request.method == "POST" else "alert.view")
    context = {"alert": alert, "course": alert.course}
    form = forms.AlertAcknowledgeForm(request.POST or None)
    # Only the worklist is an allowed "next" (no open redirect); anything else goes back to the course.
    worklist_url = reverse("monitoring:worklist")
    back = worklist_url if request.POST.get("next") == worklist_url else reverse("monitoring:course",
                                                                                 args=[alert.course_id])
    done = run_form(request, form, 
        lambda data: services.alert_acknowledge(actor=user, alert=alert, note=data["note"]),
        success_message=_("Alert acknowledged."), redirect_to=back)
    return done or render(request, "monitoring/alert_acknowledge.html", {**context, "form": form},
                          status=form_status(request))


@require_http_methods(["GET", "POST"])
@role_required(Role.PRESCRIBER)
def config_edit(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    clinic = user.clinic
    if clinic is None:
        raise PermissionDenied
    effective = monitoring_config.effective_config(clinic.pk, clinic.program)
    initial: dict[str, Any] = {name: getattr(effective.schedule, name) for name in monitoring_config.INTERVAL_FIELDS}
    initial.update({f"threshold_{code}": bound for code, bound in effective.threshold_bounds().items()})
    initial.update(reminder_days_before=effective.reminder_days_before, signed_off=effective.signed_off)
    form = forms.MonitoringConfigForm(request.POST or None, initial=initial)
    context = {"effective": effective, "clinic": clinic}
    done = run_form(request, form, lambda data: services.monitoring_config_save(
        actor=user, intervals={n: data[n] for n in monitoring_config.INTERVAL_FIELDS},
        thresholds=form.thresholds(), reminder_days_before=data["reminder_days_before"],
        signed_off=data["signed_off"],
    ), success_message=_("Monitoring configuration saved."), redirect_to=reverse("monitoring:config"))
    return done or render(request, "monitoring/config.html", {**context, "form": form},
                          status=form_status(request))


@require_POST
@role_required(*STAFF)
def calendar_token_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit=None)
    token = ical.calendar_token_create(actor=signed_in_user(request), patient=course.patient)
    url = request.build_absolute_uri(reverse("monitoring:calendar_feed", kwargs={"token": token}))
    # The link is shown once, on this response; only its hash is stored.
    return render(request, "monitoring/calendar_link.html", {"course": course, "feed_url": url})


@require_POST
@role_required(*STAFF)
def calendar_token_revoke(request: HttpRequest, course_id: int, token_id: int) -> HttpResponse:
    course = _course(request, course_id, audit=None)
    token = CalendarFeedToken.objects.filter(pk=token_id, patient=course.patient).first()
    if token is None:
        raise Http404
    ical.calendar_token_revoke(actor=signed_in_user(request), token=token)
    messages.success(request, _("Calendar link revoked."))
    return redirect("monitoring:course", course_id=course.pk)


@require_GET
@refusals_as_http
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    body = ical.feed_for_token(token, today=_today())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
