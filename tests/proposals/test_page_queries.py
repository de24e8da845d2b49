"""Query-count guard: a territory page with the programmes loaded and a computed run."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from offers.models import Offer
from proposals.models import Measure
from territories.models import Commune
from tests.indicators.conftest import SIRENE_SLICE

pytestmark = pytest.mark.django_db

PROXY_UNIT = "établissements de médecine générale (proxy des médecins) pour 100 000 habitants"


@pytest.fixture
def computed_run(programmes):
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
    return services.recompute(ComputationRun.Trigger.TEST)


def _proposals_section(html):
    return html[html.index(">Politiques publiques</h2>") :]


@pytest.mark.parametrize("url", ["/territoires/departement/23/", "/territoires/commune/23096/"])
def test_territory_page_with_programmes_and_a_run_stays_under_60_queries(computed_run, url):
    client = Client()
    client.get(url)  # warm per-process caches (content types, sessions) like a running server
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    section = _proposals_section(response.content.decode())
    for measure in Measure.objects.exclude(indicator_code=""):
        assert measure.get_absolute_url() in section
    assert len(queries) < 60, "\n".join(q["sql"][:160] for q in queries.captured_queries)


def test_proposals_section_reads_each_zone_in_a_few_queries(computed_run):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from proposals.sections import territory_section
    from territories.zones import get_zone

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    zone = get_zone("departement", "23")
    with CaptureQueriesContext(connection) as queries:
        section = territory_section(request, zone)
    rows = section["context"]["rows"]
    assert rows and all(row["national"].measurement is not None for row in rows)
    assert len(queries) <= 12, "\n".join(q["sql"][:160] for q in queries.captured_queries)


def test_density_measure_says_establishments_on_the_territory_page(computed_run):
    density = Measure.objects.filter(indicator_code="densite_mg").first()
    if density is None:
        pytest.skip("no measure tracked by the GP density")
    section = _proposals_section(Client().get("/territoires/departement/23/").content.decode())
    row = section[section.index(density.get_absolute_url()) :]
    row = row[: row.index("</tr>")]
    assert PROXY_UNIT in row and "proxy : établissements SIRENE" in row


def test_batched_reads_equal_one_by_one_reads(computed_run):
    """measure_many (a few queries per zone) gives exactly what measure gives code by code."""
    from indicators.api.measures import REGISTRY_COUNTS, measure, measure_many
    from territories.models import Dataset
    from territories.zones import get_zone

    registry = Dataset.objects.create(
        source="finess-etalab", title="FINESS", licence="LO", millesime="2026", status="succeeded"
    )

    def offer(kind, code, **extra):
        return Offer.objects.create(
            kind=kind,
            name=f"{kind} {code}",
            commune=Commune.objects.get(code=code),
            dataset=registry,
            **extra,
        )

    cpts = offer(Offer.Kind.CPTS, "23096", aci_signed=True)
    cpts.perimeter.set(Commune.objects.filter(code__in=["23096", "48095"]))  # spans two départements
    offer(Offer.Kind.MSP, "23096")
    offer(Offer.Kind.MSP, "75101")  # an arrondissement: counted in Paris
    offer(Offer.Kind.MSP, "48095", status=Offer.Status.CLOSED)
    offer(Offer.Kind.CENTRE_SANTE, "75056", subkind=Offer.SubKind.MUNICIPAL)
    offer(Offer.Kind.CENTRE_SANTE, "23096")
    codes = [
        *REGISTRY_COUNTS,
        "densite_mg",
        "apl_mg",
        "temps_mg",
        "temps_urgences",
        "part_pop_urgences_30min",
    ]
    zones = [None] + [
        get_zone(level, code)
        for level, code in [
            ("departement", "23"),
            ("departement", "48"),
            ("commune", "75056"),
            ("commune", "23096"),
        ]
    ]
    seen = set()
    for zone in zones:
        many = measure_many(codes, zone, cache={})
        for code in codes:
            one = measure(code, zone)
            assert (many[code] is None) == (one is None), (code, zone)
            if one is None:
                continue
            assert many[code].value == one.value, (code, zone)
            assert many[code].source == one.source and many[code].unit_label == one.unit_label
            assert many[code].note == one.note and many[code].is_estimate == one.is_estimate
            seen.add((code, one.value))
    assert ("nb_cpts", 1) in seen and ("nb_msp", 2) in seen and ("nb_cms", 1) in seen
