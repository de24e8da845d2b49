"""Imports of files uploaded by administrators: the same services as the ``manage.py import_…``
commands, run by the Celery task ``indicators.tasks.import_uploaded_file`` (in-process without a
broker, the same code path).

Each kind maps to the importer the matching command calls, with the same arguments:

* ``finess`` → ``offers.importers.import_finess`` (``import_finess``)
* ``hospitals`` → ``offers.importers.import_hospitals`` (``import_hospitals``)
* ``gp_sirene`` / ``gp_rpps`` → ``offers.importers.import_gp_supply`` (``import_gp_supply --layout``)
* ``zonage`` → ``offers.importers.import_zonage`` (``import_zonage``)
* ``time_matrix`` → ``indicators.importers.import_time_matrix`` (``import_time_matrix``)
* ``drees_apl`` → ``indicators.importers.import_drees_apl`` (``import_drees_apl``)
* ``age_structure`` → ``indicators.importers.import_age_structure`` (``import_age_structure``)
* ``age_weights`` → ``indicators.importers.import_age_weights`` (``import_age_weights``); the
  upload form has no source/licence fields: the dataset says « déposé par un administrateur,
  licence non précisée » — prefer the command, which requires them.
"""

import dataclasses
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.text import get_valid_filename

from indicators.importers import (
    age_structure_source,
    age_weights_source,
    import_age_structure,
    import_age_weights,
    import_drees_apl,
    import_time_matrix,
    is_synthetic_name,
    matrix_source,
)
from indicators.models import DatasetUpload
from offers.importers import import_finess, import_gp_supply, import_hospitals, import_zonage
from territories.importing.contract import ImportRejected, file_checksum
from territories.models import Dataset

logger = logging.getLogger(__name__)

MAX_UPLOAD_SIZE = 200 * 1024 * 1024  # bytes
UPLOAD_DIR = "imports"

Kind = DatasetUpload.Kind

# Accepted file name endings per kind (lower case): what the reading layer reads
# (territories.importing.readers).
COMPRESSED = (".gz", ".xz", ".zip")
TABLES = (".csv", ".txt", ".tsv", ".xlsx")
EXTENSIONS = {
    Kind.FINESS: (".csv", ".txt", *COMPRESSED),
    Kind.HOSPITALS: (*TABLES, *COMPRESSED),
    Kind.GP_SIRENE: (*TABLES, *COMPRESSED),
    Kind.GP_RPPS: (*TABLES, *COMPRESSED),
    Kind.ZONAGE: (*TABLES, *COMPRESSED),
    Kind.TIME_MATRIX: (*TABLES, *COMPRESSED),
    Kind.DREES_APL: (".xlsx",),
    Kind.AGE_STRUCTURE: (*TABLES, *COMPRESSED),
    Kind.AGE_WEIGHTS: (*TABLES, *COMPRESSED),
}
# National references: a file covering part of France needs the « fichier partiel » box.
WITH_COVERAGE = {Kind.GP_SIRENE, Kind.GP_RPPS, Kind.ZONAGE}
# Kinds whose importer has no "synthetic" flag (real files only).
NO_SYNTHETIC_FLAG = {Kind.HOSPITALS, Kind.ZONAGE}
# Kinds whose importer takes a millésime.
WITH_MILLESIME = {
    Kind.GP_SIRENE,
    Kind.GP_RPPS,
    Kind.ZONAGE,
    Kind.TIME_MATRIX,
    Kind.DREES_APL,
    Kind.AGE_STRUCTURE,
    Kind.AGE_WEIGHTS,
}


def run_importer(
    kind,
    path,
    *,
    dry_run=False,
    synthetic=False,
    millesime="",
    skip_other_categories=False,
    partial=False,
    ignore_unknown=False,
):
    """Call the importer of ``kind`` exactly as its management command does; returns the Dataset."""
    path = Path(path)
    coverage = {"partial": partial, "ignore_unknown": ignore_unknown}
    flag = True if synthetic else None  # None: the importer decides from the file name
    if kind == Kind.FINESS:
        return import_finess(
            path, dry_run=dry_run, skip_other_categories=skip_other_categories, synthetic=flag
        )
    if kind == Kind.HOSPITALS:
        return import_hospitals(path, dry_run=dry_run)
    if kind in (Kind.GP_SIRENE, Kind.GP_RPPS):
        layout = "sirene" if kind == Kind.GP_SIRENE else "rpps"
        return import_gp_supply(
            path, layout=layout, dry_run=dry_run, millesime=millesime, synthetic=flag, **coverage
        )
    if kind == Kind.ZONAGE:
        return import_zonage(path, dry_run=dry_run, millesime=millesime, **coverage)
    if kind == Kind.TIME_MATRIX:
        info = matrix_source(millesime or "non précisé", synthetic=synthetic)
        return import_time_matrix(path, info=info, dry_run=dry_run)
    if kind == Kind.DREES_APL:
        return import_drees_apl(path, millesime=millesime or None, dry_run=dry_run, synthetic=flag)
    if kind == Kind.AGE_STRUCTURE:
        info = age_structure_source(millesime or "non précisé", synthetic=bool(synthetic or flag))
        if flag is None:
            info = None  # the importer decides from the file name
        return import_age_structure(path, info=info, millesime=millesime or None, dry_run=dry_run)
    if kind == Kind.AGE_WEIGHTS:
        info = age_weights_source(
            title="Poids de consommation de soins de médecine générale par tranche d’âge (fichier déposé)",
            publisher="déposé par un administrateur (source non précisée)",
            licence="non précisée",
            millesime=millesime or "non précisé",
            synthetic=bool(synthetic) or is_synthetic_name(path),
        )
        return import_age_weights(path, info=info, dry_run=dry_run)
    raise ValueError(f"type de fichier inconnu : {kind}")


def store_upload(uploaded_file, *, kind, dry_run, synthetic, user, options=None) -> DatasetUpload:
    """Save the uploaded file under MEDIA_ROOT/imports/<uuid>/<original name> and record it."""
    token = uuid.uuid4()
    name = get_valid_filename(Path(uploaded_file.name).name) or "fichier"
    relative = Path(UPLOAD_DIR) / str(token) / name
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        for chunk in uploaded_file.chunks():
            out.write(chunk)
    return DatasetUpload.objects.create(
        token=token,
        kind=kind,
        original_name=uploaded_file.name[:255],
        path=str(relative),
        size=uploaded_file.size or 0,
        dry_run=dry_run,
        synthetic=synthetic,
        options=options or {},
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )


def absolute_path(relative) -> Path:
    path = Path(relative)
    return path if path.is_absolute() else Path(settings.MEDIA_ROOT) / path


def _dataset_of_failure(path: Path, since):
    """The failed Dataset the import contract recorded for this file (same checksum, after upload)."""
    try:
        checksum = file_checksum(path)
    except OSError:
        return None
    return (
        Dataset.objects.filter(checksum=checksum, started_at__gte=since, status=Dataset.Status.FAILED)
        .order_by("-pk")
        .first()
    )


def start_in_background(task_kwargs) -> None:
    """In-process mode (no broker): import in a thread of this process once the upload row is
    committed, so that the request returns at once to the progress page."""
    import threading

    from django.db import connections, transaction

    def run():
        try:
            execute_upload(
                task_kwargs["upload_id"], **{k: v for k, v in task_kwargs.items() if k != "upload_id"}
            )
        except Exception:  # noqa: BLE001 — execute_upload records failures; this is the last resort
            logger.exception("background import of upload %s failed", task_kwargs["upload_id"])
        finally:
            connections.close_all()

    transaction.on_commit(
        lambda: threading.Thread(target=run, name=f"upload-{task_kwargs['upload_id']}").start()
    )


def execute_upload(upload_id=None, *, kind, path, dry_run=False, synthetic=False, user_id=None, options=None):
    """Import one uploaded file; the outcome is recorded on its DatasetUpload (created if absent)."""
    options = options or {}
    path = absolute_path(path)
    upload = DatasetUpload.objects.filter(pk=upload_id).first() if upload_id else None
    if upload is None:
        upload = DatasetUpload.objects.create(
            token=uuid.uuid4(),
            kind=kind,
            original_name=path.name,
            path=str(path),
            dry_run=dry_run,
            synthetic=synthetic,
            options=options,
            uploaded_by_id=user_id,
        )
    started = timezone.now()
    DatasetUpload.objects.filter(pk=upload.pk).update(status=DatasetUpload.Status.RUNNING)
    fields = {}
    try:
        dataset = run_importer(
            kind,
            path,
            dry_run=dry_run,
            synthetic=synthetic,
            millesime=options.get("millesime", ""),
            skip_other_categories=bool(options.get("skip_other_categories")),
            partial=bool(options.get("partial")),
            ignore_unknown=bool(options.get("ignore_unknown")),
        )
    except ImportRejected as exc:
        fields = {
            "status": DatasetUpload.Status.FAILED,
            "message": "Import refusé, rien n’a été écrit.",
            "problems": [dataclasses.asdict(p) for p in exc.problems[:200]],
            "dataset": _dataset_of_failure(path, upload.created_at),
        }
    except Exception as exc:  # recorded, never lost: the page shows it
        logger.exception("import of upload %s failed", upload.pk)
        fields = {
            "status": DatasetUpload.Status.FAILED,
            "message": f"Erreur inattendue, rien n’a été écrit : {type(exc).__name__}: {exc}",
            "dataset": _dataset_of_failure(path, upload.created_at),
        }
    else:
        fields = {
            "status": DatasetUpload.Status.DRY_RUN if dry_run else DatasetUpload.Status.SUCCEEDED,
            "message": dataset.message,
            "dataset": dataset,
        }
    for key, value in fields.items():
        setattr(upload, key, value)
    upload.finished_at = timezone.now()
    upload.save(update_fields=[*fields, "finished_at"])
    logger.info(
        "upload %s (%s) %s in %.1f s",
        upload.pk,
        kind,
        upload.status,
        (upload.finished_at - started).total_seconds(),
    )
    return upload


def mark_stale_uploads(now=None) -> int:
    """Uploads still waiting or « en cours » long after they were dropped lost their task (worker
    killed beyond redelivery, broker emptied): failed, saying so (the beat task calls this)."""
    from territories.importing.contract import IMPORT_INTERRUPTED, import_stale_after

    now = now or timezone.now()
    return DatasetUpload.objects.filter(
        status__in=[DatasetUpload.Status.PENDING, DatasetUpload.Status.RUNNING],
        created_at__lt=now - import_stale_after(),
    ).update(status=DatasetUpload.Status.FAILED, finished_at=now, message=IMPORT_INTERRUPTED)
