"""What a participant must renew to stay in the program, asked for by any page.

The certification records (prescribers' enrolments, pharmacies' enrolments and staff training) are kept
by the programs app (``clearcourse.ppp``), which sits above the pharmacy and monitoring pages' apps in the
layers (docs/architecture.md). Those pages ask here; the programs app plugs its answer in when the apps
start (``PppConfig.ready``), so no lower app imports a higher one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from clearcourse.accounts.models import User


class RenewalsProvider(Protocol):
    def __call__(self, user: User, *, on: dt.date) -> list[Any]: ...


_provider: RenewalsProvider | None = None


def provide(provider: RenewalsProvider) -> None:
    """Plug the programs app's answer in (called once, when the apps start)."""
    global _provider
    _provider = provider


def renewals_for(user: User, *, on: dt.date) -> list[Any]:
    """The "renew the program enrolment" items for ``user`` on ``on`` (``ppp.selectors.renewals_for``)."""
    if _provider is None:  # pragma: no cover - the programs app is always installed
        raise RuntimeError("No renewals provider: clearcourse.ppp is not installed or not ready.")
    return _provider(user, on=on)
