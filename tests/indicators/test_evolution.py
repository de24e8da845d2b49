"""Evolution of a territory: official APL by millésime, the run-by-run values and class changes,
and its exports."""

import pytest
from django.urls import reverse

from indicators.models import Classification, ComputationRun
from indicators.runs import services

from .test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_evolution_section_and_exports(client, official, computed):  # noqa: F811
    newer = services.recompute(ComputationRun.Trigger.TEST)
    # a class change between the two runs, as a recompute after new data would record it
    Classification.objects.filter(run=newer, level="commune", zone_code="23096").update(
        apl_class="sous_dense"
    )
    html = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    section = html[html.index(">Évolution<") :]
    assert "2022" in section and "3,20" in section and "2,95" in section and "<polyline" in section
    assert f"au calcul n° {newer.pk}" in section and "« sous-dense »" in section
    csv = client.get(
        reverse("indicators:evolution_export", args=["commune", "23096", "csv"])
    ).content.decode()
    lines = csv.strip().splitlines()
    assert lines[1].startswith("APL officielle DREES;2022;3,20;")  # rounded as published
    assert any(line.startswith(f"Calcul n° {newer.pk} du portail (estimation)") for line in lines)
    assert (
        client.get(reverse("indicators:evolution_export", args=["commune", "23096", "pdf"])).status_code
        == 404
    )


def test_one_millesime_says_so_instead_of_a_flat_line(client, fast_workbook, computed):  # noqa: F811
    from indicators.importers import import_drees_apl
    from tests.indicators.test_official_apl import WORKBOOK

    import_drees_apl(WORKBOOK, sheet="APL 2023")
    html = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    section = html[html.index(">Évolution<") :]
    assert "Un seul millésime publié" in section and "<polyline" not in section
    assert "Un seul calcul réussi" in section
