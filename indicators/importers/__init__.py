"""Importer of a commune-to-commune travel-time matrix (a "distancier"), CSV ``origin,destination,minutes``.

Follows the territories import contract (Dataset record, atomic, idempotent, --dry-run, refusal
with file/line/field/reason and nothing written). Codes of older COG years are mapped through
``CodeResolver``; unknown codes refuse the file. Pairs absent from a newer file are marked
obsolete (``is_active=False``), never deleted. Once loaded, the matrix replaces the straight-line
estimate in the next computation run.
"""

import io
from pathlib import Path

from indicators.models import AgePopulation, AgeWeight, TravelTime
from territories.importers import CodeResolver
from territories.importing.contract import ImportRejected, Problem, SourceInfo, run_import, sync_rows
from territories.importing.readers import read_bytes, read_csv


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


# --- DREES APL per commune (published values, official xlsx layout) ----------------------------

DREES_APL_SOURCE = "drees-apl"
HEADER_SEARCH_ROWS = 30
APL_CODE = "apl_mg"


def drees_apl_source(millesime, synthetic=False) -> SourceInfo:
    title = "Indicateur d’accessibilité potentielle localisée (APL) aux médecins généralistes, par commune"
    if synthetic:
        title = "Échantillon synthétique — " + title
    return SourceInfo(
        source=DREES_APL_SOURCE,
        title=title,
        publisher="DREES" + (" (format imité ; valeurs inventées pour les tests)" if synthetic else ""),
        licence="Licence Ouverte / Open Licence 2.0" + (" (échantillon synthétique)" if synthetic else ""),
        millesime=str(millesime),
        url="https://data.drees.solidarites-sante.gouv.fr/explore/dataset/530_l-accessibilite-potentielle-localisee-apl/",
        attribution="DREES, indicateur d’accessibilité potentielle localisée (APL)",
        is_synthetic=synthetic,
    )


def normalize_header(text) -> str:
    """« APL aux médecins  Généralistes (sans borne d'âge) »
    → "apl aux medecins generalistes sans borne d age"."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _column_role(header: str) -> str | None:
    """Role of a normalised DREES header: code, name, an APL variant, or a population."""
    from indicators.models import PublishedIndicatorValue as P

    if not header:
        return None
    if header.startswith("code") and ("commune" in header or "insee" in header) or header == "codgeo":
        return "code"
    if header in ("commune", "nom commune", "libelle commune", "libelle de la commune", "nom de la commune"):
        return "name"
    if header.startswith("apl") and "generaliste" in header:
        if "65 ans" in header:
            return P.Variant.MAX_65
        if "62 ans" in header:
            return P.Variant.MAX_62
        if "ans" in header and "sans borne" not in header:
            return None  # another age bound: not a variant we store (listed in the report)
        return P.Variant.NO_AGE_LIMIT
    if header.startswith("population"):
        if "standardis" in header:
            return "population_standardisee"
        if "totale" in header or "municipale" in header:
            return "population_totale"
    return None


def _parse_number(raw):
    """A cell value as a float; None for an empty cell; raises ValueError otherwise."""
    import math

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        value = float(
            str(raw).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
        )
    if math.isnan(value) or math.isinf(value):
        raise ValueError
    return value


def _commune_code(raw) -> str | None:
    """An INSEE code as text, zero-padded to 5 (Excel stores 01001 as the number 1001)."""
    import re

    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip().upper()
    if text.isdigit() and len(text) < 5:
        text = text.zfill(5)
    return text if re.fullmatch(r"\d[0-9AB]\d{3}", text) else None


def import_drees_apl(path: Path, *, sheet=None, millesime=None, dry_run=False, synthetic=None):
    """Import the DREES APL aux médecins généralistes per commune (official .xlsx layout).

    One sheet per millésime (« APL 2022 »…): ``sheet`` picks one, else the sheet with the latest
    year. ``millesime`` overrides the year read from the sheet name. ``synthetic`` (default: the
    file name says « synthetique ») marks a hand-made sample. The values are stored as published
    (``PublishedIndicatorValue``); they feed no computation.
    """
    path = Path(path)
    if synthetic is None:
        lowered = path.name.lower()
        synthetic = "synthetique" in lowered or "synthetic" in lowered
    try:
        table = _read_drees_workbook(path, sheet)
        year = str(millesime or table.get("year") or "")
        if not year:
            raise ImportRejected.single(
                table["where"], "millésime introuvable dans le nom de la feuille : indiquez --millesime"
            )
    except ImportRejected as exc:
        if not path.exists():
            raise
        refused = exc  # still recorded as a failed Dataset (the import contract)

        def refuse(dataset):
            raise refused

        info = drees_apl_source(str(millesime or "non déterminé"), synthetic=synthetic)
        return run_import(info, [path], refuse, dry_run=dry_run)
    info = drees_apl_source(year, synthetic=synthetic)
    return run_import(
        info, [path], lambda dataset: _import_drees_apl(dataset, path, table, year), dry_run=dry_run
    )


def _read_drees_workbook(path: Path, sheet_name=None) -> dict:
    """Read the chosen sheet: header row (searched in the first rows), mapped columns, data rows."""
    import re
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise ImportRejected.single(path.name, "fichier introuvable")
    try:
        workbook = load_workbook(io.BytesIO(read_bytes(path)), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRejected.single(
            path.name, f"fichier illisible : ce n’est pas un classeur Excel .xlsx ({type(exc).__name__})"
        ) from exc
    try:
        names = workbook.sheetnames
        years = {n: re.search(r"(19|20)\d{2}", n) for n in names}
        if sheet_name:
            if sheet_name not in names:
                raise ImportRejected.single(
                    path.name, f"feuille « {sheet_name} » absente (feuilles : {', '.join(names)})"
                )
            chosen = sheet_name
        else:
            dated = [n for n in names if years[n]]
            if not dated and len(names) != 1:
                raise ImportRejected.single(
                    path.name,
                    "aucune feuille datée (« APL 2022 »…) : choisissez-en une avec --sheet "
                    f"({', '.join(names)})",
                )
            chosen = max(dated, key=lambda n: years[n].group(0)) if dated else names[0]
        rows = list(workbook[chosen].iter_rows(values_only=True))
    finally:
        workbook.close()
    where = f"{path.name}, feuille « {chosen} »"
    header_index = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(_column_role(normalize_header(c)) == "code" for c in row if c is not None):
            header_index = i
            break
    if header_index is None:
        raise ImportRejected.single(
            where,
            "ligne d’en-tête introuvable : aucune colonne « Code commune » dans les "
            f"{HEADER_SEARCH_ROWS} premières lignes",
        )
    header = rows[header_index]
    columns, ignored, problems = {}, [], []
    for j, cell in enumerate(header):
        text = normalize_header(cell)
        role = _column_role(text)
        if role is None:
            if text:
                ignored.append(str(cell).strip())
            continue
        if role in columns:
            problems.append(
                Problem(
                    where,
                    header_index + 1,
                    str(cell).strip(),
                    f"colonne en double : même rôle que la colonne {get_column_letter(columns[role] + 1)} "
                    f"« {header[columns[role]]} »",
                )
            )
            continue
        columns[role] = j
    variants = [
        r for r in columns if r not in ("code", "name", "population_standardisee", "population_totale")
    ]
    if not variants:
        problems.append(
            Problem(
                where,
                header_index + 1,
                None,
                "aucune colonne « APL aux médecins généralistes » dans l’en-tête",
            )
        )
    if problems:
        raise ImportRejected(problems)
    year = years[chosen].group(0) if years.get(chosen) else None
    return {
        "sheet": chosen,
        "where": where,
        "year": year,
        "header_line": header_index + 1,
        "header": header,
        "columns": columns,
        "variants": variants,
        "ignored": ignored,
        "rows": [(header_index + 2 + k, row) for k, row in enumerate(rows[header_index + 1 :])],
    }


def _is_unit_row(row, columns) -> bool:
    """The DREES row under the header gives units in words: no code, only text in the value
    columns (« En nombre de consultations/visites accessibles par habitant standardisé »)."""
    texts = [row[j] for role, j in columns.items() if role not in ("code", "name") and j < len(row)]
    texts = [t for t in texts if t not in (None, "")]
    return bool(texts) and all(isinstance(t, str) and t.strip().lower().startswith("en ") for t in texts)


def _import_drees_apl(dataset, path, table, year):
    from indicators.models import PublishedIndicatorValue
    from territories.models import Commune

    where, columns, header = table["where"], table["columns"], table["header"]
    resolver = CodeResolver.load()
    populations = dict(Commune.objects.filter(is_active=True).values_list("code", "population"))

    def cell(row, role):
        j = columns.get(role)
        return row[j] if j is not None and j < len(row) else None

    def label(role):
        return str(header[columns[role]]).strip()

    problems, notes, empty_values = [], 0, 0
    unmatched, seen, units = {}, {}, {}
    by_commune: dict[str, list] = {}
    read = 0
    for line, row in table["rows"]:
        if row is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        raw_code = cell(row, "code")
        code = _commune_code(raw_code)
        values_present = any(cell(row, v) not in (None, "") for v in table["variants"])
        if code is None:
            if not values_present:
                notes += 1  # a note or source line under the table
                continue
            if line == table["header_line"] + 1 and _is_unit_row(row, columns):
                units = {label(r): str(cell(row, r)).strip() for r in columns if cell(row, r)}
                continue  # the row of units under the header (« En nombre de consultations… »)
            problems.append(Problem(where, line, label("code"), f"code commune invalide « {raw_code} »"))
            continue
        read += 1
        if code in seen:
            problems.append(
                Problem(where, line, label("code"), f"code {code} en double (ligne {seen[code]})")
            )
            continue
        seen[code] = line
        values = {}
        for variant in table["variants"]:
            raw = cell(row, variant)
            try:
                value = _parse_number(raw)
            except ValueError:
                problems.append(Problem(where, line, label(variant), f"valeur non numérique « {raw} »"))
                continue
            if value is None:
                empty_values += 1
                continue
            if value < 0:
                problems.append(Problem(where, line, label(variant), f"valeur négative « {raw} » (APL ≥ 0)"))
                continue
            values[variant] = value
        pops = {}
        for role in ("population_standardisee", "population_totale"):
            if role in columns:
                raw = cell(row, role)
                try:
                    number = _parse_number(raw)
                except ValueError:
                    problems.append(Problem(where, line, label(role), f"population non numérique « {raw} »"))
                    continue
                if number is not None and number < 0:
                    problems.append(Problem(where, line, label(role), f"population négative « {raw} »"))
                    continue
                if number is not None:
                    pops[role] = number
        # the weight of an APL mean is the standardised population (DREES note), else the total
        population_kind = next((r for r in ("population_standardisee", "population_totale") if r in pops), "")
        population = pops.get(population_kind)
        population_total = pops.get("population_totale")
        if len(problems) >= 50:
            break
        resolved = resolver.resolve(code)
        if resolved is None:
            unmatched[code] = line
            continue
        by_commune.setdefault(resolved, []).append(
            (code, line, values, population, population_kind, population_total)
        )
    dataset.rows_read = read
    if problems:
        raise ImportRejected(problems)

    rows, merged, merge_without_population = [], {}, []
    for commune, entries in by_commune.items():
        if len(entries) > 1:
            # Codes of communes merged since the file's COG year: population-weighted mean.
            codes = [e[0] for e in entries]
            if any(e[3] is None for e in entries):
                merge_without_population.append(f"{commune} ← {', '.join(codes)}")
                continue
            merged[commune] = codes
            total = sum(e[3] for e in entries)
            variants = set.intersection(*(set(e[2]) for e in entries))
            values = {
                v: (
                    sum(e[2][v] * e[3] for e in entries) / total
                    if total
                    else sum(e[2][v] for e in entries) / len(entries)
                )
                for v in variants
            }
            population, kind, source_codes = total, entries[0][4], ",".join(codes)
            totals = [e[5] for e in entries]
            population_total = None if None in totals else sum(totals)
        else:
            code, _, values, population, kind, population_total = entries[0]
            source_codes = code
        if population is None and populations.get(commune) is not None:
            population, kind = float(populations[commune]), "population_municipale"
        for variant, value in values.items():
            rows.append(
                {
                    "key": f"{APL_CODE}:{year}:{variant}:{commune}",
                    "indicator_code": APL_CODE,
                    "millesime": year,
                    "variant": variant,
                    "commune_id": commune,
                    "value": value,
                    "population": population,
                    "population_kind": kind,
                    "population_total": population_total,
                    "source_codes": source_codes,
                }
            )
    dataset.report = {
        "feuille": table["sheet"],
        "ligne_en_tete": table["header_line"],
        "variantes": [PublishedIndicatorValue.Variant(v).label for v in table["variants"]],
        "colonnes_ignorees": table["ignored"],
        "codes_non_apparies": sorted(unmatched),
        "nombre_codes_non_apparies": len(unmatched),
        "codes_fusionnes": {k: ", ".join(v) for k, v in sorted(merged.items())},
        "fusions_sans_population_non_importees": merge_without_population,
        "valeurs_vides": empty_values,
        "lignes_de_notes_ignorees": notes,
        "unites": units,
    }
    if not rows:
        raise ImportRejected.single(where, "aucune valeur d’APL rattachée à une commune connue")
    counts, _ = sync_rows(
        PublishedIndicatorValue,
        rows,
        fields=[
            "indicator_code",
            "millesime",
            "variant",
            "commune_id",
            "value",
            "population",
            "population_kind",
            "population_total",
            "source_codes",
        ],
        key="key",
        dataset=dataset,
        obsolete_missing=True,
        scope={"indicator_code": APL_CODE, "millesime": year},
    )
    from indicators.official.published import aggregate_published

    dataset.report["zones_agregees"] = aggregate_published(APL_CODE, year, dataset)
    return counts


# --- Age structure and consumption weights (age-standardised APL demand) ----------------------

AGE_STRUCTURE_SOURCE = "structure-age-communes"
AGE_WEIGHTS_SOURCE = "poids-age-consommation"
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
    from territories.importing.readers import read_csv

    path = Path(path)
    if not path.exists():
        raise ImportRejected.single(path.name, "fichier introuvable")
    frame = read_csv(path, required=[])
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
    problems, unmatched = [], {}
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


def _band_sort_key(band: str):
    """« 0-4 » < « 5-9 » < « 90+ »: by the first number in the label, then the label."""
    import re

    match = re.search(r"\d+", band)
    return (int(match.group(0)) if match else 10**6, band)


def age_weights_source(*, title, publisher, licence, millesime, url="", synthetic=False) -> SourceInfo:
    if synthetic:
        title = "Échantillon synthétique — " + title
    return SourceInfo(
        source=AGE_WEIGHTS_SOURCE,
        title=title,
        publisher=publisher,
        licence=licence,
        millesime=str(millesime),
        url=url,
        is_synthetic=synthetic,
    )


def import_age_weights(path: Path, *, info: SourceInfo, dry_run=False):
    """Import the relative consumption of GP care per age band (CSV ``tranche_age;poids``).

    No default weights exist in the code: the source, licence and millésime come with the file
    (command-line options). Weights are numbers ≥ 0, at least one > 0. A new file replaces the set.
    """
    path = Path(path)
    return run_import(info, [path], lambda dataset: _import_age_weights(dataset, path), dry_run=dry_run)


def _import_age_weights(dataset, path):
    frame = _read_age_csv(
        path,
        {"tranche_age": ("tranche_age", "tranche", "band"), "poids": ("poids", "weight")},
        unique=["tranche_age"],
    )
    dataset.rows_read = len(frame)
    problems, rows = [], []
    for band, raw, line in frame[["tranche_age", "poids", "_line"]].itertuples(index=False):
        line = int(line)
        if len(band) > MAX_BAND_LENGTH:
            problems.append(
                Problem(path.name, line, "tranche_age", f"libellé trop long (> {MAX_BAND_LENGTH})")
            )
            continue
        try:
            value = _parse_number(raw)
            if value is None or value < 0:
                raise ValueError
        except ValueError:
            problems.append(
                Problem(path.name, line, "poids", f"poids invalide « {raw} » (nombre ≥ 0 attendu)")
            )
            continue
        rows.append({"band": band, "weight": value})
    if not problems and not any(r["weight"] > 0 for r in rows):
        problems.append(Problem(path.name, None, "poids", "tous les poids sont nuls"))
    if problems:
        raise ImportRejected(problems)
    dataset.report = {"tranches": sorted((r["band"] for r in rows), key=_band_sort_key)}
    counts, _ = sync_rows(
        AgeWeight, rows, fields=["weight"], key="band", dataset=dataset, obsolete_missing=True
    )
    return counts


# --- The age weights of the DREES APL (sheet « Paramètres » of the workbook) ------------------

DREES_WEIGHTS_SOURCE = AGE_WEIGHTS_SOURCE


def drees_band(label) -> str | None:
    """« Moins de 5 ans » → "0-4", « de 5 à 9 ans » → "5-9", « Plus de 90 ans » → "90+"."""
    import re

    text = normalize_header(label)
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if text.startswith("moins de") and len(numbers) == 1:
        return f"0-{numbers[0] - 1}"
    if text.startswith("plus de") and len(numbers) == 1:
        return f"{numbers[0]}+"
    if len(numbers) == 2 and numbers[0] < numbers[1]:
        return f"{numbers[0]}-{numbers[1]}"
    return None


def import_drees_age_weights(path: Path, *, millesime=None, dry_run=False):
    """Import the age weights of one millésime (default: the latest) from the « Paramètres » sheet
    of the DREES APL workbook as the demand weights (an age-weight dataset with provenance).
    Bands are named as the age-structure imports name them ("0-4" … "90+")."""
    path = Path(path)
    try:
        year, rows, where = _read_drees_weights(path, millesime)
    except ImportRejected as exc:
        if not path.exists():
            raise
        refused = exc

        def refuse(dataset):
            raise refused

        info = _drees_weights_source(str(millesime or "non déterminé"))
        return run_import(info, [path], refuse, dry_run=dry_run)

    def work(dataset):
        from indicators.models import AgeWeight

        dataset.rows_read = len(rows)
        dataset.report = {
            "feuille": "Paramètres",
            "tranches": [f"{r['band']} : {r['weight']:g}" for r in rows],
        }
        counts, _ = sync_rows(
            AgeWeight, rows, fields=["weight"], key="band", dataset=dataset, obsolete_missing=True
        )
        return counts

    return run_import(_drees_weights_source(year), [path], work, dry_run=dry_run)


def _drees_weights_source(year) -> SourceInfo:
    return SourceInfo(
        source=DREES_WEIGHTS_SOURCE,
        title=f"Poids de consommation de soins de médecine générale par tranche d’âge (APL {year})",
        publisher="DREES (Cnam, DCIR ; Insee, populations municipales)",
        licence="Licence Ouverte / Open Licence 2.0",
        millesime=str(year),
        url="https://data.drees.solidarites-sante.gouv.fr/explore/dataset/530_l-accessibilite-potentielle-localisee-apl/",
        attribution="DREES, APL aux médecins généralistes, feuille « Paramètres »",
    )


def _read_drees_weights(path: Path, millesime=None):
    import re
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise ImportRejected.single(path.name, "fichier introuvable")
    try:
        workbook = load_workbook(io.BytesIO(read_bytes(path)), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRejected.single(path.name, f"fichier illisible ({type(exc).__name__})") from exc
    try:
        if "Paramètres" not in workbook.sheetnames:
            raise ImportRejected.single(path.name, "feuille « Paramètres » absente")
        sheet = list(workbook["Paramètres"].iter_rows(values_only=True))
    finally:
        workbook.close()
    where = f"{path.name}, feuille « Paramètres »"
    header = next(
        (i for i, r in enumerate(sheet) if r and r[0] and normalize_header(r[0]).startswith("tranche d age")),
        None,
    )
    if header is None:
        raise ImportRejected.single(where, "ligne « Tranche d'âge » introuvable")
    columns = {}
    for j, cell in enumerate(sheet[header]):
        found = re.search(r"(19|20)\d{2}", str(cell or ""))
        if j and found and "poids" in normalize_header(cell):
            columns[found.group(0)] = j
    if not columns:
        raise ImportRejected.single(where, "aucune colonne « Poids de la tranche d'âge en AAAA »")
    year = str(millesime or max(columns))
    if year not in columns:
        raise ImportRejected.single(
            where, f"pas de poids pour {year} (années : {', '.join(sorted(columns))})"
        )
    rows, problems = [], []
    for i in range(header + 1, len(sheet)):
        line = sheet[i]
        if not line or line[0] is None:
            break
        band = drees_band(line[0])
        if band is None:
            break  # the notes under the table
        raw = line[columns[year]] if columns[year] < len(line) else None
        try:
            weight = _parse_number(raw)
            if weight is None or weight < 0:
                raise ValueError
        except ValueError:
            problems.append(Problem(where, i + 1, f"Poids {year}", f"poids invalide « {raw} »"))
            continue
        rows.append({"band": band, "weight": weight})
    if problems:
        raise ImportRejected(problems)
    if len(rows) < 2:
        raise ImportRejected.single(where, "moins de deux tranches d’âge lues")
    return year, rows, where
