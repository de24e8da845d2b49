"""Two imports of the same FINESS file at once give one set of rows (per-source lock, diff-based
sync, unique FINESS number), as they would from two admins or a double click."""

import threading

import pytest
from django.db import IntegrityError, connections, transaction

from offers.importers import import_finess
from offers.models import Offer
from territories.models import Dataset

from .conftest import FINESS_SAMPLE

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_imports_write_one_set_of_rows(reload_territory_slice):
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(5)
            import_finess(FINESS_SAMPLE)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    datasets = list(Dataset.objects.filter(source="finess-etalab", status="succeeded").order_by("pk"))
    assert len(datasets) == 2
    created = sorted(d.rows_created for d in datasets)
    assert created[0] == 0 and created[1] > 0  # the second waited, then found every row there
    numbers = list(Offer.objects.exclude(finess_et="").values_list("finess_et", flat=True))
    assert len(numbers) == len(set(numbers)) == created[1]


def test_the_finess_number_is_a_unique_key(reload_territory_slice):
    import_finess(FINESS_SAMPLE)
    offer = Offer.objects.exclude(finess_et="").first()
    clone = Offer(kind=offer.kind, name="copie", commune=offer.commune, finess_et=offer.finess_et)
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="déjà celui d’une autre offre"):
        clone.validate_constraints()
