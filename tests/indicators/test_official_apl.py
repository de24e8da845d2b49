"""The official DREES APL workbook (shipped in fixtures/, the real file) on the territory slice:
import of both sheets, aggregation as the DREES note prescribes (asserted against the stored
commune rows, not hard-coded results), pages, the simulator on the official scale, compare_apl."""

import numpy as np
import pytest
from django.conf import settings
from django.urls import reverse

from indicators import importers
from indicators.importers import import_drees_apl
from indicators.models import PublishedIndicatorValue, PublishedZoneValue
from territories.models import Commune

pytestmark = pytest.mark.django_db

WORKBOOK = settings.FIXTURES_DIR / "indicators" / "apl_generalistes.xlsx"
_TABLES = {}


@pytest.fixture
def fast_workbook(monkeypatch):
    """Read each sheet of the real workbook once per test process (openpyxl takes seconds)."""
    real = importers._read_drees_workbook

    def cached(path, sheet_name=None):
        key = (str(path), sheet_name)
        if key not in _TABLES:
            _TABLES[key] = real(path, sheet_name)
        return _TABLES[key]

    monkeypatch.setattr("indicators.importers.drees_apl._read_drees_workbook", cached)


@pytest.fixture
def official(fast_workbook):
    return [import_drees_apl(WORKBOOK, sheet=s) for s in ("APL 2022", "APL 2023")]


def row(code, millesime="2023", variant="sans_borne"):
    return PublishedIndicatorValue.objects.get(
        indicator_code="apl_mg", millesime=millesime, variant=variant, commune_id=code, is_active=True
    )


def zone_value(level, code, millesime="2023"):
    return PublishedZoneValue.objects.get(
        indicator_code="apl_mg", millesime=millesime, variant="sans_borne", level=level, zone_code=code
    )


def test_real_workbook_both_sheets_as_published(fast_workbook):
    d22 = import_drees_apl(WORKBOOK, sheet="APL 2022")
    d23 = import_drees_apl(WORKBOOK, sheet="APL 2023")
    assert (d22.millesime, d23.millesime) == ("2022", "2023")
    assert not d23.is_synthetic and d23.publisher == "DREES" and "Licence Ouverte" in d23.licence
    assert d23.report["ligne_en_tete"] == 9
    assert "En nombre" in next(iter(d23.report["unites"].values()))  # the unit row is read, not refused
    assert d23.rows_read == 34954 and d22.rows_read == 34964
    # the spot checks of the PROVENANCE file
    assert row("23096").value == 2.95 and row("23096", "2022").value == 3.204
    assert row("48095").value == 3.834 and row("48095", "2022").value == 4.11
    gueret = row("23096")
    assert gueret.population_kind == "population_standardisee"
    assert gueret.population_total and gueret.population != gueret.population_total
    # Paris by arrondissement; codes outside the territorial base are listed, not dropped
    assert (
        PublishedIndicatorValue.objects.filter(commune__code__startswith="751", millesime="2023").count()
        == 40
    )
    assert d23.report["nombre_codes_non_apparies"] == len(d23.report["codes_non_apparies"]) > 30000
    assert "01001" in d23.report["codes_non_apparies"]
    again = import_drees_apl(WORKBOOK, sheet="APL 2023")
    assert again.rows_created == again.rows_updated == 0
    assert again.report["zones_agregees"]["creees"] == again.report["zones_agregees"]["modifiees"] == 0


def test_zone_aggregates_follow_the_drees_note(official):
    for level, field, code in [
        ("bassin-de-vie", "bassin_de_vie", "23096"),
        ("bassin-de-vie", "bassin_de_vie", "48095"),
        ("departement", "departement", "23"),
    ]:
        codes = Commune.objects.filter(**{field + "_id": code}, is_active=True).values_list("code", flat=True)
        rows = list(
            PublishedIndicatorValue.objects.filter(
                indicator_code="apl_mg", millesime="2023", variant="sans_borne", commune_id__in=codes
            )
        )
        assert rows
        expected = sum(r.value * r.population for r in rows) / sum(r.population for r in rows)
        stored = zone_value(level, code)
        assert stored.value == pytest.approx(expected)
        assert stored.communes == len(rows)
        # a population under a threshold counts the total population, not the standardised one
        assert stored.population_underserved == pytest.approx(
            sum(r.population_total for r in rows if r.value < 2.5)
        )
        assert stored.population_total == pytest.approx(sum(r.population_total for r in rows))
    # CartoSanté publishes 2.9 for the bassin de vie of Guéret and 3.3 for Mende (2023)
    assert round(zone_value("bassin-de-vie", "23096").value, 1) == 2.9
    assert round(zone_value("bassin-de-vie", "48095").value, 1) == 3.3
    # Paris (a commune made of arrondissements) from its arrondissements
    arms = PublishedIndicatorValue.objects.filter(
        commune__parent_id="75056", millesime="2023", variant="sans_borne"
    )
    assert zone_value("commune", "75056").value == pytest.approx(
        sum(r.value * r.population for r in arms) / sum(r.population for r in arms)
    )


def test_commune_page_leads_with_the_official_apl_and_its_fall(client, official):
    html = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    cards = html[html.index('class="key-figures"') : html.index('class="facts"')]
    first = cards[cards.index('id="chiffre-apl"') : cards.index('id="chiffre-classe"')]
    assert "APL aux médecins généralistes (2023)" in first and "2,95" in first
    assert "en baisse depuis 2022" in first and "3,20" in first and "officiel DREES" in first
    # comparisons against the parents and France, from the stored aggregates
    assert "Creuse" in first and "France" in first
    france = zone_value("france", "FR").value
    assert f"{france:.2f}".replace(".", ",") in first
    # the class is decided on the bassin de vie's APL, as the ARS zonage does
    assert "fragile : l’APL du bassin de vie de Guéret, 2,90, est sous 4" in cards
    # the Accès aux soins section starts with the official figure
    section = html[html.index(">Accès aux soins<") :]
    assert section.index("APL officielle publiée par la DREES") < section.index("<table")
    assert "évolution : baisse de 0,25" in section and "-0,25)" not in section


def test_simulation_on_the_official_scale(official, computed):
    from indicators.api.values import atoms_of_zone
    from indicators.simulate.official_whatif import OPEN_GPS, official_after, simulate_official
    from territories.models import Departement

    codes, before, after = official_after(computed, "23096", 0.0)
    published = dict(
        PublishedIndicatorValue.objects.filter(millesime="2023", variant="sans_borne").values_list(
            "commune_id", "value"
        )
    )
    got = {c: a for c, a in zip(codes, after, strict=True) if not np.isnan(a)}
    assert got == {c: published[c] for c in got}  # no change: exactly the official APL
    _, _, one = official_after(computed, "23096", 5400.0)
    _, _, two = official_after(computed, "23096", 10800.0)
    moved = ~np.isnan(before) & (one != before)
    assert moved.sum() > 5
    np.testing.assert_allclose(two[moved] - before[moved], 2 * (one[moved] - before[moved]))  # linear
    creuse = set(atoms_of_zone(Departement.objects.get(pk="23")))
    result = simulate_official(computed, creuse, OPEN_GPS, commune_code="23096", gps=1)
    gueret = next(c for c in result.communes if c.code == "23096")
    assert gueret.apl_before == 2.95 and gueret.apl_after > 2.95
    bv = next(z for z in result.zones if z.level == "bassin-de-vie" and z.code == "23096")
    assert bv.apl_before == pytest.approx(zone_value("bassin-de-vie", "23096").value)
    assert "5\u202f400 consultations" in result.description


def test_compare_apl_prints_its_table(official, computed, capsys):
    from django.core.management import call_command
    from scipy import stats

    from indicators.official.comparison import compare

    call_command("compare_apl", "--millesime", "2023", "--top", "5")
    out = capsys.readouterr().out
    for label in ("Pearson", "Spearman", "erreur absolue moyenne", "même classe", "cause probable"):
        assert label in out
    result = compare(millesime="2023")
    codes = [g.code for g in result["gaps"]]
    assert len(codes) == 10 and all(c in out for c in codes[:5])
    # the figures are those of the rows, recomputed here
    published = dict(
        PublishedIndicatorValue.objects.filter(millesime="2023", variant="sans_borne").values_list(
            "commune_id", "value"
        )
    )
    pairs = [
        (published[c], v)
        for c, v in computed.values.filter(level="commune", indicator_id="apl_mg")
        .exclude(value__isnull=True)
        .values_list("zone_code", "value")
        if c in published
    ]
    assert result["communes"] == len(pairs)
    assert result["pearson"] == pytest.approx(stats.pearsonr(*zip(*pairs, strict=True))[0])


def test_age_weights_of_the_parameters_sheet_become_the_demand_weights():
    from indicators.importers import import_drees_age_weights
    from indicators.models import AgeWeight

    dataset = import_drees_age_weights(WORKBOOK)
    assert dataset.millesime == "2023" and dataset.publisher.startswith("DREES")
    weights = dict(AgeWeight.objects.filter(is_active=True).values_list("band", "weight"))
    assert len(weights) == 19 and list(weights)[:2] == ["0-4", "5-9"]
    # the values PROVENANCE.md quotes for 2023
    assert (weights["0-4"], weights["5-9"], weights["85-89"], weights["90+"]) == (1.12, 0.58, 1.89, 2.26)
    older = import_drees_age_weights(WORKBOOK, millesime="2022")
    assert older.millesime == "2022"
    assert AgeWeight.objects.get(band="0-4", is_active=True).weight == 0.93
    again = import_drees_age_weights(WORKBOOK, millesime="2022")
    assert again.rows_created == again.rows_updated == 0


def test_a_cpts_perimeter_gets_the_same_key_figures(client, official, computed):
    from offers.models import Offer

    cpts = Offer.objects.create(
        kind=Offer.Kind.CPTS,
        name="CPTS du Grand Guéret",
        commune=Commune.objects.get(code="23096"),
        status=Offer.Status.OPEN,
    )
    members = ["23096", "23176", "23008"]
    cpts.perimeter.set(members)
    html = client.get(reverse("offers:detail", args=[cpts.pk])).content.decode()
    card = html[html.index('id="chiffre-apl"') : html.index('id="chiffre-classe"')]
    rows = PublishedIndicatorValue.objects.filter(
        millesime="2023", variant="sans_borne", commune_id__in=members
    )
    expected = sum(r.value * r.population for r in rows) / sum(r.population for r in rows)
    assert f"{expected:.2f}".replace(".", ",") in card
    assert "Moyenne des 3 communes publiées" in card and "Creuse" in card
