"""The publish gate: a run that reclassifies many communes, or whose supply file covers fewer
départements than the published run's, is computed but held « à valider »; an administrator reads
the complete diff, publishes or discards it; « republier » restores an earlier run; old runs'
values are pruned, their summary kept."""

import csv
import io

import pytest
from django.urls import reverse

from indicators.models import Classification, ComputationRun, IndicatorValue
from indicators.runs import services
from offers.models import GPSupply
from territories.models import Dataset
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def supply_copy(computed, keep=lambda row: True, factor=lambda row: 1):
    dataset = Dataset.objects.create(
        source="sirene-86-21z",
        title="Offre modifiée (test)",
        licence="test",
        millesime="test",
        file_name="t.csv",
        checksum="0" * 64,
        status=Dataset.Status.SUCCEEDED,
        is_proxy=True,
    )
    rows = GPSupply.objects.filter(dataset=computed.parameters["supply"]["dataset_id"]).select_related(
        "commune"
    )
    GPSupply.objects.bulk_create(
        [
            GPSupply(dataset=dataset, commune=r.commune, headcount=r.headcount * factor(r))
            for r in rows
            if keep(r)
        ]
    )
    return dataset


def test_a_partial_supply_file_is_held_and_the_published_run_stays(computed, client):
    supply_copy(computed, keep=lambda r: r.commune.departement_id == "23")  # one département of three
    held = services.recompute(ComputationRun.Trigger.TEST)
    assert held.status == ComputationRun.Status.SUCCEEDED and held.review == "held" and not held.is_current
    assert "ne couvre que 1 département(s) contre 3" in held.hold_reason
    assert ComputationRun.current().pk == computed.pk  # pages still read the published run
    # the administrator reads the complete diff and publishes
    admin = make_user("admin-gate", is_staff=True)
    client.force_login(admin)
    page = client.get(held.get_absolute_url()).content.decode()
    assert "à valider" in page and "Publier ce calcul" in page and "Écarter" in page
    text = client.get(reverse("indicators:run_diff", args=[held.pk])).content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert len(rows) - 1 == held.diff["count"] > 0  # every change, never cut
    client.post(reverse("indicators:run_publish", args=[held.pk]))
    held.refresh_from_db()
    computed.refresh_from_db()
    assert held.is_current and held.review == "published" and not computed.is_current
    # « republier le calcul précédent » in one action
    client.post(reverse("indicators:run_publish", args=[computed.pk]))
    computed.refresh_from_db()
    assert computed.is_current and ComputationRun.current().pk == computed.pk


def test_many_reclassified_communes_are_held_then_discarded(computed, client, settings):
    settings.PUBLISH_GATE_SHARE = 0.0001
    supply_copy(computed, factor=lambda r: 10 if r.commune.departement_id == "48" else 1)
    held = services.recompute(ComputationRun.Trigger.TEST)
    assert held.review == "held" and "communes changent de classe" in held.hold_reason
    client.force_login(make_user("admin-gate2", is_staff=True))
    client.post(reverse("indicators:run_discard", args=[held.pk]))
    held.refresh_from_db()
    assert held.review == "discarded" and not held.is_current
    assert ComputationRun.current().pk == computed.pk
    # a citizen can neither publish nor discard
    client.force_login(make_user("citoyen-gate"))
    assert client.post(reverse("indicators:run_publish", args=[held.pk])).status_code == 403


def test_old_runs_values_are_pruned_and_their_summary_kept(computed, settings):
    settings.RUN_VALUES_KEPT = 2
    runs = [computed] + [services.recompute(ComputationRun.Trigger.TEST) for _ in range(3)]
    computed.refresh_from_db()
    assert computed.summary.get("pruned") and computed.summary.get("france")
    assert not IndicatorValue.objects.filter(run=computed).exists()
    assert not Classification.objects.filter(run=computed).exists()
    assert (
        IndicatorValue.objects.filter(run=runs[-1]).exists()
        and IndicatorValue.objects.filter(run=runs[-2]).exists()
    )
    with pytest.raises(ValueError, match="valeurs sont conservées"):
        services.publish_run(computed)


def test_a_file_that_zeroes_one_departement_is_held_naming_it(computed, client, settings):
    """The national share stays under its threshold; the Creuse losing every GP holds the run."""
    settings.PUBLISH_GATE_SHARE = 0.99
    supply_copy(computed, factor=lambda r: 0 if r.commune.departement_id == "23" else 1)
    held = services.recompute(ComputationRun.Trigger.TEST)
    assert held.review == "held" and not held.is_current
    assert "Creuse (23) : perd 100 % de son offre" in held.hold_reason
    assert "Lozère" not in held.hold_reason and "Paris" not in held.hold_reason
    gate = held.parameters["publish_gate"]
    assert gate["departement_supply_loss"] == settings.PUBLISH_GATE_DEPARTEMENT_SUPPLY_LOSS
    assert list(gate["departements_retenus"]) == ["23"]
    assert ComputationRun.current().pk == computed.pk
    client.force_login(make_user("admin-gate3", is_staff=True))
    page = client.get(held.get_absolute_url()).content.decode()
    assert "Creuse (23)" in page and "Publier ce calcul" in page


def test_reclassified_communes_of_one_departement_hold_the_run(computed, settings):
    settings.PUBLISH_GATE_SHARE = 0.99
    settings.PUBLISH_GATE_DEPARTEMENT_SUPPLY_LOSS = 1.0  # only the reclassification judges
    settings.PUBLISH_GATE_DEPARTEMENT_SHARE = 0.01
    supply_copy(computed, factor=lambda r: 10 if r.commune.departement_id == "48" else 1)
    held = services.recompute(ComputationRun.Trigger.TEST)
    assert held.review == "held" and "Lozère (48) : " in held.hold_reason
    assert "changent de classe (" in held.hold_reason and "Creuse (23)" not in held.hold_reason
    # the same change under the thresholds is published at once, the thresholds recorded
    settings.PUBLISH_GATE_DEPARTEMENT_SHARE = 0.99
    supply_copy(computed, factor=lambda r: 10 if r.commune.departement_id == "48" else 1)
    published = services.recompute(ComputationRun.Trigger.TEST)
    assert published.is_current and published.parameters["publish_gate"]["departement_share"] == 0.99
