"""The one-page PDF fiche: its figures are the page's (official APL, parents, France), one A4
page, a server-drawn map, the sources with their licences."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from indicators.models import PublishedZoneValue

from .test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _path_operators(reader) -> int:
    """Line and curve drawing operators of the page, its form XObjects included."""
    page = reader.pages[0]
    streams = [page.get_contents().get_data()]
    xobjects = page["/Resources"].get("/XObject") or {}
    streams += [xobject.get_object().get_data() for xobject in xobjects.values()]
    return sum(data.count(b" l\n") + data.count(b" c\n") for data in streams)


@pytest.mark.parametrize("level, code", [("commune", "23096"), ("departement", "23")])
def test_fiche_is_one_a4_page_with_the_page_figures(client, official, computed, level, code):  # noqa: F811
    response = client.get(reverse("indicators:fiche", args=[level, code]))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    for lvl, key in [(level, code), ("departement", "23"), ("france", "FR")]:
        value = PublishedZoneValue.objects.get(
            level=lvl, zone_code=key, millesime="2023", variant="sans_borne"
        ).value
        assert f"{value:.2f}".replace(".", ",") in text
    assert "Licence Ouverte" in text and "DREES" in text and "estimation" in text
    assert "proxy" in text
    # the map is drawn (vector paths of the communes' outlines), not merely named in the legend:
    # the same fiche without its map draws far fewer paths
    from indicators.dashboard import fiche

    with_map = _path_operators(reader)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fiche, "commune_map_svg", lambda zone: None)
        without = client.get(reverse("indicators:fiche", args=[level, code]))
    assert with_map > 2 * _path_operators(PdfReader(io.BytesIO(without.content))) + 50


def test_fiche_lists_the_measures_tracked_with_their_targets(client, official, computed):  # noqa: F811
    from proposals.seed import load_programmes

    load_programmes()
    response = client.get(reverse("indicators:fiche", args=["commune", "23096"]))
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Mesures suivies et leurs cibles" in text and "cible" in text
