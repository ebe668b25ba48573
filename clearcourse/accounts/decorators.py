"""Role checks for pages: sign-in first (302 to the sign-in page), then the role (403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clearcourse.accounts.models import User

View = Callable[..., HttpResponse]


def role_required(*roles: str) -> Callable[[View], View]:
    """Only signed-in users with one of ``roles`` reach the view; others get 403."""
    allowed = frozenset(str(r) for r in roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "role", None) not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def signed_in_user(request: HttpRequest) -> User:
    """``request.user`` as our User, for views behind login_required/role_required."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
