import pytest


@pytest.fixture
def programmes(db):
    from proposals.seed import load_programmes

    return load_programmes()


@pytest.fixture
def pacte(programmes):
    from proposals.models import Programme

    return Programme.objects.get(slug="pacte-territoire-sante-2012-2015")
