"""The shared POST-form flow: valid POST calls the service once, refusals land on the form, GET does nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpRequest
from django.test import RequestFactory

from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.core.forms_flow import form_status, run_form, show_domain_error


class NameForm(forms.Form):
    name = forms.CharField(max_length=10)


def _request(method: str, data: dict[str, str] | None = None) -> HttpRequest:
    factory = RequestFactory()
    request = factory.post("/x", data or {}) if method == "POST" else factory.get("/x")
    request.session = SessionStore()  # type: ignore[attr-defined]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def _flashed(request: HttpRequest) -> list[str]:
    return [str(m) for m in get_messages(request)]


def test_a_valid_post_calls_the_action_with_cleaned_data_flashes_and_redirects() -> None:
    request = _request("POST", {"name": "Ada"})
    form = NameForm(request.POST)
    calls: list[dict[str, Any]] = []

    def action(data: dict[str, Any]) -> str:
        calls.append(dict(data))
        return data["name"]

    response = run_form(request, form, action, success_message=lambda name: f"Saved {name}.",
                        redirect_to=lambda name: f"/done/{name}/")
    assert response is not None
    assert response.status_code == 302
    assert response["Location"] == "/done/Ada/"
    assert calls == [{"name": "Ada"}]
    assert _flashed(request) == ["Saved Ada."]


def test_plain_string_message_and_url_are_used_as_given() -> None:
    request = _request("POST", {"name": "Ada"})
    response = run_form(request, NameForm(request.POST), lambda data: None,
                        success_message="Done.", redirect_to="/back/")
    assert response is not None and response["Location"] == "/back/"
    assert _flashed(request) == ["Done."]


def test_a_get_never_calls_the_action_and_returns_none() -> None:
    request = _request("GET")
    called: list[bool] = []
    response = run_form(request, NameForm(None), lambda data: called.append(True),
                        success_message="Done.", redirect_to="/back/")
    assert response is None
    assert called == []
    assert form_status(request) == 200


def test_an_invalid_post_never_calls_the_action_and_asks_for_a_400() -> None:
    request = _request("POST", {"name": ""})
    form = NameForm(request.POST)
    called: list[bool] = []
    response = run_form(request, form, lambda data: called.append(True), success_message="Done.",
                        redirect_to="/back/")
    assert response is None
    assert called == []
    assert "name" in form.errors
    assert form_status(request) == 400
    assert _flashed(request) == []


def test_a_domain_error_is_shown_on_the_named_field_without_a_success_message() -> None:
    request = _request("POST", {"name": "Ada"})
    form = NameForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        raise DomainError("Name taken.", field="name")

    assert run_form(request, form, action, success_message="Done.", redirect_to="/back/") is None
    assert form.errors["name"] == ["Name taken."]
    assert _flashed(request) == []


def test_a_domain_error_naming_an_unknown_field_goes_to_the_whole_form() -> None:
    request = _request("POST", {"name": "Ada"})
    form = NameForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        raise DomainError("Gone.", field="nope")

    assert run_form(request, form, action, success_message="Done.", redirect_to="/back/") is None
    assert form.non_field_errors() == ["Gone."]


def test_a_record_out_of_scope_is_not_a_form_error() -> None:
    """One access-and-error path (issue 12): a service's NotFoundError propagates to core.access.page (404)
    in every app, as a PermissionDeniedError does (403); it was shown on the form in some apps."""
    request = _request("POST", {"name": "Ada"})
    form = NameForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        raise NotFoundError("Gone.", field="name")

    with pytest.raises(NotFoundError):
        run_form(request, form, action, success_message="Done.", redirect_to="/back/")
    with pytest.raises(NotFoundError):
        show_domain_error(form, NotFoundError("Gone."))
    assert not form.errors.get("name")


def test_a_permission_error_is_not_swallowed() -> None:
    request = _request("POST", {"name": "Ada"})
    form = NameForm(request.POST)

    def action(data: dict[str, Any]) -> None:
        raise PermissionDeniedError("No.")

    with pytest.raises(PermissionDeniedError):
        run_form(request, form, action, success_message="Done.", redirect_to="/back/")
    assert _flashed(request) == []


def test_show_domain_error_without_a_field_is_a_form_error() -> None:
    form = NameForm({"name": "Ada"})
    assert form.is_valid()
    show_domain_error(form, DomainError("Refused."))
    assert form.non_field_errors() == ["Refused."]


def test_page_answers_the_same_status_for_the_same_refusal_in_every_app() -> None:
    """core.access.page and refusals_as_http: out of scope 404, not allowed 403, whatever the app."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from clearcourse.core.access import refusals_as_http

    def out_of_scope(request: HttpRequest) -> Any:
        raise NotFoundError("Gone.")

    def not_allowed(request: HttpRequest) -> Any:
        raise PermissionDeniedError("No.")

    request = _request("GET", {})
    with pytest.raises(Http404):
        refusals_as_http(out_of_scope)(request)
    with pytest.raises(PermissionDenied):
        refusals_as_http(not_allowed)(request)
