"""GeoJSON for maps: pre-simplified geometry, coordinates rounded, serialised once per request."""

import json

from territories.constants import MAP_COORD_PRECISION


def _round(coords, ndigits):
    if isinstance(coords[0], (int, float)):
        return [round(c, ndigits) for c in coords]
    return [_round(c, ndigits) for c in coords]


def geometry_dict(geometry, precision=MAP_COORD_PRECISION, tolerance=None):
    """GeoJSON geometry with rounded coordinates; ``tolerance`` (degrees) simplifies further (the
    national map draws départements far coarser than a département's own map)."""
    if geometry is None:
        return None
    if tolerance:
        geometry = geometry.simplify(tolerance, preserve_topology=True)
    data = json.loads(geometry.json)
    data["coordinates"] = _round(data["coordinates"], precision)
    return data


def feature(geometry, *, coord_precision=MAP_COORD_PRECISION, simplify_tolerance=None, **properties):
    return {
        "type": "Feature",
        "geometry": geometry_dict(geometry, coord_precision, simplify_tolerance),
        "properties": properties,
    }


def feature_collection(features):
    return {"type": "FeatureCollection", "features": [f for f in features if f["geometry"] is not None]}


def label_point(commune, precision=MAP_COORD_PRECISION):
    """Where a map writes the commune's name: its point (the town hall, or an interior point),
    as [lon, lat] rounded; None without a point (the map then uses its outline's centre)."""
    point = getattr(commune, "point", None)
    if point is None:
        return None
    return [round(point.x, precision), round(point.y, precision)]
