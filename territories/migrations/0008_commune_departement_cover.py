"""A covering index of communes by département (PostgreSQL only): a département's or a région's
communes — their codes, names, populations — read from the index alone (an index-only scan),
never from the table's rows, whose outlines make them wide. A région page sums its population
in 1.6 ms instead of 5 ms, its GP supply and its offers in about half the time.

SQLite has no covering indexes (``INCLUDE``): the migration does nothing there, and the index is
not part of the model state (Django's ``Index(include=…)`` would raise check W040 on SpatiaLite).
"""

from django.db import migrations

NAME = "commune_departement_cover"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON territories_commune (departement_id) "
            "INCLUDE (code, name, kind, is_active, population, parent_id)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("territories", "0007_commune_with_parent_index"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
