"""Map layers: the classes of the communes of a zone and the France outline, as GeoJSON (cached by
data state).
"""

import json

from django.db.models import Q
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from indicators.api.values import atoms_condition, atoms_of_zone
from indicators.models import Classification, ComputationRun, IndicatorValue
from indicators.official.published import official_commune_classes
from territories.constants import MAP_COORD_PRECISION, REGION_COORD_PRECISION, REGION_SIMPLIFY_TOLERANCE
from territories.models import Commune
from territories.web.caching import cached
from territories.web.geojson import feature, feature_collection, label_point
from territories.zones import get_zone


@require_GET
@cached(limit="layers", params=())
def classes_geojson(request, level, code):
    """The zone's computed communes coloured by class (official APL when published) (GeoJSON);
    cached under the data state (a new run or import), with ETag / Last-Modified."""
    zone = get_zone(level, code)
    detail = LAYER_DETAIL.get(level, {})
    payload = json.dumps(
        classes_payload(atoms_of_zone(zone), zone=zone, **detail),
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return HttpResponse(payload, content_type="application/json")


# Each level's layer simplified to the zoom it is drawn at (a région: thousands of communes at
# zoom 7–8); smaller zones keep the stored simplified outline.
LAYER_DETAIL = {
    "region": {"tolerance": REGION_SIMPLIFY_TOLERANCE, "precision": REGION_COORD_PRECISION},
}


def classes_payload(atoms, zone=None, tolerance=None, precision=MAP_COORD_PRECISION):
    """GeoJSON of communes with their class: the official APL and the class of its bassin de vie
    when the DREES figure is loaded, else the current run's; emergency access from the run.
    ``zone``: the zone whose communes ``atoms`` are (rows are then selected by subquery)."""

    def among(field):
        return atoms_condition(zone, field) if zone is not None else Q(**{f"{field}__in": atoms})

    run = ComputationRun.current()
    classes = {}
    apl = {}
    if run:
        rows = Classification.objects.filter(among("zone_code"), run=run, level="commune")
        classes = {("commune", c.zone_code): c for c in rows}
        apl = dict(
            IndicatorValue.objects.filter(
                among("zone_code"), run=run, level="commune", indicator_id="apl_mg"
            ).values_list("zone_code", "value")
        )
    # The official APL and its class come first when the DREES figure is loaded.
    official, basis = official_commune_classes(atoms, among=among)
    features = []
    for commune in Commune.objects.filter(among("code")).only(
        "code", "name", "population", "geometry_simplified", "point"
    ):
        cls = classes.get(("commune", commune.code))
        properties = {
            "apl_class": cls.apl_class if cls else Classification.AplClass.UNKNOWN,
            "label": cls.label if cls else "non calculé",
            "apl": round(apl[commune.code], 2) if apl.get(commune.code) is not None else None,
        }
        if commune.code in official:
            value, key, label = official[commune.code]
            properties = {
                "apl_class": key,
                "label": label + (" ; urgences éloignées" if cls and cls.emergency_far else ""),
                "apl": round(value, 2) if value is not None else None,
            }
        features.append(
            feature(
                commune.geometry_simplified,
                coord_precision=precision,
                simplify_tolerance=tolerance,
                code=commune.code,
                name=commune.name,
                population=commune.population,
                emergency_far=cls.emergency_far if cls else None,
                url=commune.get_absolute_url(),
                label_at=label_point(commune),
                **properties,
            )
        )
    data = feature_collection(features)
    data["run"] = run.pk if run else None
    data["basis"] = basis or (f"APL recalculée par le portail (calcul n° {run.pk})" if run else "")
    return data


@require_GET
@cached(limit="layers", params=())
def france_geojson(request):
    """The national map layer (départements with every indicator), cached per run and import."""
    from indicators.dashboard.national import france_layer

    return HttpResponse(france_layer(), content_type="application/json")
