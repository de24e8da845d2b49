"""Imports that do not block: without a broker an upload returns at once to its progress page and
the file is imported in a thread (the same service as the Celery task); the report reads as
French sentences, never a raw dictionary."""

import time

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from indicators.models import DatasetUpload
from tests.factories import make_user
from tests.offers.conftest import FINESS_SAMPLE

URL = "/indicateurs/imports/"


def _uploader():
    user = make_user("importateur", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="upload_dataset"))
    return user


def _post_finess(client):
    return client.post(
        URL,
        {
            "kind": "finess",
            "file": SimpleUploadedFile(FINESS_SAMPLE.name, FINESS_SAMPLE.read_bytes()),
            "synthetic": "on",
        },
    )


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_in_process_upload_returns_at_once_and_the_page_follows_it(
    client, settings, tmp_path, monkeypatch, reload_territory_slice
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOADS_IN_BACKGROUND = True
    assert settings.CELERY_TASK_ALWAYS_EAGER  # no broker: the in-process mode
    from indicators.importers import uploads

    started, real = [], uploads.execute_upload

    def slow(*args, **kwargs):  # the import takes a while: the request must not wait for it
        started.append(time.monotonic())
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(uploads, "execute_upload", slow)
    client.force_login(_uploader())
    before = time.monotonic()
    response = _post_finess(client)
    waited = time.monotonic() - before
    upload = DatasetUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == upload.get_absolute_url()
    assert waited < 1.5, waited
    page = client.get(upload.get_absolute_url()).content.decode()
    assert 'data-active="1"' in page and "la page se met à jour à la fin de l’import" in page
    state = client.get(f"/indicateurs/imports/{upload.pk}/etat.json").json()
    assert state["done"] is False
    for _ in range(100):
        state = client.get(f"/indicateurs/imports/{upload.pk}/etat.json").json()
        if state["done"]:
            break
        time.sleep(0.1)
    assert state["done"] and state["status"] == DatasetUpload.Status.SUCCEEDED, state
    page = client.get(upload.get_absolute_url()).content.decode()
    assert 'data-active="0"' in page
    report = page[page.index("Rapport de l’import") :]
    assert "<strong>Offres par type</strong> : 3 MSP, 1 CPTS, 2 centres de santé</li>" in report
    assert "par_type" not in report and "{" not in report and "'" not in report
