"""Importers of the care-offer registry, following the territories import contract.

* FINESS extract in the official etalab layout (cs1100507: ``structureet`` and
  ``geolocalisation`` records, Lambert-93 coordinates) → MSP, centres de santé, CPTS, hospitals.
* The real public-hospital extract (a column subset of cs1100507, no coordinates): each site is
  placed at its commune's reference point, ``location_precision=COMMUNE``.
* GP supply per commune: SIRENE 86.21Z establishments (a proxy, COG 2019 codes) or an
  Annuaire santé / RPPS extraction (practitioners). The SIRENE run also stores, from the same
  file (column ``hopital``), the establishments of NAF 86.10Z « activités hospitalières » per
  commune (:class:`~offers.models.HospitalActivity`, a proxy used for « pôles hospitaliers »).
* ARS zonage médecins (ZIP / ZAC / HZ / ZAR and ZRR), per set of départements.

Idempotency: a re-run on the same file writes nothing. Offers are matched on their FINESS
établissement number; a field edited by hand since the last import is never overwritten: the
difference is recorded as an :class:`~offers.models.ImportConflict` for review. Offers absent from
a new file are listed in the report, never deleted or closed automatically.
"""

import datetime as dt
import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Point
from pyproj import Transformer
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from offers.finess import finess_problem, normalize_finess
from offers.models import (
    POLE_HOSPITALIER_MIN_ESTABLISHMENTS,
    RETIREMENT_AGE,
    DoctorZoning,
    GPSupply,
    HospitalActivity,
    ImportConflict,
    Offer,
)
from territories.constants import LAMBERT93, WGS84
from territories.importers import CodeResolver, check_coverage, departement_of, refuse_unknown, split_unknown
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    SyncCounts,
    note_reading,
    run_import,
)
from territories.importing.readers import open_payload, parse_numbers, read_csv, sniff_text
from territories.models import Commune, Dataset

DEFAULT_DIR = settings.FIXTURES_DIR / "offers"
HOSPITALS_FILE = "finess_centres_hospitaliers_2023.csv"
SIRENE_FILE = "PS_communes_sirene_2019.csv.gz"
ZONAGE_FILE = "zonage_medecins_23_48_75.csv"

GP_SOURCES = ("rpps-annuaire-sante", "sirene-86-21z")  # preferred first

HOSPITALS = SourceInfo(
    source="finess-hopitaux-publics",
    title="FINESS — sites des centres hospitaliers publics (métropole)",
    publisher="Ministère de la Santé et DREES (FINESS), "
    "extraction via jeremtti/medical_desert_disease_prevalence",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="FINESS, ministère de la Santé / DREES",
    millesime="extraction FINESS 2023 (date exacte non documentée)",
    url="https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/",
)
SIRENE = SourceInfo(
    source="sirene-86-21z",
    title="Médecins généralistes : établissements SIRENE 86.21Z — proxy",
    publisher="INSEE (base SIRENE), agrégation virgilus/desert-medicaux-global",
    licence="Licence Ouverte / Etalab 2.0 (données SIRENE) ; agrégation sous licence MIT",
    attribution="INSEE, base SIRENE des entreprises et de leurs établissements ; © 2019 Mag3",
    millesime="stock SIRENE début 2019 (codes COG 2019)",
    url="https://github.com/virgilus/desert-medicaux-global",
    is_proxy=True,
)
RPPS = SourceInfo(
    source="rpps-annuaire-sante",
    title="Médecins généralistes : Annuaire santé (RPPS), extraction en libre accès",
    publisher="Agence du numérique en santé (Annuaire santé)",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="Annuaire santé, Agence du numérique en santé",
    millesime="",
    url="https://annuaire.sante.fr/web/site-pro/extractions-publiques",
)
ZONAGE = SourceInfo(
    source="ars-zonage-medecins",
    title="Zonage médecins généralistes des ARS (ZIP, ZAC, HZ, ZAR) et ZRR",
    publisher="Agences régionales de santé, via Alternantsauvage/ZonageMed",
    licence="Licence Ouverte / Etalab 2.0 (données administratives publiques)",
    attribution="ARS, zonage médecins en vigueur ; à vérifier contre les arrêtés",
    millesime="zonage en vigueur mi-2025",
    url="https://github.com/Alternantsauvage/ZonageMed",
)
FINESS = SourceInfo(
    source="finess-etalab",
    title="FINESS — extraction des établissements géolocalisés (etalab cs1100507)",
    publisher="Ministère de la Santé et DREES (FINESS)",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="FINESS, ministère de la Santé / DREES",
    millesime="",
    url="https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/",
)

# FINESS categetab → (kind, label). Other categories are refused unless asked to skip them.
FINESS_CATEGORIES = {
    "603": Offer.Kind.MSP,
    "124": Offer.Kind.CENTRE_SANTE,
    "604": Offer.Kind.CPTS,
    "101": Offer.Kind.HOSPITAL,  # Centre hospitalier régional
    "106": Offer.Kind.HOSPITAL,  # Centre hospitalier, ex hôpital local
    "355": Offer.Kind.HOSPITAL,  # Centre hospitalier (C.H.)
}
STRUCTURE_FIELDS = [
    "nofinesset",
    "nofinessej",
    "rs",
    "rslongue",
    "complrs",
    "compldistrib",
    "numvoie",
    "typvoie",
    "voie",
    "compvoie",
    "lieuditbp",
    "commune",
    "departement",
    "libdepartement",
    "ligneacheminement",
    "telephone",
    "telecopie",
    "categetab",
    "libcategetab",
    "categagretab",
    "libcategagretab",
    "siret",
    "codeape",
    "codemft",
    "libmft",
    "codesph",
    "libsph",
    "dateouv",
    "dateautor",
    "datemaj",
]
GEO_FIELDS = ["nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj"]
# Lambert-93 extent of metropolitan France (with a margin), metres.
LAMBERT93_BOUNDS = (40_000, 6_020_000, 1_250_000, 7_130_000)
# FINESS départements of overseas sites → (INSEE département prefix, EPSG of their UTM coordinates).
OVERSEAS = {
    "9A": ("971", 5490),
    "9B": ("972", 5490),
    "9C": ("973", 2972),
    "9D": ("974", 2975),
    "9F": ("976", 4471),
}
# Longitude/latitude boxes of France (metropole + DROM) used to refuse absurd coordinates.
FRANCE_BOXES = [
    (-5.5, 41.2, 9.8, 51.2),
    (-63.2, 15.8, -60.8, 18.2),
    (-54.7, 2.0, -51.5, 6.0),
    (55.1, -21.5, 55.9, -20.8),
    (44.9, -13.1, 45.4, -12.5),
]
IMPORTED_FIELDS = [
    "kind",
    "subkind",
    "name",
    "finess_ej",
    "address",
    "commune",
    "location",
    "location_precision",
    "status",
    "opened_on",
    "emergency_basis",
]
NO_DATA_ROW = "aucune ligne de données (fichier vide ou tronqué ?)"
# UTF-8 read as latin-1 / cp1252: "Ã©" for "é", "Ã‰" for "É", "Â°" for "°".


SYNTHETIC_LICENCE = "échantillon synthétique fabriqué pour les tests (aucune donnée réelle)"


def _mark_synthetic(info: SourceInfo) -> None:
    """A hand-made sample in an official layout: say so in the title, licence and attribution."""
    info.is_synthetic = True
    info.title += " — échantillon synthétique"
    info.licence = SYNTHETIC_LICENCE
    info.publisher = f"échantillon fabriqué à la main au format de : {info.publisher}"
    info.attribution = "aucune (données fictives)"


# --- helpers shared by the offer importers -----------------------------------------------------


def _json_value(field, value):
    """The comparable, JSON-serialisable form of a field value (as stored in imported_values)."""
    if field == "location":
        return None if value is None else [round(value.x, 6), round(value.y, 6)]
    if field == "commune":
        return value if isinstance(value, str) or value is None else value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _current_value(offer, field):
    if field == "commune":
        return offer.commune_id
    return _json_value(field, getattr(offer, field))


def _python_value(field, value):
    if field == "location":
        return None if value is None else Point(value[0], value[1], srid=WGS84)
    if field == "opened_on":
        return dt.date.fromisoformat(value) if value else None
    return value


def apply_value(offer, field, json_value):
    """Set a field on an offer from its imported_values form."""
    if field == "commune":
        offer.commune_id = json_value
    else:
        setattr(offer, field, _python_value(field, json_value))


def sync_offers(dataset, rows: list[dict], reason: str) -> SyncCounts:
    """Upsert offers keyed by FINESS établissement; hand edits are never overwritten silently.

    ``rows`` hold IMPORTED_FIELDS (JSON form, commune as code) plus ``finess_et``.
    """
    counts = SyncCounts()
    existing = {o.finess_et: o for o in Offer.objects.filter(finess_et__in=[r["finess_et"] for r in rows])}
    open_conflicts = {
        (c.offer_id, c.field): c.imported_value
        for c in ImportConflict.objects.filter(
            offer__in=existing.values(), resolution=ImportConflict.Resolution.OPEN
        )
    }
    creates, updates, conflicts = [], [], []
    for row in rows:
        incoming = {f: row[f] for f in IMPORTED_FIELDS}
        offer = existing.get(row["finess_et"])
        if offer is None:
            offer = Offer(finess_et=row["finess_et"], dataset=dataset, imported_values=incoming)
            for field, value in incoming.items():
                apply_value(offer, field, value)
            creates.append(offer)
            continue
        changed = False
        for field, value in incoming.items():
            current = _current_value(offer, field)
            if current == value:
                continue
            last_imported = offer.imported_values.get(field, current)
            if value == last_imported:
                continue  # the source did not change: the hand edit stands, nothing to review
            if current == last_imported:
                apply_value(offer, field, value)  # not edited by hand since the last import
                changed = True
            elif open_conflicts.get((offer.pk, field), object()) != value:
                conflicts.append(
                    ImportConflict(
                        offer=offer,
                        dataset=dataset,
                        field=field,
                        current_value=current,
                        imported_value=value,
                    )
                )
        if offer.imported_values != incoming:
            offer.imported_values = incoming
            changed = True
        if changed:
            offer.dataset = dataset
            offer.version += 1
            offer.updated_by = None
            updates.append(offer)
        else:
            counts.unchanged += 1
    if creates:
        bulk_create_with_history(creates, Offer, batch_size=1000, default_change_reason=reason)
        counts.created = len(creates)
    if updates:
        bulk_update_with_history(
            updates,
            Offer,
            fields=[*IMPORTED_FIELDS, "imported_values", "dataset", "version", "updated_by"],
            batch_size=1000,
            default_change_reason=reason,
        )
        counts.updated = len(updates)
    ImportConflict.objects.bulk_create(conflicts, batch_size=1000)
    dataset.report["conflits"] = [f"{c.offer.finess_et} {c.offer.name} : {c.field}" for c in conflicts[:200]]
    dataset.report["nombre_conflits"] = len(conflicts)
    return counts


def _commune_points(codes) -> dict[str, list[float] | None]:
    return {
        code: (None if point is None else [round(point.x, 6), round(point.y, 6)])
        for code, point in Commune.objects.filter(code__in=set(codes)).values_list("code", "point")
    }


class _Row(dict):
    """Attribute access to a CSV record (keeps the ``_line`` column itertuples would rename)."""

    __getattr__ = dict.__getitem__


def _address(*parts) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())[:255]


# --- the real public-hospital extract ----------------------------------------------------------


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
                problems.append(Problem(path.name, line, field, problem))
        code = resolver.resolve(r.code_insee)
        if code is None:
            problems.append(Problem(path.name, line, "code_insee", f"commune inconnue « {r.code_insee} »"))
        elif code != r.code_insee.strip():
            remapped[r.code_insee.strip()] = code
        if r.est_smur_ou_urgences_nom not in ("0", "1"):
            problems.append(Problem(path.name, line, "est_smur_ou_urgences_nom", "0 ou 1 attendu"))
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


# --- FINESS extract, official etalab layout ----------------------------------------------------


def decode_finess(path: Path) -> str:
    """UTF-8, Windows-1252 or latin-1, out of any container; a mix of encodings or a doubly encoded
    text (mojibake) is refused with its line (the one reading layer: ``territories.importing.readers``)."""
    payload = open_payload(path)
    text, encoding = sniff_text(payload.name, payload.data)
    note_reading(payload.name, {**payload.notes, "format": "CSV FINESS", "encodage": encoding})
    return text


def _to_wgs84(x, y, departement):
    if departement in OVERSEAS:
        epsg = OVERSEAS[departement][1]
    else:
        epsg = LAMBERT93
    transformer = _transformers.get(epsg)
    if transformer is None:
        transformer = _transformers[epsg] = Transformer.from_crs(epsg, WGS84, always_xy=True)
    return transformer.transform(x, y)


_transformers = {}


def _in_france(lon, lat):
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in FRANCE_BOXES)


def import_finess(path: Path, dry_run: bool = False, skip_other_categories: bool = False, synthetic=None):
    """Import a FINESS extract (etalab cs1100507). ``synthetic`` marks hand-made samples."""
    path = Path(path)
    text = None
    info = SourceInfo(**{**FINESS.__dict__})
    try:
        text = decode_finess(path)
        header = text.split("\n", 1)[0].strip().split(";")
        if header[:2] == ["finess", "etalab"] and len(header) >= 4:
            info.millesime = f"extraction du {header[3]}"
    except ImportRejected:
        pass  # reported by the run below, with a dataset record
    info.millesime = info.millesime or "extraction FINESS (date inconnue)"
    if synthetic is None:
        synthetic = "synthetique" in path.name or "synthetic" in path.name
    if synthetic:
        _mark_synthetic(info)

    def work(dataset):
        return _import_finess(dataset, path, decode_finess(path), skip_other_categories)

    return run_import(info, [path], work, dry_run=dry_run)


def _import_finess(dataset, path, text, skip_other_categories) -> SyncCounts:
    name = path.name
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise ImportRejected.single(name, NO_DATA_ROW)
    first = lines[0].split(";")
    start = 1 if first[:2] == ["finess", "etalab"] else 0
    if start == 0 and first[0] not in ("structureet", "geolocalisation"):
        raise ImportRejected.single(
            name, "en-tête « finess;etalab;… » ou enregistrement « structureet » attendu", line=1
        )
    resolver = CodeResolver.load()
    problems, structures, coords, skipped = [], {}, {}, defaultdict(int)
    geo_lines = {}  # nofinesset → first geolocalisation line
    seen = {}  # nofinesset → line of its structureet record (skipped categories included)
    for number, raw in enumerate(lines[start:], start=start + 1):
        if not raw.strip():
            continue
        parts = raw.split(";")
        kind = parts[0]
        if kind == "structureet":
            if len(parts) != len(STRUCTURE_FIELDS) + 1:
                problems.append(
                    Problem(
                        name,
                        number,
                        None,
                        f"{len(parts) - 1} champs au lieu de {len(STRUCTURE_FIELDS)} (ligne tronquée ?)",
                    )
                )
                continue
            rec = dict(zip(STRUCTURE_FIELDS, parts[1:], strict=True))
            finess = rec["nofinesset"].strip()
            if finess in seen:
                problems.append(
                    Problem(
                        name, number, "nofinesset", f"numéro FINESS en double (déjà vu ligne {seen[finess]})"
                    )
                )
                continue
            seen[finess] = number
            category = rec["categetab"].strip()
            if category not in FINESS_CATEGORIES:
                if skip_other_categories and re.fullmatch(r"[0-9]{3}", category):
                    skipped[category] += 1
                    continue
                problems.append(
                    Problem(
                        name,
                        number,
                        "categetab",
                        f"catégorie « {category} » inconnue du registre "
                        f"(acceptées : {', '.join(sorted(FINESS_CATEGORIES))})",
                    )
                )
                continue
            for field in ("nofinesset", "nofinessej"):
                if problem := finess_problem(rec[field].strip()):
                    problems.append(Problem(name, number, field, problem))
            dep, com = rec["departement"].strip(), rec["commune"].strip()
            insee = (OVERSEAS[dep][0][:2] + com) if dep in OVERSEAS else dep + com
            code = resolver.resolve(insee)
            if code is None:
                problems.append(Problem(name, number, "commune", f"commune inconnue « {insee} »"))
            opened = None
            if rec["dateouv"].strip():
                try:
                    opened = dt.date.fromisoformat(rec["dateouv"].strip()).isoformat()
                except ValueError:
                    problems.append(Problem(name, number, "dateouv", "date AAAA-MM-JJ attendue"))
            label = (rec["rslongue"] or rec["rs"]).strip()
            kind_value = FINESS_CATEGORIES[category]
            subkind = ""
            if kind_value == Offer.Kind.CENTRE_SANTE and "MUNICIPAL" in label.upper():
                subkind = Offer.SubKind.MUNICIPAL
            structures[rec["nofinesset"].strip()] = {
                "_line": number,
                "_dep": dep,
                "finess_et": rec["nofinesset"].strip(),
                "kind": kind_value,
                "subkind": subkind,
                "name": label[:255],
                "finess_ej": rec["nofinessej"].strip(),
                "address": _address(
                    rec["numvoie"],
                    rec["typvoie"],
                    rec["voie"],
                    rec["compvoie"],
                    rec["lieuditbp"],
                    "—",
                    rec["ligneacheminement"],
                ),
                "commune": code,
                "location": None,
                "location_precision": Offer.LocationPrecision.COMMUNE,
                "status": Offer.Status.OPEN,
                "opened_on": opened,
                "emergency_basis": "",
            }
        elif kind == "geolocalisation":
            if len(parts) != len(GEO_FIELDS) + 1:
                problems.append(
                    Problem(name, number, None, f"{len(parts) - 1} champs au lieu de {len(GEO_FIELDS)}")
                )
                continue
            rec = dict(zip(GEO_FIELDS, parts[1:], strict=True))
            try:
                x, y = float(rec["coordxet"]), float(rec["coordyet"])
            except ValueError:
                if rec["coordxet"].strip() or rec["coordyet"].strip():
                    problems.append(Problem(name, number, "coordxet", "coordonnées non numériques"))
                continue
            coords[rec["nofinesset"].strip()] = (number, x, y)
            geo_lines.setdefault(rec["nofinesset"].strip(), number)
        else:
            problems.append(Problem(name, number, None, f"type d’enregistrement inconnu « {kind[:20]} »"))
        if len(problems) >= 50:
            break
    if not seen and not problems:
        raise ImportRejected.single(name, NO_DATA_ROW, line=len(lines) or None)
    rows, outside_commune = [], []
    points = _commune_points(s["commune"] for s in structures.values() if s["commune"])
    geometries = dict(
        Commune.objects.filter(code__in={s["commune"] for s in structures.values()}).values_list(
            "code", "geometry"
        )
    )
    for finess, struct in structures.items():
        line, dep = struct.pop("_line"), struct.pop("_dep")
        if finess in coords:
            gline, x, y = coords[finess]
            x0, y0, x1, y1 = LAMBERT93_BOUNDS
            if dep not in OVERSEAS and not (x0 <= x <= x1 and y0 <= y <= y1):
                problems.append(
                    Problem(
                        name, gline, "coordxet", f"coordonnées ({x}, {y}) hors de France (Lambert-93 attendu)"
                    )
                )
                continue
            lon, lat = _to_wgs84(x, y, dep)
            if not (math.isfinite(lon) and math.isfinite(lat) and _in_france(lon, lat)):
                problems.append(Problem(name, gline, "coordxet", f"coordonnées ({x}, {y}) hors de France"))
                continue
            struct["location"] = [round(lon, 6), round(lat, 6)]
            struct["location_precision"] = Offer.LocationPrecision.EXACT
            geometry = geometries.get(struct["commune"])
            if geometry is not None and not geometry.contains(Point(lon, lat, srid=WGS84)):
                outside_commune.append(f"{finess} (ligne {line})")
        else:
            struct["location"] = points.get(struct["commune"])
        rows.append(struct)
    if problems:
        raise ImportRejected(problems[:50])
    dataset.rows_read = len(lines) - start
    dataset.report = {
        "etablissements": len(rows),
        "par_type": {k: sum(1 for r in rows if r["kind"] == k) for k in sorted({r["kind"] for r in rows})},
        "categories_ignorees": dict(skipped),
        "sans_coordonnees_place_au_point_de_la_commune": sum(
            1 for r in rows if r["location_precision"] == Offer.LocationPrecision.COMMUNE
        ),
        "coordonnees_hors_de_la_commune": outside_commune,
        # Not an error (the extract is a snapshot of two tables): listed for review.
        "geolocalisation_sans_structureet": [
            f"{finess} (ligne {line})" for finess, line in sorted(geo_lines.items()) if finess not in seen
        ],
    }
    return sync_offers(dataset, rows, f"import FINESS (jeu n° {dataset.pk})")


# --- GP supply ---------------------------------------------------------------------------------


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
    # Arrondissements (Paris, Lyon, Marseille) are kept and also summed into their commune,
    # which the source omits (75056, 69123, 13055 have no row of their own).
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
    dataset.rows_read = len(records)
    previous = _latest_gp_dataset(dataset.source)
    carried = 0
    if coverage.scope is not None and previous is not None:
        # A partial file updates its départements; the others keep the current supply.
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
    if records and "hospital_establishments" in records[0][2]:
        counts.add(_store_hospital_activity(dataset, records, resolver, coverage.scope))
    elif dataset.is_proxy:
        dataset.report["activites_hospitalieres_86_10Z"] = "colonne « hopital » absente : rien d’importé"
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
    datasets = Dataset.objects.filter(
        source=source, status=Dataset.Status.SUCCEEDED, hospital_activity__isnull=False
    )
    if not include_synthetic:
        datasets = datasets.filter(is_synthetic=False)
    return datasets.distinct().order_by("-started_at", "-pk").first()


def _latest_gp_dataset(source):
    return (
        Dataset.objects.filter(source=source, status=Dataset.Status.SUCCEEDED, gp_supply__isnull=False)
        .distinct()
        .order_by("-started_at", "-pk")
        .first()
    )


# --- ARS zonage --------------------------------------------------------------------------------

ZONE_CODES = {
    "1_ZIP": "ZIP",
    "2_ZAC": "ZAC",
    "3_HZ": "HZ",
    "4_ZAR": "ZAR",
    "ZIP": "ZIP",
    "ZAC": "ZAC",
    "HZ": "HZ",
    "ZAR": "ZAR",
}


def _zrr(value: str):
    value = value.strip()
    if not value:
        return None, True
    head = value.split(" ", 1)[0].upper()
    if head == "C":
        return True, True
    if head == "NC":
        return False, True
    return None, False


def import_zonage(
    path: Path | None = None,
    dry_run: bool = False,
    millesime: str = "",
    partial: bool = False,
    ignore_unknown: bool = False,
) -> Dataset:
    """The ARS zonage of the communes of the file. A file covering only some départements is refused
    unless ``partial`` (the others keep their zonage); unknown codes refuse it unless
    ``ignore_unknown`` (they are then listed)."""
    path = Path(path or DEFAULT_DIR / ZONAGE_FILE)
    info = SourceInfo(**{**ZONAGE.__dict__})
    if millesime:
        info.millesime = millesime
    return run_import(
        info,
        [path],
        lambda ds: _import_zonage(ds, path, partial=partial, ignore_unknown=ignore_unknown),
        dry_run=dry_run,
    )


def _import_zonage(dataset, path, partial=False, ignore_unknown=False) -> SyncCounts:
    frame = read_csv(
        path,
        required=["code_insee", "zonage_medecins", "zrr"],
        not_empty=["code_insee", "zonage_medecins"],
        codes=["code_insee"],
    )
    name = frame.attrs["name"]
    resolver = CodeResolver.load()
    resolved = [resolver.resolve(code) for code in frame["code_insee"]]
    problems, by_commune = [], {}
    for r in frame.to_dict("records"):
        r = _Row(r)
        line = int(r._line)
        zone = ZONE_CODES.get(r.zonage_medecins.strip())
        if zone is None:
            problems.append(Problem(name, line, "zonage_medecins", f"zonage inconnu « {r.zonage_medecins} »"))
        zrr, ok = _zrr(r.zrr)
        if not ok:
            problems.append(Problem(name, line, "zrr", f"valeur ZRR inconnue « {r.zrr} »"))
        code = resolver.resolve(r.code_insee)
        if code is None:
            continue  # unknown (ignored on request) or outside the loaded départements: listed
        if code in by_commune and by_commune[code][:2] != (zone, zrr):
            problems.append(
                Problem(
                    name,
                    line,
                    "zonage_medecins",
                    f"commune {code} classée différemment ligne {by_commune[code][2]}",
                )
            )
        by_commune.setdefault(code, (zone, zrr, line))
        if len(problems) >= 50:
            break
    if problems:
        raise ImportRejected(problems)
    coverage = check_coverage(name, [c for c in resolved if c], partial=partial, uploadable=True)
    unmatched = {
        code: int(line)
        for code, line, target in zip(frame["code_insee"], frame["_line"], resolved, strict=True)
        if target is None
    }
    unknown, outside = split_unknown(unmatched, loaded=coverage.loaded)
    if unknown and not ignore_unknown:
        refuse_unknown(name, unknown, unmatched, "code_insee")
    current = current_zoning_rows(list(by_commune))
    writes = [
        DoctorZoning(dataset=dataset, commune_id=code, zone=zone, zrr=zrr)
        for code, (zone, zrr, _line) in by_commune.items()
        if current.get(code) != (zone, zrr)
    ]
    DoctorZoning.objects.bulk_create(writes, batch_size=2000)
    departements = sorted(
        set(Commune.objects.filter(code__in=list(by_commune)).values_list("departement_id", flat=True))
    )
    dataset.rows_read = len(frame)
    dataset.report = {
        **coverage.report(),
        "departements": departements,
        "communes": len(by_commune),
        "codes_inconnus_ignores": unknown,
        "codes_hors_des_departements_charges": outside,
        "par_zone": {z: sum(1 for v in by_commune.values() if v[0] == z) for z in DoctorZoning.Zone.values},
    }
    updated = sum(1 for w in writes if w.commune_id in current)
    return SyncCounts(created=len(writes) - updated, updated=updated, unchanged=len(by_commune) - len(writes))


def current_zoning_rows(codes=None) -> dict[str, tuple[str, bool | None]]:
    """Commune code → (zone, zrr) from the latest successful import covering each commune."""
    rows = DoctorZoning.objects.filter(dataset__status=Dataset.Status.SUCCEEDED)
    if codes is not None:
        rows = rows.filter(commune_id__in=codes)
    result = {}
    for code, zone, zrr in rows.order_by("dataset__started_at", "dataset_id").values_list(
        "commune_id", "zone", "zrr"
    ):
        result[code] = (zone, zrr)
    return result
