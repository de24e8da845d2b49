"""Exports and API say the figures as published (issue 27): APL to 2 decimals, shares to 0.1 %, typed
and formatted XLSX cells, official and estimated APL in separate columns of the evolution export,
the PDF giving the same verdict as the page."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from indicators.models import PublishedZoneValue

from .test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def stored(level, code):
    return PublishedZoneValue.objects.get(
        indicator_code="apl_mg", level=level, zone_code=code, millesime="2023", variant="sans_borne"
    )


def digits(value):
    text = repr(value)
    return len(text.split(".")[1]) if "." in text else 0


def test_key_figures_xlsx_cells_are_rounded_typed_and_formatted(client, official, computed):  # noqa: F811
    url = reverse("indicators:key_figures_export", args=["departement", "23", "xlsx"])
    sheet = load_workbook(io.BytesIO(client.get(url).content))["Chiffres clés"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    apl = rows["APL DREES 2023"][3]
    assert apl.value == round(stored("departement", "23").value, 2) and digits(apl.value) <= 2
    assert apl.number_format == "0.00" and isinstance(apl.value, float)
    share = rows["Population sous 2,5 d’APL"][3]
    assert share.number_format == "0.0" and digits(share.value) <= 1
    population = rows["Population municipale"][3]
    assert isinstance(population.value, int) and population.number_format == "0"


def test_ranking_csv_rounds_as_the_page(client, official, computed):  # noqa: F811
    url = reverse("indicators:ranking", args=["departement", "23"])
    text = client.get(url, {"format": "csv"}).content.decode("utf-8-sig")
    header, *lines = text.strip().splitlines()
    position = header.split(";").index(next(h for h in header.split(";") if h.startswith("APL DREES 2023")))
    values = [line.split(";")[position] for line in lines if line.split(";")[position]]
    assert values and all(len(v.split(",")[1]) == 2 for v in values)
    gueret = next(line for line in lines if ";23096;" in line)
    assert gueret.split(";")[position] == "2,95"


def test_evolution_export_keeps_official_and_estimated_apart(client, official, computed):  # noqa: F811
    url = reverse("indicators:evolution_export", args=["commune", "23096", "xlsx"])
    sheet = load_workbook(io.BytesIO(client.get(url).content))["Évolution"]
    header = [c.value for c in sheet[1]]
    official_col = header.index("APL officielle DREES (consultations / hab. / an)")
    estimate_col = header.index("APL recalculée par le portail (estimation)")
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    published = [r for r in rows if r[0] == "APL officielle DREES"]
    estimated = [r for r in rows if r[0].startswith("Calcul n°")]
    assert [r[official_col] for r in published] == [3.2, 2.95]
    assert all(r[estimate_col] is None for r in published)
    assert estimated and all(r[official_col] is None and r[estimate_col] is not None for r in estimated)
    assert all(digits(r[estimate_col]) <= 2 for r in estimated)


def test_api_rounds_as_published(client, official, computed):  # noqa: F811
    response = client.get("/api/v1/indicateurs/valeurs/commune/23096/")
    body = response.content.decode()
    data = json.loads(body)
    assert data["official_apl"]["value"] == 2.95 and data["official_apl"]["previous"] == 3.2
    assert data["official_apl"]["change"] == -0.25  # not -0.25000000000000044
    for value in data["values"]:
        if value["value"] is not None:
            assert digits(value["value"]) <= 2, value
    ranking = client.get(
        "/api/v1/indicateurs/classement/departement/23/", {"niveau": "commune", "page_size": 300}
    ).json()
    for row in ranking["results"]:
        for key in ("apl", "apl_change", "temps_mg", "share_underserved"):
            if row.get(key) is not None:
                assert digits(row[key]) <= (2 if key.startswith("apl") else 1), (key, row[key])


def test_fiche_gives_the_pages_verdict_and_class(client, official, computed):  # noqa: F811
    from pypdf import PdfReader

    from proposals.seed import load_programmes

    load_programmes()
    response = client.get(reverse("indicators:fiche", args=["commune", "23096"]))
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text().replace("\n", " ")
    assert "fragile : l’APL du bassin de vie de Guéret, 2,90, est sous 4" in text
    page = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    # Ma Santé 2022 n° 3 targets 400 doctors; the page measures a density: no verdict, on both
    assert "pas de verdict" in page and "pas de verdict" in text
    assert "cible non atteinte" not in text.split("400 médecins")[1][:300]
