"""Importer of the real public-hospital extract (FINESS centres hospitaliers) as emergency sites."""

from pathlib import Path

from offers.finess import finess_problem, normalize_finess
from offers.importers.sources import DEFAULT_DIR, HOSPITALS, HOSPITALS_FILE
from offers.importers.sync import _address, _commune_points, _Row, sync_offers
from offers.models import (
    Offer,
)
from territories.importers import CodeResolver
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SyncCounts,
    run_import,
)
from territories.importing.readers import read_csv
from territories.models import Commune, Dataset


def import_hospitals(path: Path | None = None, dry_run: bool = False) -> Dataset:
    path = Path(path or DEFAULT_DIR / HOSPITALS_FILE)
    return run_import(HOSPITALS, [path], lambda ds: _import_hospitals(ds, path), dry_run=dry_run)


def _import_hospitals(dataset, path) -> SyncCounts:
    frame = read_csv(
        path,
        required=[
            "nofinesset",
            "nofinessej",
            "rs",
            "rslongue",
            "numvoie",
            "typvoie",
            "voie",
            "compvoie",
            "lieuditbp",
            "code_insee",
            "ligneacheminement",
            "est_smur_ou_urgences_nom",
        ],
        unique="nofinesset",
        not_empty=["nofinesset", "rs", "code_insee"],
    )
    rows, repaired, remapped = _hospital_rows(frame, path.name)
    points = _commune_points(r["commune"] for r in rows)
    arrondissements = set(
        Commune.objects.filter(
            code__in={r["commune"] for r in rows}, kind=Commune.Kind.ARRONDISSEMENT
        ).values_list("code", flat=True)
    )
    for row in rows:
        row["location"] = points.get(row["commune"])
        if row["location"] is None:
            row["location_precision"] = ""
    dataset.rows_read = len(frame)
    dataset.report = {
        "sites": len(rows),
        "rattaches_a_un_arrondissement_municipal": sum(1 for r in rows if r["commune"] in arrondissements),
        "communes_sans_point": sorted({r["commune"] for r in rows if r["location"] is None}),
        "finess_ej_repares": len(repaired),
        "anciens_codes_commune_remplaces": remapped,
        "urgences_smur_d_apres_le_nom": sum(
            1 for r in rows if r["emergency_basis"] == Offer.EmergencyBasis.NAME
        ),
        "urgences_proxy_centres_hospitaliers": sum(
            1 for r in rows if r["emergency_basis"] == Offer.EmergencyBasis.CATEGORY
        ),
        "localisation": "aucune coordonnée dans ce fichier : chaque site est placé au point de sa commune",
    }
    return sync_offers(dataset, rows, f"import FINESS hôpitaux publics (jeu n° {dataset.pk})")


def _hospital_rows(frame, name):
    """One offer row per site, at its commune of today; refuses bad FINESS numbers, unknown communes
    and emergency flags other than 0 / 1. Also returns the repaired EJ numbers and remapped codes."""
    resolver = CodeResolver.load()
    problems, rows, repaired, remapped = [], [], [], {}
    for r in frame.to_dict("records"):
        r = _Row(r)
        line = int(r._line)
        et, ej = normalize_finess(r.nofinesset), normalize_finess(r.nofinessej)
        if ej != r.nofinessej.strip():
            repaired.append(r.nofinessej)
        for field, number in (("nofinesset", et), ("nofinessej", ej)):
            if number and (problem := finess_problem(number)):
                problems.append(Problem(name, line, field, problem))
        code = resolver.resolve(r.code_insee)
        if code is None:
            problems.append(Problem(name, line, "code_insee", f"commune inconnue « {r.code_insee} »"))
        elif code != r.code_insee.strip():
            remapped[r.code_insee.strip()] = code
        if r.est_smur_ou_urgences_nom not in ("0", "1"):
            problems.append(Problem(name, line, "est_smur_ou_urgences_nom", "0 ou 1 attendu"))
        rows.append(
            {
                "finess_et": et,
                "kind": Offer.Kind.HOSPITAL,
                "subkind": "",
                "name": (r.rslongue or r.rs).strip()[:255],
                "finess_ej": ej,
                "address": _address(
                    r.numvoie, r.typvoie, r.voie, r.compvoie, r.lieuditbp, "—", r.ligneacheminement
                ),
                "commune": code,
                "location": None,
                "location_precision": Offer.LocationPrecision.COMMUNE,
                "status": Offer.Status.OPEN,
                "opened_on": None,
                "emergency_basis": _emergency_basis(r),
            }
        )
        if len(problems) >= 50:
            break
    if problems:
        raise ImportRejected(problems)
    return rows, repaired, remapped


def _emergency_basis(row) -> str:
    """The extract has no emergency authorisations. Sites named « URGENCES »/« SMUR » are flagged
    by name; the other « Centre Hospitalier (C.H.) » sites are an explicit proxy (most general
    hospitals run an emergency department, not every site does). The file has no CHU/CHR and no
    private clinic: around university cities the proxy understates proximity (offers.api adds
    « pôles hospitaliers », a SIRENE 86.10Z proxy, for that)."""
    if row.est_smur_ou_urgences_nom == "1":
        return Offer.EmergencyBasis.NAME
    if row.libcategetab.strip() == "Centre Hospitalier (C.H.)":
        return Offer.EmergencyBasis.CATEGORY
    return Offer.EmergencyBasis.NONE
