"""Seed the indicator definitions and the first classification rule (data migration)."""

from django.db import migrations

from indicators.runs.reference_data import seed


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
