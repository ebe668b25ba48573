"""The loader on PostgreSQL gives the same facts whichever way its statement is prepared: by psycopg
(server-side binding with a prepare_threshold, the production setting) or by its own PREPARE/EXECUTE
(Django's default client-side binding, or server-side binding without a threshold, where EXECUTE must
carry its arguments as literals)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from clearcourse.ppp import selectors
from clearcourse.ppp.selectors import course_facts

pytestmark = pytest.mark.django_db
D = dt.date


def test_the_explicit_execute_carries_typed_literals() -> None:
    assert (selectors._execute_sql("clearcourse_ppp_facts_many", [42], None)
            == "EXECUTE clearcourse_ppp_facts_many(ARRAY[42]::bigint[])")
    assert (selectors._execute_sql("clearcourse_ppp_facts_many_dated", [42, 7], D(2026, 10, 7))
            == "EXECUTE clearcourse_ppp_facts_many_dated(ARRAY[42, 7]::bigint[], DATE '2026-10-07')")


@pytest.mark.parametrize("as_of", [None, D(2026, 10, 6), D(2026, 9, 5)])
def test_both_postgres_paths_load_the_same_facts(ready_course: Any, monkeypatch: pytest.MonkeyPatch,
                                                 as_of: dt.date | None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite runs the statement itself, with no prepared statements")
    # More runs than psycopg's prepare_threshold, so the prepared statement itself is exercised.
    automatic = [course_facts(ready_course, as_of=as_of) for _ in range(8)]
    monkeypatch.setattr(selectors, "_auto_prepared", lambda: False)
    explicit = [course_facts(ready_course, as_of=as_of) for _ in range(8)]
    assert automatic[0] == explicit[0]
    assert all(f == automatic[0] for f in automatic + explicit)
    _, history = automatic[0]
    assert history.enrolments == (D(2026, 9, 1),)
    assert len(history.counselings) == (2 if as_of is None or as_of >= D(2026, 10, 5) else 1)


@pytest.mark.parametrize("dated", [False, True])
def test_the_loader_statement_stays_within_psycopg_cacheable_length(dated: bool) -> None:
    """psycopg caches its parsing of a statement (placeholders to $n) only up to MAX_CACHED_STATEMENT_LENGTH
    bytes; a longer loader statement is parsed again on every authorization (docs/performance.md, round 3)."""
    psycopg_queries = pytest.importorskip("psycopg._queries")
    limit = getattr(psycopg_queries, "MAX_CACHED_STATEMENT_LENGTH", 4096)
    sql, _names = selectors._statement("postgresql", dated)  # only psycopg parses it
    assert len(sql.encode()) <= limit
