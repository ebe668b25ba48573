"""The patient's pages (mounted at /portal/) and the clinic's invitation button.

Thin views: parse the form, call one service (the portal's or the app that owns the record), render.
A DomainError is shown next to the field it names and nothing is written. Only patients reach the
portal pages (others get 403); a course, consent or PDF that is not the signed-in patient's own is a
404, whatever its id.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clearcourse.accounts.models import Role, User
from clearcourse.audit import selectors as audit_selectors
from clearcourse.core import clock
from clearcourse.core.access import page
from clearcourse.core.citations import source_text
from clearcourse.core.errors import DomainError, NotFoundError
from clearcourse.core.paging import CappedPaginator
from clearcourse.core.wording import draw
from clearcourse.courses.models import Course, Patient
from clearcourse.courses.selectors import patient_get_for_user
from clearcourse.courses.services import missed_dose_record
from clearcourse.monitoring.services import mood_screen_record, side_effect_report
from clearcourse.portal import forms, pdf, selectors, services
from clearcourse.ppp.services import comprehension_submit, contraception_confirm

ViewFunc = Callable[..., HttpResponse]

#: Session key set at sign-in (see apps.py): the patient's preferred language, applied on the next page.
PENDING_LANGUAGE = "portal_pending_language"
SIGNED = "Thank you. Your consent is signed and saved."
SAVED = "Saved. Thank you."
CONTRACEPTION_DOES_NOT_COUNT = ("Saved, but these methods do not count for your pregnancy prevention program, so the "
                                "pharmacy cannot fill your prescription on them: %(why)s Source: %(source)s. Talk to "
                                "your dermatologist about a method that counts.")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _language(request: HttpRequest) -> str:
    lang = (translation.get_language() or "en")[:2]
    return lang if lang in ("en", "de") else "en"


def patient_required(view: ViewFunc) -> ViewFunc:
    """Signed in as a patient (others: 403); records outside the patient's own are 404. Applies the
    patient's preferred language once after sign-in."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pending = request.session.pop(PENDING_LANGUAGE, None)
        if pending in ("en", "de"):
            translation.activate(pending)
            request.LANGUAGE_CODE = pending
        response = view(request, *args, **kwargs)
        if pending in ("en", "de"):
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, pending, max_age=settings.LANGUAGE_COOKIE_AGE,
                                path=settings.LANGUAGE_COOKIE_PATH, samesite="Lax")
        return response

    # The one access path (core.access): other roles 403, records outside the patient's own 404.
    return cast(ViewFunc, page(Role.PATIENT)(wrapped))


def _show_error(form: django_forms.Form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _course(request: HttpRequest, course_id: int, audit: str | None = None) -> Course:
    return selectors.portal_course(_user(request), course_id, audit=audit)


# --- home and progress ---------------------------------------------------------------------------------


def _home(request: HttpRequest, course_id: int | None) -> HttpResponse:
    user = _user(request)
    patient = selectors.portal_patient(user)
    try:
        course = selectors.portal_course(user, course_id, audit="portal.home.view")
    except NotFoundError:
        if course_id is not None:
            raise
        return render(request, "portal/no_course.html", {"patient": patient})
    today = clock.today()
    duties = selectors.duties(course, today=today, language=_language(request))
    dose = selectors.dose_part(course, today=today)
    return render(request, "portal/home.html", {
        "patient": patient, "course": course, "duties": duties, "dose": dose, "today": today,
        "chart": selectors.progress_chart(dose.summary, today=today),
        "courses": list(selectors.portal_courses(user)),
    })


@never_cache
@patient_required
def home(request: HttpRequest) -> HttpResponse:
    return _home(request, None)


@never_cache
@patient_required
def course_home(request: HttpRequest, course_id: int) -> HttpResponse:
    return _home(request, course_id)


# --- education -----------------------------------------------------------------------------------------


def _education(request: HttpRequest, course_id: int | None) -> HttpResponse:
    user = _user(request)
    patient = selectors.portal_patient(user)
    try:
        course = selectors.portal_course(user, course_id, audit="portal.education.view")
    except NotFoundError:
        if course_id is not None:
            raise
        return render(request, "portal/no_course.html", {"patient": patient})
    page = selectors.education_page(course, today=clock.today())
    return render(request, "portal/education.html", {"page": page, "patient": patient, "course": course})


@never_cache
@patient_required
def education(request: HttpRequest) -> HttpResponse:
    return _education(request, None)


@never_cache
@patient_required
def course_education(request: HttpRequest, course_id: int) -> HttpResponse:
    return _education(request, course_id)


# --- consent -------------------------------------------------------------------------------------------


@never_cache
@patient_required
def consent(request: HttpRequest, course_id: int) -> HttpResponse:
    user = _user(request)
    course = _course(request, course_id, audit="portal.consent.open")
    state, signature, document = selectors.consent_state(course, language=_language(request))
    context: dict[str, Any] = {"course": course, "state": state, "signature": signature, "document": document,
                               "patient": course.patient}
    if document is None:
        return render(request, "portal/consent.html", context)
    today = clock.today()
    needs_guardian = services.consent_needs_guardian(course, today)
    form = forms.ConsentForm(request.POST if request.method == "POST" else None, document=document,
                             needs_guardian=needs_guardian,
                             initial={"signed_on": today, "guardian_signed_on": today})
    context["needs_guardian"] = needs_guardian
    context["guardian_age"] = services.guardian_age(course, today)
    context["form"] = form
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "portal/consent.html", context, status=400)
        data = form.cleaned_data
        try:
            services.consent_sign(
                actor=user, course=course, text_version=data["text_version"], text_sha256=data["text_sha256"],
                typed_name=data["typed_name"], signed_on=data["signed_on"], risks=form.ticked(),
                language=document.language, today=today, now=clock.now(),
                ip=request.META.get("REMOTE_ADDR") or None,
                guardian_name=data.get("guardian_name") or "",
                guardian_relationship=data.get("guardian_relationship") or "",
                guardian_confirmed=bool(data.get("guardian_confirmed")),
                guardian_signed_on=data.get("guardian_signed_on"),
            )
        except DomainError as exc:
            _show_error(form, exc)
            return render(request, "portal/consent.html", context, status=400)
        messages.success(request, _(SIGNED))
        return redirect("portal:course_home", course_id=course.pk)
    return render(request, "portal/consent.html", context)


@never_cache
@patient_required
def consent_pdf(request: HttpRequest, signature_id: int) -> HttpResponse:

    signature = selectors.consent_signature_get(_user(request), signature_id)
    body = pdf.consent_pdf(signature)
    return pdf.pdf_response(body, f"consent-{signature.pk}.pdf")


@never_cache
@patient_required
def summary_pdf(request: HttpRequest, course_id: int) -> HttpResponse:

    course = _course(request, course_id, audit="portal.summary.download")
    body = pdf.course_summary_pdf(course, today=clock.today())
    return pdf.pdf_response(body, f"course-summary-{course.pk}.pdf")


# --- monthly duties ----------------------------------------------------------------------------------------


def _duty_page(request: HttpRequest, course: Course, template: str, form: django_forms.Form,
               save: Callable[[], object], extra: dict[str, Any] | None = None,
               saved_message: Callable[[], tuple[int, str]] | None = None) -> HttpResponse:
    context = {"course": course, "form": form, "patient": course.patient, **(extra or {})}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, template, context, status=400)
        try:
            save()
        except DomainError as exc:
            _show_error(form, exc)
            return render(request, template, context, status=400)
        level, text = saved_message() if saved_message is not None else (messages.SUCCESS, _(SAVED))
        messages.add_message(request, level, text)
        return redirect("portal:course_home", course_id=course.pk)
    return render(request, template, context)


@never_cache
@patient_required
def comprehension(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit="portal.comprehension.open")
    language = _language(request)
    form = forms.ComprehensionForm(request.POST if request.method == "POST" else None, program=course.program, language=language)
    latest = course.comprehension_attempts.current().order_by("-answered_on", "-id").first()  # type: ignore[attr-defined]

    def save() -> object:
        attempt = comprehension_submit(actor=_user(request), course=course, answered_on=clock.today(),
                                       answers=form.answers(), today=clock.today(), language=language)
        if not attempt.passed:
            # A failed attempt is a record too; the patient sees the result and may try again.
            raise DomainError(_("%(correct)s of %(total)s answers were right. Read the education page again, "
                                "talk to your dermatologist, and try again.") % {
                                    "correct": attempt.score, "total": attempt.total})
        return attempt

    return _duty_page(request, course, "portal/comprehension.html", form, save, {"latest": latest})


@never_cache
@patient_required
def contraception(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit="portal.contraception.open")
    part = selectors.pregnancy_part(course, today=clock.today())
    form = forms.ContraceptionForm(request.POST if request.method == "POST" else None, allow_abstinence=part.two_methods)

    def save() -> object:
        return contraception_confirm(actor=_user(request), course=course, confirmed_on=clock.today(),
                                     today=clock.today(), methods=form.cleaned_data["methods"],
                                     abstinence=bool(form.cleaned_data.get("abstinence")))

    def saved_message() -> tuple[int, str]:
        """What the patient reads after saving: thanks when the methods count for the program; otherwise that
        they do not, why (the rules core's sentence, the one the pharmacy gets) and its source."""
        shortfall = selectors.contraception_shortfall(
            course, today=clock.today(), methods=form.cleaned_data["methods"],
            abstinence=bool(form.cleaned_data.get("abstinence")))
        if shortfall is None:
            return messages.SUCCESS, _(SAVED)
        return messages.WARNING, _(CONTRACEPTION_DOES_NOT_COUNT) % {
            "why": draw(shortfall.text), "source": source_text(shortfall.source)}

    return _duty_page(request, course, "portal/contraception.html", form, save, {"part": part},
                      saved_message=saved_message)


@never_cache
@patient_required
def mood(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit="portal.mood.open")
    instrument = selectors.mood_instrument(course.patient, clock.today())
    form = forms.MoodForm(request.POST if request.method == "POST" else None, instrument=instrument)

    def save() -> object:
        return mood_screen_record(actor=_user(request), course=course, instrument=instrument,
                                  answers=form.answers(), screened_on=clock.today(),
                                  today=clock.today())

    return _duty_page(request, course, "portal/mood.html", form, save, {"spec": form.spec})


@never_cache
@patient_required
def side_effects_report(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit="portal.side_effects.open")
    form = forms.SideEffectForm(request.POST if request.method == "POST" else None)

    def save() -> object:
        return side_effect_report(actor=_user(request), course=course, symptoms=form.symptoms(),
                                  reported_on=clock.today(), today=clock.today(),
                                  onset=form.cleaned_data.get("onset"), note=form.cleaned_data.get("note", ""))

    groups = selectors.side_effect_groups()
    return _duty_page(request, course, "portal/side_effects.html", form, save, {"groups": groups})


@never_cache
@patient_required
def missed_doses(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id, audit="portal.missed_doses.open")
    form = forms.MissedDoseForm(request.POST if request.method == "POST" else None)

    def save() -> object:
        data = form.cleaned_data
        return missed_dose_record(actor=_user(request), course=course, first_day=data["first_day"],
                                  days=data["days"], today=clock.today(), note=data.get("note", ""))

    return _duty_page(request, course, "portal/missed_doses.html", form, save)


ACCESS_PAGE_SIZE = 50


@never_cache
@patient_required
def access_report(request: HttpRequest) -> HttpResponse:
    """Who opened or changed the signed-in patient's record, and when (not from where: staff addresses
    are not the patient's business); read from the audit trail."""
    user = _user(request)
    patient = Patient.objects.filter(user=user).first()
    if patient is None:
        raise Http404
    page = CappedPaginator(audit_selectors.access_report(patient_id=patient.pk), ACCESS_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "audit/my_access.html", {"page": page, "patient": patient, "me": user,
                                                    "archived_before": audit_selectors.archived_before()})


# --- invitation ---------------------------------------------------------------------------------------------


@require_POST
@login_required
def invite(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Clinic staff send (or resend) the portal invitation from the patient's page."""
    user = _user(request)
    if user.role not in (Role.PRESCRIBER, Role.DELEGATE):
        raise PermissionDenied
    try:
        patient = patient_get_for_user(user=user, patient_id=patient_id, audit=None)
    except NotFoundError:
        raise Http404 from None
    form = forms.InviteForm(request.POST)
    email = form.cleaned_data.get("email", "") if form.is_valid() else ""
    try:
        invitation, _link = services.invitation_create(actor=user, patient=patient, now=clock.now(),
                                                       base_url=request.build_absolute_uri("/"), email=email)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation was sent to %(email)s. The link works for %(days)s days.") % {
            "email": invitation.email, "days": services.INVITATION_DAYS})
    try:
        return redirect(reverse("courses:patient_detail", args=[patient.pk]))
    except NoReverseMatch:
        return redirect("core:home")


@never_cache
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation email: choose a password, then sign in."""
    now = clock.now()
    try:
        invitation = services.invitation_from_token(token, now=now)
    except DomainError as exc:
        return render(request, "portal/accept_invalid.html", {"message": exc.message}, status=410)
    form = forms.InvitationAcceptForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "invitation": invitation, "username": services.username_for(invitation)}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "portal/accept.html", context, status=400)
        try:
            services.invitation_accept(token=token, password=form.cleaned_data["password1"],
                                       password_again=form.cleaned_data["password2"], now=clock.now())
        except DomainError as exc:
            if exc.field is None:
                return render(request, "portal/accept_invalid.html", {"message": exc.message}, status=410)
            _show_error(form, exc)
            return render(request, "portal/accept.html", context, status=400)
        with translation.override(invitation.patient.preferred_language):
            messages.success(request, _("Your account is ready. Sign in with your email address and the new "
                                        "password."))
        return redirect(reverse("accounts:login") + "?next=" + reverse("portal:home"))
    return render(request, "portal/accept.html", context)
