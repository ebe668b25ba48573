"""Where a request came from, for the audit trail, without threading it through every service."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    ip: str
    user_agent: str
    channel: str  # "web", "api", "cli", "worker"


CLI_ORIGIN = RequestOrigin(ip="", user_agent="", channel="cli")
_origin: ContextVar[RequestOrigin] = ContextVar("clearcourse_origin", default=CLI_ORIGIN)


def current_origin() -> RequestOrigin:
    return _origin.get()


class RequestOriginMiddleware:
    """Records the client address and channel of each request for the audit entries it writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        origin = RequestOrigin(
            ip=request.META.get("REMOTE_ADDR", "") or "",
            user_agent=(request.META.get("HTTP_USER_AGENT", "") or "")[:200],
            channel=channel,
        )
        token = _origin.set(origin)
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)
