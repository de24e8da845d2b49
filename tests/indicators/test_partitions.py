"""Run values stored one partition per run on PostgreSQL (indicators/runs/partitions.py)."""

import pandas as pd
import pytest
from django.db import IntegrityError, connection, transaction

from indicators.models import Classification, ComputationRun, IndicatorValue
from indicators.runs import partitions, services

pytestmark = pytest.mark.django_db

VALUES = "indicators_indicatorvalue"
CLASSES = "indicators_classification"


def attached(table):
    """Partition name → number of rows, for every partition attached to ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits JOIN pg_class parent ON parent.oid = inhparent "
            "JOIN pg_class child ON child.oid = inhrelid WHERE parent.relname = %s",
            [table],
        )
        names = [name for (name,) in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {name}")
            counts[name] = cursor.fetchone()[0]
    return counts


def exists(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [table])
        return cursor.fetchone()[0] is not None


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("partitions are a PostgreSQL layout; SpatiaLite keeps plain tables")


def test_a_run_is_one_partition_of_each_table(computed):
    values = attached(VALUES)
    classes = attached(CLASSES)
    part = partitions.partition_name(VALUES, computed.pk)
    assert values[part] == IndicatorValue.objects.filter(run=computed).count() > 1000
    assert classes[partitions.partition_name(CLASSES, computed.pk)] == (
        Classification.objects.filter(run=computed).count()
    )
    assert values[f"{VALUES}_default"] == 0 and classes[f"{CLASSES}_default"] == 0
    # The key is the primary key of the partition (one index, built once).
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [part])
        definitions = [row[0] for row in cursor.fetchall()]
    key = "USING btree (run_id, level, zone_code, indicator_id)"
    assert definitions == [f"CREATE UNIQUE INDEX {part}_pkey ON public.{part} {key}"]


def test_writing_a_run_again_replaces_its_rows(computed):
    frame = pd.DataFrame(
        {
            "run_id": computed.pk,
            "level": ["commune", "commune"],
            "zone_code": ["23096", "48095"],
            "indicator_id": ["apl_mg", "apl_mg"],
            "value": [1.5, float("nan")],
            "population": [100.0, 50.0],
        }
    )
    with transaction.atomic():
        partitions.write_run_rows(VALUES, computed.pk, frame)
    rows = sorted(IndicatorValue.objects.filter(run=computed).values_list("zone_code", "value"))
    assert rows == [("23096", 1.5), ("48095", None)]


def test_a_failed_write_leaves_nothing_and_the_previous_run_intact(computed):
    before = IndicatorValue.objects.filter(run=computed).count()
    run = ComputationRun.objects.create(trigger=ComputationRun.Trigger.TEST)
    duplicated = pd.DataFrame(
        {
            "run_id": run.pk,
            "level": ["commune", "commune"],
            "zone_code": ["23096", "23096"],
            "indicator_id": ["apl_mg", "apl_mg"],
            "value": [1.0, 2.0],
            "population": [1.0, 1.0],
        }
    )
    with pytest.raises(IntegrityError, match="duplicate|dupliqu|unique"), transaction.atomic():
        partitions.write_run_rows(VALUES, run.pk, duplicated)
    assert not exists(partitions.partition_name(VALUES, run.pk))
    assert not IndicatorValue.objects.filter(run=run).exists()
    assert IndicatorValue.objects.filter(run=computed).count() == before


def test_pruning_drops_old_partitions_and_orphans(computed, settings):
    settings.RUN_VALUES_KEPT = 1
    settings.PUBLISH_GATE_SHARE = 1.0
    second = services.recompute(ComputationRun.Trigger.TEST)
    assert second.is_current
    computed.refresh_from_db()
    assert computed.summary.get("pruned")
    assert not exists(partitions.partition_name(VALUES, computed.pk))
    assert not exists(partitions.partition_name(CLASSES, computed.pk))
    assert not IndicatorValue.objects.filter(run=computed).exists()
    assert IndicatorValue.objects.filter(run=second).exists()
    # A run deleted through the ORM leaves its emptied partitions: the next prune drops them.
    settings.RUN_VALUES_KEPT = 2
    third = services.recompute(ComputationRun.Trigger.TEST)
    ComputationRun.objects.filter(pk=second.pk).delete()
    assert set(partitions.orphan_partitions()) == {
        partitions.partition_name(VALUES, second.pk),
        partitions.partition_name(CLASSES, second.pk),
    }
    services.prune_old_runs()
    assert partitions.orphan_partitions() == []
    assert IndicatorValue.objects.filter(run=third).count() > 1000
