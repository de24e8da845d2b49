"""How figures are labelled: source lines (French decimals, travel times only where used, no
repeated « proxy ») and the unit of the GP density when the supply is the SIRENE proxy."""

import pytest
from django.urls import reverse

from indicators.api.measures import measure
from territories.models import Departement

pytestmark = pytest.mark.django_db

TIME_INDICATORS = ["apl_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"]


def test_source_line_uses_french_decimals_and_mentions_times_only_where_used(computed):
    creuse = Departement.objects.get(code="23")
    for code in TIME_INDICATORS:
        source = measure(code, creuse).source
        assert "× 1,3 à 60 km/h" in source, source
        assert "1.3" not in source and "60.0" not in source
    density = measure("densite_mg", creuse).source
    assert "temps" not in density.lower() and "km/h" not in density, density
    assert f"Calcul n° {computed.pk}" in density and "SIRENE" in density


def test_source_line_does_not_repeat_proxy(computed):
    for code in ["densite_mg", "apl_mg"]:
        source = measure(code).source
        assert "proxy" in source
        for part in source.split(" ; "):
            assert part.count("proxy") <= 1, part


def test_commune_choices_sort_accented_names_as_french_readers_expect(client, computed, monkeypatch):
    from django.contrib.auth.models import Permission

    monkeypatch.setattr("indicators.dashboard.sections.TABLE_LIMIT", 600)  # the Creuse's 255 in full

    from territories.models import Commune
    from territories.text import normalize_name
    from tests.factories import make_user

    user = make_user("porteur-tri")
    user.user_permissions.add(Permission.objects.get(codename="simulate_whatif"))
    client.force_login(user)
    response = client.get(reverse("indicators:simulate", args=["departement", "23"]))
    benevent = Commune.objects.get(code="23021").name
    assert benevent.startswith("Bénévent")
    section = response.context["section"]
    table = [row["name"] for row in section["commune_classes"]]
    assert table == sorted(table, key=lambda n: (normalize_name(n), n))
    assert table.index(benevent) < table.index("Bussière-Dunoise")
    # the what-if commune is typed, with suggestions among the Creuse's communes, accents ignored
    html = response.content.decode()
    assert 'data-within="departement:23"' in html and 'data-levels="commune"' in html
    found = client.get(reverse("territories:suggestions"), {"q": "benev", "dans": "departement:23"}).json()
    assert [r["code"] for r in found["results"]] == ["23021"]


PROXY_UNIT = "établissements de médecine générale (proxy des médecins) pour 100 000 habitants"


def test_density_with_the_sirene_proxy_says_it_counts_establishments(client, computed):
    """Wherever the density's unit is shown with a proxy supply, it says establishments."""
    from indicators.models import IndicatorDefinition

    assert computed.parameters["supply"]["is_proxy"]
    definition = IndicatorDefinition.objects.get(code="densite_mg")
    m = measure("densite_mg", Departement.objects.get(code="23"))
    assert m.unit == definition.unit == "médecins généralistes pour 100 000 habitants"  # stable
    assert m.unit_label == PROXY_UNIT
    assert "proxy : établissements SIRENE" in m.note
    assert measure("apl_mg").unit_label == measure("apl_mg").unit
    pages = [
        reverse("territories:zone", args=["departement", "23"]),
        reverse("indicators:index"),
        reverse("indicators:definition", args=["densite_mg"]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert PROXY_UNIT in html, url
        assert "(médecins généralistes pour 100 000 habitants)" not in html, url


def test_density_unit_with_a_real_practitioner_supply_is_doctors(computed):
    from indicators.api.values import unit_label

    computed.parameters["supply"]["is_proxy"] = False
    assert unit_label("densite_mg", "médecins généralistes pour 100 000 habitants", computed) == (
        "médecins généralistes pour 100 000 habitants"
    )


def test_compute_command_says_the_density_counts_establishments(supply, emergency_sites):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("compute_indicators", stdout=out)
    assert "établissements de médecine générale (proxy des médecins) pour 100 000 hab." in out.getvalue()
    assert "médecins généralistes pour 100 000" not in out.getvalue()
