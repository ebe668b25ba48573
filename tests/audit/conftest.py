"""Helpers for tampering with the audit trail in the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction

from clearcourse.audit.services import audit_record


@contextmanager
def trigger_disabled() -> Iterator[None]:
    """On PostgreSQL the append-only trigger refuses UPDATE/DELETE; a superuser (which the test
    database's owner is) can switch it off, as an attacker with full database rights could."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # Deferred foreign-key checks still pending in the test's transaction block ALTER TABLE.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only")
        try:
            yield
        finally:
            with connection.cursor() as cur:
                cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_auditentry_append_only")
    else:
        yield


def tamper_sql(*statements: str, params: list[Any] | None = None) -> None:
    with trigger_disabled(), connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql, params)


@pytest.fixture
def audit_entries(prescriber: Any) -> Callable[[int], None]:
    def make(n: int) -> None:
        with transaction.atomic():
            for i in range(n):
                audit_record(actor=prescriber, action="test.write", patient_id=7, detail={"i": i, "note": "ü"})

    return make


@pytest.fixture
def tamper() -> Callable[..., None]:
    """Runs raw SQL against the audit table, with PostgreSQL's append-only trigger switched off."""
    return tamper_sql
