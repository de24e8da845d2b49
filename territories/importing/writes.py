"""Bulk writes of the import contract, without model instances nor Django's per-object SQL
compiler.

Rows with geometry: new rows upserted (COPY then INSERT … ON CONFLICT on PostgreSQL), changed rows
updated column by column (COPY then UPDATE … FROM on PostgreSQL, executemany with WKB blobs on
SpatiaLite). Plain rows (no geometry, ``write_rows``):
Bulk writes of many plain rows (no geometry) without model instances nor Django's per-object
SQL compiler: one prepared statement run over every row (``executemany``) on SQLite / SpatiaLite,
COPY on PostgreSQL (into a temporary table first when rows may already exist). 140,000 published
APL values and 150,000 zone aggregates go in within seconds instead of the ~40 s of
``bulk_create`` on SpatiaLite.

Values are read from the instances' attributes (or the dicts' keys) and converted as their field
would be (text, numbers, booleans directly; anything else through ``get_db_prep_save``). An
automatic primary key is left to the database (a natural one, a code, is written): rows are
inserted, or, with ``key``, updated in place on a conflict of that unique column
(``INSERT … ON CONFLICT (key) DO UPDATE``).
"""

import struct

from django.db import connection

BATCH_SIZE = 2000


def bulk_upsert(model, instances: list, *, key: str, update_fields: list[str]) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE, in bulk.

    On PostgreSQL the rows go through COPY into a temporary table (geometries as hex EWKB), an
    order of magnitude faster than a multi-row INSERT for large geometries; elsewhere Django's
    ``bulk_create(update_conflicts=True)``. ``instances``: model instances or dicts of field
    values; a model without geometry goes through :func:`write_rows` (COPY / one executemany).
    """
    if not has_geometry(model):
        write_rows(model, instances, key=key, update_fields=update_fields)
        return
    instances = [model(**i) if isinstance(i, dict) else i for i in instances]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            instances,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=[key],
            update_fields=update_fields,
        )
        return
    fields = model._meta.concrete_fields
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    updates = ", ".join(
        f"{qn(c)} = EXCLUDED.{qn(c)}" for c in (model._meta.get_field(name).column for name in update_fields)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE _sync ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY _sync ({columns}) FROM STDIN") as copy:
            for obj in instances:
                copy.write_row([_copy_value(f, obj) for f in fields])
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _sync "
            f"ON CONFLICT ({qn(model._meta.get_field(key).column)}) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE _sync")


def bulk_update(model, rows: list[dict], *, key: str, update_fields: list[str]) -> None:
    """UPDATE of existing rows (dicts of attname → value), only the ``update_fields`` columns.

    On PostgreSQL the key and those columns only go through COPY into a temporary table, then one
    UPDATE … FROM (no model instance, no full row: an outline import rewrites 35,000 geometries in
    a few seconds); elsewhere the rows become instances for ``bulk_upsert``.
    """
    fields = [model._meta.get_field(key)] + [model._meta.get_field(name) for name in update_fields]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    if connection.vendor == "sqlite":  # SpatiaLite: WKB blobs, never WKT
        sets = ", ".join(
            f"{qn(f.column)} = " + (f"GeomFromWKB(%s, {f.srid})" if hasattr(f, "geom_type") else "%s")
            for f in fields[1:]
        )
        prepare = [_sqlite_preparer(f) for f in fields[1:]]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {qn(fields[0].column)} = %s",
                [
                    [p(row.get(f.attname)) for p, f in zip(prepare, fields[1:], strict=True)] + [row[key]]
                    for row in rows
                ],
            )
        return
    if connection.vendor != "postgresql":
        bulk_upsert(model, [model(**row) for row in rows], key=key, update_fields=update_fields)
        return
    columns = ", ".join(qn(f.column) for f in fields)
    updates = ", ".join(f"{qn(f.column)} = s.{qn(f.column)}" for f in fields[1:])
    prepare = [_copy_preparer(f) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE _sync ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY _sync ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([p(row.get(f.attname)) for p, f in zip(prepare, fields, strict=True)])
        cursor.execute(
            f"UPDATE {table} AS t SET {updates} FROM _sync AS s "
            f"WHERE t.{qn(fields[0].column)} = s.{qn(fields[0].column)}"
        )
        cursor.execute("DROP TABLE _sync")


def _sqlite_preparer(field):
    """A function turning a raw value of ``field`` into its SpatiaLite parameter (geometries: WKB
    without the SRID of the EWKB, for GeomFromWKB)."""
    if hasattr(field, "geom_type"):

        def geometry(value):
            if value is None:
                return None
            if not isinstance(value, bytes | memoryview):
                value = value.ewkb
            return _plain_wkb(bytes(value))

        return geometry

    def plain(value):
        return None if value is None else field.get_db_prep_save(value, connection)

    return plain


def _plain_wkb(ewkb: bytes) -> bytes:
    """ISO WKB of an EWKB geometry: the SRID flag and value of its header removed."""
    order = "<" if ewkb[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", ewkb[1:5])
    if not kind & 0x20000000:
        return ewkb
    return ewkb[:1] + struct.pack(order + "I", kind & ~0x20000000) + ewkb[9:]


def _copy_preparer(field):
    """A function turning a raw value of ``field`` into its COPY text."""
    if hasattr(field, "geom_type"):

        def geometry(value):
            if value is None:
                return None
            return bytes(value).hex() if isinstance(value, bytes | memoryview) else value.hexewkb.decode()

        return geometry

    def plain(value):
        return None if value is None else field.get_db_prep_save(value, connection)

    return plain


def _copy_value(field, obj):
    if hasattr(field, "geom_type"):
        value = obj.__dict__.get(field.attname)  # raw EWKB, not parsed into a GEOS object by the proxy
        if value is None:
            return None
        return bytes(value).hex() if isinstance(value, bytes | memoryview) else value.hexewkb.decode()
    value = getattr(obj, field.attname)
    if value is None:
        return None
    return field.get_db_prep_save(value, connection)


_TEXT = {"CharField", "TextField", "SlugField"}
_NUMBERS = {"FloatField": float}
_INTEGERS = {
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "AutoField",
    "BigAutoField",
}


def has_geometry(model) -> bool:
    return any(hasattr(f, "geom_type") for f in model._meta.concrete_fields)


def _converter(field):
    """A function turning an attribute value into what the database driver takes."""
    internal = field.get_internal_type()
    if field.is_relation:
        internal = field.target_field.get_internal_type()
        if internal in ("AutoField", "BigAutoField"):
            internal = "IntegerField"
    if internal in _TEXT:
        return lambda v: v if v is None or type(v) is str else str(v)
    if internal in _NUMBERS:
        return lambda v: v if v is None or type(v) is float else float(v)
    if internal in _INTEGERS:
        return lambda v: v if v is None or type(v) is int else int(v)
    if internal == "BooleanField":
        return lambda v: v if v is None else bool(v)
    return lambda v: field.get_db_prep_save(v, connection)


def _rows(items, fields):
    """Tuples of database values from model instances or dicts (by attname or field name, a
    related instance standing for its key; a missing field takes its default)."""
    specs = [(f.attname, f.name, f.is_relation, f.get_default(), _converter(f)) for f in fields]
    out = []
    for item in items:
        if isinstance(item, dict):
            values = []
            for attname, name, relation, default, convert in specs:
                value = item[attname] if attname in item else item.get(name, default)
                if relation and hasattr(value, "pk"):
                    value = value.pk
                values.append(convert(value))
            out.append(tuple(values))
        else:
            attributes = item.__dict__
            out.append(tuple(convert(attributes.get(attname)) for attname, _, _, _, convert in specs))
    return out


def write_rows(model, items: list, *, key: str | None = None, update_fields=()) -> None:
    """Insert ``items`` (instances or dicts of field values); with ``key``, a row whose ``key`` is
    already stored is updated (``update_fields``) instead. No geometry fields."""
    if not items:
        return
    # an automatic primary key is left to the database; a natural one (a code) is written
    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField"))
    ]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    rows = _rows(items, fields)
    conflict = ""
    if key is not None:
        updates = ", ".join(
            f"{qn(c)} = EXCLUDED.{qn(c)}" for c in (model._meta.get_field(n).column for n in update_fields)
        )
        conflict = f" ON CONFLICT ({qn(model._meta.get_field(key).column)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}){conflict}", rows)
            return
        target = table
        if key is not None:  # COPY into a temporary table, then one INSERT … ON CONFLICT
            target = "_write_rows"
            cursor.execute(
                f"CREATE TEMP TABLE {target} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
            )
        with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if key is not None:
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target}{conflict}")
            cursor.execute(f"DROP TABLE {target}")
