"""On PostgreSQL the database itself refuses UPDATE and DELETE of authorizations and their reversals.

An authorization's life is recorded as new rows (its reversal, its dispense), never as a change, so
no code path updates these tables; the trigger makes that a property of the database, not only of
``InsertOnlyModel.save``. TRUNCATE stays possible (restore from backup, the test runner's flush).
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TABLES = ("pharmacy_authorization", "pharmacy_authorizationreversal")

FUNCTION = """
CREATE OR REPLACE FUNCTION clearcourse_pharmacy_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is insert-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}; "
            f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION clearcourse_pharmacy_refuse_change();", params=None)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table};", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS clearcourse_pharmacy_refuse_change();", params=None)


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0002_authorization")]
    operations = [migrations.RunPython(forwards, backwards)]
