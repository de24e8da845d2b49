"""One clear answer on the first screen (issue 27): the class said in plain French with why, the ARS
zonage summarised for zones, official figures first and the portal's estimates grouped below."""

import pytest
from django.conf import settings
from django.urls import reverse

from .test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def zonage(db):
    from offers.importers import import_zonage

    return import_zonage(settings.FIXTURES_DIR / "offers" / "zonage_medecins_23_48_75.csv", partial=True)


def first_band_and_estimates(html):
    cards = html[html.index('class="key-figures"') : html.index('class="facts"')]
    if "Estimations du portail" not in cards:
        return cards, ""
    split = cards.index("Estimations du portail")
    return cards[:split], cards[split:]


def test_commune_class_says_why_and_the_estimates_sit_below(client, official, computed, zonage):  # noqa: F811
    html = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    first, estimates = first_band_and_estimates(html)
    assert "fragile : l’APL du bassin de vie de Guéret, 2,90, est sous 4" in first
    assert "la commune seule" not in first  # 2,95 alone: fragile as well
    assert "zonage ARS médecins : zone d’intervention prioritaire (ZIP)" in first
    # nothing of the portal's own computation in the first band
    for text in ("proxy", "estimation du portail", "établissements", "calcul n°"):
        assert text not in first, text
    assert "Classe recalculée par le portail" in estimates and "proxy" in estimates
    assert "Temps d’accès au généraliste" in estimates


def test_departement_zonage_summary_counts_its_communes(client, official, computed, zonage):  # noqa: F811
    from offers.models import DoctorZoning
    from territories.models import Commune

    html = client.get(reverse("territories:zone", args=["departement", "23"])).content.decode()
    first, _estimates = first_band_and_estimates(html)
    assert "zonage ARS médecins : non chargé" not in first
    rows = DoctorZoning.objects.filter(commune__departement="23")
    zip_count = rows.filter(zone="ZIP").count()
    zac_count = rows.filter(zone="ZAC").count()
    total = Commune.objects.filter(departement="23", is_active=True, kind="COM").count()
    assert zip_count and zac_count
    expected = f"{zip_count} en ZIP, {zac_count} en ZAC"
    assert expected in first
    if rows.count() < total:
        assert f"chargé pour {rows.count()} communes sur {total}" in first
    assert "fragile : son APL, 2,97, est sous 4" in first


def test_zone_without_zonage_says_not_loaded(client, official, computed):  # noqa: F811
    html = client.get(reverse("territories:zone", args=["departement", "48"])).content.decode()
    first, _estimates = first_band_and_estimates(html)
    assert "zonage ARS médecins : non chargé pour ce territoire" in first


def test_commune_whose_bassin_de_vie_decides_says_so(client, official, computed):  # noqa: F811
    from indicators.official.published import official_apl
    from territories.models import Commune

    aubusson = Commune.objects.get(code="23008")
    figures = official_apl(aubusson, aubusson.parent_zones())
    assert figures["commune_class"] == "non déficitaire" and figures["class"] == "fragile"
    html = client.get(reverse("territories:zone", args=["commune", "23008"])).content.decode()
    first, _estimates = first_band_and_estimates(html)
    alone = f"{figures['value']:.2f}".replace(".", ",")
    assert f"la commune seule (APL {alone}) serait « non déficitaire »" in first
    assert "fragile : l’APL du bassin de vie d’Aubusson" in first


def test_simulate_is_among_the_main_actions_and_names_sort_in_french(client, official, computed):  # noqa: F811
    html = client.get(reverse("territories:zone", args=["departement", "23"])).content.decode()
    actions = html[html.index('class="key-actions"') :]
    actions = actions[: actions.index("</ul>")]
    assert reverse("indicators:simulate", args=["departement", "23"]) in actions
    assert actions.index("Simuler une installation") < actions.index("Comparer avec")
    # French collation: « Bénévent-l'Abbaye » (é read as e) before « Bussière-Saint-Georges »
    communes = html[html.index('id="communes-title"') :]
    assert communes.index("Bénévent-l") < communes.index("Bussière-Saint-Georges")


def test_phone_tables_stack_with_labelled_cells(client, official, computed):  # noqa: F811
    ranking = client.get(reverse("indicators:ranking", args=["departement", "23"])).content.decode()
    assert 'class="ranking-table stack-table"' in ranking and 'data-label="APL DREES 2023' in ranking
    compare = client.get(
        reverse("indicators:compare"), {"t": ["commune:23096", "departement:23"]}
    ).content.decode()
    assert 'class="compare-table stack-table"' in compare
    assert 'data-label="Guéret"' in compare and 'data-label="Creuse"' in compare


def test_whatif_answers_first_in_plain_words(client, computed):
    from tests.factories import make_user

    client.force_login(make_user("admin", is_staff=True))
    html = client.post(
        reverse("indicators:simulate", args=["departement", "23"]),
        {"action": "add_msp", "commune": "23008", "gps": "5"},
    ).content.decode()
    answer = html.index('class="lead whatif-answer"')
    assert answer < html.index('name="action"')  # the answer before the form
    sentence = html[answer : html.index("</p>", answer)]
    # the commune where the doctors settle comes first, its class said in words
    assert (
        "Aubusson : l’APL passerait de <strong>" in sentence
        and "la classe passerait de « fragile »" in sentence
    )
