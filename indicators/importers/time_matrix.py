"""Importer of a commune-to-commune travel-time matrix (a « distancier »), CSV
``origin,destination,minutes``.

Follows the territories import contract (Dataset record, atomic, idempotent, --dry-run, refusal
with file/line/field/reason and nothing written). Codes of older COG years are mapped through
``CodeResolver``; unknown codes refuse the file. Pairs absent from a newer file are marked
obsolete (``is_active=False``), never deleted. Once loaded, the matrix replaces the straight-line
estimate in the next computation run.
"""

from pathlib import Path

from indicators.models import TravelTime
from territories.importers import CodeResolver
from territories.importing.contract import ImportRejected, Problem, SourceInfo, run_import, sync_rows
from territories.importing.readers import read_csv


def matrix_source(
    millesime="non précisé", title=None, licence="non précisée", publisher="", url="", synthetic=False
):
    return SourceInfo(
        source="distancier-communes",
        title=title or "Distancier routier de commune à commune (temps en minutes)",
        publisher=publisher,
        licence=licence,
        millesime=millesime,
        url=url,
        is_synthetic=synthetic,
    )


def import_time_matrix(path: Path, *, info: SourceInfo | None = None, dry_run=False):
    path = Path(path)
    info = info or matrix_source()
    return run_import(info, [path], lambda dataset: _import(dataset, path), dry_run=dry_run)


def _import(dataset, path):
    frame = read_csv(
        path,
        required=["origin", "destination", "minutes"],
        unique=["origin", "destination"],
        not_empty=["origin", "destination", "minutes"],
    )
    dataset.rows_read = len(frame)
    resolver = CodeResolver.load()
    problems, rows, seen = [], [], {}
    for origin, destination, minutes, line in frame[["origin", "destination", "minutes", "_line"]].itertuples(
        index=False
    ):
        o, d = resolver.resolve(origin), resolver.resolve(destination)
        if o is None:
            problems.append(Problem(path.name, int(line), "origin", f"code commune inconnu « {origin} »"))
        if d is None:
            problems.append(
                Problem(path.name, int(line), "destination", f"code commune inconnu « {destination} »")
            )
        try:
            value = float(minutes.replace(",", "."))
            if not (value >= 0 and value < 1e5):
                raise ValueError
        except ValueError:
            problems.append(
                Problem(path.name, int(line), "minutes", f"durée invalide « {minutes} » (minutes ≥ 0)")
            )
            continue
        if o is None or d is None:
            continue
        pair = f"{o}>{d}"
        if pair in seen:
            problems.append(
                Problem(
                    path.name,
                    int(line),
                    "origin",
                    f"couple {pair} en double après mise à jour des codes (ligne {seen[pair]})",
                )
            )
            continue
        seen[pair] = int(line)
        rows.append({"pair": pair, "origin": o, "destination": d, "minutes": value})
        if len(problems) >= 50:
            break
    if problems:
        raise ImportRejected(problems)
    counts, _ = sync_rows(
        TravelTime,
        rows,
        fields=["origin", "destination", "minutes"],
        key="pair",
        dataset=dataset,
        obsolete_missing=True,
    )
    return counts
