"""The import contract shared by every importer of the portal.

* **Provenance**: each run of an importer records a :class:`~territories.models.Dataset`
  (source, licence, millésime, checksum, counts, report, status, start and end).
* **Atomic**: rows are written inside one transaction; any error rolls everything back and the
  dataset record is marked failed with the message. The dataset record itself survives.
* **Clear refusal**: bad input raises :class:`ImportRejected`, a list of :class:`Problem`
  (file, line, field, reason) shown to the user as is.
* **Idempotent**: rows carry a hash of their source values; a re-run on the same file writes
  nothing (``rows_unchanged`` only). Rows absent from a new file are never deleted, they are marked
  obsolete (``is_active=False``).
* **Dry run**: everything is computed and validated, then rolled back.
* **Bulk**: ``bulk_create`` / ``bulk_update`` in batches, never row by row.
* **Nothing stays running**: a record whose import died is failed by the beat (:func:`mark_stale_imports`).
* **Bounded workbooks**: an XLSX is refused before it unfolds beyond the caps (:func:`check_xlsx`).
"""

import contextvars
import dataclasses
import hashlib
import io
import logging
import zipfile
import zlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from territories.importing.writes import BATCH_SIZE, bulk_update, bulk_upsert
from territories.models import Dataset
from territories.signals import dataset_imported

logger = logging.getLogger(__name__)


# What the reading layer did to read each file of the running import (encoding, separator, skipped
# title lines, reprojection…): recorded in the dataset report under « lecture ».
_reading = contextvars.ContextVar("reading_notes", default=None)


def note_reading(name: str, notes: dict) -> None:
    collected = _reading.get()
    if collected is not None:
        collected[name] = {k: v for k, v in notes.items() if not k.startswith("_")}


# The columns (or properties, or keys) of each file that the running import does not read: the
# dataset report lists them under « colonnes_ignorees » (file → names), so that a value there — a
# population, a date — is never taken for a value that was checked.
_ignored = contextvars.ContextVar("ignored_columns", default=None)


def note_ignored_columns(name: str, columns: Iterable, used: Iterable = ()) -> list[str]:
    """Record the ``columns`` of file ``name`` that are not in ``used`` (internal names starting with
    « _ » and blank headers left out); returns them."""
    used = {str(c) for c in used}
    ignored = [
        str(c) for c in columns if str(c).strip() and not str(c).startswith("_") and str(c) not in used
    ]
    collected = _ignored.get()
    if collected is not None:
        if ignored:
            collected[name] = list(dict.fromkeys([*collected.get(name, []), *ignored]))
        else:
            collected.pop(name, None)
    return ignored


@dataclasses.dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str | None
    reason: str

    def __str__(self):
        where = self.file
        if self.line is not None:
            where += f", ligne {self.line}"
        if self.field:
            where += f", champ « {self.field} »"
        return f"{where} : {self.reason}"


class ImportRejected(Exception):
    """The file is refused as a whole; nothing was written."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems[:50]))

    @classmethod
    def single(cls, file, reason, line=None, field=None):
        return cls([Problem(str(file), line, field, reason)])


class DryRunRollback(Exception):
    """Raised inside the transaction to roll back a dry run."""


@dataclasses.dataclass
class SyncCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    obsoleted: int = 0

    def add(self, other: "SyncCounts"):
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.obsoleted += other.obsoleted


def file_checksum(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def geometry_hash(*wkbs: bytes | None) -> str:
    """A stable hash of geometries given as WKB (None for a missing one)."""
    digest = hashlib.md5(usedforsecurity=False)
    for wkb in wkbs:
        digest.update(bytes(wkb) if wkb is not None else b"-")
        digest.update(b"\x1f")
    return digest.hexdigest()


def sync_rows(
    model,
    rows: list[dict],
    *,
    fields: list[str],
    key: str = "code",
    dataset=None,
    hashed: dict[str, str] | None = None,
    create: bool = True,
    obsolete_missing: bool = False,
    scope: dict | None = None,
) -> tuple[SyncCounts, list[str]]:
    """Diff-based upsert of ``rows`` (dicts of field values) keyed by ``key``.

    Returns the counts and the unknown keys.

    Plain ``fields`` are compared with the stored values; ``hashed`` maps a heavy field (geometry)
    to the column holding its source hash: a row carries ``<hash column>`` computed by the caller.
    Only new or changed rows are written, in bulk (INSERT … ON CONFLICT DO UPDATE).
    With ``create=False`` unknown keys are returned, not created. With ``obsolete_missing``,
    active stored rows of ``scope`` absent from ``rows`` are marked obsolete, never deleted.
    """
    hashed = hashed or {}
    counts = SyncCounts()
    compare = list(dict.fromkeys([f for f in fields if f not in hashed] + list(hashed.values())))
    # Geometries are never loaded back: they are compared through their hash column.
    concrete = [f.attname for f in model._meta.concrete_fields if not hasattr(f, "geom_type")]
    queryset = model.objects.filter(**(scope or {}))
    existing = {row[key]: row for row in queryset.values(*concrete)}
    writes, updates, unknown, seen = [], [], [], set()
    attnames = [(f, _attname(model, f), model._meta.get_field(f).is_relation) for f in compare]
    for row in rows:
        code = row[key]
        seen.add(code)
        stored = existing.get(code)
        if stored is None:
            if create:
                writes.append({**row, "is_active": True, "dataset_id": dataset.pk if dataset else None})
                counts.created += 1
            else:
                unknown.append(code)
            continue
        if stored["is_active"] and all(
            stored.get(attname) == (row[f].pk if relation and hasattr(row[f], "pk") else row[f])
            for f, attname, relation in attnames
        ):
            counts.unchanged += 1
            continue
        values = {k: v for k, v in stored.items()}
        values.update({_attname(model, f): _db_value(model, f, row[f]) for f in compare})
        values.update({f: row[f] for f in hashed})
        values.update(is_active=True, dataset_id=dataset.pk if dataset else stored.get("dataset_id"))
        updates.append(values)
        counts.updated += 1
    update_fields = list(
        dict.fromkeys(
            [f for f in fields if f != key] + list(hashed) + list(hashed.values()) + ["is_active", "dataset"]
        )
    )
    if writes:
        bulk_upsert(model, writes, key=key, update_fields=update_fields)
    if updates:
        bulk_update(model, updates, key=key, update_fields=update_fields)
    if obsolete_missing:
        missing = [code for code, stored in existing.items() if stored["is_active"] and code not in seen]
        for start in range(0, len(missing), BATCH_SIZE):
            counts.obsoleted += queryset.filter(**{f"{key}__in": missing[start : start + BATCH_SIZE]}).update(
                is_active=False
            )
    return counts, unknown


def _attname(model, name):
    return model._meta.get_field(name).attname


def _db_value(model, name, value):
    """Compare FKs by their raw id (instances or ids may be given)."""
    if hasattr(value, "pk") and model._meta.get_field(name).is_relation:
        return value.pk
    return value


@dataclasses.dataclass
class SourceInfo:
    source: str
    title: str
    licence: str
    millesime: str
    publisher: str = ""
    attribution: str = ""
    url: str = ""
    is_synthetic: bool = False
    is_proxy: bool = False


def run_import(
    info: SourceInfo,
    paths: list[Path],
    work: Callable[[Dataset], SyncCounts | None],
    *,
    dry_run: bool = False,
    rows_read: Callable[[], int] | None = None,
) -> Dataset:
    """Run ``work(dataset)`` atomically under a Dataset record, following the import contract.

    ``work`` returns the counts; it may put a report (unmatched codes, repairs…) in ``dataset.report``.
    Raises ImportRejected (after recording the failure) when the input is refused.
    """
    paths = [Path(p) for p in paths]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise ImportRejected.single(missing[0], "fichier introuvable")
    dataset = Dataset.objects.create(
        source=info.source,
        title=info.title,
        licence=info.licence,
        millesime=info.millesime,
        publisher=info.publisher,
        attribution=info.attribution,
        url=info.url,
        is_synthetic=info.is_synthetic,
        is_proxy=info.is_proxy,
        file_name=", ".join(p.name for p in paths),
        checksum=file_checksum(*paths),
    )
    token, ignored_token = _reading.set({}), _ignored.set({})
    try:
        with transaction.atomic():
            source_lock(info.source)
            counts = work(dataset) or SyncCounts()
            if _reading.get():
                dataset.report = {**dataset.report, "lecture": _reading.get()}
            if _ignored.get():
                ignored = {**dataset.report.get("colonnes_ignorees", {}), **_ignored.get()}
                dataset.report = {**dataset.report, "colonnes_ignorees": ignored}
            dataset.rows_created, dataset.rows_updated = counts.created, counts.updated
            dataset.rows_unchanged, dataset.rows_obsoleted = counts.unchanged, counts.obsoleted
            dataset.status = Dataset.Status.DRY_RUN if dry_run else Dataset.Status.SUCCEEDED
            dataset.finished_at = timezone.now()
            if dry_run:
                raise DryRunRollback
            dataset.save()
    except DryRunRollback:
        dataset.message = "Essai à blanc : rien n’a été écrit."
        dataset.save()
    except ImportRejected as exc:
        _fail(dataset, str(exc), problems=[dataclasses.asdict(p) for p in exc.problems[:200]])
        raise
    except Exception as exc:  # an unexpected error still leaves a failed, explained record
        _fail(dataset, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        _reading.reset(token)
        _ignored.reset(ignored_token)
    logger.info("import %s: %s", info.source, dataset_summary(dataset))
    if not dry_run and dataset.rows_changed:
        # Listeners (e.g. indicators) schedule their work once the import is committed; an import
        # that changed nothing changes no result.
        transaction.on_commit(lambda: dataset_imported.send(sender=Dataset, dataset=dataset))
    return dataset


def source_lock(source: str) -> None:
    """One import of a source at a time: a second import of the same source waits for the first
    to commit, then reads its rows (diff-based: it writes nothing twice). A PostgreSQL advisory
    lock held until the end of the import's transaction; SQLite serialises writers itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", _source_lock_key(source))


def _source_lock_key(source: str) -> list[int]:
    return [73, zlib.crc32(source.encode()) & 0x7FFFFFFF]


def _fail(dataset, message, problems=None):
    dataset.status = Dataset.Status.FAILED
    dataset.message = message
    dataset.finished_at = timezone.now()
    dataset.rows_created = dataset.rows_updated = dataset.rows_unchanged = dataset.rows_obsoleted = 0
    if problems:
        dataset.report = {**dataset.report, "problems": problems}
    Dataset.objects.filter(pk=dataset.pk).update(
        status=dataset.status,
        message=message,
        finished_at=dataset.finished_at,
        report=dataset.report,
        rows_created=0,
        rows_updated=0,
        rows_unchanged=0,
        rows_obsoleted=0,
    )


def dataset_summary(dataset: Dataset) -> str:
    return (
        f"{dataset.title} [{dataset.get_status_display()}] lues={dataset.rows_read} "
        f"créées={dataset.rows_created} modifiées={dataset.rows_updated} "
        f"inchangées={dataset.rows_unchanged} obsolètes={dataset.rows_obsoleted}"
    )


def add_coverage_arguments(parser) -> None:
    """The options every import command of a national reference shares (``--partiel``,
    ``--ignorer-codes-inconnus``), worded once."""
    parser.add_argument(
        "--partiel",
        action="store_true",
        help="le fichier ne couvre que quelques départements : ne mettre à jour que ceux-ci",
    )
    parser.add_argument(
        "--ignorer-codes-inconnus",
        action="store_true",
        help="accepter un fichier portant des codes commune inconnus du COG (ils sont listés)",
    )


# --- Records left « en cours » ------------------------------------------------------------------------------
# Imports never stay « en cours »: a Dataset record is written before its import starts, so a
# worker killed mid-import (or a process that died) leaves it running. The beat task that reaps the
# computation runs (indicators.tasks.fail_stale_runs) calls :func:`mark_stale_imports` too.
#
# On PostgreSQL an import holds the advisory lock of its source for its whole transaction
# (:func:`source_lock`): a running record whose source lock is free, after a short grace, has
# lost its process. Everywhere, a record older than ``IMPORT_STALE_AFTER_MINUTES`` is failed anyway (no
# import lasts that long: the Celery hard time limit is 30 minutes).

STALE_GRACE = timedelta(minutes=2)  # between the record and the lock; a queued import waits its turn
IMPORT_INTERRUPTED = (
    "Import interrompu : le processus qui l’exécutait s’est arrêté (worker arrêté ou perdu, "
    "erreur du cache) ; rien n’a été écrit. Relancez l’import."
)


def import_stale_after() -> timedelta:
    return timedelta(minutes=getattr(settings, "IMPORT_STALE_AFTER_MINUTES", 120))


def _source_is_free(source: str) -> bool:
    """True when no transaction holds the import lock of ``source`` (PostgreSQL only)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _source_lock_key(source))
        return bool(cursor.fetchone()[0])


def mark_stale_imports(now=None) -> int:
    """Fail the running import records whose process is gone; returns how many."""
    now = now or timezone.now()
    running = Dataset.objects.filter(status=Dataset.Status.RUNNING)
    stale = set(running.filter(started_at__lt=now - import_stale_after()).values_list("pk", flat=True))
    if connection.vendor == "postgresql":
        candidates = running.filter(started_at__lt=now - STALE_GRACE).exclude(pk__in=stale)
        sources = set(candidates.values_list("source", flat=True))
        free = {source for source in sources if _source_is_free(source)}
        stale |= set(candidates.filter(source__in=free).values_list("pk", flat=True))
    if not stale:
        return 0
    return Dataset.objects.filter(pk__in=stale, status=Dataset.Status.RUNNING).update(
        status=Dataset.Status.FAILED, finished_at=now, message=IMPORT_INTERRUPTED
    )


# --- Caps on XLSX workbooks ---------------------------------------------------------------------------------
# Caps on XLSX workbooks, which are zip archives of XML: a small upload could otherwise unfold
# into gigabytes inside openpyxl (a decompression bomb), as gzip, xz and zip are refused in
# ``readers.open_payload``. Checked from the archive's directory before any XML is parsed (zipfile
# never inflates a member beyond its declared size), then row by row while a sheet is read.
#
# The shipped workbooks stay far below: the DREES APL workbook is 3.8 MB unfolding to 22.6 MB
# (×6.8 at most per member), 36,000 rows, read at a peak of ~230 MB above the worker's own. A
# sheet costs about ten times its unfolded XML once in Python objects: the total cap keeps the
# largest accepted workbook near 500 MB (README, « Import caps and memory »). Each cap can be set
# in the settings (``IMPORT_MAX_XLSX_BYTES``, ``IMPORT_MAX_XLSX_ROWS``: :func:`import_cap`).

MAX_XLSX_BYTES = 48 * 1024 * 1024  # the whole unfolded workbook (the real one: 22.6 MB)
MAX_XLSX_RATIO = 100  # per member, above XLSX_RATIO_FLOOR
XLSX_RATIO_FLOOR = 4 * 1024 * 1024
MAX_XLSX_MEMBERS = 2_000
MAX_XLSX_ROWS = 1_048_576  # Excel's own limit
MAX_CELL_CHARS = 4_096  # as readers.MAX_FIELD_CHARS


def import_cap(setting: str, default: int) -> int:
    """A cap of the reading layer: ``settings.IMPORT_<setting>`` when set (a deployment, a test),
    else ``default`` (the module's constant, read at call time)."""
    value = getattr(settings, f"IMPORT_{setting}", None)
    return int(value) if value else default


def _mib(size: int) -> str:
    return f"{size / 2**20:.0f} Mio" if size >= 2**20 else f"{size / 2**20:.1f} Mio"


def check_xlsx(name: str, data: bytes) -> None:
    """Refuse (ImportRejected, in French) a workbook that would unfold beyond the caps."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRejected.single(name, f"classeur XLSX illisible ({exc})") from exc
    if len(members) > MAX_XLSX_MEMBERS:
        raise ImportRejected.single(
            name, f"classeur XLSX refusé : {len(members)} parties, {MAX_XLSX_MEMBERS} au plus"
        )
    total = sum(member.file_size for member in members)
    cap = import_cap("MAX_XLSX_BYTES", MAX_XLSX_BYTES)
    if total > cap:
        raise ImportRejected.single(
            name,
            f"classeur XLSX refusé : son contenu décompressé ferait {_mib(total)}, au-delà de la "
            f"limite de {_mib(cap)} fixée pour que l’import tienne en mémoire (réglage "
            "IMPORT_MAX_XLSX_BYTES) ; enregistrez-le en CSV, éventuellement compressé",
        )
    for member in members:
        if (
            member.file_size > XLSX_RATIO_FLOOR
            and member.file_size / max(member.compress_size, 1) > MAX_XLSX_RATIO
        ):
            raise ImportRejected.single(
                name,
                f"classeur XLSX refusé : la partie « {member.filename} » se décompresse plus de "
                f"{MAX_XLSX_RATIO} fois (bombe de décompression ?)",
            )


def capped_rows(name: str, rows, start: int = 1, limit: int | None = None):
    """The rows of a sheet (openpyxl ``values_only``), refused beyond MAX_XLSX_ROWS (or ``limit``,
    when lower) or at the first text cell longer than MAX_CELL_CHARS, naming its line."""
    cap = min(import_cap("MAX_XLSX_ROWS", MAX_XLSX_ROWS), limit or MAX_XLSX_ROWS)
    for number, row in enumerate(rows, start=start):
        if number > cap:
            raise ImportRejected.single(name, f"plus de {cap:,} lignes".replace(",", "\u202f"))
        for value in row:
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise ImportRejected.single(
                    name,
                    f"cellule de {len(value)} caractères, au-delà de la limite de {MAX_CELL_CHARS} "
                    "(fichier corrompu ?)",
                    line=number,
                )
        yield row
