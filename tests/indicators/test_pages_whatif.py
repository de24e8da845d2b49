"""Pages, permissions matrix, what-if simulations, signal → recompute, time-matrix importer."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from indicators import perms
from indicators.api.values import unit_label
from indicators.models import Classification, ComputationRun, IndicatorDefinition, IndicatorValue, TravelTime
from indicators.runs import services
from indicators.simulate.whatif import ADD_MSP, RETIRE_60, simulate
from offers.models import GPSupply
from territories.importing.contract import ImportRejected
from territories.models import Commune, Departement
from tests.factories import make_user

from .conftest import SIRENE_SLICE

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db):
    ars = make_user("agent")
    ars.groups.add(Group.objects.get_or_create(name="agents ARS")[0])
    elu = make_user("elu")
    elu.groups.add(Group.objects.get_or_create(name="élus")[0])
    holder = make_user("porteur")
    holder.user_permissions.add(Permission.objects.get(codename="simulate_whatif"))
    from offers.models import ARSAgent
    from territories.models import Region

    registry_agent = make_user("agent-registre")  # an ARS agent of the registry, in no group
    ARSAgent.objects.create(user=registry_agent).regions.add(Region.objects.get(code="75"))
    return {
        "anonymous": None,
        "citizen": make_user("citoyen"),
        "ars": ars,
        "elu": elu,
        "holder": holder,
        "registry_agent": registry_agent,
        "staff": make_user("admin", is_staff=True),
    }


# role → (can trigger a run, can simulate)
MATRIX = {
    "anonymous": (False, False),
    "citizen": (False, False),
    "ars": (False, True),
    "elu": (False, True),
    "holder": (False, True),
    "registry_agent": (False, True),
    "staff": (True, True),
}


@pytest.mark.parametrize("role", MATRIX)
def test_permission_matrix(client, users, computed, role):
    from django.contrib.auth.models import AnonymousUser

    user = users[role] or AnonymousUser()
    can_trigger, can_sim = MATRIX[role]
    assert perms.can_trigger_run(user) is can_trigger
    assert perms.can_simulate(user) is can_sim
    # a held or discarded run: staff only (the same predicate as triggering); a published one: all
    for review in ("held", "discarded"):
        assert perms.can_see_run(user, ComputationRun(review=review)) is can_trigger
    assert perms.can_see_run(user, ComputationRun(review="published")) is True
    assert perms.can_see_run(user, ComputationRun(review="")) is True
    if users[role]:
        client.force_login(users[role])
    runs_before = ComputationRun.objects.count()
    response = client.post(reverse("indicators:run_trigger"))
    if can_trigger:
        assert response.status_code == 302
        assert ComputationRun.objects.count() == runs_before + 1
    else:
        assert response.status_code == 403
        assert ComputationRun.objects.count() == runs_before
    page = client.get(reverse("indicators:runs"))
    assert ("Lancer un recalcul" in page.content.decode()) is can_trigger
    response = client.get(reverse("indicators:simulate", args=["departement", "23"]))
    if can_sim:
        assert response.status_code == 200
    elif role == "anonymous":
        assert response.status_code == 302 and "/connexion/" in response["Location"]
    else:
        assert response.status_code == 403
    section = client.get(reverse("territories:zone", args=["departement", "23"])).content.decode()
    assert ("Simuler une évolution de l’offre" in section) is can_sim


def test_territory_page_links_every_figure(client, computed):
    html = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    assert "Accès aux soins" in html
    for definition in IndicatorDefinition.objects.all():
        assert f'href="/indicateurs/definitions/{definition.code}/?calcul={computed.pk}"' in html
        assert unit_label(definition.code, definition.unit, computed) in html
    assert f'href="{computed.get_absolute_url()}"' in html
    supply = computed.datasets.get(source="sirene-86-21z")
    assert f'href="{supply.get_absolute_url()}"' in html
    assert supply.millesime in html
    assert "Temps estimés" in html and "estimation" in html
    assert re.search(r"2[\s\xa0\u202f]?400 consultations par établissement et par an", html)
    # Parent zones and France are shown beside the commune.
    for name in ["Creuse", "Nouvelle-Aquitaine", "France"]:
        assert name in html
    # The table twin of the choropleth and the GeoJSON endpoint.
    assert "Classement des communes" in html
    assert reverse("indicators:classes_geojson", args=["commune", "23096"]) in html


def test_section_values_match_stored_values(client, computed):
    html = client.get(reverse("territories:zone", args=["departement", "48"])).content.decode()
    value = IndicatorValue.objects.get(
        run=computed, level="departement", zone_code="48", indicator_id="apl_mg"
    )
    assert f"{value.value:.2f}".replace(".", ",") in html


def test_classes_geojson(client, computed):
    data = client.get(reverse("indicators:classes_geojson", args=["departement", "75"])).json()
    codes = {f["properties"]["code"] for f in data["features"]}
    assert "75101" in codes and "75056" not in codes  # arrondissements, not the parent
    stored = dict(
        Classification.objects.filter(run=computed, level="commune", zone_code__in=codes).values_list(
            "zone_code", "apl_class"
        )
    )
    assert {f["properties"]["code"]: f["properties"]["apl_class"] for f in data["features"]} == stored
    assert data["run"] == computed.pk


def test_runs_pages_and_status(client, computed):
    assert client.get(reverse("indicators:index")).status_code == 200
    html = client.get(computed.get_absolute_url()).content.decode()
    assert "Temps de trajet" in html and ("1,3" in html or "1.3" in html)
    assert "consultations par établissement SIRENE et par an" in html
    assert computed.previous_id is None and "Premier calcul" in html
    status = client.get(reverse("indicators:run_status", args=[computed.pk])).json()
    assert status == {
        "id": computed.pk,
        "status": "succeeded",
        "status_label": "réussi",
        "progress": 100,
        "step": "terminé",
        "is_current": True,
        "error": "",
        "done": True,
    }
    detail = client.get(reverse("indicators:definition", args=["part_pop_urgences_30min"])).content.decode()
    assert "engagement 9" in detail and "% de la population" in detail


def test_pages_never_compute(client, computed, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a page computed")

    monkeypatch.setattr(services, "compute", forbidden)
    monkeypatch.setattr("indicators.runs.cache.build_model", forbidden)
    for url in [
        reverse("territories:zone", args=["departement", "23"]),
        reverse("indicators:index"),
        reverse("indicators:runs"),
        computed.get_absolute_url(),
        reverse("indicators:classes_geojson", args=["departement", "23"]),
    ]:
        assert client.get(url).status_code == 200


def test_whatif_adds_supply_near_the_commune_and_writes_nothing(computed):
    counts = (IndicatorValue.objects.count(), Classification.objects.count(), ComputationRun.objects.count())
    stored = dict(
        IndicatorValue.objects.filter(run=computed, level="commune", indicator_id="apl_mg").values_list(
            "zone_code", "value"
        )
    )
    creuse_atoms = set(Departement.objects.get(code="23").communes().values_list("code", flat=True))
    result = simulate(computed, creuse_atoms, ADD_MSP, commune_code="23008", gps=4)  # Aubusson
    assert counts == (
        IndicatorValue.objects.count(),
        Classification.objects.count(),
        ComputationRun.objects.count(),
    )
    changed = {c.code: c for c in result.communes}
    assert "23008" in changed
    assert changed["23008"].apl_after > changed["23008"].apl_before
    assert changed["23008"].apl_before == pytest.approx(stored["23008"], rel=1e-9)
    assert all(c.delta > 0 for c in result.communes)
    assert not any(code.startswith(("75", "48")) for code in changed)  # far away: unchanged
    # Every affected commune is within the 20-minute catchment of Aubusson (straight-line estimate).
    from indicators.engine import to_lambert93

    aubusson = Commune.objects.get(code="23008").point
    origin = to_lambert93([aubusson.x], [aubusson.y])[0]
    for c in Commune.objects.filter(code__in=list(changed)):
        xy = to_lambert93([c.point.x], [c.point.y])[0]
        minutes = ((xy - origin) ** 2).sum() ** 0.5 * 1.3 / (60_000 / 60)
        assert minutes < 2 * 20  # within two catchment radii (supply shared with neighbours)
    levels = {z.level for z in result.zones}
    assert {"departement", "region", "france"} <= levels
    dep = next(z for z in result.zones if z.level == "departement")
    assert dep.apl_after > dep.apl_before
    assert result.milliseconds < 1000


def test_whatif_retirement_uses_share_aged_60_and_says_when_unknown(computed):
    dataset_id = computed.parameters["supply"]["dataset_id"]
    GPSupply.objects.filter(dataset_id=dataset_id, commune_id="23096").update(share_aged_60_plus=0.5)
    from indicators.runs import cache

    cache.clear()
    atoms = set(Departement.objects.get(code="23").communes().values_list("code", flat=True))
    result = simulate(computed, atoms, RETIRE_60)
    changed = {c.code: c for c in result.communes}
    assert changed["23096"].apl_after < changed["23096"].apl_before
    assert all(c.delta < 0 for c in result.communes)
    assert any("inconnu" in note for note in result.notes)
    gueret_gps = GPSupply.objects.get(dataset_id=dataset_id, commune_id="23096").headcount
    assert f"{gueret_gps * 0.5:.1f}".replace(".", ",") in result.description


def test_whatif_retirement_is_refused_with_a_reason_when_no_age_is_known(computed):
    from indicators.runs import cache
    from indicators.simulate.whatif import WhatIfError

    cache.clear()
    atoms = set(Departement.objects.get(code="48").communes().values_list("code", flat=True))
    with pytest.raises(WhatIfError, match="l’âge des médecins n’est connu dans aucune commune"):
        simulate(computed, atoms, RETIRE_60)


def test_whatif_adds_a_full_time_practitioner_not_a_proxy_establishment(computed):
    supply = computed.parameters["supply"]
    assert supply["consultations_per_practitioner"] == 4500.0 > supply["consultations_per_gp_per_year"]
    atoms = set(Departement.objects.get(code="23").communes().values_list("code", flat=True))
    result = simulate(computed, atoms, ADD_MSP, commune_code="23008", gps=2)
    assert "9 000 consultations par an ajoutées" in result.description


def test_whatif_view_renders_table(client, computed):
    client.force_login(make_user("admin", is_staff=True))
    runs = ComputationRun.objects.count()
    values = IndicatorValue.objects.count()
    response = client.post(
        reverse("indicators:simulate", args=["departement", "23"]),
        {"action": "add_msp", "commune": "23008", "gps": "5"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Communes dont l’APL change" in html and "Aubusson" in html
    assert 'id="whatif-classes"' in html
    assert ComputationRun.objects.count() == runs and IndicatorValue.objects.count() == values
    bad = client.post(
        reverse("indicators:simulate", args=["departement", "23"]),
        {"action": "add_msp", "commune": "75101", "gps": "5"},
    )
    assert "n’est pas dans le territoire Creuse" in bad.content.decode()
    # by name, as typed or as the suggestion's label: the same result as the code
    for typed in ("Aubusson", "aubusson", "Aubusson (commune 23008)"):
        by_name = client.post(
            reverse("indicators:simulate", args=["departement", "23"]),
            {"action": "add_msp", "commune": typed, "gps": "5"},
        ).content.decode()
        assert "Communes dont l’APL change" in by_name and "Aubusson (23008)" in by_name, typed


def test_import_signal_triggers_recompute(
    supply, emergency_sites, django_capture_on_commit_callbacks, tmp_path
):
    from offers.importers import import_gp_supply

    # A new file where Guéret has one more GP establishment (an unchanged file recomputes nothing).
    lines = SIRENE_SLICE.read_text().splitlines()
    header = lines[0].split(";")
    col = header.index("generaliste")
    for i, line in enumerate(lines):
        fields = line.split(";")
        if fields[0] == "23096":
            fields[col] = str(float(fields[col]) + 1)
            lines[i] = ";".join(fields)
    changed = tmp_path / "PS_communes_sirene_2019.csv"
    changed.write_text("\n".join(lines) + "\n")
    with django_capture_on_commit_callbacks(execute=True):
        dataset = import_gp_supply(changed, millesime="re-import de test")
    run = ComputationRun.objects.get(trigger=ComputationRun.Trigger.IMPORT)
    assert run.trigger_dataset == dataset
    assert run.status == ComputationRun.Status.SUCCEEDED and run.is_current


def test_policy_imports_do_not_trigger_a_recompute(supply, django_capture_on_commit_callbacks):
    from proposals.seed import load_programmes

    before = ComputationRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        load_programmes()
    assert ComputationRun.objects.count() == before


def test_time_matrix_importer_and_provider(computed, tmp_path):
    path = tmp_path / "distancier_synthetique.csv"
    codes = ["23096", "23008", "23001"]
    lines = ["origin,destination,minutes"]
    for o in codes:
        for d in codes:
            lines.append(f"{o},{d},{0 if o == d else 12.5}")
    path.write_text("\n".join(lines) + "\n")
    from indicators.importers import import_time_matrix, matrix_source

    info = matrix_source("test", synthetic=True)
    dry = import_time_matrix(path, info=info, dry_run=True)
    assert dry.status == "dry_run" and not TravelTime.objects.exists()
    first = import_time_matrix(path, info=info)
    assert first.rows_created == 9
    again = import_time_matrix(path, info=info)
    assert again.rows_created == again.rows_updated == 0 and again.rows_unchanged == 9
    bad = tmp_path / "bad.csv"
    bad.write_text("origin,destination,minutes\n23096,99999,3\n23096,23008,-1\n")
    with pytest.raises(ImportRejected) as exc:
        import_time_matrix(bad, info=info)
    text = str(exc.value)
    assert "ligne 2" in text and "destination" in text and "ligne 3" in text and "minutes" in text
    run = services.recompute(ComputationRun.Trigger.TEST)
    assert run.parameters["travel_time"]["provider"] == "matrix"
    assert run.parameters["travel_time"]["dataset_id"] == first.pk
    times = dict(
        IndicatorValue.objects.filter(run=run, level="commune", indicator_id="temps_urgences").values_list(
            "zone_code", "value"
        )
    )
    # from the matrix, not the estimate, plus the mean access inside the commune (issue 27)
    from indicators.engine.within import within_commune_minutes
    from territories.models import Commune

    tt = run.parameters["travel_time"]
    inside = {
        code: within_commune_minutes([area], tt["detour_factor"], tt["speed_kmh"])[0]
        for code, area in Commune.objects.filter(code__in=["23008", "23096"]).values_list("code", "area_km2")
    }
    assert times["23008"] == pytest.approx(12.5 + inside["23008"])
    assert times["23096"] == pytest.approx(inside["23096"]) and times["23096"] > 0
    assert times["23002"] is None  # not in the matrix: unreachable
    assert run.datasets.filter(pk=first.pk).exists()


def test_region_page_shows_section(client, computed):
    html = client.get(reverse("territories:zone", args=["region", "76"])).content.decode()
    assert "Accès aux soins" in html and "Classement des communes" in html
