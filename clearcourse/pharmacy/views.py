"""Pharmacist pages (mounted at /pharmacy/): look up, authorize, dispense once, reverse.

Thin views (DESIGN.md convention 3): validate a form, call one service or selector, render. Only
pharmacists may use them (anyone else signed in gets 403); another pharmacy's authorization is a 404.
A refused input is shown next to its field with status 400, and nothing is written. A pharmacist
sees only what dispensing needs: the patient's name and date of birth, the prescription, the decision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clearcourse.accounts.models import Role, User
from clearcourse.accounts.renewals import renewals_for
from clearcourse.core import clock
from clearcourse.core.access import is_refusal, page
from clearcourse.core.errors import DomainError, NotFoundError
from clearcourse.core.wording import pharmacy_reason_json
from clearcourse.pharmacy import forms, selectors, services
from clearcourse.pharmacy.models import Authorization, AuthorizationStatus

ViewFunc = Callable[..., HttpResponseBase]

DISPENSED = "Dispense recorded."
ALREADY_RECORDED = "This dispense was already recorded."
REVERSED = "Authorization reversed."
WINDOW_SAVED = "Reversal window saved."


#: Signed-in pharmacists only (the one access path, ``core.access``): others 403, anything outside the
#: pharmacy 404.
pharmacist_only = page(Role.PHARMACIST)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _show_error(form: django_forms.Form, exc: DomainError) -> None:
    field = exc.field if exc.field and exc.field in form.fields and not form.fields[exc.field].widget.is_hidden else None
    form.add_error(field, exc.message)


@require_http_methods(["GET", "POST"])
@pharmacist_only
def home(request: HttpRequest) -> HttpResponse:
    """The look-up form, and, once a prescription is found, what the rules core says about it today.

    The look-up is a POST: a date of birth never goes into a URL (browser history, proxy and server logs). A
    GET carrying look-up fields (an old bookmark or link) is sent to the bare page, nothing looked up."""
    today = clock.today()
    context: dict[str, Any] = {"today": today}
    if request.method == "GET" and request.GET:
        return redirect("pharmacy:home")
    if request.method == "POST":
        form = forms.LookupForm(request.POST)
        status = 200
        if form.is_valid():
            try:
                prescription = selectors.prescription_lookup(actor=_user(request), **form.cleaned_data)
                context.update(_preview(prescription, today=today, data=form.cleaned_data,
                                        pharmacy_id=selectors.require_pharmacist(_user(request))))
            except DomainError as exc:
                _show_error(form, exc)
                status = 429 if exc.status == 429 else 400
        else:
            status = 400
        context["form"] = form
    else:
        context["form"], status = forms.LookupForm(), 200
    context["worklist"] = selectors.pharmacy_worklist(actor=_user(request), today=today)
    context.setdefault("window_form", _window_form(_user(request)))
    context["renewals"] = renewals_for(_user(request), on=today)
    context["show_link"] = True
    return render(request, "pharmacy/home.html", context, status=status)


def _window_form(user: User, data: Any = None) -> forms.ReversalWindowForm:
    pharmacy = user.pharmacy
    return forms.ReversalWindowForm(data, initial={
        "reversal_window_days": pharmacy.reversal_window_days if pharmacy is not None else None})


@require_POST
@pharmacist_only
def reversal_window(request: HttpRequest) -> HttpResponse:
    """The pharmacy's reversal window: how long an authorization waits for pick-up before the daily job
    reverses it."""
    form = _window_form(_user(request), request.POST)
    if form.is_valid():
        try:
            services.pharmacy_reversal_window_set(actor=_user(request),
                                                  days=form.cleaned_data["reversal_window_days"])
        except DomainError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _(WINDOW_SAVED))
            return redirect("pharmacy:home")
    today = clock.today()
    context: dict[str, Any] = {"today": today, "form": forms.LookupForm(), "window_form": form,
                               "worklist": selectors.pharmacy_worklist(actor=_user(request), today=today),
                               "renewals": renewals_for(_user(request), on=today), "show_link": True}
    return render(request, "pharmacy/home.html", context, status=400)


def _preview(prescription: Any, *, today: Any, data: dict[str, Any], pharmacy_id: int,
             authorize_form: forms.AuthorizeForm | None = None) -> dict[str, Any]:
    decision = services.decision_for(prescription, days_supply=prescription.days_supply, today=today,
                                     pharmacy_id=pharmacy_id)
    return {
        "prescription": prescription,
        "reference": selectors.prescription_reference(prescription),
        "patient": prescription.course.patient,
        "decision": decision,
        "reasons": [pharmacy_reason_json(r) for r in decision.reasons],
        "authorize_form": authorize_form or forms.AuthorizeForm(initial={
            "reference": data["reference"], "birth_date": data["birth_date"],
            "days_supply": prescription.days_supply}),
    }


@require_POST
@pharmacist_only
def authorize(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    form = forms.AuthorizeForm(request.POST)
    if form.is_valid():
        try:
            authorization = services.authorization_request(actor=_user(request), today=today, **form.cleaned_data)
        except DomainError as exc:
            if exc.field == "reference" or isinstance(exc, NotFoundError | selectors.LookupRefusedError):
                # The look-up itself failed (and was counted): show that, without looking up again.
                lookup = forms.LookupForm({"reference": request.POST.get("reference", ""),
                                           "birth_date": request.POST.get("birth_date", "")})
                lookup.is_valid()
                lookup.add_error("reference", exc.message)
                return render(request, "pharmacy/home.html", {
                    "today": today, "form": lookup,
                    "worklist": selectors.pharmacy_worklist(actor=_user(request), today=today)},
                    status=exc.status if exc.status == 429 else 400)
            _show_error(form, exc)
        else:
            return redirect("pharmacy:authorization", authorization_id=authorization.pk)
    # Shown again with the look-up it came from, the error beside the field.
    context: dict[str, Any] = {"today": today, "worklist": selectors.pharmacy_worklist(actor=_user(request),
                                                                                         today=today)}
    lookup = forms.LookupForm({"reference": request.POST.get("reference", ""),
                               "birth_date": request.POST.get("birth_date", "")})
    context["form"] = lookup
    if lookup.is_valid():
        try:
            prescription = selectors.prescription_lookup(actor=_user(request), audit=None, **lookup.cleaned_data)
            context.update(_preview(prescription, today=today, data=lookup.cleaned_data,
                                    pharmacy_id=selectors.require_pharmacist(_user(request)), authorize_form=form))
        except DomainError as exc:
            _show_error(lookup, exc)
    return render(request, "pharmacy/home.html", context, status=400)


def _detail(request: HttpRequest, authorization: Authorization, *, dispense_form: forms.DispenseForm | None = None,
            reverse_form: forms.ReverseForm | None = None, status: int = 200) -> HttpResponse:
    today = clock.today()
    state = authorization.status_on(today)
    return render(request, "pharmacy/authorization.html", {
        "authorization": authorization,
        "status": state,
        "status_label": AuthorizationStatus(state).label,
        "reference": selectors.prescription_reference(authorization.prescription_id),
        "today": today,
        "can_dispense": state == AuthorizationStatus.OPEN,
        "can_reverse": state in (AuthorizationStatus.OPEN, AuthorizationStatus.EXPIRED),
        "dispense_form": dispense_form or forms.DispenseForm.fresh(days_supply=authorization.days_supply,
                                                                   ipledge_rma=authorization.ipledge_rma),
        "reverse_form": reverse_form or forms.ReverseForm(),
    }, status=status)


@require_GET
@pharmacist_only
def authorization_detail(request: HttpRequest, authorization_id: int) -> HttpResponse:
    authorization = selectors.authorization_get(actor=_user(request), authorization_id=authorization_id)
    return _detail(request, authorization)


@require_POST
@pharmacist_only
def dispense(request: HttpRequest, authorization_id: int) -> HttpResponse:
    form = forms.DispenseForm(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "confirm"}
        try:
            result = services.dispense_record(actor=_user(request), authorization_id=authorization_id,
                                              today=clock.today(), **data)
        except DomainError as exc:
            if is_refusal(exc):
                raise  # 403/404 from core.access.page, as in every app
            _show_error(form, exc)
        else:
            messages.success(request, _(ALREADY_RECORDED) if result.replayed else _(DISPENSED))
            return redirect("pharmacy:authorization", authorization_id=authorization_id)
    authorization = selectors.authorization_get(actor=_user(request), authorization_id=authorization_id, audit=None)
    return _detail(request, authorization, dispense_form=form, status=400)


@require_POST
@pharmacist_only
def reverse(request: HttpRequest, authorization_id: int) -> HttpResponse:
    form = forms.ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.authorization_reverse(actor=_user(request), authorization_id=authorization_id,
                                           today=clock.today(), reason=form.cleaned_data["reason"])
        except DomainError as exc:
            if is_refusal(exc):
                raise  # 403/404 from core.access.page, as in every app
            _show_error(form, exc)
        else:
            messages.success(request, _(REVERSED))
            return redirect("pharmacy:authorization", authorization_id=authorization_id)
    authorization = selectors.authorization_get(actor=_user(request), authorization_id=authorization_id, audit=None)
    return _detail(request, authorization, reverse_form=form, status=400)
