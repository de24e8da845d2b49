"""Imports never stay « en cours »: a Dataset record is written before its import starts, so a
worker killed mid-import (or a process that died) leaves it running. The beat task that reaps the
computation runs (indicators.tasks.fail_stale_runs) calls :func:`mark_stale_imports` too.

On PostgreSQL an import holds the advisory lock of its source for its whole transaction
(``importing.source_lock``): a running record whose source lock is free, after a short grace, has
lost its process. Everywhere, a record older than ``IMPORT_STALE_AFTER`` is failed anyway (no
import lasts that long: the Celery hard time limit is 30 minutes)."""

import zlib
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Dataset

GRACE = timedelta(minutes=2)  # between the record and the lock; a queued import waits its turn
INTERRUPTED = (
    "Import interrompu : le processus qui l’exécutait s’est arrêté (worker arrêté ou perdu, "
    "erreur du cache) ; rien n’a été écrit. Relancez l’import."
)


def stale_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "IMPORT_STALE_AFTER_MINUTES", 120))


def _source_is_free(source: str) -> bool:
    """True when no transaction holds the import lock of ``source`` (PostgreSQL only)."""
    key = zlib.crc32(source.encode()) & 0x7FFFFFFF
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [73, key])
        return bool(cursor.fetchone()[0])


def mark_stale_imports(now=None) -> int:
    """Fail the running import records whose process is gone; returns how many."""
    now = now or timezone.now()
    running = Dataset.objects.filter(status=Dataset.Status.RUNNING)
    stale = set(running.filter(started_at__lt=now - stale_after()).values_list("pk", flat=True))
    if connection.vendor == "postgresql":
        candidates = running.filter(started_at__lt=now - GRACE).exclude(pk__in=stale)
        sources = set(candidates.values_list("source", flat=True))
        free = {source for source in sources if _source_is_free(source)}
        stale |= set(candidates.filter(source__in=free).values_list("pk", flat=True))
    if not stale:
        return 0
    return Dataset.objects.filter(pk__in=stale, status=Dataset.Status.RUNNING).update(
        status=Dataset.Status.FAILED, finished_at=now, message=INTERRUPTED
    )
