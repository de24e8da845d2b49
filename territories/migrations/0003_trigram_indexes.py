"""GIN trigram indexes for fuzzy name search, on PostgreSQL only (SpatiaLite uses rapidfuzz)."""

from django.db import migrations

TABLES = ["commune", "departement", "region", "epci", "bassindevie"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS territories_{table}_name_trgm ON territories_{table} "
            "USING gin (name_normalized gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS territories_{table}_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("territories", "0002_initial")]
    operations = [migrations.RunPython(create, drop)]
