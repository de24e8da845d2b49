"""`load_all` defers recomputes to its last step, which computes only when an import changed data."""

import io

import pytest

from indicators.models import ComputationRun
from indicators.runs import triggers
from territories.importing import bootstrap
from territories.models import Commune

pytestmark = pytest.mark.django_db


def step(name_part):
    return next(s for _, name, s in bootstrap.steps() if name_part in name)


def test_last_step_computes_only_after_a_changing_import(
    computed, territory_slice, django_capture_on_commit_callbacks
):
    from territories.importers import import_cog

    runs = ComputationRun.objects.count()
    step("recalculs différés")(io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        import_cog(territory_slice)  # unchanged
    out = io.StringIO()
    step("premier calcul")(out)
    assert "reste à jour" in out.getvalue() and ComputationRun.objects.count() == runs

    step("recalculs différés")(io.StringIO())
    Commune.objects.filter(code="23096").update(population=1)
    with django_capture_on_commit_callbacks(execute=True):
        import_cog(territory_slice)  # repairs the population: a change
    assert ComputationRun.objects.count() == runs  # deferred, not computed yet
    step("premier calcul")(io.StringIO())
    assert ComputationRun.objects.count() == runs + 1
    assert not triggers._deferred["active"]
