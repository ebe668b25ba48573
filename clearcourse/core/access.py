"""The one access-and-error path for pages: who may open a page, and what a refusal looks like.

Every page view is wrapped in :func:`page` with the roles it serves. The answer is the same in every app:

- not signed in: the sign-in page (302);
- signed in with another role: 403;
- a record outside the user's scope (a selector's ``NotFoundError``): 404, indistinguishable from a record
  that does not exist;
- a service's ``PermissionDeniedError`` (e.g. a delegate asking to prescribe): 403;
- any other ``DomainError`` is bad input: a form shows it on its field with status 400 (``core.forms_flow``).

Objects are fetched in the user's scope by each app's ``<object>_get_for_user`` selector, which raises
``NotFoundError``; the view does not catch it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from clearcourse.core.errors import NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from clearcourse.accounts.models import User

View = Callable[..., HttpResponseBase]


class Role(models.TextChoices):
    """What a signed-in person may do (``accounts.User.role``)."""

    ADMIN = "admin", _("Administrator")
    PRESCRIBER = "prescriber", _("Prescriber")
    DELEGATE = "delegate", _("Delegate")
    PHARMACIST = "pharmacist", _("Pharmacist")
    PATIENT = "patient", _("Patient")


#: The clinic's staff: prescribers and the delegates who act for them.
STAFF_ROLES = frozenset({Role.PRESCRIBER, Role.DELEGATE})


def page(*roles: str, allow: Callable[[Any], bool] | None = None) -> Callable[[View], View]:
    """Only signed-in users with one of ``roles`` (or for whom ``allow(user)`` is true) reach the view
    (others 403); a ``NotFoundError`` from the view is a 404 and a ``PermissionDeniedError`` a 403 (see the
    module docstring)."""
    allowed = frozenset(str(r) for r in roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if getattr(request.user, "role", None) not in allowed and not (allow is not None and allow(request.user)):
                raise PermissionDenied
            return refusals_as_http(view)(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def refusals_as_http(view: View) -> View:
    """The refusals of a view as HTTP: a ``NotFoundError`` is a 404, a ``PermissionDeniedError`` a 403. The one
    place this happens (:func:`page`, and the token-authenticated pages that have no signed-in role)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise Http404 from None
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None

    return wrapped


def is_refusal(exc: Exception) -> bool:
    """A refusal of the user (out of scope: 404; not allowed: 403), not bad input to show on a form."""
    return isinstance(exc, (NotFoundError, PermissionDeniedError))


def signed_in_user(request: HttpRequest) -> User:
    """``request.user`` as the project's User, for views behind :func:`page`."""
    user = request.user
    if not isinstance(user, get_user_model()):
        raise PermissionDenied
    return user  # type: ignore[return-value]
