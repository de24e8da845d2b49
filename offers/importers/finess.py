"""Importer of the FINESS extract in the official etalab layout (cs1100507): MSP, centres de santé,
CPTS and hospitals with their coordinates.
"""

import datetime as dt
import math
import re
from collections import defaultdict
from pathlib import Path

from django.contrib.gis.geos import Point
from pyproj import Transformer

from offers.finess import finess_problem
from offers.importers.sources import FINESS, NO_DATA_ROW, _mark_synthetic
from offers.importers.sync import _address, _commune_points, sync_offers
from offers.models import (
    Offer,
)
from territories.constants import LAMBERT93, WGS84
from territories.importers import CodeResolver
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    SyncCounts,
    import_cap,
    note_ignored_columns,
    note_reading,
    run_import,
)
from territories.importing.files import _n
from territories.importing.readers import check_row_count, open_payload, sniff_text
from territories.models import Commune

# FINESS categetab → (kind, label). Other categories are refused unless asked to skip them.
FINESS_CATEGORIES = {
    "603": Offer.Kind.MSP,
    "124": Offer.Kind.CENTRE_SANTE,
    "604": Offer.Kind.CPTS,
    "101": Offer.Kind.HOSPITAL,  # Centre hospitalier régional
    "106": Offer.Kind.HOSPITAL,  # Centre hospitalier, ex hôpital local
    "355": Offer.Kind.HOSPITAL,  # Centre hospitalier (C.H.)
}


# Lambert-93 extent of metropolitan France (with a margin), metres.
LAMBERT93_BOUNDS = (40_000, 6_020_000, 1_250_000, 7_130_000)


_transformers = {}


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
# The fields of the layout the importer reads; the others (telephone, SIRET, APE code, dates of
# authorisation and update…) are never checked, and the report lists them as ignored.
FIELDS_READ = [
    "nofinesset", "nofinessej", "rs", "rslongue", "numvoie", "typvoie", "voie", "compvoie", "lieuditbp",
    "commune", "departement", "ligneacheminement", "categetab", "dateouv", "coordxet", "coordyet",
]  # fmt: skip


# FINESS départements of overseas sites → (INSEE département prefix, EPSG of their UTM coordinates).
OVERSEAS = {
    "9A": ("971", 5490),
    "9B": ("972", 5490),
    "9C": ("973", 2972),
    "9D": ("974", 2975),
    "9F": ("976", 4471),
}


# Establishments kept from one extract (MSP, centres de santé, CPTS…: a few thousand in a national
# extract, the other categories being skipped): each costs about 8 KB until it is written (measured:
# 100,000 took 840 MB above the worker's own), so the cap keeps an import near 300 MB.
MAX_STRUCTURES = 40_000


# Longitude/latitude boxes of France (metropole + DROM) used to refuse absurd coordinates.
FRANCE_BOXES = [
    (-5.5, 41.2, 9.8, 51.2),
    (-63.2, 15.8, -60.8, 18.2),
    (-54.7, 2.0, -51.5, 6.0),
    (55.1, -21.5, 55.9, -20.8),
    (44.9, -13.1, 45.4, -12.5),
]


def decode_finess(path: Path) -> str:
    """UTF-8, Windows-1252 or latin-1, out of any container; a mix of encodings or a doubly encoded
    text (mojibake) is refused with its line (the one reading layer: ``territories.importing.readers``)."""
    payload = open_payload(path)
    text, encoding = sniff_text(payload.name, payload.data)
    check_row_count(payload.name, text)
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


def _in_france(lon, lat):
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in FRANCE_BOXES)


def import_finess(path: Path, dry_run: bool = False, skip_other_categories: bool = False, synthetic=None):
    """Import a FINESS extract (etalab cs1100507). ``synthetic`` marks hand-made samples."""
    path = Path(path)
    text = None
    info = SourceInfo(**{**FINESS.__dict__})
    try:
        text = decode_finess(path)
        header = text[: text.find("\n") if "\n" in text else None].strip().split(";")
        del text  # read again inside the run: not held twice
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
    del text
    if not any(line.strip() for line in lines):
        raise ImportRejected.single(name, NO_DATA_ROW)
    first = lines[0].split(";")
    start = 1 if first[:2] == ["finess", "etalab"] else 0
    if start == 0 and first[0] not in ("structureet", "geolocalisation"):
        raise ImportRejected.single(
            name, "en-tête « finess;etalab;… » ou enregistrement « structureet » attendu", line=1
        )
    read = _FinessRecords(name, CodeResolver.load(), skip_other_categories)
    max_structures = import_cap("MAX_FINESS_STRUCTURES", MAX_STRUCTURES)
    for number, raw in enumerate(lines[start:], start=start + 1):
        if not raw.strip():
            continue
        read.add(number, raw.split(";"))
        if len(read.problems) >= 50:
            break
        if len(read.structures) > max_structures:
            raise ImportRejected.single(
                name,
                f"fichier refusé : plus de {_n(max_structures)} établissements retenus, limite fixée "
                "pour que l’import tienne en mémoire (réglage IMPORT_MAX_FINESS_STRUCTURES ; une "
                "extraction nationale n’en retient que quelques milliers)",
                line=number,
            )
    if not read.seen and not read.problems:
        raise ImportRejected.single(name, NO_DATA_ROW, line=len(lines) or None)
    rows, outside_commune = _placed(name, read)
    if read.problems:
        raise ImportRejected(read.problems[:50])
    note_ignored_columns(name, [*STRUCTURE_FIELDS, *GEO_FIELDS], FIELDS_READ)
    dataset.rows_read = len(lines) - start
    dataset.report = {
        "etablissements": len(rows),
        "par_type": {k: sum(1 for r in rows if r["kind"] == k) for k in sorted({r["kind"] for r in rows})},
        "categories_ignorees": dict(read.skipped),
        "sans_coordonnees_place_au_point_de_la_commune": sum(
            1 for r in rows if r["location_precision"] == Offer.LocationPrecision.COMMUNE
        ),
        "coordonnees_hors_de_la_commune": outside_commune,
        # Not an error (the extract is a snapshot of two tables): listed for review.
        "geolocalisation_sans_structureet": [
            f"{finess} (ligne {line})"
            for finess, line in sorted(read.geo_lines.items())
            if finess not in read.seen
        ],
    }
    return sync_offers(dataset, rows, f"import FINESS (jeu n° {dataset.pk})")


class _FinessRecords:
    """The records of the extract, read one line at a time: ``structureet`` (an establishment) and
    ``geolocalisation`` (its Lambert-93 coordinates), every problem named by line and field."""

    def __init__(self, name, resolver, skip_other_categories):
        self.name, self.resolver, self.skip_other_categories = name, resolver, skip_other_categories
        self.problems, self.structures, self.coords, self.skipped = [], {}, {}, defaultdict(int)
        self.geo_lines = {}  # nofinesset → first geolocalisation line
        self.seen = {}  # nofinesset → line of its structureet record (skipped categories included)

    def add(self, number, parts):
        kind = parts[0]
        if kind == "structureet":
            self._structure(number, parts)
        elif kind == "geolocalisation":
            self._geolocation(number, parts)
        else:
            self.problems.append(
                Problem(self.name, number, None, f"type d’enregistrement inconnu « {kind[:20]} »")
            )

    def _structure(self, number, parts):
        name, problems = self.name, self.problems
        if len(parts) != len(STRUCTURE_FIELDS) + 1:
            message = f"{len(parts) - 1} champs au lieu de {len(STRUCTURE_FIELDS)} (ligne tronquée ?)"
            problems.append(Problem(name, number, None, message))
            return
        rec = dict(zip(STRUCTURE_FIELDS, parts[1:], strict=True))
        finess = rec["nofinesset"].strip()
        if finess in self.seen:
            message = f"numéro FINESS en double (déjà vu ligne {self.seen[finess]})"
            problems.append(Problem(name, number, "nofinesset", message))
            return
        self.seen[finess] = number
        category = rec["categetab"].strip()
        if category not in FINESS_CATEGORIES:
            if self.skip_other_categories and re.fullmatch(r"[0-9]{3}", category):
                self.skipped[category] += 1
                return
            problems.append(
                Problem(
                    name,
                    number,
                    "categetab",
                    f"catégorie « {category} » inconnue du registre "
                    f"(acceptées : {', '.join(sorted(FINESS_CATEGORIES))})",
                )
            )
            return
        for field in ("nofinesset", "nofinessej"):
            if problem := finess_problem(rec[field].strip()):
                problems.append(Problem(name, number, field, problem))
        dep, com = rec["departement"].strip(), rec["commune"].strip()
        insee = (OVERSEAS[dep][0][:2] + com) if dep in OVERSEAS else dep + com
        code = self.resolver.resolve(insee)
        if code is None:
            problems.append(Problem(name, number, "commune", f"commune inconnue « {insee} »"))
        opened = None
        if rec["dateouv"].strip():
            try:
                opened = dt.date.fromisoformat(rec["dateouv"].strip()).isoformat()
            except ValueError:
                problems.append(Problem(name, number, "dateouv", "date AAAA-MM-JJ attendue"))
        self.structures[finess] = _structure_row(rec, number, dep, code, opened, FINESS_CATEGORIES[category])

    def _geolocation(self, number, parts):
        if len(parts) != len(GEO_FIELDS) + 1:
            message = f"{len(parts) - 1} champs au lieu de {len(GEO_FIELDS)}"
            self.problems.append(Problem(self.name, number, None, message))
            return
        rec = dict(zip(GEO_FIELDS, parts[1:], strict=True))
        try:
            x, y = float(rec["coordxet"]), float(rec["coordyet"])
        except ValueError:
            if rec["coordxet"].strip() or rec["coordyet"].strip():
                self.problems.append(Problem(self.name, number, "coordxet", "coordonnées non numériques"))
            return
        self.coords[rec["nofinesset"].strip()] = (number, x, y)
        self.geo_lines.setdefault(rec["nofinesset"].strip(), number)


def _structure_row(rec, number, dep, code, opened, kind_value) -> dict:
    label = (rec["rslongue"] or rec["rs"]).strip()
    subkind = ""
    if kind_value == Offer.Kind.CENTRE_SANTE and "MUNICIPAL" in label.upper():
        subkind = Offer.SubKind.MUNICIPAL
    return {
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


def _placed(name, read: _FinessRecords):
    """Each establishment at its coordinates (checked in France, and against its commune's outline)
    or, without coordinates, at its commune's reference point."""
    structures, coords, problems = read.structures, read.coords, read.problems
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
    return rows, outside_commune
