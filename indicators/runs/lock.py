"""One computation at a time, across workers and processes (a PostgreSQL advisory lock)."""

import contextlib

from django.db import connection

COMPUTATION_LOCK = 4_207_301  # pg_advisory_lock key: one computation at a time, every process


@contextlib.contextmanager
def computation_lock():
    """Serialise computations across workers and processes: a PostgreSQL advisory lock (session
    level, released at the end even on error); SQLite serialises writers itself (embedded default,
    one process)."""

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [COMPUTATION_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [COMPUTATION_LOCK])
