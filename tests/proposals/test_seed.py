"""The seed programmes checked against the five seed texts they are written from."""

import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from proposals.models import Axis, Fact, Measure, Programme, SourceDocument
from proposals.seed import SEED_FILE, SOURCES_DIR, load_programmes, normalize
from territories.importing.contract import ImportRejected
from territories.models import Dataset

SHARED_SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
PACTE_FILE = SOURCES_DIR / "003_71d251b4d41a99e3.txt"


def cited_text(measure_or_programme):
    programme = getattr(measure_or_programme, "programme", measure_or_programme)
    return normalize((SOURCES_DIR / programme.source.file_name).read_text(encoding="utf-8"))


def test_source_copies_are_the_seed_texts():
    copies = sorted(p.name for p in SOURCES_DIR.glob("*.txt"))
    assert len(copies) == 5
    if SHARED_SEEDS.is_dir():
        assert copies == sorted(p.name for p in SHARED_SEEDS.glob("*.txt"))
        for name in copies:
            assert (SOURCES_DIR / name).read_bytes() == (SHARED_SEEDS / name).read_bytes(), name
    assert (SOURCES_DIR.parent / "README.md").is_file()


def test_pacte_has_the_twelve_engagements_in_their_three_axes(pacte):
    # Parse the text itself: axis headings, then « engagement N : … » lines.
    lines = [
        re.sub(r"\s+", " ", line.replace("\u00a0", " ")).strip()
        for line in PACTE_FILE.read_text(encoding="utf-8").splitlines()
    ]
    axes = {normalize(a.title): a.number for a in pacte.axes.all()}
    assert len(axes) == 3
    current, from_text = None, {}
    for line in lines:
        if normalize(line) in axes:
            current = axes[normalize(line)]
        match = re.match(r"engagement (\d+) ?: (.+)", line)
        if match:
            from_text[int(match.group(1))] = (current, match.group(2))
    assert sorted(from_text) == list(range(1, 13))
    measures = {m.number: m for m in pacte.measures.select_related("axis")}
    assert sorted(measures) == list(range(1, 13))
    for number, (axis_number, wording) in from_text.items():
        measure = measures[number]
        assert measure.axis.number == axis_number, number
        assert normalize(measure.title) == normalize(wording).rstrip("."), number
    assert [a.title for a in pacte.axes.order_by("number")] == [
        "Changer la formation et faciliter l’installation des jeunes médecins",
        "Transformer les conditions d’exercice des professionnels de santé",
        "Investir dans les territoires isolés",
    ]
    assert pacte.item_label == "engagement"


def test_pacte_targets(pacte):
    m = {x.number: x for x in pacte.measures.all()}
    assert (m[1].target_value, m[1].target_text) == (Decimal(100), "100% des étudiants")
    assert m[2].target_value == 1500 and m[2].deadline.year == 2017 and m[2].deadline_text == "d’ici 2017"
    assert m[3].target_value == 200 and m[3].deadline.year == 2013 and m[3].deadline_text == "dès 2013"
    assert m[4].target_value == 1 and "référent installation" in m[4].target_text
    assert m[9].indicator_code == "part_pop_urgences_30min"
    assert m[9].target_value == 0 and m[9].target_direction == Measure.Direction.AT_MOST
    assert m[9].deadline.year == 2015 and "30 minutes" in m[9].target_text
    assert m[12].indicator_code == "nb_centres_sante"
    assert m[5].indicator_code == "nb_msp"


def test_every_measure_fact_and_axis_is_in_the_source_it_cites(programmes):
    assert Programme.objects.count() == 6
    assert Measure.objects.count() == 12 + 5 + 3 + 4 + 42 + 7
    for measure in Measure.objects.select_related("programme__source"):
        text = cited_text(measure)
        for phrase in (measure.title, measure.quote, measure.target_text):
            assert normalize(phrase) in text, (measure.programme.slug, measure.number, phrase)
        assert measure.programme.source.file_name.endswith(".txt")
    for fact in Fact.objects.select_related("programme__source"):
        assert normalize(fact.quote) in cited_text(fact), (fact.programme.slug, fact.quote)
    for axis in Axis.objects.select_related("programme__source"):
        assert normalize(axis.title) in cited_text(axis)
    for document in SourceDocument.objects.all():
        assert document.title and document.author and document.date_text and len(document.checksum) == 64
        assert (
            normalize(document.title.split(" — ")[0])
            in normalize((SOURCES_DIR / document.file_name).read_text(encoding="utf-8"))
            or document.key == "reponse-ministere-desertification-2020"
        )


def _phrases_covered(slug, phrases):
    measures = Measure.objects.filter(programme__slug=slug)
    quotes = [normalize(m.quote) for m in measures]
    return [p for p in phrases if not any(normalize(p) in q for q in quotes)]


def test_plan_egal_acces_and_ma_sante_2022(programmes):
    assert not _phrases_covered(
        "plan-egal-acces-aux-soins-2017",
        ["stages ambulatoires", "exercice coordonné", "consultations avancées", "télémédecine",
         "projets territoriaux de santé"],
    )  # fmt: skip
    plan = Programme.objects.get(slug="plan-egal-acces-aux-soins-2017")
    assert plan.date.year == 2017 and plan.date.month == 10
    assert not _phrases_covered(
        "ma-sante-2022", ["(CPTS)", "4 000 postes d'assistants médicaux", "400 médecins"]
    )
    ms = {m.number: m for m in Measure.objects.filter(programme__slug="ma-sante-2022")}
    assert ms[1].indicator_code == "nb_cpts"
    assert ms[2].target_value == 4000 and ms[3].target_value == 400
    facts = {f.value: f for f in Fact.objects.filter(programme__slug="ma-sante-2022", value__isnull=False)}
    assert (
        "Plus de 500 projets" in facts[Decimal(500)].quote and facts[Decimal(500)].indicator_code == "nb_cpts"
    )
    assert "150 %" in facts[Decimal(150)].quote and "juin 2018" in facts[Decimal(150)].quote
    assert {
        p.source.key
        for p in Programme.objects.filter(slug__in=["ma-sante-2022", "plan-egal-acces-aux-soins-2017"])
    } == {"reponse-ministere-desertification-2020"}


def test_ps_chantier_calendar(programmes):
    chantier = Programme.objects.get(slug="ps-chantier-sante-et-territoires-2019")
    calendar = chantier.facts.filter(kind=Fact.Kind.CALENDAR)
    quotes = " ".join(f.quote for f in calendar)
    assert "de février à septembre 2019" in quotes
    assert calendar.get(quote__startswith="Ouverture du chantier").date.isoformat() == "2019-02-15"
    assert "fédérations du parti" in quotes and "soumis au vote des militants" in quotes
    assert not _phrases_covered(
        "ps-chantier-sante-et-territoires-2019",
        ["proposition de loi visant à lutter contre la désertification", "texte d'orientation",
         "alimenter les orientations"],
    )  # fmt: skip
    consultation = chantier.working_groups.get().consultations.get()
    assert (
        timezone.localtime(consultation.opens_at).date().isoformat() == "2019-02-15"
        and not consultation.is_open()
    )


def test_ps_programme_measure_by_measure(programmes):
    missing = _phrases_covered(
        "ps-vers-une-nouvelle-politique-de-sante",
        [
            "qualité de l’air", "lutte contre le tabac", "politiques de vaccination", "risques alimentaires",
            "sport santé sur ordonnance", "toutes les addictions",
            "qualité de l’eau",
            "loi de financement de la sécurité sociale",
            "en stage dans tous les territoires",
            "maisons de santé dans les zones rurales mais aussi dans les zones urbanisées",
            "à commencer par la filière visuelle", "trimestres supplémentaires pour la retraite",
            "l’exercice mixte dans un hôpital", "médecines du travail et scolaires",
            "technologies numériques",
            "la limitation à l’installation dans les territoires sur dotés", "coopération entre GHT et CPTS",
            "maladies chroniques", "médecin coordonnateur des PTSM", "consultations complexes",
            "consultations de psychologues", "20 000 places", "l HAD", "aide aux aidants", "EPHAD",
            "contrats territoriaux de santé", "conseil de santé territoriale",
            "responsabilité populationnelle",
            "gouvernance des structures hospitalières", "infirmières de pratiques avancées",
            "remise à plat des systèmes de rémunération", "intégration au sein des GHT",
            "filière gériatrique",
            "tête de réseau", "revalorisations salariales", "places en crèche", "nombre d’IPA",
            "capacités de management", "revoir en profondeur la gouvernance", "la part de la T2A",
        ],
    )  # fmt: skip
    assert missing == []
    ps = {
        m.number: m for m in Measure.objects.filter(programme__slug="ps-vers-une-nouvelle-politique-de-sante")
    }
    assert ps[21].target_value == 20000 and ps[21].deadline_text == "sur 5 ans"
    assert ps[15].lever == Measure.Lever.REGULATION and ps[12].lever == Measure.Lever.INCENTIVE
    assert ps[1].axis.title == "Se fixer des objectifs ambitieux de prévention et de promotion de la santé"
    assert Axis.objects.filter(programme__slug="ps-vers-une-nouvelle-politique-de-sante").count() == 7


def test_lfi_proposals_and_facts(programmes):
    assert not _phrases_covered(
        "lfi-medecine-de-proximite-communes",
        ["centres municipaux de santé, fondés sur le salariat des médecins", "sans dépassements d’honoraires",
         "tiers payant intégral", "mutualisation intercommunale", "l’hôpital public et l’Assurance Maladie",
         "contrats locaux de santé", "campagnes de prévention"],
    )  # fmt: skip
    facts = list(Fact.objects.filter(programme__slug="lfi-medecine-de-proximite-communes"))
    by_value = {f.value: f.quote for f in facts}
    assert "115 centres municipaux de santé" in by_value[Decimal(115)]
    assert "0,5% des médecins" in by_value[Decimal("0.5")]
    assert any("⅔ des jeunes médecins recherchent un poste salarié" in f.quote for f in facts)
    assert any("près d’un tiers de la population vit dans un désert médical" in f.quote for f in facts)
    cms = Measure.objects.get(programme__slug="lfi-medecine-de-proximite-communes", number=1)
    assert cms.lever == Measure.Lever.SALARIED and cms.indicator_code == "nb_cms"


def test_load_is_idempotent_and_recorded(programmes):
    assert programmes.status == Dataset.Status.SUCCEEDED and programmes.rows_created > 100
    again = load_programmes()
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, programmes.rows_created)
    call_command("load_programmes", "--dry-run", stdout=io.StringIO())
    assert Dataset.objects.filter(source="proposals-programmes", status=Dataset.Status.DRY_RUN).exists()


def test_dry_run_writes_nothing(db):
    dataset = load_programmes(dry_run=True)
    assert dataset.status == Dataset.Status.DRY_RUN and dataset.rows_created > 100
    assert Measure.objects.count() == 0


def test_a_misquoted_measure_refuses_the_whole_file(db, tmp_path):
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    data["programmes"][0]["measures"][8]["quote"] = (
        "garantir un accès aux soins urgents en moins de 20 minutes"
    )
    data["programmes"][2]["measures"][0]["indicator_code"] = "nb_licornes"
    bad = tmp_path / "programmes.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        load_programmes(bad)
    fields = [p.field for p in exc.value.problems]
    assert fields == ["programmes[0].measures[8].quote", "programmes[2].measures[0].indicator_code"]
    assert Measure.objects.count() == 0 and Programme.objects.count() == 0
    assert Dataset.objects.get(source="proposals-programmes").status == Dataset.Status.FAILED


def test_load_all_step_loads_the_programmes(db):
    from proposals.apps import load_programmes_step
    from territories.importing.bootstrap import steps

    (step,) = [s for s in steps() if s[2] is load_programmes_step]
    assert step[0] == 30 and "programmes" in step[1]
    out = io.StringIO()
    step[2](out, dry_run=False)
    assert Measure.objects.count() == 73 and "créées=" in out.getvalue()
    step[2](out, dry_run=False)
    assert "créées=0 modifiées=0" in out.getvalue().splitlines()[-1]


def test_admin_pages_render(programmes, admin_client):
    from django.urls import reverse

    for name in ["measure", "programme", "workinggroup", "consultation", "contribution"]:
        assert admin_client.get(reverse(f"admin:proposals_{name}_changelist")).status_code == 200
