"""Territoires de vie-santé: import (same contract as every importer) and the classification on
the TVS mesh, as the ARS zonage decides it — checked against the population-weighted APL computed
here, independently of the engine. The TVS file is a synthetic sample (no TVS file is shipped):
the slice's bassins de vie, two of them merged into one TVS."""

from collections import defaultdict

import pytest
from django.core.management import call_command

from indicators.models import Classification, ClassificationRule, ComputationRun, IndicatorValue
from indicators.runs import services
from territories.importers import import_tvs
from territories.importing.contract import ImportRejected
from territories.models import Commune, Dataset, TerritoireVieSante

pytestmark = pytest.mark.django_db

MERGED = {"23096": "T23096", "23176": "T23096"}  # Guéret and La Souterraine: one synthetic TVS


def write_tvs(path, keep=lambda code: True, extra=()):
    lines = ["CODGEO;TVS;LIBTVS"]
    for code, bv, name in (
        Commune.objects.filter(kind=Commune.Kind.COMMUNE, bassin_de_vie__isnull=False)
        .order_by("code")
        .values_list("code", "bassin_de_vie_id", "bassin_de_vie__name")
    ):
        if keep(code):
            tvs = MERGED.get(bv, f"T{bv}")
            label = "Guéret – La Souterraine" if tvs == "T23096" else name
            lines.append(f"{code};{tvs};{label}")
    lines += list(extra)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    return path


def weighted_class(run, rule):
    """Class of each commune's TVS from the stored commune APL, weighted by population."""
    apl = dict(
        IndicatorValue.objects.filter(run=run, level="commune", indicator_id="apl_mg").values_list(
            "zone_code", "value"
        )
    )
    sums = defaultdict(lambda: [0.0, 0.0])
    members = list(
        Commune.objects.filter(is_active=True, tvs__isnull=False)
        .exclude(code__in=["75056"])
        .values_list("code", "tvs_id", "population")
    )
    for code, tvs, population in members:
        if apl.get(code) is not None:
            sums[tvs][0] += apl[code] * (population or 0)
            sums[tvs][1] += population or 0
    mean = {tvs: total / weight for tvs, (total, weight) in sums.items() if weight}
    return {code: (tvs, mean[tvs], rule.classify_apl(mean[tvs])) for code, tvs, _p in members if tvs in mean}


def test_tvs_import_contract(tmp_path):
    path = write_tvs(tmp_path / "tvs_synthetique.csv")
    dataset = import_tvs(path)
    assert dataset.status == Dataset.Status.SUCCEEDED and dataset.is_synthetic
    assert dataset.report["lecture"]["tvs_synthetique.csv"]["encodage"] == "Windows-1252"
    assert TerritoireVieSante.objects.get(code="T23096").name == "Guéret – La Souterraine"
    assert Commune.objects.get(code="23176").tvs_id == "T23096"
    assert Commune.objects.get(code="75101").tvs_id == Commune.objects.get(code="75056").tvs_id
    assert import_tvs(path).rows_changed == 0  # idempotent
    # The other layout met (code_commune, code_tvs, libelle_tvs) gives the same rows.
    other = tmp_path / "tvs_autre_synthetique.csv"
    other.write_text(
        path.read_text(encoding="cp1252").replace(
            "CODGEO;TVS;LIBTVS", "code_commune;code_tvs;libelle_tvs", 1
        ),
        encoding="cp1252",
    )
    assert import_tvs(other).rows_changed == 0
    other.write_text(
        other.read_text(encoding="cp1252") + "23999;T23096;Guéret – La Souterraine\r\n", encoding="cp1252"
    )
    with pytest.raises(ImportRejected, match="champ « code_commune » : code commune inconnu"):
        import_tvs(other)
    lozere = write_tvs(tmp_path / "tvs_48.csv", keep=lambda code: code.startswith("48"))
    with pytest.raises(ImportRejected, match="couvre 1 département sur 3 \\(48\\)"):
        import_tvs(lozere)
    assert import_tvs(lozere, partial=True).rows_changed == 0
    unknown = write_tvs(tmp_path / "tvs_inconnu.csv", extra=["23999;T23096;Guéret – La Souterraine"])
    with pytest.raises(ImportRejected, match="ligne \\d+, champ « CODGEO » : code commune inconnu"):
        import_tvs(unknown)
    renamed = write_tvs(tmp_path / "tvs_noms.csv", extra=[])
    text = renamed.read_text(encoding="cp1252").replace(
        ";T23096;Guéret – La Souterraine", ";T23096;Autre nom", 1
    )
    renamed.write_text(text, encoding="cp1252")
    with pytest.raises(
        ImportRejected, match="TVS T23096 nommé « Guéret – La Souterraine », mais « Autre nom »"
    ):
        import_tvs(renamed)


def test_classes_on_the_tvs_mesh_equal_the_weighted_apl(tmp_path, supply, emergency_sites):
    import_tvs(write_tvs(tmp_path / "tvs_synthetique.csv"))
    run = services.recompute(ComputationRun.Trigger.TEST)
    rule = run.rule
    assert rule.mesh == ClassificationRule.Mesh.COMMUNE
    assert run.parameters["classification"]["mesh_source"] == "tvs"
    assert run.parameters["classification"]["rule_version"] == rule.version
    expected = weighted_class(run, rule)
    stored = {
        c.zone_code: c
        for c in Classification.objects.filter(run=run, level="commune").exclude(zone_code="75056")
    }
    assert len(expected) > 400
    for code, (tvs, apl, cls) in expected.items():
        row = stored[code]
        assert (row.mesh_zone, row.mesh_class) == (tvs, cls), code
        assert row.mesh_apl == pytest.approx(apl, rel=1e-9), code
    # On a commune mesh, a commune keeps its own class; some differ from their TVS's.
    assert any(c.apl_class != c.mesh_class for c in stored.values())
    # A rule on the TVS mesh classes every commune as its TVS.
    ClassificationRule.objects.update(is_active=False)
    ClassificationRule.objects.create(version=rule.version + 1, mesh=ClassificationRule.Mesh.TVS)
    tvs_run = services.recompute(ComputationRun.Trigger.TEST)
    assert tvs_run.parameters["classification"]["mesh"] == "tvs"
    for c in Classification.objects.filter(run=tvs_run, level="commune").exclude(zone_code="75056"):
        assert c.apl_class == expected[c.zone_code][2], c.zone_code


def test_without_tvs_the_bassin_de_vie_stands_in_and_pages_say_so(client, computed):
    run = computed
    described = run.parameters["classification"]
    assert described["mesh_source"] == "bassin_de_vie" and "approximation" in described["mesh_text"]
    gueret = Classification.objects.get(run=run, level="commune", zone_code="23096")
    bv = IndicatorValue.objects.get(run=run, level="bassin-de-vie", zone_code="23096", indicator_id="apl_mg")
    assert gueret.mesh_zone == "23096" and gueret.mesh_apl == pytest.approx(bv.value, rel=1e-12)
    html = client.get("/territoires/commune/23096/").content.decode()
    assert "classe du bassin de vie (approximation du territoire de vie-santé du zonage ARS)" in html
    api = client.get("/api/v1/indicateurs/classes/commune/23096/").json()["results"][0]
    assert api["tvs_calcul"] == "23096" and api["classe_tvs_calculee"]


def test_page_and_compare_zonage_at_the_tvs_mesh(client, tmp_path, supply, emergency_sites, settings):
    from io import StringIO

    from offers.importers import import_zonage

    import_zonage(settings.FIXTURES_DIR / "offers" / "zonage_medecins_23_48_75.csv")
    import_tvs(write_tvs(tmp_path / "tvs_synthetique.csv"))
    run = services.recompute(ComputationRun.Trigger.TEST)
    html = client.get("/territoires/commune/23176/").content.decode()
    assert "classe du territoire de vie-santé, comme le zonage ARS" in html
    out = StringIO()
    call_command("compare_zonage", calcul=run.pk, maille="tvs", source="calcul", stdout=out)
    text = out.getvalue()
    assert "territoire de vie-santé" in text and "kappa" in text.lower()
