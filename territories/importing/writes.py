"""Bulk writes of many plain rows (no geometry) without model instances nor Django's per-object
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

from django.db import connection

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
