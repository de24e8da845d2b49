"""An uploaded file imported by a real Celery worker on the Redis at 127.0.0.1:6379 (the same task
and service as without a broker)."""

import pytest
from django.urls import reverse

from tests.factories import make_user

from ..conftest import TEST_DATA
from .test_celery_worker import celery_app_on_redis, committed, wait_for, worker  # noqa: F401

pytestmark = pytest.mark.celery_worker

DREES_SAMPLE = TEST_DATA / "indicators" / "drees_apl_synthetique.xlsx"


def test_upload_is_imported_by_the_worker(committed, worker, client, settings, tmp_path):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    from indicators.models import ComputationRun, DatasetUpload, PublishedIndicatorValue, PublishedZoneValue

    settings.MEDIA_ROOT = tmp_path / "media"
    admin = make_user("racine-worker", is_staff=True, is_superuser=True)
    before = ComputationRun.objects.count()
    try:
        client.force_login(admin)
        file = SimpleUploadedFile(DREES_SAMPLE.name, DREES_SAMPLE.read_bytes())
        response = client.post(reverse("indicators:uploads"), {"kind": "drees_apl", "file": file})
        upload = DatasetUpload.objects.get(uploaded_by=admin)
        assert response["Location"] == upload.get_absolute_url() and upload.task_id, upload.message
        done = wait_for(
            lambda: DatasetUpload.objects.filter(pk=upload.pk, status="succeeded").first(),
            what="the worker to import the upload",
        )
        assert done.dataset.is_synthetic and done.dataset.source == "drees-apl"
        assert (
            PublishedIndicatorValue.objects.filter(dataset=done.dataset).count()
            == done.dataset.rows_created
            > 0
        )
        assert "réussi" in client.get(upload.get_absolute_url()).content.decode()
        assert ComputationRun.objects.count() == before  # the DREES APL feeds no computation
    finally:
        PublishedZoneValue.objects.all().delete()
        PublishedIndicatorValue.objects.all().delete()
        DatasetUpload.objects.all().delete()
        admin.delete()
