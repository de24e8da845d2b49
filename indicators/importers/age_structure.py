"""Importer of the population of each commune by age band (the demand of an age-standardised APL)."""

from pathlib import Path

from indicators.models import AgePopulation
from territories.importers import CodeResolver
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    note_ignored_columns,
    run_import,
    sync_rows,
)
from territories.importing.readers import read_csv

AGE_STRUCTURE_SOURCE = "structure-age-communes"


MAX_BAND_LENGTH = 30


def is_synthetic_name(path: Path) -> bool:
    lowered = Path(path).name.lower()
    return "synthetique" in lowered or "synthetic" in lowered


def _read_age_csv(path: Path, columns: dict[str, tuple[str, ...]], unique: list[str]):
    """Read a CSV (any encoding and separator the reading layer sniffs) whose columns may carry one
    of several names (compared without case).

    ``columns`` maps the canonical name to its accepted header names; the frame is renamed to the
    canonical names.
    """

    path = Path(path)
    if not path.exists():
        raise ImportRejected.single(path.name, "fichier introuvable")
    frame = read_csv(path, required=[], optional=None)  # columns mapped below, ignored ones noted
    name = frame.attrs["name"]
    headers = {str(c).strip().lower(): c for c in frame.columns}
    rename, missing = {}, []
    for canonical, accepted in columns.items():
        found = next((headers[a] for a in accepted if a in headers), None)
        if found is None:
            missing.append(" ou ".join(accepted))
        else:
            rename[found] = canonical
    if missing:
        raise ImportRejected.single(
            path.name,
            f"colonne(s) manquante(s) : {' ; '.join(missing)} ; colonnes trouvées : "
            f"{', '.join(map(str, frame.columns[:15]))}",
            line=1,
        )
    frame = frame.rename(columns=rename)
    note_ignored_columns(name, frame.columns, columns)
    problems = []
    for canonical in columns:
        for line in frame.loc[frame[canonical].str.strip() == "", "_line"][:20]:
            problems.append(Problem(path.name, int(line), canonical, "valeur vide (ligne tronquée ?)"))
    for canonical in columns:
        frame[canonical] = frame[canonical].str.strip()
    duplicated = frame[frame.duplicated(unique, keep="first")]
    for _, row in duplicated.head(20).iterrows():
        same = (frame[unique] == row[unique]).all(axis=1)
        first = int(frame.loc[same, "_line"].iloc[0])
        value = " / ".join(row[k] for k in unique)
        problems.append(
            Problem(
                path.name, int(row["_line"]), unique[-1], f"« {value} » en double (déjà vu ligne {first})"
            )
        )
    if problems:
        raise ImportRejected(problems)
    return frame


def age_structure_source(
    millesime="non précisé", *, title=None, publisher="", licence=None, url="", synthetic=False
):
    title = title or "Population par commune et tranche d’âge"
    if synthetic:
        title = "Échantillon synthétique — " + title
    return SourceInfo(
        source=AGE_STRUCTURE_SOURCE,
        title=title,
        publisher=publisher or ("valeurs inventées pour les tests" if synthetic else ""),
        licence=licence or ("échantillon synthétique" if synthetic else "non précisée"),
        millesime=str(millesime),
        url=url,
        is_synthetic=synthetic,
    )


def import_age_structure(
    path: Path, *, info: SourceInfo | None = None, millesime=None, dry_run=False, synthetic=None
):
    """Import a population by commune and age band (long CSV ``code_commune;tranche_age;population``).

    Any set of bands is accepted (« 0-4 » … « 90+ », « 0-14 », « 75+ »…) provided every commune has
    the same set; populations are integers ≥ 0. Codes go through ``CodeResolver`` (older COG years,
    arrondissements); codes of communes merged since are summed band by band (listed in the report);
    unknown codes are counted and listed, not imported. A new file replaces the structure (rows
    absent from it are marked obsolete).
    """
    path = Path(path)
    if synthetic is None:
        synthetic = is_synthetic_name(path)
    info = info or age_structure_source(millesime or "non précisé", synthetic=synthetic)
    return run_import(info, [path], lambda dataset: _import_age_structure(dataset, path), dry_run=dry_run)


def _parse_count(raw: str):
    text = raw.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not text.isdigit():
        raise ValueError
    return int(text)


def _import_age_structure(dataset, path):
    frame = _read_age_csv(
        path,
        {
            "code_commune": ("code_commune", "codgeo", "code"),
            "tranche_age": ("tranche_age", "tranche", "band"),
            "population": ("population", "pop"),
        },
        unique=["code_commune", "tranche_age"],
    )
    dataset.rows_read = len(frame)
    resolver = CodeResolver.load()
    unmatched = {}
    bands_of, first_line = _read_bands(frame, path)
    reference = _same_bands(bands_of, first_line, path)
    by_commune: dict[str, list[str]] = {}
    for code in bands_of:
        resolved = resolver.resolve(code)
        if resolved is None:
            unmatched[code] = first_line[code]
            continue
        by_commune.setdefault(resolved, []).append(code)
    rows, merged = [], {}
    for commune, codes in sorted(by_commune.items()):
        if len(codes) > 1:
            merged[commune] = ", ".join(sorted(codes))
        for band in sorted(reference):
            rows.append(
                {
                    "key": f"{commune}:{band}",
                    "commune_id": commune,
                    "band": band,
                    "population": sum(bands_of[c][band] for c in codes),
                    "source_codes": ",".join(sorted(codes))[:120],
                }
            )
    dataset.report = {
        "tranches": sorted(reference, key=_band_sort_key),
        "communes": len(by_commune),
        "codes_non_apparies": sorted(unmatched)[:200],
        "nombre_codes_non_apparies": len(unmatched),
        "codes_fusionnes": merged,
        "population_totale": sum(r["population"] for r in rows),
    }
    if not rows:
        raise ImportRejected.single(path.name, "aucune ligne rattachée à une commune connue")
    counts, _ = sync_rows(
        AgePopulation,
        rows,
        fields=["commune_id", "band", "population", "source_codes"],
        key="key",
        dataset=dataset,
        obsolete_missing=True,
    )
    return counts


def _read_bands(frame, path):
    """Population per (commune code, band) and the first line of each code; refuses bad lines."""
    problems = []
    bands_of: dict[str, dict[str, int]] = {}
    first_line: dict[str, int] = {}
    for code, band, raw, line in frame[["code_commune", "tranche_age", "population", "_line"]].itertuples(
        index=False
    ):
        line = int(line)
        if len(band) > MAX_BAND_LENGTH:
            problems.append(
                Problem(path.name, line, "tranche_age", f"libellé trop long (> {MAX_BAND_LENGTH})")
            )
            continue
        try:
            value = _parse_count(raw)
        except ValueError:
            problems.append(
                Problem(path.name, line, "population", f"population invalide « {raw} » (entier ≥ 0 attendu)")
            )
            continue
        bands_of.setdefault(code, {})[band] = value
        first_line.setdefault(code, line)
        if len(problems) >= 50:
            break
    if problems:
        raise ImportRejected(problems)
    return bands_of, first_line


def _same_bands(bands_of, first_line, path):
    """The band set of every commune (that of the first commune); refuses a commune whose set differs."""
    problems = []
    # The same band set for every commune: the reference is the set of the first commune.
    reference_code = min(first_line, key=first_line.get)
    reference = set(bands_of[reference_code])
    for code, bands in bands_of.items():
        if set(bands) != reference:
            extra, lacking = sorted(set(bands) - reference), sorted(reference - set(bands))
            detail = "; ".join(
                part
                for part in [
                    f"en trop : {', '.join(extra)}" if extra else "",
                    f"manquantes : {', '.join(lacking)}" if lacking else "",
                ]
                if part
            )
            problems.append(
                Problem(
                    path.name,
                    first_line[code],
                    "tranche_age",
                    f"commune {code} : tranches différentes de celles de la commune {reference_code} "
                    f"(ligne {first_line[reference_code]}) — {detail}",
                )
            )
            if len(problems) >= 50:
                break
    if problems:
        raise ImportRejected(problems)
    return reference


def _band_sort_key(band: str):
    """« 0-4 » < « 5-9 » < « 90+ »: by the first number in the label, then the label."""
    import re

    match = re.search(r"\d+", band)
    return (int(match.group(0)) if match else 10**6, band)
