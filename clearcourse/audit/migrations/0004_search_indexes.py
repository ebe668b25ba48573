"""Indexes that answer each filter of the audit search newest first (docs/performance.md, "The audit
trail at scale"): ``(actor, at)`` and ``(action, at)`` next to the existing ``(patient_id, at)`` and ``at``.

The single-column indexes on ``action``, ``patient_id`` and ``actor`` are dropped: each is the leading
column of a composite index, which serves the same look-ups (the actor's foreign-key check included).
On PostgreSQL the ``varchar_pattern_ops`` copy Django adds beside the unique index on ``hash`` is dropped too:
nothing searches hashes by prefix, and it was as large as the entries' table without the details (about
90 MB per million entries). The new indexes are built before the old ones go. On PostgreSQL building them takes about a minute per
10 million entries and blocks writes to the trail meanwhile; on a live trail of that size create them
first by hand with ``CREATE INDEX CONCURRENTLY`` under the same names (this migration then fails on the
existing name: mark it applied with ``migrate audit 0004 --fake`` after dropping the three old indexes).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

HASH_PATTERN_INDEXES = """
SELECT indexname FROM pg_indexes
WHERE schemaname = current_schema() AND tablename = 'audit_auditentry'
  AND indexdef LIKE '%%varchar_pattern_ops%%' AND indexdef LIKE '%%(hash %%'"""


def drop_hash_pattern_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(HASH_PATTERN_INDEXES)
        names = [row[0] for row in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_audit_chains'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['actor', 'at'], name='audit_entry_actor_at'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['action', 'at'], name='audit_entry_action_at'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(max_length=60),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='actor',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='patient_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        # Not rebuilt on the way back: it served no query.
        migrations.RunPython(drop_hash_pattern_index, migrations.RunPython.noop),
    ]
