"""The embedded SQLite database under concurrent use.

The embedded SQLite deployment (``make run``) answered 500 "database is locked" as soon as a few people
used it at once: every page that reads a patient's record writes an audit entry, and a deferred SQLite
transaction that first reads (the audit chain head) and then writes fails at once with SQLITE_BUSY when
another writer committed in between, without waiting for the busy timeout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Eight threads, each running read-then-write transactions on the settings' own SQLite file, the shape
# of audit_record (select the chain head, insert the entry, update the head).
CONCURRENT_READ_THEN_WRITE = textwrap.dedent(
    """
    import os, sys, threading
    os.environ["DJANGO_SETTINGS_MODULE"] = "clearcourse.settings"
    import django
    django.setup()
    from django.db import connection, connections, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE head (id INTEGER PRIMARY KEY, n INTEGER)")
        cursor.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY, n INTEGER)")
        cursor.execute("INSERT INTO head VALUES (1, 0)")
    connection.close()
    errors = []

    def worker():
        try:
            for _ in range(25):
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT n FROM head WHERE id = 1")
                        n = cursor.fetchone()[0]
                        cursor.execute("INSERT INTO entry (n) VALUES (%s)", [n + 1])
                        cursor.execute("UPDATE head SET n = %s WHERE id = 1", [n + 1])
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM head")
        total = cursor.fetchone()[0]
    print("errors", len(errors), errors[:1])
    print("total", total)
    sys.exit(1 if errors or total != 200 else 0)
    """
)


def test_concurrent_read_then_write_transactions_wait_their_turn_on_sqlite(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "CLEARCOURSE_TEST_DB_NAME", "DJANGO_SETTINGS_MODULE"}}
    env["CLEARCOURSE_DATA_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", CONCURRENT_READ_THEN_WRITE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "total 200" in result.stdout


def test_the_sqlite_settings_begin_every_transaction_immediately() -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the transaction mode is a SQLite setting; this run uses PostgreSQL")
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
