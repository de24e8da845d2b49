"""Importer of the Assurance Maladie « démographie des professionnels de santé » file: headcount and
density of 38 professions (libéraux) by département, one millésime per file (2024 shipped).

The file follows the layout of data.ameli.fr (dataset ``demographie-effectifs-et-les-densites``):
``annee, profession_sante, region, departement, effectif, densite`` (+ age and sex classes, of
which only « tout âge / tout sexe » rows are read). Rows of département ``999`` are the producer's
own totals per région and for France: they are not stored (régions and France are sums over sums
of the départements, :mod:`offers.demography.figures`) but compared with ours in the import report.

Import contract (:mod:`territories.importing`): one Dataset record, atomic, idempotent (rows keyed
by millésime, département and profession; a re-run writes nothing), a row of the same millésime
missing from a new file is marked obsolete, never deleted; any bad value refuses the whole file
with its file, line, field and reason.
"""

import re
from collections import defaultdict
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.text import slugify

from offers.models import ProfessionDensity
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    SyncCounts,
    run_import,
    sync_rows,
)
from territories.importing.readers import parse_numbers, read_csv
from territories.models import Dataset, Departement

AMELI_FILE = "ameli_demographie_professionnels_2024.csv.gz"
DEFAULT_PATH = settings.FIXTURES_DIR / "offers" / AMELI_FILE
DEPARTEMENT_CODE = re.compile(r"\d{2}|2[AB]|97\d")
TOTAL_CODE = "999"  # the producer's totals (région, France)
FRANCE_REGION = "99"
ALL_AGES, ALL_SEXES = "tout_age", "tout sexe"
AMELI = SourceInfo(
    source="ameli-demographie-ps",
    title="Démographie des professionnels de santé libéraux : effectifs et densités par département",
    publisher="Assurance Maladie (data.ameli.fr), via timotheebarnaud/deserts-medicaux",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="Assurance Maladie, data.ameli.fr — démographie des professionnels de santé",
    millesime="2024",
    url="https://data.ameli.fr/explore/dataset/demographie-effectifs-et-les-densites/",
)


def import_professions(path: Path | None = None, dry_run: bool = False) -> Dataset:
    path = Path(path or DEFAULT_PATH)
    return run_import(AMELI, [path], lambda ds: _import(ds, path), dry_run=dry_run)


def _read(path):
    frame = read_csv(
        path,
        required=["annee", "profession_sante", "departement", "effectif", "densite"],
        not_empty=["annee", "profession_sante", "departement"],
        codes={"departement": 2},
        optional=["classe_age", "libelle_sexe", "region"],
    )
    name = frame.attrs["name"]
    if "classe_age" in frame.columns:
        frame = frame[frame["classe_age"].isin([ALL_AGES, ""])]
    if "libelle_sexe" in frame.columns:
        frame = frame[frame["libelle_sexe"].str.lower().isin([ALL_SEXES, ""])]
    if frame.empty:
        raise ImportRejected.single(name, "aucune ligne « tout âge, tout sexe » dans le fichier")
    return name, frame


def _parse(name, frame):
    """Validated records and the producer's totals; refuses the file on the first 50 problems."""
    years, problems = parse_numbers(name, frame, "annee", integer=True, minimum=2000, maximum=2100)
    counts, more = parse_numbers(name, frame, "effectif", integer=True, minimum=0, maximum=2_000_000)
    problems += more
    densities, more = parse_numbers(name, frame, "densite", minimum=0, maximum=100_000)
    problems += more
    known = set(Departement.objects.values_list("code", flat=True))
    records, totals, seen, outside = [], [], {}, {}
    lines = frame["_line"].to_numpy()
    for i, (profession, dep, region) in enumerate(
        zip(
            frame["profession_sante"],
            frame["departement"],
            frame["region"] if "region" in frame.columns else [""] * len(frame),
            strict=True,
        )
    ):
        line = int(lines[i])
        if np.isnan(years[i]) or np.isnan(counts[i]) or np.isnan(densities[i]):
            continue  # already a problem
        year, count, density = str(int(years[i])), int(counts[i]), float(densities[i])
        if count > 0 and density == 0:
            problems.append(Problem(name, line, "densite", f"densité nulle pour un effectif de {count}"))
            continue
        if dep == TOTAL_CODE:
            totals.append((year, profession, region, count, density))
            continue
        if dep not in known:
            if DEPARTEMENT_CODE.fullmatch(dep):
                outside[dep] = region  # a real code, not loaded (a partial territorial base): listed
            else:
                problems.append(Problem(name, line, "departement", f"code de département invalide « {dep} »"))
            continue
        slug = slugify(profession)[:160]
        if (year, dep, slug) in seen:
            problems.append(
                Problem(
                    name,
                    line,
                    "profession_sante",
                    f"« {profession} » déjà donnée ligne {seen[year, dep, slug]}",
                )
            )
            continue
        seen[year, dep, slug] = line
        records.append(
            {
                "millesime": year,
                "profession": profession,
                "slug": slug,
                "dep": dep,
                "count": count,
                "density": density,
                "line": line,
            }
        )
    if problems:
        raise ImportRejected(problems[:50])
    if not records:
        raise ImportRejected.single(name, "aucune ligne de département (seulement des totaux 999 ?)")
    return records, totals, outside


def implied_populations(records) -> dict:
    """(millésime, département, profession slug) → the population its published density is
    measured on: headcount × 100 000 / density. The producer divides some professions by a part of
    the population (children for paediatricians, women for gynaecologists and midwives), so each
    row has its own. A row of density 0 (no practitioner) takes its département's population (read
    on its most precise row: the largest density, rounded to 0.1) times the national median ratio
    of that profession's population to it."""
    base = {}
    for r in records:
        key = (r["millesime"], r["dep"])
        if r["density"] > base.get(key, (0, 0))[0]:
            base[key] = (r["density"], r["count"] * 100_000 / r["density"])
    out, ratios = {}, defaultdict(list)
    for r in records:
        if r["density"] > 0 and (r["millesime"], r["dep"]) in base:
            population = r["count"] * 100_000 / r["density"]
            out[r["millesime"], r["dep"], r["slug"]] = population
            ratios[r["millesime"], r["slug"]].append(population / base[r["millesime"], r["dep"]][1])
    for r in records:
        key = (r["millesime"], r["dep"], r["slug"])
        if key not in out and (r["millesime"], r["dep"]) in base:
            ratio = (
                float(np.median(ratios[r["millesime"], r["slug"]]))
                if ratios[r["millesime"], r["slug"]]
                else 1
            )
            out[key] = base[r["millesime"], r["dep"]][1] * ratio
    return out


def _import(dataset, path) -> SyncCounts:
    name, frame = _read(path)
    records, totals, outside = _parse(name, frame)
    populations = implied_populations(records)
    missing = sorted({r["dep"] for r in records if (r["millesime"], r["dep"], r["slug"]) not in populations})
    if missing:
        line = next(r["line"] for r in records if r["dep"] == missing[0])
        raise ImportRejected.single(
            name,
            f"aucune densité non nulle pour le département {missing[0]} : population inconnue",
            line,
            "densite",
        )
    rows = [
        {
            "key": f"{r['millesime']}:{r['dep']}:{r['slug']}",
            "millesime": r["millesime"],
            "profession": r["profession"],
            "profession_slug": r["slug"],
            "departement": Departement(code=r["dep"]),
            "headcount": r["count"],
            "density": r["density"],
            "population": round(populations[r["millesime"], r["dep"], r["slug"]]),
        }
        for r in records
    ]
    millesimes = sorted({r["millesime"] for r in rows})
    counts, _unknown = sync_rows(
        ProfessionDensity,
        rows,
        fields=[
            "millesime",
            "profession",
            "profession_slug",
            "departement",
            "headcount",
            "density",
            "population",
        ],
        key="key",
        dataset=dataset,
        obsolete_missing=True,
        scope={"millesime__in": millesimes},
    )
    dataset.rows_read = len(frame)
    dataset.millesime = ", ".join(millesimes)
    dataset.report = {
        "millesimes": millesimes,
        "departements": len({r["dep"] for r in records}),
        "professions": len({r["slug"] for r in records}),
        "departements_non_charges": sorted(outside),
        "ecart_maximal_aux_totaux_publies": _check_totals(rows, totals, outside),
    }
    return counts


def _check_totals(rows, totals, outside) -> str:
    """Our sums over sums against the producer's totals of the régions and France (density points),
    for the zones whose départements are all loaded."""
    if not totals:
        return "pas de totaux publiés dans le fichier"
    region_of = dict(Departement.objects.values_list("code", "region_id"))
    incomplete = set(outside.values()) | ({FRANCE_REGION} if outside else set())
    incomplete |= {r for _y, _p, r, _c, _d in totals if r not in region_of.values() and r != FRANCE_REGION}
    totals = [t for t in totals if t[2] not in incomplete]
    sums = defaultdict(lambda: [0, 0.0])
    for r in rows:
        for zone in (region_of.get(r["departement"].pk), FRANCE_REGION):
            acc = sums[r["millesime"], r["profession"], zone]
            acc[0] += r["headcount"]
            acc[1] += r["population"]
    gaps = [
        abs(100_000 * sums[key][0] / sums[key][1] - density)
        for year, profession, region, _count, density in totals
        if (key := (year, profession, region)) in sums and sums[key][1]
    ]
    return f"{max(gaps):.2f} pour 100 000 hab. sur {len(gaps)} totaux" if gaps else "aucun total comparable"
