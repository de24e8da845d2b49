"""The values and classes of a run, one partition per run on PostgreSQL.

A run writes ≈ 190,000 values and 38,000 classes for all of France. Inserted into one table, every
row also goes into its composite primary-key index: ≈ 2 s in the server, more as the table grows.
Instead, on PostgreSQL ``indicators_indicatorvalue`` and ``indicators_classification`` are
partitioned by run (``PARTITION BY LIST (run_id)``, migration 0012), and a run's rows are written
to a fresh table, then its key is built by one sort and the table attached as the run's partition,
all in the run's write transaction: nothing of a failed write stays, readers never see a partial
run, and attaching does not block them (SHARE UPDATE EXCLUSIVE on the parent). Dropping an old run's
values is dropping its partitions, not deleting 228,000 rows. A default partition takes the rows of
any other writer (none in the portal), so the ORM reads and writes the tables as before.

SpatiaLite (the embedded default) keeps plain tables; :func:`write_run_rows` then inserts the rows
with one prepared statement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db import connection

# Partitioned tables: their key, and the COPY type of every column the writer sends.
TABLES = {
    "indicators_indicatorvalue": ("run_id", "level", "zone_code", "indicator_id"),
    "indicators_classification": ("run_id", "level", "zone_code"),
}
COPY_TYPES = {
    "run_id": "int8",
    "value": "float8",
    "population": "float8",
    "mesh_apl": "float8",
    "emergency_far": "bool",
}  # every other column: text


def partition_name(table: str, run_id: int) -> str:
    return f"{table}_run_{int(run_id)}"


def is_partitioned() -> bool:
    return connection.vendor == "postgresql"


def _rows(frame: pd.DataFrame):
    """The frame's rows as tuples of Python values, NaN as None, built column by column."""
    columns = []
    for name in frame.columns:
        values = frame[name].to_numpy()
        if values.dtype.kind == "f":
            objects = values.astype(object)
            objects[np.isnan(values)] = None
            columns.append(objects.tolist())
        else:
            columns.append([None if v is None or v is pd.NA else v for v in values.tolist()])
    return zip(*columns, strict=True)


def write_run_rows(table: str, run_id: int, frame: pd.DataFrame) -> None:
    """Replace the rows of run ``run_id`` in ``table`` by ``frame`` (columns named as the table's).
    Call inside a transaction: on failure nothing of it stays."""
    names = list(frame.columns)
    quoted = ", ".join(connection.ops.quote_name(c) for c in names)
    with connection.cursor() as cursor:
        if not is_partitioned():
            cursor.execute(f"DELETE FROM {table} WHERE run_id = %s", [run_id])
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", list(_rows(frame)))
            return
        part = partition_name(table, run_id)
        key = ", ".join(TABLES[table])
        cursor.execute(f"DROP TABLE IF EXISTS {part}")  # a run written again replaces its partition
        cursor.execute(f"DELETE FROM {table} WHERE run_id = %s", [run_id])  # the default partition's
        cursor.execute(f"CREATE TABLE {part} (LIKE {table} INCLUDING DEFAULTS)")
        with cursor.cursor.copy(f"COPY {part} ({quoted}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([COPY_TYPES.get(name, "text") for name in names])
            for row in _rows(frame):
                copy.write_row(row)
        # The check lets ATTACH skip its scan; the key is built by one sort of the whole table.
        cursor.execute(f"ALTER TABLE {part} ADD CONSTRAINT {part}_run CHECK (run_id = {int(run_id)})")
        cursor.execute(f"ALTER TABLE {part} ADD PRIMARY KEY ({key})")
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {part} FOR VALUES IN ({int(run_id)})")


def drop_run_rows(run_ids) -> None:
    """Delete the values and classes of these runs: their partitions are dropped (PostgreSQL), any
    row left in a default partition or a plain table is deleted."""
    run_ids = [int(r) for r in run_ids]
    if not run_ids:
        return
    with connection.cursor() as cursor:
        for table in TABLES:
            if is_partitioned():
                for run_id in run_ids:
                    cursor.execute(f"DROP TABLE IF EXISTS {partition_name(table, run_id)}")
            marks = ", ".join(["%s"] * len(run_ids))
            cursor.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", run_ids)


def orphan_partitions() -> list[str]:
    """Partitions whose run no longer exists (a run deleted through the ORM leaves its emptied
    partition behind)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT child.relname
            FROM pg_inherits
            JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
            JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            WHERE parent.relname = ANY(%s) AND child.relname ~ '_run_[0-9]+$'
              AND NOT EXISTS (
                SELECT 1 FROM indicators_computationrun run
                WHERE run.id = substring(child.relname from '_run_([0-9]+)$')::bigint
              )
            """,
            [list(TABLES)],
        )
        return [name for (name,) in cursor.fetchall()]


def drop_orphan_partitions() -> int:
    names = orphan_partitions()
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return len(names)
