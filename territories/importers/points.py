"""A point for every commune of the COG: a commune the outline file does not draw (a commune
nouvelle newer than the outlines, a commune re-created) gets the centre of its former communes'
points, or else a point inside its EPCI's or its département's outline, and the report says so.
"""

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import shapely

from territories.importing.contract import geometry_hash
from territories.models import EPCI, Commune, Departement


@dataclass
class Estimated:
    rows: list = field(default_factory=list)
    codes: list = field(default_factory=list)
    report: dict = field(default_factory=dict)


def former_points(points, interior, resolver) -> dict:
    """Interior points (lat, lon) of the former communes (communes déléguées and associées rows of
    the points file) grouped by today's commune."""
    found = defaultdict(list)
    for i, (code, kind) in enumerate(zip(points["code_insee"], points["type"], strict=True)):
        if kind in ("COM", "ARM") or np.isnan(interior[i]).any():
            continue
        target = resolver.resolve(code)
        if target is not None:
            found[target].append(interior[i])
    return found


def estimated_points(active, chosen, former: dict) -> Estimated:
    """Points for the active communes of ``active`` left with no outline and no point."""
    left = list(
        active.filter(kind__in=[Commune.Kind.COMMUNE, Commune.Kind.ARRONDISSEMENT])
        .exclude(code__in=list(chosen))
        .filter(geometry__isnull=True)
        .values_list("code", "epci_id", "departement_id")
    )
    result = Estimated()
    if not left:
        return result
    inside = {}
    for model, codes in ((EPCI, {r[1] for r in left if r[1]}), (Departement, {r[2] for r in left})):
        for code, outline in model.objects.filter(
            code__in=sorted(codes), geometry_simplified__isnull=False
        ).values_list("code", "geometry_simplified"):
            inside[(model, code)] = shapely.point_on_surface(shapely.from_wkb(bytes(outline.wkb)))
    for code, epci, departement in left:
        if former.get(code):
            lat, lon = np.mean(former[code], axis=0)
            point, source, how = shapely.points(lon, lat), Commune.PointSource.FORMER, "anciennes communes"
        elif (EPCI, epci) in inside:
            point, source, how = inside[(EPCI, epci)], Commune.PointSource.ESTIMATED, f"EPCI {epci}"
        elif (Departement, departement) in inside:
            point = inside[(Departement, departement)]
            source, how = Commune.PointSource.ESTIMATED, f"département {departement}"
        else:
            continue
        wkb = shapely.to_wkb(shapely.set_srid(point, 4326), include_srid=True)
        result.rows.append(
            {
                "code": code,
                "geometry": None,
                "geometry_simplified": None,
                "point": memoryview(wkb),
                "point_source": source,
                "area_km2": None,
                "geometry_hash": geometry_hash(None, None, wkb),
            }
        )
        result.codes.append(code)
        result.report[code] = how
    return result
