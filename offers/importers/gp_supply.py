"""Importer of the GP supply per commune: the SIRENE 86.21Z proxy or an RPPS / Annuaire santé
extraction (with ages when given), and the hospital activity the SIRENE file also counts.
"""

import re
from collections import defaultdict
from pathlib import Path

import numpy as np
from django.db.models import Exists, OuterRef

from offers.importers.sources import DEFAULT_DIR, RPPS, SIRENE, SIRENE_FILE, _mark_synthetic
from offers.models import (
    POLE_HOSPITALIER_MIN_ESTABLISHMENTS,
    RETIREMENT_AGE,
    GPSupply,
    HospitalActivity,
)
from territories.importers import CodeResolver, check_coverage, departement_of, refuse_unknown, split_unknown
from territories.importing.contract import (
    ImportRejected,
    SourceInfo,
    SyncCounts,
    run_import,
)
from territories.importing.readers import parse_numbers, read_csv
from territories.models import Commune, Dataset


def import_gp_supply(
    path: Path | None = None,
    layout: str = "sirene",
    dry_run: bool = False,
    millesime: str = "",
    synthetic=None,
    partial: bool = False,
    ignore_unknown: bool = False,
) -> Dataset:
    """``layout`` = "sirene" (establishments 86.21Z, proxy) or "rpps" (Annuaire santé extraction).

    A file covering only some départements is refused unless ``partial``: then the supply of the
    other départements is carried over from the current dataset. Unknown commune codes refuse the
    file unless ``ignore_unknown`` (they are then listed)."""
    path = Path(path or DEFAULT_DIR / SIRENE_FILE)
    if layout not in ("sirene", "rpps"):
        raise ValueError(layout)
    info = SourceInfo(**{**(SIRENE if layout == "sirene" else RPPS).__dict__})
    if millesime:
        info.millesime = millesime
    info.millesime = info.millesime or "extraction (date non renseignée)"
    if synthetic is None:
        synthetic = "synthetique" in path.name or "synthetic" in path.name
    if synthetic:
        _mark_synthetic(info)
    year = re.search(r"(19|20)\d{2}", info.millesime)
    if layout == "sirene":
        reader = _read_sirene
    else:

        def reader(path):
            return _read_rpps(path, year=int(year.group()) if year else None)

    return run_import(
        info,
        [path],
        lambda ds: _import_gp(ds, path, reader, partial=partial, ignore_unknown=ignore_unknown),
        dry_run=dry_run,
    )


def _read_sirene(path):
    """SIRENE establishments per commune by NAF class: ``generaliste`` (86.21Z, GP supply proxy)
    and, when the column is there, ``hopital`` (86.10Z « activités hospitalières »)."""
    frame = read_csv(
        path,
        sep=";",
        required=["codecommuneetablissement", "generaliste"],
        unique="codecommuneetablissement",
        not_empty=["codecommuneetablissement"],
        codes=["codecommuneetablissement"],
        optional=["hopital"],
    )
    name = frame.attrs["name"]
    values, problems = parse_numbers(name, frame, "generaliste", minimum=0)
    hospital = None
    if "hopital" in frame.columns:
        hospital, found = parse_numbers(name, frame, "hopital", minimum=0, integer=True)
        problems += found
    if problems:
        raise ImportRejected(problems)
    records = []
    for i, (code, line, v) in enumerate(
        zip(frame["codecommuneetablissement"], frame["_line"], values, strict=True)
    ):
        record = {"headcount": float(v), "fte": None, "share_aged_60_plus": None}
        if hospital is not None:
            record["hospital_establishments"] = int(hospital[i])
        records.append((code, line, record))
    return records, {"_name": name, "_field": "codecommuneetablissement"}


RPPS_COLUMNS = {
    "id": "Identifiant PP",
    "profession": "Code profession",
    "savoir_faire": "Code savoir-faire",
    "commune": "Code commune (coord. structure)",
}


RPPS_GP_SPECIALTIES = {"SM54", "SM53"}  # Médecine générale, spécialiste en médecine générale


# Optional columns of an extraction giving ages (the public Annuaire santé has none; an RPPS
# extraction made for an ARS may carry the age or the birth year).
RPPS_AGE_COLUMNS = ("Âge", "Age", "age")


RPPS_BIRTH_COLUMNS = ("Année de naissance", "annee_naissance", "Annee de naissance")


def _read_rpps(path, year=None):
    """Annuaire santé « PS_LibreAcces_Personne_activite » layout: '|'-separated, one row per activity.

    General practitioners are profession 10 (médecin) with savoir-faire SM54 / SM53. A practitioner
    with activities in several communes counts 1/n in each (headcount is a float). The public
    extraction has neither activity time nor age: FTE and ages stay unknown; an extraction with an
    age (or birth year, read against the extraction's year ``year``) gives the headcount by age.
    """
    frame = read_csv(
        path,
        sep="|",
        required=list(RPPS_COLUMNS.values()),
        not_empty=[RPPS_COLUMNS["id"]],
        codes=[RPPS_COLUMNS["commune"]],
        optional=[*RPPS_AGE_COLUMNS, *RPPS_BIRTH_COLUMNS],
    )
    name = frame.attrs["name"]
    frame = frame[
        (frame[RPPS_COLUMNS["profession"]] == "10")
        & frame[RPPS_COLUMNS["savoir_faire"]].isin(RPPS_GP_SPECIALTIES)
    ]
    ages = _rpps_ages(name, frame, year)
    empty = frame[frame[RPPS_COLUMNS["commune"]].str.strip() == ""]
    keep = (frame[RPPS_COLUMNS["commune"]].str.strip() != "").to_numpy()
    frame = frame.assign(_age=ages if ages is not None else np.nan)[keep]
    commune, ident = RPPS_COLUMNS["commune"], RPPS_COLUMNS["id"]
    activities = frame.drop_duplicates([ident, commune])
    weight = 1.0 / activities.groupby(ident)[commune].transform("count")
    per_commune = weight.groupby(activities[commune]).sum()
    first_line = activities.groupby(commune)["_line"].min()
    extra = {
        "_name": name,
        "_field": commune,
        "activites_sans_commune": len(empty),
        "praticiens": int(activities[ident].nunique()),
    }
    by_age = {}
    if ages is not None:
        known = activities["_age"].notna()
        grouped = weight[known].groupby(
            [activities.loc[known, commune], activities.loc[known, "_age"].astype(int)]
        )
        for (code, age), value in grouped.sum().items():
            by_age.setdefault(code, {})[str(age)] = round(float(value), 6)
        extra["praticiens_d_age_connu"] = int(activities.loc[known, ident].nunique())
    return [
        (
            code,
            int(first_line[code]),
            {"headcount": float(v), "fte": None, "share_aged_60_plus": None, "ages": by_age.get(code)},
        )
        for code, v in per_commune.items()
    ], extra


def _rpps_ages(name, frame, year) -> np.ndarray | None:
    """The age of each row (NaN when not given), from an age or a birth-year column; None without."""
    age_column = next((c for c in RPPS_AGE_COLUMNS if c in frame.columns), None)
    birth_column = next((c for c in RPPS_BIRTH_COLUMNS if c in frame.columns), None)
    if age_column is None and birth_column is None:
        return None
    if age_column is not None:
        ages, problems = parse_numbers(
            name, frame, age_column, integer=True, minimum=20, maximum=110, allow_empty=True
        )
    else:
        if year is None:
            raise ImportRejected.single(
                name,
                f"colonne « {birth_column} » : donnez le millésime de l’extraction (--millesime AAAA-MM) "
                "pour calculer les âges",
            )
        births, problems = parse_numbers(
            name, frame, birth_column, integer=True, minimum=year - 110, maximum=year - 20, allow_empty=True
        )
        ages = year - births
    if problems:
        raise ImportRejected(problems)
    return ages


def _import_gp(dataset, path, reader, partial=False, ignore_unknown=False) -> SyncCounts:
    records, extra = reader(path)
    name, field = extra.pop("_name"), extra.pop("_field")
    resolver = CodeResolver.load()
    totals, ages, unmatched, line_of = _totals_by_commune(records, resolver)
    coverage = check_coverage(
        name,
        list(totals),
        partial=partial,
        consequence=" ; importé tel quel, il retirerait l’offre de médecins de tous les autres départements",
        uploadable=True,
    )
    unknown, outside = split_unknown(unmatched, loaded=coverage.loaded)
    if unknown and not ignore_unknown:
        refuse_unknown(name, unknown, line_of, field)
    parents = _add_parent_communes(totals, ages)
    dataset.rows_read = len(records)
    previous = _latest_gp_dataset(dataset.source)
    carried = _carry_previous(previous, coverage, totals, ages)
    dataset.report = {
        **coverage.report(),
        **({"communes_reprises_du_jeu_precedent": carried} if coverage.scope is not None else {}),
        "communes": len(totals),
        "codes_non_apparies": unknown,
        "codes_hors_des_departements_charges": outside,
        # SIRENE counts establishments (APE 86.21Z), the Annuaire santé counts practitioners.
        ("etablissements_86_21Z" if dataset.is_proxy else "medecins_generalistes"): round(
            sum(v for c, v in totals.items() if c not in parents), 1
        ),
        "nature": "proxy : établissements SIRENE 86.21Z, pas des praticiens"
        if dataset.is_proxy
        else "praticiens (Annuaire santé), ETP non publiés"
        + (", âges de l’extraction" if ages else ", âge non publié"),
    }
    if ages:
        dataset.report["medecins_de_65_ans_et_plus"] = round(
            sum(
                n
                for c, by in ages.items()
                if c not in parents
                for a, n in by.items()
                if int(a) >= RETIREMENT_AGE
            ),
            1,
        )
    dataset.report.update(extra)
    counts = _write_supply(dataset, previous, totals, ages)
    if records and "hospital_establishments" in records[0][2]:
        counts.add(_store_hospital_activity(dataset, records, resolver, coverage.scope))
    elif dataset.is_proxy:
        dataset.report["activites_hospitalieres_86_10Z"] = "colonne « hopital » absente : rien d’importé"
    return counts


def _totals_by_commune(records, resolver):
    """Headcount (and headcount by age, when given) per commune of today; the codes left unmatched."""
    totals, unmatched, line_of = defaultdict(float), [], {}
    ages = defaultdict(lambda: defaultdict(float))  # commune → age → headcount (when given)
    for code, line, values in records:
        target = resolver.resolve(code)
        if target is None:
            unmatched.append(code)
            line_of.setdefault(code, int(line))
            continue
        totals[target] += values["headcount"]
        for age, count in (values.get("ages") or {}).items():
            ages[target][age] += count
    return totals, ages, unmatched, line_of


def _add_parent_communes(totals, ages) -> dict:
    """Arrondissements (Paris, Lyon, Marseille) are kept and also summed into their commune,
    which the source omits (75056, 69123, 13055 have no row of their own). Returns child → parent."""
    parents = dict(
        Commune.objects.filter(code__in=list(totals), kind=Commune.Kind.ARRONDISSEMENT).values_list(
            "code", "parent_id"
        )
    )
    for parent in set(parents.values()):
        if parent not in totals:
            totals[parent] = sum(v for c, v in totals.items() if parents.get(c) == parent)
            for child in [c for c in ages if parents.get(c) == parent]:
                for age, count in ages[child].items():
                    ages[parent][age] += count
    return parents


def _carry_previous(previous, coverage, totals, ages) -> int:
    """A partial file updates its départements; the others keep the current supply."""
    carried = 0
    if coverage.scope is not None and previous is not None:
        for code, value, stored_ages in (
            GPSupply.objects.filter(dataset=previous)
            .exclude(commune__departement_id__in=sorted(coverage.scope))
            .values_list("commune_id", "headcount", "ages")
        ):
            if departement_of(code) not in coverage.scope and code not in totals:
                totals[code] = value
                if stored_ages:
                    ages[code].update(stored_ages)
                carried += 1
    return carried


def _write_supply(dataset, previous, totals, ages) -> SyncCounts:
    """The supply rows of the dataset, unless they are those of the previous dataset of the source."""
    rows = {
        code: (
            round(value, 6),
            {a: round(n, 6) for a, n in sorted(ages[code].items())} if code in ages else None,
        )
        for code, value in totals.items()
    }
    counts = SyncCounts()
    stored = None
    if previous is not None:
        stored = {
            code: (headcount, stored_ages)
            for code, headcount, stored_ages in GPSupply.objects.filter(dataset=previous).values_list(
                "commune_id", "headcount", "ages"
            )
        }
    if stored == rows:
        dataset.report["identique_au_jeu"] = previous.pk
        counts.unchanged += len(rows)
    else:
        GPSupply.objects.bulk_create(
            [
                GPSupply(dataset=dataset, commune_id=code, headcount=value, **_age_fields(by_age))
                for code, (value, by_age) in rows.items()
            ],
            batch_size=2000,
        )
        counts.created += len(rows)
    return counts


def _age_fields(by_age: dict | None) -> dict:
    """Headcount by age → the stored age fields (share aged 60+, headcount aged 65+, by age)."""
    if not by_age:
        return {}
    known = sum(by_age.values())
    sixty = sum(n for a, n in by_age.items() if int(a) >= 60)
    return {
        "ages": by_age,
        "share_aged_60_plus": sixty / known if known else None,
        "aged_65_plus": round(sum(n for a, n in by_age.items() if int(a) >= RETIREMENT_AGE), 6),
    }


def _store_hospital_activity(dataset, records, resolver, scope=None) -> SyncCounts:
    """NAF 86.10Z establishments per commune (proxy), written in the dataset of the SIRENE run.

    Like the GP supply, a run whose counts equal those of the latest dataset holding rows writes
    nothing (that dataset stays the current one).
    """
    totals = defaultdict(int)
    for code, _line, values in records:
        target = resolver.resolve(code)
        if target is not None and values["hospital_establishments"]:
            totals[target] += values["hospital_establishments"]
    previous = latest_hospital_activity_dataset(dataset.source)
    if scope is not None and previous is not None:
        for code, n in (
            HospitalActivity.objects.filter(dataset=previous)
            .exclude(commune__departement_id__in=sorted(scope))
            .values_list("commune_id", "establishments")
        ):
            totals.setdefault(code, n)
    rows = dict(totals)
    threshold = POLE_HOSPITALIER_MIN_ESTABLISHMENTS
    dataset.report.update(
        {
            "etablissements_86_10Z": sum(rows.values()),
            "communes_avec_activite_hospitaliere_86_10Z": len(rows),
            f"poles_hospitaliers_proxy_au_moins_{threshold}_etablissements_86_10Z": sum(
                1 for v in rows.values() if v >= threshold
            ),
            "nature_86_10Z": "proxy : établissements SIRENE « activités hospitalières » (SSR, dialyse, "
            "psychiatrie… compris), pas des services d’urgences",
        }
    )
    if previous is not None:
        stored = dict(
            HospitalActivity.objects.filter(dataset=previous).values_list("commune_id", "establishments")
        )
        if stored == rows:
            dataset.report["activites_hospitalieres_identiques_au_jeu"] = previous.pk
            return SyncCounts(unchanged=len(rows))
    HospitalActivity.objects.bulk_create(
        [HospitalActivity(dataset=dataset, commune_id=code, establishments=n) for code, n in rows.items()],
        batch_size=2000,
    )
    return SyncCounts(created=len(rows))


def latest_hospital_activity_dataset(source=SIRENE.source, include_synthetic=True):
    """The latest successful dataset of ``source`` holding HospitalActivity rows."""
    # EXISTS, not a join made DISTINCT: one dataset row is never sorted once per row it holds;
    # in the select list, one index probe per dataset (as a filter the planner hashes every row)
    datasets = Dataset.objects.filter(source=source, status=Dataset.Status.SUCCEEDED).annotate(
        holds_rows=Exists(HospitalActivity.objects.filter(dataset=OuterRef("pk")))
    )
    if not include_synthetic:
        datasets = datasets.filter(is_synthetic=False)
    return next((d for d in datasets.order_by("-started_at", "-pk") if d.holds_rows), None)


def _latest_gp_dataset(source):
    datasets = Dataset.objects.filter(source=source, status=Dataset.Status.SUCCEEDED).annotate(
        holds_rows=Exists(GPSupply.objects.filter(dataset=OuterRef("pk")))
    )
    return next((d for d in datasets.order_by("-started_at", "-pk") if d.holds_rows), None)
