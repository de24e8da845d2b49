"""GeoJSON for maps: pre-simplified geometry, coordinates rounded, serialised once per request."""

import json

from .constants import MAP_COORD_PRECISION


def _round(coords, ndigits):
    if isinstance(coords[0], (int, float)):
        return [round(c, ndigits) for c in coords]
    return [_round(c, ndigits) for c in coords]


def geometry_dict(geometry):
    if geometry is None:
        return None
    data = json.loads(geometry.json)
    data["coordinates"] = _round(data["coordinates"], MAP_COORD_PRECISION)
    return data


def feature(geometry, **properties):
    return {"type": "Feature", "geometry": geometry_dict(geometry), "properties": properties}


def feature_collection(features):
    return {"type": "FeatureCollection", "features": [f for f in features if f["geometry"] is not None]}
