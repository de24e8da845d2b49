"""Values and classes keyed by (run, level, zone[, indicator]) instead of a surrogate id, and
partitioned by run on PostgreSQL (see indicators/runs/partitions.py).

Django cannot turn an id primary key into a composite one, so the tables are rebuilt and their
rows copied: on PostgreSQL as partitioned tables (one partition per existing run, a default
partition for anything else); on SQLite / SpatiaLite as plain tables with the composite key.
"""

from django.db import migrations, models

TABLES = {
    "indicators_indicatorvalue": {
        "key": ["run_id", "level", "zone_code", "indicator_id"],
        "columns": [
            ("level", "varchar(20) NOT NULL"),
            ("zone_code", "varchar(12) NOT NULL"),
            ("value", "{float} NULL"),
            ("population", "{float} NULL"),
            ("indicator_id", "varchar(40) NOT NULL"),
            ("run_id", "bigint NOT NULL"),
        ],
    },
    "indicators_classification": {
        "key": ["run_id", "level", "zone_code"],
        "columns": [
            ("level", "varchar(20) NOT NULL"),
            ("zone_code", "varchar(12) NOT NULL"),
            ("apl_class", "varchar(20) NOT NULL"),
            ("emergency_far", "{bool} NULL"),
            ("ars_zone", "varchar(40) NOT NULL"),
            ("zrr", "varchar(60) NOT NULL"),
            ("run_id", "bigint NOT NULL"),
            ("mesh_apl", "{float} NULL"),
            ("mesh_class", "varchar(20) NOT NULL"),
            ("mesh_zone", "varchar(12) NOT NULL"),
        ],
    },
}


def rebuild(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    types = (
        {"float": "double precision", "bool": "boolean"} if postgres else {"float": "real", "bool": "bool"}
    )
    execute = schema_editor.execute
    for table, spec in TABLES.items():
        names = ", ".join(name for name, _ in spec["columns"])
        columns = ", ".join(f"{name} {kind.format(**types)}" for name, kind in spec["columns"])
        key = ", ".join(spec["key"])
        old = f"{table}_before_0012"
        execute(f"ALTER TABLE {table} RENAME TO {old}")
        if postgres:
            execute(
                f"CREATE TABLE {table} ({columns}, CONSTRAINT {table}_key PRIMARY KEY ({key})) "
                "PARTITION BY LIST (run_id)"
            )
            execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(f"SELECT DISTINCT run_id FROM {old} ORDER BY run_id")
                runs = [int(run_id) for (run_id,) in cursor.fetchall()]
            for run_id in runs:
                execute(f"CREATE TABLE {table}_run_{run_id} PARTITION OF {table} FOR VALUES IN ({run_id})")
        else:
            execute(f"CREATE TABLE {table} ({columns}, PRIMARY KEY ({key}))")
        execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {old}")
        execute(f"DROP TABLE {old}")


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0011_lean_value_tables"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(rebuild)],
            state_operations=[
                migrations.RemoveConstraint(model_name="classification", name="classification_unique"),
                migrations.RemoveConstraint(model_name="indicatorvalue", name="indicator_value_unique"),
                migrations.RemoveField(model_name="classification", name="id"),
                migrations.RemoveField(model_name="indicatorvalue", name="id"),
                migrations.AddField(
                    model_name="classification",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "run",
                        "level",
                        "zone_code",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AddField(
                    model_name="indicatorvalue",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "run",
                        "level",
                        "zone_code",
                        "indicator",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ],
        ),
    ]
