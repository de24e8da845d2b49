"""Targets against measured outcomes: registry counts and computed indicators, nationally and locally."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from indicators.api.measures import Measurement
from offers.models import Offer
from proposals.indicators import known_indicators
from proposals.models import Measure
from territories.models import Commune

from .factories import add_member, make_consultation, make_contribution, make_group

SIRENE_SLICE = Path(__file__).parent.parent / "indicators" / "data" / "sirene_gp_23_48_75.csv"


def _row(page, label):
    """The <tr> of the outcomes table whose header cell starts with ``label``."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        if re.search(rf"<th scope=\"row\">\s*(<a [^>]*>)?{re.escape(label)}", row):
            return row
    raise AssertionError(f"no row {label!r}")


def _registry_file():
    """A successful registry import (FINESS etalab): counts of its régions are known."""
    from territories.models import Dataset

    return Dataset.objects.get_or_create(
        source="finess-etalab", title="FINESS", licence="LO", millesime="2026", status="succeeded"
    )[0]


def _cpts(name, code, status=Offer.Status.OPEN, dataset=True):
    return Offer.objects.create(
        kind=Offer.Kind.CPTS,
        name=name,
        commune=Commune.objects.get(code=code),
        status=status,
        dataset=_registry_file() if dataset else None,
    )


def test_indicator_codes_of_the_seed_are_those_the_indicators_app_exposes(programmes):
    known = known_indicators()
    for code in [
        "nb_cpts",
        "nb_msp",
        "nb_centres_sante",
        "nb_cms",
        "nb_esp",
        "part_pop_urgences_30min",
        "densite_mg",
    ]:
        assert code in known
    used = set(Measure.objects.exclude(indicator_code="").values_list("indicator_code", flat=True))
    assert used <= set(known)


def test_an_unloaded_registry_is_never_a_zero(programmes):
    url = reverse("proposals:measure", args=["ma-sante-2022", 1])
    page = Client().get(url, {"territoire": "Creuse"}).content.decode()
    creuse = _row(page, '<a href="/territoires/departement/23/">Creuse')
    assert "registre non chargé" in creuse and "measured-value" not in creuse
    assert "registre non chargé" in _row(page, "France entière")
    # a CPTS entered by hand by the ARS, without any registry file: still not a count
    _cpts("CPTS saisie à la main", "23096", dataset=False)
    creuse = _row(
        Client().get(url, {"territoire": "Creuse"}).content.decode(),
        '<a href="/territoires/departement/23/">Creuse',
    )
    assert "registre non chargé (1 saisie de l’ARS)" in creuse and "measured-value" not in creuse


def test_ma_sante_cpts_measure_shows_the_registry_count_beside_its_target(programmes):
    _cpts("CPTS du Grand Guéret", "23096")
    _cpts("CPTS Cœur de Lozère", "48095")
    _cpts("CPTS fermée", "23096", status=Offer.Status.CLOSED)
    Offer.objects.create(kind=Offer.Kind.MSP, name="MSP de Guéret", commune=Commune.objects.get(code="23096"))
    url = reverse("proposals:measure", args=["ma-sante-2022", 1])
    # Nouvelle-Aquitaine and Occitanie only: France is a partial count, said so
    france_partial = _row(Client().get(url).content.decode(), "France entière")
    assert "registre partiel" in france_partial and "Île-de-France" in france_partial

    page = Client().get(url).content.decode()
    france = _row(page, "France entière")
    assert "la généralisation de l&#x27;exercice collectif et coordonné" in france  # the target, as written
    assert (
        '<strong class="measured-value">2</strong>' in france
    )  # 2 CPTS open or in project, the closed one excluded
    assert "Registre Santé &amp; Territoires" in france
    assert "Plus de 500 projets" in page  # the fact the ministry reported, as a reference
    assert "Le registre ne contient encore aucune offre" not in page

    local = Client().get(url, {"territoire": "departement:23"}).content.decode()
    creuse = _row(local, '<a href="/territoires/departement/23/">Creuse')
    assert '<strong class="measured-value">1</strong>' in creuse
    assert '<strong class="measured-value">2</strong>' in _row(local, "France entière")


def test_unknown_territory_on_a_measure_page_is_explained(programmes):
    url = reverse("proposals:measure", args=["ma-sante-2022", 1])
    page = Client().get(url, {"territoire": "departement:99"}).content.decode()
    assert "Aucun territoire « departement:99 » n’est connu du portail." in page
    page = Client().get(url, {"territoire": "canton:1"}).content.decode()
    assert "Ce champ prend un territoire de ce niveau" in page
    page = Client().get(url, {"territoire": "xqzwv"}).content.decode()
    assert "ne correspond à « xqzwv »" in page


def test_a_measure_page_takes_a_territory_by_name(programmes):
    url = reverse("proposals:measure", args=["ma-sante-2022", 1])
    page = Client().get(url, {"territoire": "Creuse"}).content.decode()
    # the name is resolved and written back as the picker's label
    assert 'value="Creuse (département 23)"' in page
    assert '<a href="/territoires/departement/23/">Creuse' in page


def test_engagement_9_is_not_measured_until_a_computation_exists(programmes):
    page = (
        Client()
        .get(reverse("proposals:measure", args=["pacte-territoire-sante-2012-2015", 9]))
        .content.decode()
    )
    france = _row(page, "France entière")
    assert "pas encore mesuré" in france and "measured-value" not in france
    assert "au plus 0" in france and "d’ici 2015" in france


def test_engagement_9_shows_the_measured_share_from_the_indicators_api(programmes, monkeypatch):
    from indicators.api import values

    def fake_computed(code, zone=None):
        assert code == "part_pop_urgences_30min"
        return Measurement(
            indicator=code,
            label="Part de la population à plus de 30 minutes des soins urgents",
            value=12.5 if zone is None else 40.0,
            unit="%",
            zone_label=getattr(zone, "name", "France entière"),
            measured_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
            source="Calcul n° 7 (estimation à vol d’oiseau)",
            is_estimate=True,
        )

    monkeypatch.setattr(values, "computed_measurement", fake_computed)
    page = (
        Client()
        .get(
            reverse("proposals:measure", args=["pacte-territoire-sante-2012-2015", 9]),
            {"territoire": "departement:48"},
        )
        .content.decode()
    )
    france, lozere = _row(page, "France entière"), _row(page, '<a href="/territoires/departement/48/">Lozère')
    assert '<strong class="measured-value">12,5</strong>' in france and "cible non atteinte" in france
    assert "Calcul n° 7" in france and "1 mars 2026" in france and "estimation" in france
    assert '<strong class="measured-value">40</strong>' in lozere


@pytest.mark.skipif(not SIRENE_SLICE.exists(), reason="indicators test slice absent")
def test_engagement_9_with_a_real_computation_run(programmes):
    """End to end: real GP supply slice, two emergency sites, a real run of the indicators engine."""
    from indicators.models import ComputationRun
    from indicators.runs import services
    from offers.importers import import_gp_supply

    import_gp_supply(SIRENE_SLICE)
    for code in ("23096", "48095"):
        commune = Commune.objects.get(code=code)
        Offer.objects.create(
            kind=Offer.Kind.EMERGENCY,
            subkind=Offer.SubKind.URGENCES,
            name=f"Urgences {commune.name}",
            commune=commune,
            location=commune.point,
            location_precision=Offer.LocationPrecision.COMMUNE,
        )
    services.recompute(ComputationRun.Trigger.TEST)
    from indicators.api.measures import measure

    expected = measure("part_pop_urgences_30min", Commune.objects.get(code="23096").departement)
    assert expected is not None and expected.value is not None
    page = (
        Client()
        .get(
            reverse("proposals:measure", args=["pacte-territoire-sante-2012-2015", 9]),
            {"territoire": "departement:23"},
        )
        .content.decode()
    )
    creuse = _row(page, '<a href="/territoires/departement/23/">Creuse')
    assert "pas encore mesuré" not in creuse
    from proposals.templatetags.proposals_tags import number_fr

    assert f'<strong class="measured-value">{number_fr(expected.value)}</strong>' in creuse


def test_territory_page_lists_the_relevant_measures_and_its_contributions(programmes, django_user_model):
    _cpts("CPTS du Grand Guéret", "23096")
    group = make_group()
    consultation = make_consultation(group)
    member = add_member(group, "camille")
    cpts = Measure.objects.get(programme__slug="ma-sante-2022", number=1)
    make_contribution(
        consultation, member, measure=cpts, title="Une CPTS pour la Creuse",
        zone_level="departement", zone_code="23", zone_name="Creuse",
    )  # fmt: skip
    make_contribution(
        consultation, member, measure=cpts, title="Brouillon invisible", status="brouillon",
        zone_level="departement", zone_code="23", zone_name="Creuse",
    )  # fmt: skip
    page = Client().get("/territoires/departement/23/").content.decode()
    section = page[page.index(">Politiques publiques</h2>") :]
    for measure in Measure.objects.exclude(indicator_code=""):
        assert measure.get_absolute_url() in section
    assert "Communautés professionnelles territoriales de santé (CPTS)" in section
    row = _row(section, '<a href="/programmes/ma-sante-2022/mesures/1/?territoire=departement%3A23">')
    assert row.count('<strong class="measured-value">1</strong>') == 2  # France and Creuse: the one CPTS
    assert "pas encore mesuré" in _row(
        section,
        '<a href="/programmes/pacte-territoire-sante-2012-2015/mesures/9/?territoire=departement%3A23">',
    )
    assert "Une CPTS pour la Creuse" in section and "Brouillon invisible" not in section
    other = Client().get("/territoires/departement/48/").content.decode()
    assert "Une CPTS pour la Creuse" not in other


def test_territory_section_reads_each_indicator_once_per_zone(programmes):
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from proposals.sections import territory_section
    from territories.zones import get_zone

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    zone = get_zone("departement", "23")
    codes = set(Measure.objects.exclude(indicator_code="").values_list("indicator_code", flat=True))
    with CaptureQueriesContext(connection) as queries:
        section = territory_section(request, zone)
    assert len(section["context"]["rows"]) == Measure.objects.exclude(indicator_code="").count() > len(codes)
    # At most 3 queries per (indicator, zone) plus the measures and the contributions.
    assert len(queries) <= 2 + 3 * 2 * len(codes), len(queries)


def test_no_verdict_when_the_target_and_the_measure_have_different_units():
    from proposals.outcomes import comparable_units

    assert not comparable_units("médecins généralistes", "médecins généralistes pour 100 000 habitants")
    assert comparable_units("% de la population à plus de 30 minutes des soins urgents", "% de la population")
    assert comparable_units("nombre", "Nombre")


def test_a_density_is_not_judged_against_a_target_in_doctors(programmes, monkeypatch):
    from indicators.api import values

    def fake_density(code, zone=None):
        return Measurement(
            indicator=code,
            label="Densité",
            value=141.8,
            unit="médecins généralistes pour 100 000 habitants",
            zone_label="France entière",
            measured_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
            source="Calcul n° 7",
        )

    monkeypatch.setattr(values, "computed_measurement", fake_density)
    page = Client().get(reverse("proposals:measure", args=["ma-sante-2022", 3])).content.decode()
    france = _row(page, "France entière")
    assert "141,8" in france
    assert "cible non atteinte" not in france and "cible atteinte" not in france
    assert "unité différente de la cible" in france
