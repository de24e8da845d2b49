"""Planning on the official scale (issues 26 and 29), on the real DREES workbook and the real GP
supply of the slice (23, 48, 75): the ranking is the what-if run for each candidate, the plans are
the what-if applied step by step, the bounds are ordered, bad input computes nothing, the
permissions form a matrix, and the page, the API and the exports give the same numbers."""

import csv
import io

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from indicators.api.values import atoms_of_zone
from indicators.engine import planning as engine
from indicators.models import PublishedIndicatorValue
from indicators.runs import cache
from indicators.simulate import planning
from indicators.simulate.models import ExactPlan
from indicators.simulate.official_whatif import OPEN_GPS, official_after, simulate_official
from indicators.simulate.params import parse
from territories.models import Departement, Perimeter
from tests.factories import make_user

from .test_official_apl import WORKBOOK, fast_workbook  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(fast_workbook):  # noqa: F811
    from indicators.importers import import_drees_apl

    return import_drees_apl(WORKBOOK, sheet="APL 2023")


def published():
    rows = PublishedIndicatorValue.objects.filter(millesime="2023", variant="sans_borne", is_active=True)
    return {c: (v, t) for c, v, t in rows.values_list("commune_id", "value", "population_total")}


def prepared_for(run, dep, **query):
    params, errors = parse({k: str(v) for k, v in query.items()})
    assert not errors
    return planning.prepare(run, Departement.objects.get(pk=dep), params)


@pytest.mark.parametrize("gps", [1, 3])
def test_ranking_equals_the_whatif_run_for_each_candidate(official, computed, gps):
    """Brute force on the Lozère: the what-if run once per candidate, scored from the stored rows."""
    prepared = prepared_for(computed, "48", medecins=gps)
    rows = {r["code"]: r for r in planning.ranking(prepared)["rows"]}
    values = published()
    lozere = set(atoms_of_zone(Departement.objects.get(pk="48")))
    assert set(rows) == lozere
    for code in sorted(lozere):
        codes, before, after = official_after(computed, code, gps * 5400.0)
        deficit = zone_deficit = lifted = 0.0
        changed = 0
        for c, b, a in zip(codes, before, after, strict=True):
            if np.isnan(b) or a == b:
                continue
            assert b == values[c][0]  # the baseline is the published figure
            population = values[c][1]
            part = population * min(a - b, max(0.0, 2.5 - b))
            deficit += part
            zone_deficit += part if c in lozere else 0.0
            lifted += population if b < 2.5 <= a else 0.0
            changed += (b < 2.5 <= a) or (b < 4.0 <= a)
        row = rows[code]
        assert row["deficit_total"] == pytest.approx(deficit, rel=1e-9, abs=1e-9), code
        assert row["deficit_zone"] == pytest.approx(zone_deficit, rel=1e-9, abs=1e-9), code
        assert row["lifted_total"] == pytest.approx(lifted), code
        assert row["changed_total"] == changed, code
    ranks = [r["deficit_total"] for r in planning.ranking(prepared)["rows"]]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > 0


def test_top_row_opened_in_the_whatif_shows_the_same_effect(client, official, computed):
    prepared = prepared_for(computed, "23", medecins=3)
    top = planning.ranking(prepared)["rows"][0]
    result = simulate_official(
        computed, set(atoms_of_zone(Departement.objects.get(pk="23"))), OPEN_GPS, top["code"], 3
    )
    values = published()
    deficit = sum(values[c.code][1] * min(c.delta, max(0.0, 2.5 - c.apl_before)) for c in result.communes)
    assert deficit == pytest.approx(top["deficit_total"])
    staff = make_user("planner", is_staff=True)
    client.force_login(staff)
    html = client.get(top["whatif_url"]).content.decode()
    assert f"à {top['name']} ({top['code']})" in html  # the what-if ran for that commune, 3 GPs
    assert "Installation de 3 médecins" in html
    # the what-if states the figures of the planning row
    from indicators.api.values import fixed_fr

    assert f"Réduction du déficit : {fixed_fr(top['deficit_total'], 0)} " in html
    assert f"Habitants passant au-dessus de 2,5 : {fixed_fr(top['lifted_total'], 0)} ;" in html
    assert f"Communes changeant de classe : {top['changed_total']}<" in html


def test_plan_is_the_whatif_applied_step_by_step_and_a_plan_of_zero_is_official(official, computed):
    prepared = prepared_for(computed, "23", plan=8, plafond=2)
    plan = engine.greedy(prepared.problem, 8, cap=2)
    assert len(plan.steps) == 8 and max(plan.counts().values()) <= 2
    codes, before, expected = official_after(computed, "23096", 0.0)
    for position in plan.steps:
        _, b, a = official_after(computed, prepared.code(position), 5400.0)
        expected = expected + (a - b)
    known = ~np.isnan(before)
    np.testing.assert_allclose(plan.apl[known], expected[known], rtol=0, atol=1e-12)
    assert plan.objective == pytest.approx(engine.deficit_reduction(prepared.problem, plan.counts()))
    zero = engine.greedy(prepared.problem, 0)
    values = published()
    assert {c: zero.apl[i] for i, c in enumerate(codes) if known[i]} == {
        c: values[c][0] for c in codes[known]
    }
    empty = engine.exact_plan(prepared.problem, 0)
    assert empty.counts == {} and np.array_equal(engine.apply(prepared.problem, {})[known], before[known])


def test_need_bounds_are_ordered_and_the_exact_plan_beats_the_greedy(official, computed):
    prepared = prepared_for(computed, "48", besoin=1)
    need = engine.need(prepared.problem)
    assert need.status == "met" and need.lower <= need.upper
    exact = engine.exact_need(prepared.problem, time_limit=60)
    assert exact.status == "optimal"
    assert need.lp_value <= exact.objective + 1e-6 and need.lower <= exact.objective <= need.upper
    # the exact minimum does lift every target commune to 2.5
    after = engine.apply(prepared.problem, exact.counts)
    assert (after[need.target] >= 2.5 - 1e-9).all()
    greedy = engine.greedy(prepared.problem, 10)
    best = engine.exact_plan(prepared.problem, 10, time_limit=60)
    assert best.status == "optimal" and sum(best.counts.values()) <= 10
    assert best.objective >= greedy.objective - 1e-6
    assert greedy.objective >= 0.95 * best.objective
    # the exact plan's final APL equals the what-if applied commune by commune
    codes, before, expected = official_after(computed, "48095", 0.0)
    for position, gps in best.counts.items():
        _, b, a = official_after(computed, prepared.code(position), gps * 5400.0)
        expected = expected + (a - b)
    known = ~np.isnan(before)
    np.testing.assert_allclose(
        engine.apply(prepared.problem, best.counts)[known], expected[known], atol=1e-12
    )


def test_unreachable_communes_are_named_not_dropped(official, computed):
    """Candidates limited to one commune: the communes of the zone it does not reach are listed."""
    prepared = prepared_for(computed, "48", besoin=1, communes="48095")
    need = planning.need(prepared)
    target, unreachable = engine.need_target(prepared.problem)
    assert len(unreachable) > 0
    assert {u["code"] for u in need["unreachable"]} == {prepared.codes[i] for i in unreachable}
    reached = set(prepared.problem.effects.indices)
    assert all(i not in reached for i in unreachable)


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"medecins": "0"}, "medecins", "entre 1 et 100"),
        ({"medecins": "101"}, "medecins", "entre 1 et 100"),
        ({"medecins": "deux"}, "medecins", "n’est pas un nombre entier"),
        ({"plan": "501"}, "plan", "entre 0 et 500"),
        ({"consultations": "0"}, "consultations", "Activité par médecin"),
        ({"communes": "23096 ABCDE"}, "communes", "n’est pas un code INSEE"),
        ({"communes": "48095"}, "communes", "Hors du territoire Creuse : 48095"),
    ],
)
def test_bad_input_gets_a_french_message_next_to_its_field_and_computes_nothing(
    client, official, computed, monkeypatch, query, field, message
):
    calls = []
    monkeypatch.setattr(engine, "rank", lambda *a, **k: calls.append(1))
    response = client.get(reverse("indicators:planning", args=["departement", "23"]), query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in response.context["errors"][field] and message in html
    if field != "communes" or "Hors" not in message:
        assert f'id="err-{field if field != "population_min" else "population"}"' in html
    assert calls == []
    api = client.get(
        f"/api/v1/planification/departement/23/?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    )
    assert api.status_code == 400 and api.json()["parameter"] == field


def test_unknown_empty_and_unpublished_zones(client, official, computed):
    assert client.get(reverse("indicators:planning", args=["departement", "99"])).status_code == 404
    empty = Perimeter.objects.create(name="Vide", is_shared=True)
    response = client.get(reverse("indicators:planning", args=["perimetre", empty.pk]))
    assert "ne contient aucune commune calculée" in response.content.decode()
    assert "prepared" not in response.context
    PublishedIndicatorValue.objects.filter(commune__departement_id="48").delete()
    cache.clear()  # the official arrays are cached per imported file; rows deleted by hand here
    response = client.get(reverse("indicators:planning", args=["departement", "48"]))
    assert "Aucune APL officielle n’est publiée pour les communes de Lozère" in response.content.decode()


def test_without_official_apl_nothing_is_computed(client, computed):
    response = client.get(reverse("indicators:planning", args=["departement", "23"]))
    assert "Aucune APL officielle n’est chargée" in response.content.decode()


@pytest.fixture
def roles(db):
    elu = make_user("elu-plan")
    elu.groups.add(Group.objects.get_or_create(name="élus")[0])
    ars = make_user("ars-plan")
    ars.groups.add(Group.objects.get_or_create(name="agents ARS")[0])
    return {
        "anonymous": None,
        "citizen": make_user("citoyen-plan"),
        "elu": elu,
        "ars": ars,
        "staff": make_user("admin-plan", is_staff=True),
    }


# role → (reads the page, asks for an exact answer)
MATRIX = {
    "anonymous": (True, False),
    "citizen": (True, False),
    "elu": (True, True),
    "ars": (True, True),
    "staff": (True, True),
}


@pytest.mark.parametrize("role", MATRIX)
def test_permission_matrix(client, roles, official, computed, role):
    from indicators.perms import can_plan, can_request_exact_plan

    user = roles[role]
    reads, asks = MATRIX[role]
    assert (can_plan(user), can_request_exact_plan(user)) == (reads, asks)
    if user:
        client.force_login(user)
    page = reverse("indicators:planning", args=["departement", "48"])
    response = client.get(page, {"besoin": "1"})
    assert (response.status_code == 200) is reads
    assert ("Calculer le minimum exact" in response.content.decode()) is asks
    exact = reverse("indicators:planning_exact", args=["departement", "48"]) + "?besoin=1"
    response = client.post(exact, {"nature": "besoin"})
    if asks:
        assert response.status_code == 302
        assert ExactPlan.objects.count() == 1
    else:
        assert response.status_code == 403 and ExactPlan.objects.count() == 0


def test_exact_job_is_stored_shown_and_never_solved_twice(
    client, roles, official, computed, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(roles["elu"])
    exact_url = reverse("indicators:planning_exact", args=["departement", "48"]) + "?besoin=1"
    with_calls = []
    real = engine.exact_need
    monkeypatch.setattr(engine, "exact_need", lambda *a, **k: with_calls.append(1) or real(*a, **k))
    for _ in range(2):  # eager Celery: solved in-process once the request commits
        with django_capture_on_commit_callbacks(execute=True):
            client.post(exact_url, {"nature": "besoin"})
    job = ExactPlan.objects.get()
    assert with_calls == [1] and job.status == ExactPlan.Status.OPTIMAL
    prepared = prepared_for(computed, "48", besoin=1)
    need = engine.need(prepared.problem)
    assert job.lp_bound == pytest.approx(need.lp_value) and job.greedy == need.upper
    assert need.lower <= job.objective <= need.upper
    assert sum(r["gps"] for r in job.result["placement"]) == job.objective
    page = client.get(reverse("indicators:planning", args=["departement", "48"]), {"besoin": "1"})
    assert f"Minimum exact : {int(job.objective)} médecins" in page.content.decode()
    api = client.get("/api/v1/planification/departement/48/?besoin=1").json()
    assert api["besoin"]["exact"]["objective"] == job.objective
    export = client.get(
        reverse("indicators:planning_export", args=["departement", "48", "csv"]),
        {"besoin": "1", "tableau": "exact_besoin"},
    )
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))[1:]
    assert [(line[0], int(line[2])) for line in lines] == [
        (r["code"], r["gps"]) for r in job.result["placement"]
    ]
    assert [(r["code"], r["gps"]) for r in api["besoin"]["exact"]["placement"]] == [
        (r["code"], r["gps"]) for r in job.result["placement"]
    ]


def test_time_limit_keeps_the_best_solution_and_the_proven_bound(official, computed):
    prepared = prepared_for(computed, "23", besoin=1)
    exact = engine.exact_need(prepared.problem, time_limit=0.05)
    need = engine.need(prepared.problem)
    if exact.status == "time_limit" and exact.objective is not None:
        assert exact.bound <= exact.objective and exact.gap > 0
    assert exact.status in ("optimal", "time_limit")
    if exact.objective is not None:
        assert need.lower <= exact.objective


def test_page_api_and_exports_give_the_same_numbers(client, official, computed):
    query = {"medecins": "3", "plan": "5", "besoin": "1"}
    page = client.get(reverse("indicators:planning", args=["departement", "23"]), query)
    assert page.status_code == 200
    top = page.context["top"]
    api = client.get("/api/v1/planification/departement/23/", query).json()
    assert [r["code"] for r in api["classement"][: len(top)]] == [r["code"] for r in top]
    assert [r["deficit_total"] for r in api["classement"][: len(top)]] == [r["deficit_total"] for r in top]
    export = client.get(reverse("indicators:planning_export", args=["departement", "23", "csv"]), query)
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:3] == ["Rang", "Code INSEE", "Commune"]
    assert len(lines) - 1 == len(api["classement"])
    for line, row in zip(lines[1:], api["classement"], strict=True):
        assert line[1] == row["code"] and float(line[6].replace(",", ".")) == pytest.approx(
            row["deficit_total"], rel=1e-5
        )
    plan = page.context["plan"]
    assert api["plan"]["glouton"]["reduction_deficit"] == pytest.approx(plan["plan"].objective)
    assert [s["code"] for s in api["plan"]["glouton"]["etapes"]] == [s["code"] for s in plan["steps"]]
    need = page.context["need"]["need"]
    assert (api["besoin"]["borne_basse_lp"], api["besoin"]["glouton"]) == (need.lower, need.upper)
    html = page.content.decode()
    assert f"Entre {need.lower} et {need.upper} médecins" in html
    xlsx = client.get(
        reverse("indicators:planning_export", args=["departement", "23", "xlsx"]),
        {**query, "tableau": "plan"},
    )
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [sheet.cell(r, 2).value for r in range(2, sheet.max_row + 1)] == [s["code"] for s in plan["steps"]]


def test_geojson_colours_every_candidate(client, official, computed):
    response = client.get(
        reverse("indicators:planning_geojson", args=["departement", "48"]), {"medecins": "1"}
    )
    data = response.json()
    assert len(data["features"]) == len(atoms_of_zone(Departement.objects.get(pk="48")))
    best = min(data["features"], key=lambda f: f["properties"]["rank"])
    assert best["properties"]["score"] == max(f["properties"]["score"] for f in data["features"])


def test_territory_page_has_the_where_to_act_block_without_computing(client, official, computed, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a page computed")

    monkeypatch.setattr("indicators.runs.cache.build_model", forbidden)
    cache.clear()
    html = client.get(reverse("territories:zone", args=["departement", "23"])).content.decode()
    assert "Où agir" in html and reverse("indicators:planning", args=["departement", "23"]) in html
    assert "/api/v1/planification/departement/23/?limite=3" in html
    monkeypatch.undo()
    top3 = client.get("/api/v1/planification/departement/23/?limite=3").json()["classement"]
    prepared = prepared_for(computed, "23")
    assert [r["code"] for r in top3] == [r["code"] for r in planning.ranking(prepared)["rows"][:3]]


def test_fiche_names_the_three_best_communes(client, official, computed):
    from pypdf import PdfReader

    response = client.get(reverse("indicators:fiche", args=["departement", "48"]))
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1 and "Où agir" in text
    for row in planning.ranking(prepared_for(computed, "48"))["rows"][:3]:
        assert row["name"] in text


def test_a_perimeter_and_a_communes_surroundings(client, official, computed):
    from territories.models import Commune

    owner = make_user("porteur-cpts")
    perimeter = Perimeter.objects.create(name="CPTS du Guéretois", owner=owner)
    perimeter.communes_set.set(Commune.objects.filter(code__in=["23096", "23176", "23005"]))
    url = reverse("indicators:planning", args=["perimetre", perimeter.pk])
    assert client.get(url).status_code == 404  # private: its author only
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    assert {r["code"] for r in response.context["ranking"]["rows"]} == {"23096", "23176", "23005"}
    # a commune's zone is its surroundings: every commune within its catchment is a candidate
    response = client.get(reverse("indicators:planning", args=["commune", "23096"]))
    prepared = response.context["prepared"]
    assert prepared.surroundings and prepared.problem.n > 1
    codes, before, after = official_after(computed, "23096", 5400.0)
    reached = {c for c, b, a in zip(codes, before, after, strict=True) if a != b or c == "23096"}
    assert {r["code"] for r in response.context["ranking"]["rows"]} <= set(codes)
    assert reached <= {prepared.codes[i] for i in np.flatnonzero(prepared.problem.zone)}


def test_a_time_limited_exact_answer_says_at_most_and_at_least(client, official, computed):
    prepared = prepared_for(computed, "23", besoin=1)
    job = ExactPlan.objects.create(
        key="x" * 64,
        kind=ExactPlan.Kind.NEED,
        run=computed,
        millesime=prepared.millesime,
        zone_level="departement",
        zone_code="23",
        zone_name="Creuse",
        time_limit=60,
    )
    from indicators.simulate.exact import find

    _found, key, parameters = find(
        computed, prepared.zone, prepared.params, ExactPlan.Kind.NEED, prepared.millesime
    )
    ExactPlan.objects.filter(pk=job.pk).update(
        key=key, parameters=parameters, status=ExactPlan.Status.TIME_LIMIT, objective=43, bound=39, gap=0.09
    )
    html = client.get(
        reverse("indicators:planning", args=["departement", "23"]), {"besoin": "1"}
    ).content.decode()
    assert "Au plus 43, au moins 39 médecins" in html


def test_candidate_filters_keep_what_the_planner_asks(official, computed):
    from offers.models import Offer
    from territories.models import Commune

    everyone = prepared_for(computed, "23")
    big = prepared_for(computed, "23", population_min=1000)
    kept = {big.code(k) for k in range(big.problem.n)}
    expected = set(
        Commune.objects.filter(
            code__in=atoms_of_zone(Departement.objects.get(pk="23")), population__gte=1000
        ).values_list("code", flat=True)
    )
    assert kept == expected and 0 < len(kept) < everyone.problem.n
    msp_commune = Commune.objects.get(code="23176")
    Offer.objects.create(
        kind=Offer.Kind.MSP,
        name="MSP test",
        commune=msp_commune,
        location=msp_commune.point,
        status=Offer.Status.OPEN,
    )
    hosts = prepared_for(computed, "23", avec_cabinet=1)
    codes = {hosts.code(k) for k in range(hosts.problem.n)}
    from indicators.runs.cache import model_for

    model = model_for(computed)
    with_gp = {model["atoms"].frame.at[i, "code"] for i in np.flatnonzero(model["gp"] > 0)}
    assert codes == (with_gp & set(atoms_of_zone(Departement.objects.get(pk="23")))) | {"23176"}
    # the scores of a kept commune do not depend on the others being kept
    top = planning.ranking(hosts)["rows"][0]
    same = next(r for r in planning.ranking(everyone)["rows"] if r["code"] == top["code"])
    assert same["deficit_total"] == pytest.approx(top["deficit_total"])


def test_a_job_whose_worker_died_is_asked_again(official, computed, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from indicators.simulate.jobs import request_exact

    prepared = prepared_for(computed, "48", plan=3)
    with django_capture_on_commit_callbacks(execute=False):
        job, created = request_exact(prepared, ExactPlan.Kind.PLAN)
    assert created and job.status == ExactPlan.Status.PENDING
    assert request_exact(prepared, ExactPlan.Kind.PLAN) == (job, False)  # pending: not asked twice
    ExactPlan.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        again, created = request_exact(prepared, ExactPlan.Kind.PLAN)
    again.refresh_from_db()
    assert created and again.pk != job.pk and again.status == ExactPlan.Status.OPTIMAL
    greedy = engine.greedy(prepared.problem, 3)
    assert again.objective >= greedy.objective - 1e-6 and again.greedy == pytest.approx(greedy.objective)


def test_a_target_out_of_reach_with_a_cap_is_said_not_guessed(official, computed):
    """One candidate capped at one GP cannot lift every commune: infeasible, both by LP and greedy."""
    prepared = prepared_for(computed, "48", besoin=1, communes="48095", plafond=1)
    need = engine.need(prepared.problem, cap=1)
    assert need.status == "infeasible" and need.upper is None
    exact = engine.exact_need(prepared.problem, time_limit=10, cap=1)
    assert exact.status == "infeasible" and exact.objective is None


def test_the_curve_counts_the_people_under_the_threshold_after_each_step(official, computed):
    prepared = prepared_for(computed, "23", plan=12)
    plan = engine.greedy(prepared.problem, 12)
    values = published()
    zone = set(atoms_of_zone(Departement.objects.get(pk="23")))
    codes, before, apl = official_after(computed, "23096", 0.0)
    for step, position in enumerate([None, *plan.steps]):
        if position is not None:
            _, b, a = official_after(computed, prepared.code(position), 5400.0)
            apl = apl + (a - b)
        under = sum(
            values[c][1] for c, x in zip(codes, apl, strict=True) if c in zone and c in values and x < 2.5
        )
        assert plan.under[step] == pytest.approx(under), step


def test_the_api_never_answers_for_a_private_perimeter(client, official, computed):
    from territories.models import Commune

    owner = make_user("porteur-prive")
    perimeter = Perimeter.objects.create(name="Projet privé", owner=owner)
    perimeter.communes_set.set(Commune.objects.filter(code__in=["23096", "23176"]))
    client.force_login(owner)
    assert client.get(f"/api/v1/planification/perimetre/{perimeter.pk}/").status_code == 404
    perimeter.is_shared = True
    perimeter.save()
    client.logout()
    answer = client.get(f"/api/v1/planification/perimetre/{perimeter.pk}/").json()
    assert {r["code"] for r in answer["classement"]} == {"23096", "23176"}


def test_a_cpts_perimeter_of_the_registry(client, official, computed):
    from offers.models import Offer
    from territories.models import Commune

    cpts = Offer.objects.create(
        kind=Offer.Kind.CPTS,
        name="CPTS du Grand Guéret",
        commune=Commune.objects.get(code="23096"),
        status="ouvert",
    )
    cpts.perimeter.set(["23096", "23176", "23008"])
    response = client.get(reverse("indicators:planning", args=["cpts", cpts.pk]), {"plan": "2"})
    assert response.status_code == 200
    assert {r["code"] for r in response.context["ranking"]["rows"]} == {"23096", "23176", "23008"}
    api = client.get(f"/api/v1/planification/cpts/{cpts.pk}/?plan=2").json()
    assert api["plan"]["glouton"]["reduction_deficit"] == pytest.approx(
        response.context["plan"]["plan"].objective
    )
    assert client.get(reverse("indicators:planning", args=["cpts", 999999])).status_code == 404
