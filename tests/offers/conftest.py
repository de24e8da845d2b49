"""Roles and offers for the registry tests (Creuse = Nouvelle-Aquitaine 75, Lozère = Occitanie 76)."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from tests.factories import make_user

DATA = Path(__file__).parent.parent / "data" / "offers"
FINESS_SAMPLE = DATA / "finess_etalab_synthetique.csv"
RPPS_SAMPLE = DATA / "annuaire_sante_synthetique.txt"
NOUVELLE_AQUITAINE, OCCITANIE = "75", "76"


def make_agent(username, *region_codes, **extra):
    from offers.models import ARSAgent

    user = make_user(username, **extra)
    agent = ARSAgent.objects.create(user=user)
    agent.regions.set(region_codes)
    return user


def make_offer(commune_code, name="MSP test", kind="msp", **extra):
    from django.contrib.gis.geos import Point

    from offers.models import Offer
    from territories.models import Commune

    commune = Commune.objects.get(code=commune_code)
    offer = Offer(kind=kind, name=name, commune=commune, **extra)
    if "location" not in extra and commune.point is not None:
        offer.location = Point(commune.point.x, commune.point.y, srid=4326)
        offer.location_precision = Offer.LocationPrecision.COMMUNE
    offer._change_reason = "fabrique de test"
    offer.save()
    return offer


@pytest.fixture
def ars_na(db):
    return make_agent("ars-na", NOUVELLE_AQUITAINE, is_staff=True)


@pytest.fixture
def ars_occ(db):
    return make_agent("ars-occ", OCCITANIE, is_staff=True)


@pytest.fixture
def elu(db):
    user = make_user("elu")
    user.groups.add(Group.objects.get_or_create(name="élus")[0])
    return user


@pytest.fixture
def wg_member(db):
    user = make_user("membre-gt")
    user.groups.add(Group.objects.get_or_create(name="groupe de travail")[0])
    return user


@pytest.fixture
def admin_user(db):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def msp_creuse(db):
    return make_offer("23096", "MSP de Guéret")


@pytest.fixture
def msp_lozere(db):
    return make_offer("48095", "MSP de Mende")


@pytest.fixture
def password():
    return "motdepasse-solide-42"
