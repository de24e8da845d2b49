"""Admin upload of data files: permission matrix (pages and POST), real and broken files through
the Celery task (eager without a broker: the same code path), dry run, form validation."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from indicators import perms
from indicators.importers import uploads
from indicators.models import ComputationRun, DatasetUpload, PublishedIndicatorValue
from indicators.tasks import import_uploaded_file
from offers.importers import DEFAULT_DIR, HOSPITALS_FILE
from offers.models import GPSupply, Offer
from territories.models import Dataset
from tests.factories import make_user

from ..conftest import TEST_DATA
from .conftest import SIRENE_SLICE

pytestmark = pytest.mark.django_db

DREES_SAMPLE = TEST_DATA / "indicators" / "drees_apl_synthetique.xlsx"
URL = "/indicateurs/imports/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def hospitals_slice(tmp_path, break_line=None):
    """The real public-hospital file cut to the test slice (23, 48, 75); optionally a line broken."""
    lines = (DEFAULT_DIR / HOSPITALS_FILE).read_text(encoding="utf-8").splitlines()
    keep = [lines[0]] + [line for line in lines[1:] if line.split(",")[10] in ("23", "48", "75")]
    if break_line:
        fields = keep[break_line - 1].split(",")
        fields[9] = "23999"  # unknown commune
        keep[break_line - 1] = ",".join(fields)
    path = tmp_path / HOSPITALS_FILE
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return path


def as_upload(path: Path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes())


@pytest.fixture
def users(db):
    elu = make_user("elu")
    elu.groups.add(Group.objects.get_or_create(name="élus")[0])
    ars = make_user("agent")
    ars.groups.add(Group.objects.get_or_create(name="agents ARS")[0])
    from offers.models import ARSAgent
    from territories.models import Region

    ARSAgent.objects.create(user=ars).regions.add(Region.objects.get(code="75"))
    uploader = make_user("importateur", is_staff=True)
    uploader.user_permissions.add(Permission.objects.get(codename="upload_dataset"))
    non_staff_holder = make_user("porteur")  # the permission without being staff: not enough
    non_staff_holder.user_permissions.add(Permission.objects.get(codename="upload_dataset"))
    return {
        "anonymous": None,
        "citizen": make_user("citoyen"),
        "elu": elu,
        "ars": ars,
        "staff": make_user("admin", is_staff=True),
        "non_staff_holder": non_staff_holder,
        "staff_with_permission": uploader,
        "superuser": make_user("racine", is_staff=True, is_superuser=True),
    }


MATRIX = {
    "anonymous": False,
    "citizen": False,
    "elu": False,
    "ars": False,
    "staff": False,
    "non_staff_holder": False,
    "staff_with_permission": True,
    "superuser": True,
}


@pytest.mark.parametrize("role", MATRIX)
def test_permission_matrix_pages_and_post(client, users, role, tmp_path, media):
    user = users[role]
    allowed = MATRIX[role]
    assert perms.can_upload_dataset(user) is allowed
    if user:
        client.force_login(user)
    page = client.get(URL)
    post = client.post(
        URL, {"kind": "hospitals", "file": as_upload(hospitals_slice(tmp_path)), "dry_run": "on"}
    )
    runs = client.get(reverse("indicators:runs")).content.decode()
    if allowed:
        assert page.status_code == 200 and "Déposer et importer" in page.content.decode()
        upload = DatasetUpload.objects.get()
        assert post.status_code == 302 and post["Location"] == upload.get_absolute_url()
        assert upload.status == DatasetUpload.Status.DRY_RUN and upload.uploaded_by == user
        assert client.get(upload.get_absolute_url()).status_code == 200
        assert URL in runs
    else:
        expected = 302 if user is None else 403
        assert page.status_code == post.status_code == expected
        if user is None:
            assert post["Location"].startswith(reverse("login"))
        assert (
            not DatasetUpload.objects.exists()
            and not Dataset.objects.filter(source__startswith="finess").exists()
        )
        assert not (Path(media) / "imports").exists()
        assert URL not in runs
    if not allowed and user is not None:
        other = DatasetUpload.objects.create(token="00000000-0000-0000-0000-000000000001", kind="zonage")
        assert client.get(other.get_absolute_url()).status_code == 403


@pytest.fixture
def uploader(client, users):
    client.force_login(users["staff_with_permission"])
    return users["staff_with_permission"]


def test_upload_real_hospital_slice_succeeds_and_is_listed(client, uploader, tmp_path, media):
    path = hospitals_slice(tmp_path)
    response = client.post(URL, {"kind": "hospitals", "file": as_upload(path)}, follow=True)
    upload = DatasetUpload.objects.get()
    assert upload.status == DatasetUpload.Status.SUCCEEDED
    dataset = upload.dataset
    assert dataset.status == Dataset.Status.SUCCEEDED and dataset.source == "finess-hopitaux-publics"
    sites = Offer.objects.filter(kind=Offer.Kind.HOSPITAL).count()
    assert dataset.rows_created == sites == len(path.read_text().splitlines()) - 1
    # stored under MEDIA_ROOT/imports/<uuid>/<original name>
    stored = Path(media) / upload.path
    assert stored.read_bytes() == path.read_bytes()
    assert stored.parent.parent == Path(media) / "imports" and stored.parent.name == str(upload.token)
    html = response.content.decode()
    assert dataset.get_absolute_url() in html and f"{sites} créées" in html
    listing = client.get(URL).content.decode()
    assert upload.get_absolute_url() in listing and dataset.get_absolute_url() in listing
    # the same file again: the importer's idempotence, through the page
    client.post(URL, {"kind": "hospitals", "file": as_upload(path)})
    again = DatasetUpload.objects.latest("pk").dataset
    assert again.rows_changed == 0 and again.rows_unchanged == sites


def test_broken_file_fails_with_line_numbered_message_and_writes_nothing(client, uploader, tmp_path):
    path = hospitals_slice(tmp_path, break_line=3)
    response = client.post(URL, {"kind": "hospitals", "file": as_upload(path)}, follow=True)
    upload = DatasetUpload.objects.get()
    assert upload.status == DatasetUpload.Status.FAILED
    assert (
        upload.dataset.status == Dataset.Status.FAILED and upload.dataset.source == "finess-hopitaux-publics"
    )
    assert any(p["line"] == 3 and "23999" in p["reason"] for p in upload.problems)
    html = response.content.decode()
    assert "Import refusé, rien n’a été écrit" in html and "Problèmes relevés" in html
    assert '<td class="num">3</td>' in html and "23999" in html
    assert not Offer.objects.exists()


def test_dry_run_writes_nothing(client, uploader):
    client.post(URL, {"kind": "gp_sirene", "file": as_upload(SIRENE_SLICE), "dry_run": "on"})
    upload = DatasetUpload.objects.get()
    assert upload.status == DatasetUpload.Status.DRY_RUN and upload.dataset.status == Dataset.Status.DRY_RUN
    assert upload.dataset.rows_created > 0  # counted…
    assert not GPSupply.objects.exists()  # …not written


def test_drees_apl_upload_synthetic_and_no_recompute(
    client, uploader, supply, django_capture_on_commit_callbacks
):
    before = ComputationRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"kind": "drees_apl", "file": as_upload(DREES_SAMPLE), "synthetic": "on"})
    upload = DatasetUpload.objects.get()
    assert upload.status == DatasetUpload.Status.SUCCEEDED and upload.dataset.is_synthetic
    assert PublishedIndicatorValue.objects.filter(dataset=upload.dataset).exists()
    assert ComputationRun.objects.count() == before


def test_gp_supply_upload_triggers_a_recompute(
    client, uploader, emergency_sites, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"kind": "gp_sirene", "file": as_upload(SIRENE_SLICE), "millesime": "2019"})
    upload = DatasetUpload.objects.get()
    assert upload.status == DatasetUpload.Status.SUCCEEDED and upload.dataset.millesime == "2019"
    run = ComputationRun.objects.get(trigger=ComputationRun.Trigger.IMPORT)
    assert run.trigger_dataset == upload.dataset and run.status == ComputationRun.Status.SUCCEEDED


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"kind": "drees_apl", "name": "apl.csv"}, "file", "Extension non acceptée"),
        ({"kind": "hospitals", "synthetic": "on"}, "synthetic", "ne peut pas être marqué synthétique"),
        ({"kind": "hospitals", "millesime": "2024"}, "millesime", "ne prend pas de millésime"),
        (
            {"kind": "zonage", "skip_other_categories": "on"},
            "skip_other_categories",
            "réservée aux extractions FINESS",
        ),
        ({"kind": "inconnu"}, "kind", "Sélectionnez un choix valide"),
        ({"kind": "hospitals", "partial": "on"}, "partial", "réservée aux fichiers de médecins"),
        (
            {"kind": "hospitals", "ignore_unknown": "on"},
            "ignore_unknown",
            "réservée aux fichiers de médecins",
        ),
    ],
)
def test_form_validation(client, uploader, tmp_path, media, data, field, message):
    path = hospitals_slice(tmp_path)
    name = data.pop("name", path.name)
    response = client.post(URL, {**data, "file": as_upload(path, name)})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not DatasetUpload.objects.exists() and not (Path(media) / "imports").exists()


def test_partial_zonage_needs_the_box_and_then_updates_its_departement_only(client, uploader, tmp_path):
    """A zonage file of Lozère alone, re-saved by Excel (Windows-1252, « ; ») and zipped: refused as
    the zonage of the whole base without the « fichier partiel » box, accepted with it."""
    import zipfile

    from offers.importers import import_zonage
    from offers.models import DoctorZoning

    full = DEFAULT_DIR / "zonage_medecins_23_48_75.csv"
    import_zonage(full)
    before = DoctorZoning.objects.count()
    lines = full.read_text(encoding="utf-8").splitlines()
    lozere = [lines[0]] + [line for line in lines[1:] if line.rsplit(",", 1)[1].startswith("48")]
    text = "\r\n".join(line.replace(",", ";") for line in lozere).replace("4_ZAR", "1_ZIP")
    path = tmp_path / "zonage_lozere.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("zonage_lozere.csv", text.encode("cp1252"))
    client.post(URL, {"kind": "zonage", "file": as_upload(path)})
    refused = DatasetUpload.objects.latest("pk")
    assert refused.status == DatasetUpload.Status.FAILED
    assert "ce fichier couvre 1 département sur 3 (48) : utilisez --partiel" in refused.problems[0]["reason"]
    assert DoctorZoning.objects.count() == before
    client.post(URL, {"kind": "zonage", "file": as_upload(path), "partial": "on"})
    upload = DatasetUpload.objects.latest("pk")
    assert upload.status == DatasetUpload.Status.SUCCEEDED, upload.problems
    report = upload.dataset.report
    assert report["couverture"] == "partielle" and report["departements"] == ["48"]
    reading = report["lecture"]["zonage_lozere.zip › zonage_lozere.csv"]
    assert (reading["encodage"], reading["separateur"], reading["compression"]) == (
        "Windows-1252",
        "point-virgule",
        "zip",
    )


def test_size_limit_and_empty_file(client, uploader, tmp_path, monkeypatch):
    path = hospitals_slice(tmp_path)
    monkeypatch.setattr(uploads, "MAX_UPLOAD_SIZE", 100)
    response = client.post(URL, {"kind": "hospitals", "file": as_upload(path)})
    assert "Fichier trop volumineux" in str(response.context["form"].errors["file"])
    response = client.post(URL, {"kind": "hospitals", "file": SimpleUploadedFile("vide.csv", b"")})
    assert response.context["form"].errors["file"]
    assert not DatasetUpload.objects.exists()


def test_task_takes_json_arguments_and_calls_the_command_service(uploader, tmp_path):
    path = hospitals_slice(tmp_path)
    kwargs = {
        "kind": "hospitals",
        "path": str(path),
        "dry_run": True,
        "synthetic": False,
        "user_id": uploader.pk,
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    result = import_uploaded_file.apply(kwargs=kwargs).get()
    upload = DatasetUpload.objects.get(pk=result["upload"])
    assert result == {"upload": upload.pk, "status": "dry_run", "dataset": upload.dataset_id}
    assert upload.uploaded_by == uploader and not Offer.objects.exists()


def test_admin_lists_uploads_and_published_values_read_only(client, users):
    from indicators.importers import import_drees_apl

    import_drees_apl(DREES_SAMPLE)
    client.force_login(users["superuser"])
    for name in ("datasetupload", "publishedindicatorvalue"):
        assert client.get(reverse(f"admin:indicators_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:indicators_{name}_add")).status_code == 403
    assert (
        "23096" in client.get(reverse("admin:indicators_publishedindicatorvalue_changelist")).content.decode()
    )
