"""The application's one clock.

Every read of "now" and "today" in ClearCourse goes through this module (DESIGN.md convention 6: the
rules core never reads the clock, the shell reads it here, tests freeze it with time-machine).

A calendar day depends on where it is asked: a pharmacy in New York and a clinic in Berlin are on
different days for several hours each night. :func:`today` answers in the active time zone, which
:class:`TimeZoneMiddleware` sets per request to the zone of the reader's clinic or pharmacy (and the
pharmacy API sets to the token's pharmacy); work that runs outside a request (the reminder worker,
the command line) passes the zone of the clinic it works for with :func:`today_in` / :func:`zone_of`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

#: Time zones a clinic or pharmacy may choose (the regions the programs cover). The default is
#: ``settings.TIME_ZONE``.
SUPPORTED_TIME_ZONES: tuple[str, ...] = (
    "Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Amsterdam", "Europe/Brussels", "Europe/Paris",
    "Europe/Madrid", "Europe/Rome", "Europe/Dublin", "Europe/London",
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
)


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    return timezone.now()


def today() -> dt.date:
    """Today's calendar date in the active time zone (the reader's clinic or pharmacy in a request)."""
    return timezone.localdate()


def zone(name: str | None) -> dt.tzinfo:
    """The named zone, or the installation's default when the name is empty or unknown."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def zone_of(owner: Any) -> dt.tzinfo:
    """The time zone of a clinic, a pharmacy, or anything with a ``time_zone`` attribute."""
    return zone(getattr(owner, "time_zone", "") or "")


def today_in(tz: dt.tzinfo | str | None) -> dt.date:
    """Today's calendar date in ``tz`` (a zone or its name)."""
    if tz is None or isinstance(tz, str):
        tz = zone(tz)
    return timezone.localdate(now(), timezone=tz)


def local_datetime(day: dt.date, time: dt.time, tz: dt.tzinfo | str | None = None) -> dt.datetime:
    """``day`` at wall-clock ``time`` in ``tz`` (default: the active zone), as an aware datetime.

    A wall-clock time that a daylight-saving change skips is moved forward past the gap, and one it
    repeats is taken at its first occurrence, so the result is always a real instant."""
    if tz is None:
        tz = timezone.get_current_timezone()
    elif isinstance(tz, str):
        tz = zone(tz)
    naive = dt.datetime.combine(day, time)
    aware = naive.replace(tzinfo=tz, fold=0)
    # A skipped time (spring forward) does not survive the round trip through UTC.
    if aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive:
        aware = naive.replace(tzinfo=tz, fold=1).astimezone(dt.UTC).astimezone(tz)
    return aware


def zone_for_user(user: Any) -> dt.tzinfo | None:
    """The zone a signed-in user's calendar days are counted in: their clinic's, their pharmacy's, or
    (a patient) the clinic that treats them. None when the user belongs to none (administrators)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    for attr in ("clinic", "pharmacy"):
        owner_id = getattr(user, f"{attr}_id", None)
        if owner_id is not None:
            return zone_of(getattr(user, attr))
    patient = getattr(user, "patient_record", None) if getattr(user, "role", "") == "patient" else None
    if patient is not None:
        return zone_of(patient.clinic)
    return None


class TimeZoneMiddleware:
    """Activates the reader's zone for the request (after authentication) and always deactivates it
    afterwards, so a zone never leaks into the next request served by the same thread."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tz = zone_for_user(getattr(request, "user", None))
        if tz is not None:
            timezone.activate(tz)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
