"""Pages over lists that grow without bound (the audit trail: about 10 million entries a month).

Django's ``Paginator`` counts every matching row to print "page 3 of N"; on a large table that count is
the slowest part of the page (a full index scan, linear in the table). :class:`CappedPaginator` counts at
most ``cap + 1`` rows (``SELECT COUNT(*) FROM (... LIMIT cap + 1)``), so a page costs the same at a
thousand entries and at a hundred million. Past the cap the page says "more than N" and offers the first
``cap / per_page`` pages; older entries are found by narrowing the search (a date, a person, a patient).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet

#: Rows counted at most (200 pages of 50).
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    def __init__(self, object_list: Any, per_page: int, orphans: int = 0, allow_empty_first_page: bool = True,
                 *, cap: int | None = None) -> None:
        super().__init__(object_list, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page)
        if cap is not None:
            self.cap = cap

    @cached_property
    def _counted(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet):
            # Without the ordering, so that PostgreSQL counts from an index alone (an index-only scan of
            # ``cap + 1`` entries: a few milliseconds), not by visiting each row in the page's order.
            return int(rows.order_by()[: self.cap + 1].count())
        return min(len(rows), self.cap + 1)

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        """The number of rows, at most ``cap`` (see :attr:`capped`)."""
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        """True when more rows match than were counted."""
        return self._counted > self.cap
