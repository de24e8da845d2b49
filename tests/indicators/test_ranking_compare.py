"""Ranking the communes of a zone, comparing territories, and their CSV / XLSX exports: the same
figures as the pages, typed, labelled (official, proxy, estimate), with their sources."""

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from indicators.models import PublishedZoneValue

from .test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def apl(level, code):
    return PublishedZoneValue.objects.get(
        level=level, zone_code=code, millesime="2023", variant="sans_borne"
    ).value


def test_ranking_of_the_creuse_communes_by_official_apl(client, official, computed):  # noqa: F811
    url = reverse("indicators:ranking", args=["departement", "23"])
    html = client.get(url).content.decode()
    stored = sorted(
        PublishedZoneValue.objects.filter(
            level="commune", zone_code__startswith="23", millesime="2023", variant="sans_borne"
        ).values_list("value", flat=True)
    )
    assert "255 au total" in html or f"{len(stored)} au total" in html
    body = html[html.index("<tbody>") :]
    first = body[: body.index("</tr>")]
    assert f"{stored[0]:.2f}".replace(".", ",") in first and ">1<" in first
    assert html.count("<tr>") - 1 == 50  # one page
    assert "page=2" in html and "tri=apl" in html  # pagination keeps the sort
    desc = client.get(url + "?tri=apl&ordre=desc").content.decode()
    body = desc[desc.index("<tbody>") :]
    assert f"{stored[-1]:.2f}".replace(".", ",") in body[: body.index("</tr>")]
    epci = client.get(url + "?niveau=epci").content.decode()
    assert "CA du Grand Guéret" in epci and f"{apl('epci', '200034825'):.2f}".replace(".", ",") in epci


@pytest.mark.parametrize("sort", ["temps_mg", "population", "name", "classe"])
def test_a_ranking_page_reads_the_figures_of_its_rows_in_full_whatever_the_sort(
    client,
    official,  # noqa: F811
    computed,
    sort,
):
    """The page sorts every commune on one column, then reads the other figures of the 50 rows
    it shows: a row of page 2 carries its APL, population and zonage column like the export's."""
    from territories.models import Commune

    url = reverse("indicators:ranking", args=["departement", "23"])
    html = client.get(url, {"tri": sort, "ordre": "desc", "page": 2}).content.decode()
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = body.split("</tr>")[:-1]
    assert len(rows) == 50
    for row in rows[:: len(rows) // 5]:
        code = re.search(r"/territoires/commune/(\w+)/", row).group(1)
        digits = re.sub(r"[\s\u202f\xa0]", "", row)
        assert str(Commune.objects.get(pk=code).population) in digits, (sort, code)
        assert f"{apl('commune', code):.2f}".replace(".", ",") in row, (sort, code)
        assert row.count("<td") >= 8, (sort, code)
    if sort != "name":
        assert re.search(r">51<", rows[0]) or "—" in rows[0]  # ranks go on from page 1


def test_ranking_exports_csv_and_xlsx_with_the_page_figures(client, official, computed):  # noqa: F811
    url = reverse("indicators:ranking", args=["departement", "23"])
    response = client.get(url + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    header, data = rows[0], rows[1:]
    assert header[:3] == ["Rang", "Code", "Nom"]
    assert any("[proxy, estimation]" in h for h in header) and any("[officiel DREES]" in h for h in header)
    gueret = next(r for r in data if r[1] == "23096")
    column = next(i for i, h in enumerate(header) if h.startswith("APL DREES 2023"))
    assert float(gueret[column].replace(",", ".")) == pytest.approx(2.95)
    response = client.get(url + "?format=xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Indicateurs"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Rang", "Code", "Nom")
    row = next(r for r in values[1:] if r[1] == "23096")
    assert isinstance(row[column], float) and row[column] == pytest.approx(2.95)  # a typed number
    assert len(values) - 1 == len(data)
    sources = "\n".join(
        " ".join(str(c) for c in r if c) for r in workbook["Sources"].iter_rows(values_only=True)
    )
    assert "DREES" in sources and "Licence Ouverte" in sources and "2023" in sources
    assert f"calcul n° {computed.pk}" in sources and "proxy" in sources


def test_compare_three_communes_marks_best_and_worst_in_text(client, official, computed):  # noqa: F811
    url = reverse("indicators:compare") + "?t=commune:23096&t=commune:23176&t=commune:23008"
    html = client.get(url).content.decode()
    for name in ("Guéret", "La Souterraine", "Aubusson"):
        assert name in html
    row = html[html.index("APL DREES 2023") :]
    row = row[: row.index("</tr>")]
    values = {code: apl("commune", code) for code in ("23096", "23176", "23008")}
    best, worst = max(values, key=values.get), min(values, key=values.get)
    cells = row.split("<td")[1:]
    order = ["23096", "23176", "23008"]
    assert "le plus favorable" in cells[order.index(best)]
    assert "le moins favorable" in cells[order.index(worst)]
    assert "Territoires voisins de Guéret" in html  # communes that touch Guéret are proposed


def test_compare_adds_a_territory_by_name_and_explains_bad_input(client, official, computed):  # noqa: F811
    base = reverse("indicators:compare")
    response = client.get(base + "?t=commune:23096&ajouter=La Souterraine")
    assert response.status_code == 302 and "commune%3A23176" in response["Location"]
    html = client.get(base + "?t=commune:99999&t=pays:FR&ajouter=zzzzzzzz").content.decode()
    assert "« commune:99999 » : territoire introuvable" in html
    assert "« pays:FR » : territoire inconnu" in html
    assert "« zzzzzzzz » : aucun territoire trouvé" in html


def test_compare_exports_have_one_column_per_territory(client, official, computed):  # noqa: F811
    url = reverse("indicators:compare") + "?t=commune:23096&t=departement:23&format=xlsx"
    workbook = load_workbook(io.BytesIO(client.get(url).content))
    rows = list(workbook["Comparaison"].iter_rows(values_only=True))
    assert rows[0] == ("Indicateur", "Unité", "Nature", "Guéret (Commune)", "Creuse (Département)")
    apl_row = next(r for r in rows if r[0] == "APL DREES 2023")
    assert apl_row[3] == 2.95 and apl_row[4] == round(apl("departement", "23"), 2)  # as published


def test_ranking_and_comparison_pages_have_bounded_queries(
    client,
    official,  # noqa: F811
    computed,
    django_assert_max_num_queries,
):
    for url, limit in [
        (reverse("indicators:ranking", args=["departement", "23"]), 20),
        (reverse("indicators:ranking", args=["region", "75"]) + "?niveau=commune", 20),
        (reverse("indicators:compare") + "?t=commune:23096&t=commune:23176&t=departement:23", 25),
    ]:
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200


def test_key_figures_export_puts_the_territory_beside_its_parents_and_france(client, official, computed):  # noqa: F811
    url = reverse("indicators:key_figures_export", args=["commune", "23096", "xlsx"])
    rows = list(
        load_workbook(io.BytesIO(client.get(url).content))["Chiffres clés"].iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("Indicateur", "Unité", "Nature", "Guéret (Commune)") and rows[0][-1] == "France"
    apl_row = next(r for r in rows if r[0] == "APL DREES 2023")
    assert apl_row[3] == 2.95 and apl_row[-1] == round(apl("france", "FR"), 2)  # as published
    density = next(r for r in rows if r[0] == "Densité d’établissements de généralistes")
    assert "proxy" in density[2] and isinstance(density[3], int)  # rounded as shown: 0 decimals
    html = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    assert url in html
