"""Error pages in the site's layout in every mode people meet, ``make run`` included (issue 13).

With ``DEBUG`` on (development and the demo that ``make run`` serves) Django answers a missing page with
its technical page, which lists every URL pattern of the site, and a crash with the traceback and
settings. A patient who edits an id in the address bar must see the site's own "Page not found" instead.
This middleware (first in ``MIDDLEWARE``) replaces Django's technical 400/404/500 pages with the site's
``400.html`` / ``404.html`` / ``500.html``; the traceback still goes to the console log. A developer who
wants Django's pages sets ``CLEARCOURSE_TECHNICAL_ERRORS=true``. With ``DEBUG`` off Django already uses
the site's templates, and this middleware does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views import defaults

#: Django's technical 404 and 500 pages both say why they are shown; nothing of the site's says this.
_TECHNICAL_MARK = b"DEBUG = True</code>"


def _technical(response: HttpResponse) -> bool:
    if response.status_code not in (400, 404, 500) or getattr(response, "streaming", False):
        return False
    return _TECHNICAL_MARK in response.content


class SiteErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.DEBUG or getattr(settings, "CLEARCOURSE_TECHNICAL_ERRORS", False):
            return response
        if not _technical(response):
            return response
        if response.status_code == 404:
            return defaults.page_not_found(request, exception=Exception())
        if response.status_code == 400:
            return defaults.bad_request(request, exception=Exception())
        return defaults.server_error(request)
