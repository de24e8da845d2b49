"""Importer of the IGN outlines and points (ADMIN EXPRESS): communes' outlines and town-hall points,
and the outlines of every zone drawn from its communes.
"""

import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely

from territories.constants import MAP_SIMPLIFY_TOLERANCE
from territories.importers.coverage import (
    Coverage,
    check_coverage,
    departement_of,
    refuse_unknown,
    split_unknown,
)
from territories.importers.outlines import (
    build_zone_outlines,
    ewkb,
    in_threads,
    invalid_zone_outlines,
    keep_unchanged,
    valid_multipolygons,
    view,
)
from territories.importers.points import estimated_points, former_points
from territories.importers.sources import DEFAULT_DIR, GEO, CodeResolver, path_of
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SyncCounts,
    geometry_hash,
    run_import,
    sync_rows,
)
from territories.importing.readers import (
    parse_numbers,
    read_csv,
    read_geo,
)
from territories.models import (
    Commune,
)

# How far (in degrees, ≈ 2 km) a town-hall point may lie from its commune's simplified outline.
TOWN_HALL_TOLERANCE_DEG = 0.02


def import_geometries(
    directory: Path = DEFAULT_DIR,
    dry_run: bool = False,
    partial: bool = False,
    repair: bool = False,
    ignore_unknown: bool = False,
    files=None,
):
    paths = [path_of(directory, "points", files), path_of(directory, "contours", files)]
    options = {"partial": partial, "repair": repair, "ignore_unknown": ignore_unknown}
    return run_import(GEO, paths, lambda ds: _import_geometries(ds, *paths, **options), dry_run=dry_run)


# Coordinates reprojected from a metric CRS are rounded to 1e-6° (≈ 0.1 m): a file re-projected
# and back gives the same outlines as the original, to the row.
REPROJECTED_DECIMALS = 6


def _read_contours(path: Path, repair: bool = False):
    frame = read_geo(path, required=["code", "type"])
    name = frame.attrs["name"]
    frame["code"] = frame["code"].str.replace(r"^(\d{1,4})$", lambda m: m.group(1).zfill(5), regex=True)
    frame["_line"] = np.arange(1, len(frame) + 1)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if frame.attrs.get("reprojected"):
        geoms = shapely.transform(geoms, lambda xy: np.round(xy, REPROJECTED_DECIMALS))
    problems = []
    kinds = shapely.get_type_id(geoms)
    missing = shapely.is_missing(geoms)
    for i in np.flatnonzero(missing | ~np.isin(kinds, [3, 6]) | shapely.is_empty(geoms)):
        problems.append(
            Problem(
                name,
                None,
                "geometry",
                f"objet n° {i + 1} ({frame['code'].iat[i]}) : contour absent ou non polygonal",
            )
        )
    if problems:
        raise ImportRejected(problems[:50])
    bounds = shapely.bounds(geoms)
    out = np.flatnonzero(
        (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    )
    for i in out:
        problems.append(
            Problem(
                name,
                None,
                "geometry",
                f"objet n° {i + 1} ({frame['code'].iat[i]}) : coordonnées hors des bornes WGS84",
            )
        )
    dup = frame[frame.duplicated("code")]
    for _, row in dup.head(20).iterrows():
        problems.append(
            Problem(name, None, "code", f"objet n° {row['_line']} : code en double « {row['code']} »")
        )
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid) and not repair:
        problems += [
            Problem(
                name,
                None,
                "geometry",
                f"objet n° {i + 1} (commune {frame['code'].iat[i]}) : contour invalide "
                f"({shapely.is_valid_reason(geoms[i])}) ; --reparer-geometries pour le corriger",
            )
            for i in invalid[:20]
        ]
    if problems:
        raise ImportRejected(problems[:50])
    return frame.drop(columns=frame.geometry.name), geoms


def _import_geometries(
    dataset, points_path, contours_path, partial=False, repair=False, ignore_unknown=False
) -> SyncCounts:
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
        codes=["code_insee"],
    )
    points_name = points.attrs["name"]
    contours, geoms = _read_contours(contours_path, repair=repair)
    keep = contours["type"].isin(["COM", "ARM"]).to_numpy()
    contours, geoms = contours[keep].reset_index(drop=True), geoms[keep]
    mairie, interior, area = _point_coordinates(points, points_name)
    resolver = CodeResolver.load()
    former = former_points(points, interior, resolver)
    own = points["type"].isin(["COM", "ARM"]).to_numpy()
    points, mairie, interior, area = points[own], mairie[own], interior[own], area[own]
    dataset.rows_read = len(points) + len(contours)
    geoms, repaired = _repaired(contours, geoms)
    pieces, unmatched_geo = _pieces_of_communes(contours, geoms, resolver)
    point_of = _points_of_communes(points, mairie, interior, area, resolver)
    contours_name = contours.attrs.get("name", contours_path.name)
    consequence = (
        " ; importé tel quel, il redessinerait les contours des départements, régions, EPCI et bassins de "
        "vie à partir de ses seules communes"
    )
    coverage = check_coverage(contours_name, set(pieces), partial=partial, consequence=consequence)
    point_coverage = check_coverage(points_name, set(point_of), partial=partial, consequence=consequence)
    if coverage.partial or point_coverage.partial:
        # Only the départements both files cover are updated; the others keep outlines and points.
        coverage = Coverage(coverage.loaded, coverage.covered & point_coverage.covered, True)
        pieces = {c: p for c, p in pieces.items() if departement_of(c) in coverage.covered}
        point_of = {c: p for c, p in point_of.items() if departement_of(c) in coverage.covered}
    unknown, outside = split_unknown(unmatched_geo, loaded=coverage.loaded)
    if unknown and not ignore_unknown:
        refuse_unknown(contours_name, unknown)
    codes = sorted(set(pieces) | set(point_of))
    full = _union_of_pieces(codes, pieces)
    has = np.array([g is not None for g in full], dtype=bool)
    rows, misplaced, chosen = _rows_of(codes, full, has, point_of)
    full, kept = keep_unchanged(codes, full, has, {r["code"]: r["geometry_hash"] for r in rows})
    if kept:  # outlines equal to the stored ones within the tolerance: the stored ones stay
        rows, misplaced, chosen = _rows_of(codes, full, has, point_of)
    active, without = _active_and_without_outline(coverage, codes, has)
    counts = _write_communes(rows)
    outlines = build_zone_outlines(
        {
            code: (geom, digest)
            for code, geom, digest in zip(codes, full, (r["geometry_hash"] for r in rows), strict=True)
        },
        keep_stored=coverage.scope is not None,
    )
    # after the zones: a commune without outline gets a point inside its EPCI's fresh outline
    estimated = estimated_points(active, chosen, former)
    counts.add(_write_communes(estimated.rows))
    invalid = invalid_zone_outlines()
    dataset.report = {
        **coverage.report(),
        "contours_repares": repaired,
        "contours_inchanges_a_la_tolerance_pres": kept,
        "points_mairie_hors_commune_remplaces_par_point_interieur": sorted(misplaced),
        "codes_geo_inconnus_du_cog": unknown,
        "codes_hors_des_departements_charges": outside,
        "communes_sans_contour": without,
        "communes_sans_contour_avec_point_estime": estimated.report,
        "communes_sans_point": sorted(
            set(active.values_list("code", flat=True)) - set(chosen) - set(estimated.codes)
        ),
        "contours_de_zones_recalcules": outlines,
        "contours_de_zones_invalides": invalid,
    }
    if any(invalid.values()):
        raise ImportRejected.single(
            contours_name,
            "contours de zones invalides après fusion ("
            + ", ".join(f"{k} : {v}" for k, v in invalid.items() if v)
            + ") : rien n’a été écrit",
        )
    return counts


def _write_communes(rows):
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
    return counts


def _rows_of(codes, full, has, point_of):
    """The rows to write (outlines, simplified outlines, points and their hash)."""
    full_wkb, simple_wkb = _encoded_outlines(full, has)
    chosen, misplaced = _chosen_points(codes, point_of, full, has)
    return _geometry_rows(codes, chosen, full_wkb, simple_wkb), misplaced, chosen


def _active_and_without_outline(coverage, codes, has):
    """The active communes the import covers, and those of them left without an outline."""
    active = Commune.objects.filter(is_active=True)
    if coverage.scope is not None:
        active = active.filter(departement_id__in=sorted(coverage.scope))
    without = sorted(
        active.exclude(code__in=[c for c, p in zip(codes, has, strict=True) if p]).values_list(
            "code", flat=True
        )
    )
    return active, without


def _point_coordinates(points, points_name):
    """Town-hall and interior points (lat, lon) and areas, every value checked (file, line, field)."""
    problems, columns = [], {}
    for column, bound in (
        ("mairie_lat", 90),
        ("mairie_lon", 180),
        ("point_interieur_lat", 90),
        ("point_interieur_lon", 180),
    ):
        columns[column], found = parse_numbers(
            points_name,
            points,
            column,
            minimum=-bound,
            maximum=bound,
            allow_empty=True,
            expected="coordonnée attendue",
        )
        problems += found
    area, found = parse_numbers(points_name, points, "superficie_approx_km2", minimum=0, allow_empty=True)
    problems += found
    if problems:
        raise ImportRejected(problems[:50])
    mairie = np.column_stack([columns["mairie_lat"], columns["mairie_lon"]])
    interior = np.column_stack([columns["point_interieur_lat"], columns["point_interieur_lon"]])
    return mairie, interior, area


def _repaired(contours, geoms):
    """Self-intersections (from the simplification) are repaired only when asked, and reported."""
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
    return geoms, repaired


def _pieces_of_communes(contours, geoms, resolver):
    """The outlines of each commune of today (several for a commune nouvelle), and the codes left."""
    pieces = defaultdict(list)
    unmatched_geo = []
    for code, geom in zip(contours["code"], geoms, strict=True):
        target = resolver.resolve(code)
        if target is None:
            unmatched_geo.append(code)
        else:
            pieces[target].append((code == target, geom))
    return pieces, unmatched_geo


def _points_of_communes(points, mairie, interior, area, resolver):
    """(town hall, interior point, area) of each commune of today; its own row wins over a merged one."""
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
            point_of[target] = (town_hall, inside, None if np.isnan(area[i]) else float(area[i]))
    return point_of


def _union_of_pieces(codes, pieces):
    """The outline of each commune (a commune nouvelle as the union of the outlines of the
    communes it merged), a valid MultiPolygon, or None. The single outlines were checked (or
    repaired) on reading: only the unions are checked again."""
    full = np.full(len(codes), None, dtype=object)
    merged = []
    for i, code in enumerate(codes):
        parts = pieces.get(code, [])
        if len(parts) == 1:
            full[i] = parts[0][1]
        elif parts:  # a commune nouvelle: union of the outlines of the communes it merged
            full[i] = shapely.coverage_union_all([g for _, g in parts])
            merged.append(i)
    single = np.flatnonzero(shapely.get_type_id(full) == 3)
    full[single] = [shapely.multipolygons([g]) for g in full[single]]
    if merged:
        full[merged] = valid_multipolygons(
            np.array([shapely.multipolygons(shapely.get_parts(g)) for g in full[merged]], dtype=object)
        )
    return full


def _encoded_outlines(full, has):
    """Full and simplified outlines (EWKB), the simplified ones valid MultiPolygons; in slices on
    every core (GEOS releases Python's lock)."""
    where = np.flatnonzero(has)
    slices = np.array_split(where, max(1, min(8, os.cpu_count() or 1) * 2)) if len(where) else []
    full_wkb = np.full(len(full), None, dtype=object)
    simple_wkb = np.full(len(full), None, dtype=object)
    for part, (whole, simple) in zip(slices, in_threads(lambda p: _encoded(full[p]), slices), strict=True):
        full_wkb[part], simple_wkb[part] = whole, simple
    return full_wkb, simple_wkb


def _encoded(outlines):
    """EWKB of outlines and of their simplified, valid version."""
    outlines = outlines.astype(object)
    simple = valid_multipolygons(shapely.simplify(outlines, MAP_SIMPLIFY_TOLERANCE, preserve_topology=True))
    return ewkb(outlines), ewkb(simple.astype(object))


def _chosen_points(codes, point_of, full, has):
    """A town-hall point must lie in (or next to) its commune's outline; the source has a few with
    latitude copied into longitude (49.58, 49.58): those fall back to the interior point. A commune
    with an outline and no point gets a point inside its outline. (Checked in one vectorised call.)"""
    n = len(codes)
    town_hall = np.full((n, 2), np.nan)
    for i, code in enumerate(codes):
        if code in point_of and point_of[code][0] is not None:
            town_hall[i] = point_of[code][0]
    check = has & ~np.isnan(town_hall).any(axis=1)
    near = np.zeros(n, dtype=bool)
    near[check] = shapely.dwithin(
        full[check].astype(object),
        shapely.points(town_hall[check, 1], town_hall[check, 0]),
        TOWN_HALL_TOLERANCE_DEG,
    )
    misplaced = [codes[i] for i in np.flatnonzero(check & ~near)]
    chosen = {}
    for i, code in enumerate(codes):
        _, inside, area = point_of.get(code, (None, None, None))
        if check[i] and near[i] or (not has[i] and not np.isnan(town_hall[i]).any()):
            chosen[code] = (town_hall[i], Commune.PointSource.TOWN_HALL, area)
        elif inside is not None:
            chosen[code] = (inside, Commune.PointSource.INTERIOR, area)
        elif has[i]:
            point = shapely.point_on_surface(full[i])
            chosen[code] = ((point.y, point.x), Commune.PointSource.INTERIOR, area)
    return chosen, misplaced


def _geometry_rows(codes, chosen, full_wkb, simple_wkb) -> list[dict]:
    points = np.full(len(codes), None, dtype=object)
    where = [i for i, code in enumerate(codes) if code in chosen]
    if where:
        lat_lon = np.array([chosen[codes[i]][0] for i in where], dtype=float)
        points[where] = ewkb(shapely.points(lat_lon[:, 1], lat_lon[:, 0]))
    rows = []
    for i, code in enumerate(codes):
        point = chosen.get(code)
        rows.append(
            {
                "code": code,
                "geometry": view(full_wkb[i]),
                "geometry_simplified": view(simple_wkb[i]),
                "point": view(points[i]),
                "point_source": point[1] if point else "",
                "area_km2": point[2] if point else None,
                "geometry_hash": geometry_hash(full_wkb[i], simple_wkb[i], points[i]),
            }
        )
    return rows
