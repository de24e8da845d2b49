"""The printable fiche territoire: one A4 page in PDF (WeasyPrint, fonts and libraries from Debian;
nothing fetched at run time) with the key figures beside the parent zones and France, the map of
the territory's communes drawn on the server (matplotlib, SVG), the evolution of the official APL
and the sources. The same figures as the page (``dashboard.figures``), the same labels (officiel,
proxy, estimation)."""

import base64
import io

from django.template.loader import render_to_string
from django.utils import timezone

from indicators.api.values import FRANCE, atoms_of_zone
from indicators.dashboard.figures import columns, figures, official_millesimes
from indicators.models import ComputationRun
from indicators.official.published import official_commune_classes, official_datasets
from territories.models import Commune
from territories.web.sections import render_fiche_blocks
from territories.zones import level_of, parent_zones

CLASS_COLORS = {
    "sous_dense": "#b2182b",
    "fragile": "#ef8a62",
    "non_deficitaire": "#67a9cf",
    "inconnu": "#d9d9d9",
}
MAX_MAP_COMMUNES = 1500  # a région's communes would not be readable on a third of a page


def commune_map_svg(zone) -> str | None:
    """The zone's communes coloured by their official class, as an SVG data URI (or None); a
    commune is drawn within its bassin de vie, outlined."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.collections import PolyCollection

    highlight = set()
    area = zone
    if isinstance(zone, Commune):
        highlight = set(atoms_of_zone(zone))
        bassin = zone.bassin_de_vie or (zone.parent.bassin_de_vie if zone.parent_id else None)
        area = bassin or zone
    atoms = atoms_of_zone(area)
    if not atoms or len(atoms) > MAX_MAP_COMMUNES:
        return None
    classes, _basis = official_commune_classes(atoms)
    polygons, colors, outlined = [], [], []
    for commune in Commune.objects.filter(code__in=atoms).only("code", "geometry_simplified"):
        geometry = commune.geometry_simplified
        if geometry is None:
            continue
        color = CLASS_COLORS[classes.get(commune.code, (None, "inconnu", ""))[1]]
        for polygon in geometry:
            polygons.append(polygon[0].coords)
            colors.append(color)
            if commune.code in highlight:
                outlined.append(polygon[0].coords)
    if not polygons:
        return None
    figure, axis = plt.subplots(figsize=(3.2, 3.0))
    axis.add_collection(PolyCollection(polygons, facecolors=colors, edgecolors="#ffffff", linewidths=0.3))
    if outlined:
        axis.add_collection(PolyCollection(outlined, facecolors="none", edgecolors="#000000", linewidths=1.6))
    axis.autoscale_view()
    axis.set_aspect(1.45)  # ≈ 1 / cos(46.5°): degrees of longitude are shorter
    axis.axis("off")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.02)
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _perimeter_rows(zone, request):
    """A drawn perimeter has no stored values: its fiche prints its key-figure cards (aggregated
    at read time by the same rules), with the comparisons each card carries."""
    from indicators.dashboard.figures import Column
    from territories.web.sections import render_cards

    cards = [c for c in render_cards(request, zone) if c.get("value") is not None]
    labels = [label for label, _ in cards[0]["comparisons"]] if cards else []
    rows = []
    for card in cards:
        badge = ", ".join(text for text, _kind in card["badges"])
        compared = dict(card["comparisons"])
        rows.append(
            {
                "column": Column(card["id"], card["title"], card["unit"], 0, None, badge),
                "cells": [card["value"], *[compared.get(label, "—") for label in labels]],
            }
        )
    return rows, [zone.name, *labels]


def fiche_context(zone, request=None):
    from indicators.api.values import key_of

    if key_of(zone) is None:
        rows, places = _perimeter_rows(zone, request)
        run = ComputationRun.current()
        return {
            "zone": zone,
            "places": places,
            "rows": rows,
            "run": run,
            "run_datasets": list(run.datasets.all()) if run else [],
            "official_datasets": official_datasets(official_millesimes()),
            "map": commune_map_svg(zone),
            "map_caption": "",
            "blocks": [],
            "printed_at": timezone.localtime(),
        }
    places = [zone, *parent_zones(zone)]
    keys = [(level_of(z), z.pk) for z in places] + [FRANCE]
    run = ComputationRun.current()
    millesimes = official_millesimes()
    data = figures(keys, run, millesimes)
    cols = [c for c in columns(run, millesimes) if c.label]
    rows = [{"column": c, "cells": [data[k].get(c.key) for k in keys]} for c in cols]
    official = official_datasets(millesimes)
    from indicators.dashboard.cards import zone_label
    from indicators.official.class_text import class_sentence, commune_alone
    from indicators.official.published import official_apl

    apl = official_apl(zone, places[1:])
    return {
        "zone": zone,
        # the class said as on the page: one sentence with why
        "class_lines": [t for t in (class_sentence(apl), commune_alone(apl)) if t],
        "places": [zone.name] + [zone_label(z) for z in places[1:]] + ["France"],
        "map_caption": (
            f"{zone.name} (contour noir) dans son bassin de vie" if isinstance(zone, Commune) else ""
        ),
        "rows": rows,
        "run": run,
        "run_datasets": list(run.datasets.all()) if run else [],
        "official_datasets": official,
        "map": commune_map_svg(zone),
        "blocks": render_fiche_blocks(request, zone),
        "printed_at": timezone.localtime(),
    }


def fiche_pdf(zone, base_url, request=None) -> bytes:
    from weasyprint import HTML

    html = render_to_string("indicators/fiche.html", fiche_context(zone, request))
    return HTML(string=html, base_url=base_url).write_pdf()
