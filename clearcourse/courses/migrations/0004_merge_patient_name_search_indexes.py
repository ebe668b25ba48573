"""Joins the two 0003 migrations of courses (the patient-name search indexes and the prescription look-up code
landed at the same time); no operations."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('courses', '0003_patient_name_search_indexes'),
        ('courses', '0003_prescription_lookup_code'),
    ]

    operations = [
    ]
