"""Perimeters built by élus and ARS agents: codes pasted or communes added by name, clear
messages for bad entries (nothing written), the same dashboard as any zone, private unless shared
(permissions as a matrix of roles × actions)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from indicators import perms
from indicators.models import PublishedIndicatorValue
from offers.models import ARSAgent
from territories.models import Perimeter
from tests.factories import make_user

from .test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

TEN = ["23096", "23079", "23204", "23177", "23201", "23176", "23219", "23105", "23141", "23059"]


def user_for(role):
    if role == "anonymous":
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    user = make_user(f"u-{role}", is_staff=role in ("staff", "superuser"), is_superuser=role == "superuser")
    if role == "elu":
        user.groups.add(Group.objects.get(name="élus"))
    if role == "ars":
        ARSAgent.objects.create(user=user).regions.set(["75"])
    return user


ROLES = ["anonymous", "citizen", "elu", "ars", "staff", "superuser"]
# role → (build, view a private perimeter of someone else, view a shared one, edit someone else's)
MATRIX = {
    "anonymous": (False, False, True, False),
    "citizen": (False, False, True, False),
    "elu": (True, False, True, False),
    "ars": (True, False, True, False),
    "staff": (True, True, True, False),
    "superuser": (True, True, True, True),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role):
    owner = make_user("owner-elu")
    private = Perimeter.objects.create(name="privé", owner=owner)
    shared = Perimeter.objects.create(name="partagé", owner=owner, is_shared=True)
    user = user_for(role)
    build, view_private, view_shared, edit_other = MATRIX[role]
    assert perms.can_build_perimeter(user) is build
    assert perms.can_view_perimeter(user, private) is view_private
    assert perms.can_view_perimeter(user, shared) is view_shared
    assert perms.can_edit_perimeter(user, private) is edit_other
    assert perms.can_edit_perimeter(owner, private) and perms.can_view_perimeter(owner, private)


def test_pages_follow_the_predicates(client):
    owner = make_user("owner-elu")
    private = Perimeter.objects.create(name="privé", owner=owner)
    private.communes_set.set(TEN)
    assert client.get(reverse("indicators:perimeter_new")).status_code == 302  # to the login page
    assert client.get(reverse("indicators:perimeter", args=[private.pk])).status_code == 302
    client.force_login(user_for("citizen"))
    assert client.get(reverse("indicators:perimeter_new")).status_code == 403
    assert client.get(reverse("indicators:perimeter", args=[private.pk])).status_code == 403
    assert client.get(reverse("indicators:perimeter_export", args=[private.pk, "csv"])).status_code == 403
    assert client.get(reverse("indicators:perimeter_geojson", args=[private.pk])).status_code == 403
    assert "privé" not in client.get(reverse("indicators:perimeters")).content.decode()
    client.force_login(owner)
    assert client.get(reverse("indicators:perimeter", args=[private.pk])).status_code == 200


def test_bad_codes_are_explained_and_nothing_is_written(client):
    client.force_login(user_for("elu"))
    response = client.post(
        reverse("indicators:perimeter_new"),
        {"name": "Projet", "codes": "23096\n23176, 23999\nGuéret", "action": "save"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Perimeter.objects.exists()
    assert "ligne 2 : code 23999 inconnu du COG en vigueur" in html
    assert "ligne 3 : « GUÉRET » n’est pas un code INSEE" in html
    response = client.post(reverse("indicators:perimeter_new"), {"name": "", "codes": "", "action": "save"})
    html = response.content.decode()
    assert "Donnez un nom au périmètre." in html and "Ajoutez au moins une commune." in html


def test_an_elu_builds_ten_communes_and_reads_their_dashboard(client, official, computed):  # noqa: F811
    elu = user_for("elu")
    client.force_login(elu)
    # search and add by name, then paste the other codes (a merged commune's old code, an
    # arrondissement of Paris that brings its whole commune)
    response = client.post(
        reverse("indicators:perimeter_new"),
        {"name": "CPTS du Pays de Guéret", "codes": "\n".join(TEN[1:]), "query": "Guéret", "action": "add"},
    )
    assert "Guéret (23096) ajoutée." in response.content.decode()
    response = client.post(
        reverse("indicators:perimeter_new"),
        {"name": "CPTS du Pays de Guéret", "codes": "\n".join(TEN) + "\n23085 75101", "action": "save"},
    )
    perimeter = Perimeter.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "indicators:perimeter", args=[perimeter.pk]
    )
    codes = set(perimeter.communes_set.values_list("code", flat=True))
    assert codes == set(TEN) | {"23093", "75056"}  # 23085 → Gouzon 23093, 75101 → Paris
    assert perimeter.owner == elu and not perimeter.is_shared
    html = client.get(response["Location"]).content.decode()
    card = html[html.index('id="chiffre-apl"') : html.index('id="chiffre-classe"')]
    atoms = sorted(codes - {"75056"}) + [f"751{n:02d}" for n in range(1, 21)]
    rows = PublishedIndicatorValue.objects.filter(
        millesime="2023", variant="sans_borne", commune_id__in=atoms
    )
    expected = sum(r.value * r.population for r in rows) / sum(r.population for r in rows)
    assert f"{expected:.2f}".replace(".", ",") in card  # the same DREES rule as any zone
    assert "Communes du périmètre classées par APL officielle" in html and "Gouzon" in html
    csv = client.get(reverse("indicators:perimeter_export", args=[perimeter.pk, "csv"])).content.decode()
    assert csv.startswith("\ufeffRang;Code;Nom") and "23096" in csv
    geo = client.get(reverse("indicators:perimeter_geojson", args=[perimeter.pk])).json()
    assert {f["properties"]["code"] for f in geo["features"]} >= set(TEN)
    # another élu does not see it until it is shared
    other = user_for("ars")
    client.force_login(other)
    assert client.get(reverse("indicators:perimeter", args=[perimeter.pk])).status_code == 403
    perimeter.is_shared = True
    perimeter.save()
    assert client.get(reverse("indicators:perimeter", args=[perimeter.pk])).status_code == 200
    assert (
        client.post(reverse("indicators:perimeter_edit", args=[perimeter.pk]), {"action": "save"}).status_code
        == 403
    )


def test_perimeter_fiche_prints_its_key_figures(client, official, computed, tmp_path):  # noqa: F811
    import io

    from pypdf import PdfReader

    elu = user_for("elu")
    perimeter = Perimeter.objects.create(name="CPTS des Monts de Guéret", owner=elu)
    perimeter.communes_set.set(TEN)
    client.force_login(elu)
    response = client.get(reverse("indicators:perimeter_fiche", args=[perimeter.pk]))
    assert response["Content-Type"] == "application/pdf"
    (tmp_path / "fiche.pdf").write_bytes(response.content)
    reader = PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1 and "CPTS des Monts de Guéret" in text
    rows = PublishedIndicatorValue.objects.filter(millesime="2023", variant="sans_borne", commune_id__in=TEN)
    expected = sum(r.value * r.population for r in rows) / sum(r.population for r in rows)
    assert f"{expected:.2f}".replace(".", ",") in text and "Creuse" in text and "France" in text
    client.force_login(user_for("citizen"))
    assert client.get(reverse("indicators:perimeter_fiche", args=[perimeter.pk])).status_code == 403
