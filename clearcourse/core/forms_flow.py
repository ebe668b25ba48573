"""The one POST-form flow the clinic pages share: validate, call one service, show its refusal or redirect.

Views stay thin (DESIGN.md convention 3): a view builds its form, hands the service call to
``run_form`` and renders the page itself when ``run_form`` returns ``None``, with ``form_status``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from clearcourse.core.access import is_refusal
from clearcourse.core.errors import DomainError
from clearcourse.core.plausibility import CODE_UNUSUAL, CONFIRM_FIELD, CONFIRM_LABEL

T = TypeVar("T")


def confirm_unusual_field() -> django_forms.BooleanField:
    """The "I have checked the unusual value" box of a form that stores clinical numbers: hidden until a
    service finds a value outside its usual range (``core.plausibility``), then shown under the warning."""
    return django_forms.BooleanField(label=CONFIRM_LABEL, required=False, widget=django_forms.HiddenInput)


def show_confirm_unusual(form: django_forms.Form) -> None:
    field = form.fields[CONFIRM_FIELD]
    field.widget = django_forms.CheckboxInput()
    field.widget.attrs["data-confirm-unusual"] = "1"


def _clear_confirmation(form: django_forms.Form) -> None:
    # A confirmation is given for the values it was shown with: after any other refusal it is asked again.
    if form.is_bound and CONFIRM_FIELD in form.data:
        data: Any = form.data.copy() if isinstance(form.data, QueryDict) else dict(form.data)
        data[CONFIRM_FIELD] = ""
        form.data = data


def show_domain_error(form: django_forms.Form, exc: DomainError) -> None:
    """Attach a service's refusal to the field it names, or to the whole form if the form lacks that field.
    An unusual value (``needs_confirmation``) also shows the form's confirm box. A refusal of the user
    (``NotFoundError``, ``PermissionDeniedError``) is raised again instead: the page's ``core.access.page``
    answers it with 404 or 403, the same in every app."""
    if is_refusal(exc):
        raise exc
    field = exc.field if exc.field and exc.field in form.fields else None
    if CONFIRM_FIELD in form.fields:
        if exc.code == CODE_UNUSUAL:
            show_confirm_unusual(form)
        else:
            _clear_confirmation(form)
    form.add_error(field, exc.message)


def form_status(request: HttpRequest) -> int:
    """A re-rendered POST is a refused submission (400); a GET is just the page (200)."""
    return 400 if request.method == "POST" else 200


def run_form(
    request: HttpRequest,
    form: django_forms.Form,
    action: Callable[[dict[str, Any]], T],
    *,
    success_message: str | Callable[[T], str],
    redirect_to: str | Callable[[T], str],
) -> HttpResponse | None:
    """On a valid POST call ``action(form.cleaned_data)``; on success flash and redirect.

    ``success_message`` and ``redirect_to`` may depend on what the action returned (e.g. a new
    record's name or id). ``redirect_to`` is a URL or a URL name without arguments. A
    ``DomainError`` is shown on the form and ``None`` returned so the view re-renders; a
    ``PermissionDeniedError`` or ``NotFoundError`` propagates so ``core.access.page`` answers 403 or 404.
    Returns ``None`` for GET and for an invalid form too.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except DomainError as exc:
        show_domain_error(form, exc)
        return None
    text = success_message(result) if callable(success_message) else success_message
    messages.success(request, text)
    target = redirect_to(result) if callable(redirect_to) else redirect_to
    return redirect(target)
