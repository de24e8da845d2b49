"""Outlines written only when they change, and valid: a commune's outline unchanged within a
tolerance keeps its stored version; zones are dissolved from their communes with a snapping
tolerance, repaired, and checked (0 invalid outlines after every import).
"""

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from territories.constants import MAP_SIMPLIFY_TOLERANCE, WGS84
from territories.importing.contract import geometry_hash, sync_rows
from territories.models import EPCI, BassinDeVie, Commune, Departement, Region

# Two outlines of one commune closer than this (Hausdorff distance, degrees; ≈ 1 m) are the same
# outline: a file reprojected from Lambert-93 and back differs by 1e-6° and rewrites nothing.
UNCHANGED_TOLERANCE_DEG = 1e-5
# Independently simplified communes' shared borders differ slightly: zones are dissolved on this
# grid (degrees, ≈ 1 m) when their communes do not form an exact coverage.
SNAP_GRID_DEG = 1e-5
# Régions after départements: a région is drawn from its départements' outlines when they were just
# dissolved (a tenth of the work of dissolving its communes again).
ZONE_LEVELS = ((Departement, 1), (Region, 2), (EPCI, 3), (BassinDeVie, 4))


def polygonal(geom):
    """The polygons of ``geom`` (a collection from make_valid may hold lines) as a MultiPolygon."""
    parts = shapely.get_parts(geom)
    return shapely.multipolygons(parts[shapely.get_type_id(parts) == 3])


def valid_multipolygons(geoms):
    """Every geometry as a valid MultiPolygon: invalid ones repaired (make_valid, polygons kept,
    overlapping parts merged); vectorised, only the invalid ones touched."""
    geoms = np.asarray(geoms, dtype=object).copy()
    present = ~shapely.is_missing(geoms)
    bad = present & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(bad):
        fixed = polygonal(shapely.make_valid(geoms[i]))
        geoms[i] = polygonal(shapely.union_all(shapely.get_parts(fixed)))
    single = present & (shapely.get_type_id(geoms) == 3)
    geoms[single] = [shapely.multipolygons([g]) for g in geoms[single]]
    return geoms


def ewkb(geoms):
    """EWKB (with SRID 4326) of shapely geometries: written as is, never through GEOS objects."""
    return shapely.to_wkb(shapely.set_srid(geoms, WGS84), include_srid=True)


def view(wkb):
    return memoryview(wkb) if wkb is not None else None


def keep_unchanged(codes, full, has, digests: dict) -> tuple[np.ndarray, list[str]]:
    """Outlines equal to the stored ones within ``UNCHANGED_TOLERANCE_DEG`` are replaced by the
    stored ones (so their hash, and their zones, do not change). ``digests`` maps a code to the
    hash its new row would get; only communes whose hash differs from the stored one are read back.
    Returns the outlines and the codes kept as stored."""
    stored_hash = dict(
        Commune.objects.filter(code__in=codes, geometry__isnull=False).values_list("code", "geometry_hash")
    )
    differing = [c for c, h in digests.items() if c in stored_hash and stored_hash[c] != h]
    if not differing:
        return full, []
    index = {code: i for i, code in enumerate(codes)}
    stored = {}
    for start in range(0, len(differing), 2000):
        batch = differing[start : start + 2000]
        for code, wkb in Commune.objects.filter(code__in=batch).values_list("code", "geometry"):
            stored[code] = shapely.from_wkb(bytes(wkb.wkb))
    candidates = [c for c in differing if has[index[c]] and c in stored]
    if not candidates:
        return full, []
    new = np.array([full[index[c]] for c in candidates], dtype=object)
    old = np.array([stored[c] for c in candidates], dtype=object)
    close = shapely.hausdorff_distance(new, old) <= UNCHANGED_TOLERANCE_DEG
    full = full.copy()
    kept = []
    for code, geom, same in zip(candidates, old, close, strict=True):
        if same:
            full[index[code]] = geom
            kept.append(code)
    return full, sorted(kept)


def union_of(geoms):
    """The union of outlines that share their borders (a coverage), snapped on a grid when they
    overlap or leave slivers."""
    try:
        return shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:  # independently simplified outlines overlap slightly
        return shapely.union_all(geoms, grid_size=SNAP_GRID_DEG)


def simplified(union):
    """The simplified, valid outline of a zone from the union of its communes."""
    union = shapely.simplify(union, MAP_SIMPLIFY_TOLERANCE * 2, preserve_topology=True)
    return valid_multipolygons([polygonal(union)])[0]


def _dissolved(geoms):
    """(union, simplified valid outline) of a zone's parts."""
    union = union_of(geoms)
    return union, simplified(union)


def in_threads(function, items: list, workers: int | None = None) -> list:
    """``[function(item) for item in items]`` on a pool of threads, one per core (at most 8): for
    functions spending their time in GEOS, which releases Python's lock."""
    workers = workers or min(8, os.cpu_count() or 1)
    if workers < 2 or len(items) < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def dissolve(geoms):
    """The simplified, valid outline of a zone from its communes' outlines."""
    return simplified(union_of(geoms))


def build_zone_outlines(geometry_of: dict, keep_stored: bool = False) -> int:
    """Dissolve commune outlines into each zone's simplified outline; write only those that changed.

    ``geometry_of`` maps a commune code to (shapely geometry, geometry hash). A zone's outline hash
    is the hash of its members and their geometry hashes: an unchanged zone is not dissolved again.
    With ``keep_stored`` (a partial file), communes absent from ``geometry_of`` keep their stored
    outline: zones outside the file are unchanged, zones across its edge are redrawn whole.
    """
    memberships = list(
        Commune.objects.filter(is_active=True, kind=Commune.Kind.COMMUNE).values_list(
            "code", "departement_id", "departement__region_id", "epci_id", "bassin_de_vie_id"
        )
    )
    stored_hash = {}
    if keep_stored:
        stored_hash = dict(
            Commune.objects.filter(is_active=True, kind=Commune.Kind.COMMUNE, geometry__isnull=False)
            .exclude(code__in=list(geometry_of))
            .values_list("code", "geometry_hash")
        )
    written = 0
    region_of = {row[1]: row[2] for row in memberships}
    unions = {}  # département → the union of its communes, when dissolved here
    for model, column in ZONE_LEVELS:
        changed = _changed_zones(model, column, memberships, geometry_of, stored_hash)
        _load_stored_geometries([m for members, _ in changed.values() for m in members if m[1] is STORED])
        inputs = []
        for code, (members, _) in changed.items():
            parts = None
            if model is Region:
                deps = sorted({d for d, r in region_of.items() if r == code})
                parts = [unions[d] for d in deps] if all(d in unions for d in deps) else None
            inputs.append(parts if parts else [m[1] for m in members])
        # GEOS works without Python's lock: the zones of a level are dissolved on every core
        dissolved = in_threads(_dissolved, inputs)
        rows = []
        for (code, (_, inputs_hash)), (union, outline) in zip(changed.items(), dissolved, strict=True):
            if model is Departement:
                unions[code] = union
            rows.append(
                {"code": code, "geometry_simplified": view(ewkb(outline)), "outline_hash": inputs_hash}
            )
        counts, _ = sync_rows(
            model, rows, fields=[], dataset=None, create=False, hashed={"geometry_simplified": "outline_hash"}
        )
        written += counts.updated
    return written


def _changed_zones(model, column, memberships, geometry_of, stored_hash) -> dict:
    """The zones of ``model`` whose members or members' outlines changed: code → (members, hash)."""
    groups = defaultdict(list)
    for row in memberships:
        geom, digest = geometry_of.get(row[0], (None, None))
        if geom is None and row[0] in stored_hash:
            geom, digest = STORED, stored_hash[row[0]]
        if row[column] and geom is not None:
            groups[row[column]].append([row[0], geom, digest])
    invalid = model.objects.filter(geometry_simplified__isnull=False, geometry_simplified__isvalid=False)
    invalid.update(outline_hash="")  # an invalid stored outline is always drawn again
    stored = dict(model.objects.values_list("code", "outline_hash"))
    changed = {}
    for code, members in groups.items():
        members.sort(key=lambda m: m[0])
        inputs_hash = geometry_hash(*(f"{m[0]}:{m[2]}".encode() for m in members))
        if stored.get(code) != inputs_hash:
            changed[code] = (members, inputs_hash)
    return changed


def invalid_zone_outlines() -> dict[str, int]:
    """Stored zone outlines the database itself finds invalid (ST_IsValid), per level."""
    return {
        model._meta.model_name: model.objects.filter(
            geometry_simplified__isnull=False, geometry_simplified__isvalid=False
        ).count()
        for model, _ in ZONE_LEVELS
    }


STORED = object()  # a member whose outline is read from the database when its zone is redrawn


def _load_stored_geometries(members: list[list]) -> None:
    """Replace the STORED marker of ``members`` by the commune's stored outline (read in batches)."""
    codes = sorted({m[0] for m in members})
    found = {}
    for start in range(0, len(codes), 2000):
        for code, geometry in Commune.objects.filter(code__in=codes[start : start + 2000]).values_list(
            "code", "geometry"
        ):
            found[code] = shapely.from_wkb(bytes(geometry.wkb))
    for member in members:
        member[1] = found[member[0]]
