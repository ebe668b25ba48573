"""The random part of a prescription's reference (issue 14, finding 3): existing prescriptions get one each, so
their references (now ``RX-<id>-<code>``, shown on the pages) stay readable and become unguessable."""

from __future__ import annotations

import secrets

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import clearcourse.courses.models

ALPHABET = "ACDEFGHJKMNPQRTUVWXY2345679"  # as courses.models.LOOKUP_CODE_ALPHABET when written


def fill(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    prescription = apps.get_model("courses", "Prescription")
    batch = []
    for row in prescription.objects.only("id").iterator(chunk_size=2000):
        row.lookup_code = "".join(secrets.choice(ALPHABET) for _ in range(4))
        batch.append(row)
        if len(batch) >= 2000:
            prescription.objects.bulk_update(batch, ["lookup_code"])
            batch = []
    if batch:
        prescription.objects.bulk_update(batch, ["lookup_code"])


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_prescription_dose_reason")]

    operations = [
        migrations.AddField(model_name="prescription", name="lookup_code",
                            field=models.CharField(default="", editable=False, max_length=8,
                                                   verbose_name="reference check code")),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(model_name="prescription", name="lookup_code",
                              field=models.CharField(default=clearcourse.courses.models.new_lookup_code,
                                                     editable=False, max_length=8,
                                                     verbose_name="reference check code")),
    ]
