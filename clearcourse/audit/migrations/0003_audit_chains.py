"""Several audit chains instead of one (docs/security.md, "Audit trail").

Existing entries become chain 0 with their sequence numbers; chain 0 is hashed as the single chain was
(``audit.chain.entry_hash`` leaves the chain number out for chain 0), so no entry is rewritten (the
append-only trigger would refuse that anyway) and ``audit verify`` passes on the migrated trail. The
single head row (id 1) becomes chain 0's head; heads of other chains are created on first use.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute("UPDATE audit_audithead SET id = 0 WHERE id = 1", params=None)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Only a trail that never used another chain can go back to one chain.
    schema_editor.execute("DELETE FROM audit_audithead WHERE id <> 0 AND last_seq = 0", params=None)
    schema_editor.execute("UPDATE audit_audithead SET id = 1 WHERE id = 0", params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.AddField(model_name="auditentry", name="chain",
                            field=models.PositiveSmallIntegerField(default=0)),
        migrations.AlterField(model_name="auditentry", name="seq", field=models.BigIntegerField()),
        migrations.AddConstraint(model_name="auditentry", constraint=models.UniqueConstraint(
            fields=("chain", "seq"), name="audit_entry_chain_seq_unique")),
        migrations.AlterModelOptions(name="auditentry", options={
            "ordering": ["id"], "verbose_name_plural": "audit entries"}),
        migrations.AlterField(model_name="audithead", name="id",
                              field=models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
        migrations.RunPython(forwards, backwards),
    ]
