"""Permission matrix: every role × own / other région × action, through the predicates, the pages,
the Django admin and the JSON endpoints. Creuse is in Nouvelle-Aquitaine, Lozère in Occitanie."""

import pytest
from django.urls import reverse

from offers import perms
from offers.models import ImportConflict, Offer
from territories.models import Dataset

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "elu", "wg_member", "ars_na", "ars_occ", "admin_user"]
SITES = {"creuse": ("msp_creuse", "23096"), "lozere": ("msp_lozere", "48095")}


def allowed(role, site):
    return role == "admin_user" or (role, site) in {("ars_na", "creuse"), ("ars_occ", "lozere")}


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _client(client, user, password):
    if user is not None:
        assert client.login(username=user.username, password=password)
    return client


def form_data(offer, **changes):
    data = {
        "kind": offer.kind,
        "subkind": offer.subkind,
        "name": offer.name,
        "finess_et": offer.finess_et,
        "finess_ej": offer.finess_ej,
        "address": offer.address,
        "status": offer.status,
        "opened_on": "",
        "closed_on": "",
        "aci_signed": "unknown",
        "cpts": "",
        "emergency_basis": "",
        "commune_code": offer.commune_id,
        "latitude": offer.location.y if offer.location else "",
        "longitude": offer.location.x if offer.location else "",
        "perimeter_codes": "",
        "version": offer.version,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("site", SITES)
def test_predicates(request, role, site):
    user = _user(request, role)
    offer = request.getfixturevalue(SITES[site][0])
    from django.contrib.auth.models import AnonymousUser

    user = user or AnonymousUser()
    expected = allowed(role, site)
    assert perms.can_edit_offer(user, offer) is expected
    assert perms.can_restore_offer(user, offer) is expected
    assert perms.can_create_offer(user, offer.commune) is expected
    assert perms.can_delete_offer(user, offer) is (role == "admin_user")
    assert perms.can_import(user) is (role == "admin_user")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("site", SITES)
def test_pages(request, client, password, role, site):
    user = _user(request, role)
    offer = request.getfixturevalue(SITES[site][0])
    client = _client(client, user, password)
    expected = allowed(role, site)
    # Everyone reads.
    assert client.get(reverse("offers:detail", args=[offer.pk])).status_code == 200
    assert client.get(reverse("offers:history", args=[offer.pk])).status_code == 200
    assert client.get(reverse("offers:list") + "?perimetre=tout").status_code == 200
    geo = client.get(reverse("offers:zone_geojson", args=["commune", offer.commune_id]))
    assert geo.status_code == 200 and len(geo.json()["features"]) == 1
    # Edit form and save.
    get = client.get(reverse("offers:edit", args=[offer.pk]))
    post = client.post(reverse("offers:edit", args=[offer.pk]), form_data(offer, name="Nom changé"))
    offer.refresh_from_db()
    if expected:
        assert get.status_code == 200 and post.status_code == 302
        assert offer.name == "Nom changé"
    else:
        assert get.status_code in (302, 403) and post.status_code in (302, 403)
        if role == "anonymous":
            assert post.url.startswith(reverse("login"))
        assert offer.name != "Nom changé"
    # Close (status + date) goes through the same form: refused the same way.
    close = client.post(
        reverse("offers:edit", args=[offer.pk]),
        form_data(offer, status=Offer.Status.CLOSED, closed_on="2025-01-31"),
    )
    offer.refresh_from_db()
    assert (offer.status == Offer.Status.CLOSED) is expected, close.status_code
    # Restore the first version.
    first = offer.history.order_by("history_date").first()
    client.post(reverse("offers:restore", args=[offer.pk, first.history_id]))
    offer.refresh_from_db()
    restored = offer.history.filter(history_change_reason__startswith="restauration").exists()
    assert restored is expected
    if expected:
        assert offer.status == Offer.Status.OPEN and offer.name == first.name
    # Create an offer in that région.
    created = client.post(
        reverse("offers:create"),
        form_data(Offer(kind="esp", name="ESP nouvelle", commune_id=offer.commune_id), version=""),
    )
    assert Offer.objects.filter(name="ESP nouvelle").exists() is expected, created.status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("site", SITES)
def test_conflict_resolution(request, client, password, role, site):
    user = _user(request, role)
    offer = request.getfixturevalue(SITES[site][0])
    dataset = Dataset.objects.create(source="finess-etalab", title="t", licence="LO", millesime="x")
    conflict = ImportConflict.objects.create(
        offer=offer, dataset=dataset, field="name", current_value=offer.name, imported_value="Nom FINESS"
    )
    client = _client(client, user, password)
    client.post(reverse("offers:conflict_resolve", args=[conflict.pk]), {"decision": "accepted"})
    offer.refresh_from_db()
    conflict.refresh_from_db()
    assert (offer.name == "Nom FINESS") is allowed(role, site)
    assert bool(conflict.resolution) is allowed(role, site)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("site", SITES)
def test_django_admin(request, client, password, role, site):
    user = _user(request, role)
    offer = request.getfixturevalue(SITES[site][0])
    client = _client(client, user, password)
    url = reverse("admin:offers_offer_change", args=[offer.pk])
    response = client.get(url)
    data = {
        "kind": offer.kind,
        "subkind": "",
        "name": "Nom par l’admin",
        "finess_et": "",
        "finess_ej": "",
        "address": "",
        "commune": offer.commune_id,
        "location": offer.location.geojson,
        "location_precision": offer.location_precision,
        "status": offer.status,
        "emergency_basis": "",
        "professionals": "{}",
        "aci_signed": "unknown",
        "seen_version": offer.version,
    }
    post = client.post(url, data)
    offer.refresh_from_db()
    assert (offer.name == "Nom par l’admin") is allowed(role, site), (post.status_code, response.status_code)
    if role in ("anonymous", "elu", "wg_member"):
        assert response.status_code == 302  # to the admin login: not staff
    elif allowed(role, site):
        assert response.status_code == 200 and post.status_code == 302
        assert offer.history.first().history_change_reason == "administration Django"
    else:
        # An agent of another région sees the offer read-only and cannot save it.
        assert response.status_code == 200 and b'name="_save"' not in response.content
        assert post.status_code == 403
    # Only admins delete, and only admins manage agents.
    assert client.post(
        reverse("admin:offers_offer_delete", args=[offer.pk]), {"post": "yes"}
    ).status_code in (
        302,
        403,
    )
    assert Offer.objects.filter(pk=offer.pk).exists() is (role != "admin_user")


# --- CPTS perimeters and attachments across régions ---------------------------------------------

CROSS_REGION_PERIMETER = "23096 48095 48061"  # Guéret (Creuse) + Mende, Marvejols (Lozère)
OWN_PERIMETER = "23096 23176"


@pytest.mark.parametrize("role", ["ars_na", "ars_occ", "admin_user"])
def test_perimeter_predicates(request, role):
    user = request.getfixturevalue(role)
    codes = CROSS_REGION_PERIMETER.split()
    outside = perms.communes_outside_editable_regions(user, codes)
    expected = {"ars_na": ["48061", "48095"], "ars_occ": ["23096"], "admin_user": []}[role]
    assert outside == expected
    assert perms.can_set_perimeter(user, codes) is (role == "admin_user")
    assert perms.can_set_perimeter(user, OWN_PERIMETER.split()) is (role in ("ars_na", "admin_user"))


@pytest.mark.parametrize("role", ["ars_na", "admin_user"])
def test_page_form_refuses_a_perimeter_reaching_another_region(request, client, password, role):
    from .conftest import make_offer

    user = request.getfixturevalue(role)
    client = _client(client, user, password)
    data = form_data(
        Offer(kind="cpts", name="CPTS à cheval", commune_id="23096"),
        version="",
        perimeter_codes=CROSS_REGION_PERIMETER,
    )
    response = client.post(reverse("offers:create"), data)
    created = Offer.objects.filter(name="CPTS à cheval").first()
    if role == "admin_user":
        assert response.status_code == 302
        assert sorted(created.perimeter.values_list("code", flat=True)) == ["23096", "48061", "48095"]
    else:
        assert response.status_code == 200 and created is None
        assert "hors de vos régions : 48061, 48095" in response.content.decode()
    # Editing an own-région CPTS to reach into Lozère is refused the same way.
    cpts = make_offer("23096", "CPTS du Grand Guéret", kind="cpts")
    cpts.perimeter.set(OWN_PERIMETER.split())
    response = client.post(
        reverse("offers:edit", args=[cpts.pk]), form_data(cpts, perimeter_codes=CROSS_REGION_PERIMETER)
    )
    codes = sorted(cpts.perimeter.values_list("code", flat=True))
    assert (codes == ["23096", "48061", "48095"]) is (role == "admin_user"), response.status_code
    # Nothing of it shows on a Lozère page unless an admin set it.
    lozere = client.get(reverse("territories:zone", args=["commune", "48095"])).content.decode()
    assert ("CPTS du Grand Guéret" in lozere) is (role == "admin_user")


@pytest.mark.parametrize("role", ["ars_na", "admin_user"])
def test_page_form_refuses_attaching_to_a_cpts_of_another_region(request, client, password, role, msp_creuse):
    from .conftest import make_offer

    user = request.getfixturevalue(role)
    client = _client(client, user, password)
    cpts_lozere = make_offer("48095", "CPTS Cœur de Lozère", kind="cpts")
    form = client.get(reverse("offers:edit", args=[msp_creuse.pk])).content.decode()
    assert ("CPTS Cœur de Lozère" in form) is (role == "admin_user")  # not even offered
    response = client.post(
        reverse("offers:edit", args=[msp_creuse.pk]), form_data(msp_creuse, cpts=cpts_lozere.pk)
    )
    assert cpts_lozere.members.filter(pk=msp_creuse.pk).exists() is (role == "admin_user")
    if role != "admin_user":
        assert response.status_code == 200


def _admin_data(offer, **changes):
    data = {
        "kind": offer.kind,
        "subkind": "",
        "name": offer.name,
        "finess_et": "",
        "finess_ej": "",
        "address": "",
        "commune": offer.commune_id,
        "location": offer.location.geojson,
        "location_precision": offer.location_precision,
        "status": offer.status,
        "emergency_basis": "",
        "professionals": "{}",
        "aci_signed": "unknown",
        "seen_version": offer.version,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", ["ars_na", "admin_user"])
def test_admin_refuses_cross_region_perimeter_and_cpts(request, client, password, role, msp_creuse):
    from .conftest import make_offer

    user = request.getfixturevalue(role)
    client = _client(client, user, password)
    cpts = make_offer("23096", "CPTS du Grand Guéret", kind="cpts")
    url = reverse("admin:offers_offer_change", args=[cpts.pk])
    client.post(url, _admin_data(cpts, perimeter=CROSS_REGION_PERIMETER.split()))
    assert cpts.perimeter.filter(departement="48").exists() is (role == "admin_user")
    cpts_lozere = make_offer("48095", "CPTS Cœur de Lozère", kind="cpts")
    client.post(
        reverse("admin:offers_offer_change", args=[msp_creuse.pk]),
        _admin_data(msp_creuse, cpts=cpts_lozere.pk),
    )
    assert cpts_lozere.members.filter(pk=msp_creuse.pk).exists() is (role == "admin_user")


# --- Django admin: provenance fields and stale saves ------------------------------------------


@pytest.mark.parametrize("role", ["ars_na", "admin_user"])
def test_admin_provenance_fields_are_read_only_for_agents(request, client, password, role, msp_creuse):
    user = request.getfixturevalue(role)
    client = _client(client, user, password)
    dataset = Dataset.objects.create(source="finess-etalab", title="FINESS", licence="LO", millesime="x")
    url = reverse("admin:offers_offer_change", args=[msp_creuse.pk])
    page = client.get(url).content.decode()
    assert ('name="dataset"' in page) is (role == "admin_user")
    assert ('name="location_precision"' in page) is (role == "admin_user")
    moved = msp_creuse.location.clone()
    moved.x += 0.001
    response = client.post(
        url,
        _admin_data(
            msp_creuse,
            location=moved.geojson,
            location_precision=Offer.LocationPrecision.EXACT,
            dataset=dataset.pk,
        ),
    )
    assert response.status_code == 302
    msp_creuse.refresh_from_db()
    if role == "admin_user":
        assert msp_creuse.dataset == dataset
        assert msp_creuse.location_precision == Offer.LocationPrecision.EXACT
    else:
        assert msp_creuse.dataset is None
        assert msp_creuse.location_precision == Offer.LocationPrecision.MANUAL  # moved by hand


def test_admin_save_without_seen_version_is_treated_as_stale(client, password, ars_na, msp_creuse):
    client = _client(client, ars_na, password)
    data = _admin_data(msp_creuse, name="Sans version")
    del data["seen_version"]
    response = client.post(reverse("admin:offers_offer_change", args=[msp_creuse.pk]), data)
    assert response.status_code == 200 and "modifiée par quelqu’un d’autre" in response.content.decode()
    msp_creuse.refresh_from_db()
    assert msp_creuse.name == "MSP de Guéret" and msp_creuse.version == 1


def test_hand_entries_only_offer_the_ars_emergency_basis(client, password, ars_na):
    from .conftest import make_offer

    client = _client(client, ars_na, password)
    hospital = make_offer("23096", "CH de Guéret", kind="hopital")
    page = client.get(reverse("offers:edit", args=[hospital.pk])).content.decode()
    assert "renseigné par l’ARS" in page and "déduit du nom" not in page and "proxy : site" not in page
    response = client.post(
        reverse("offers:edit", args=[hospital.pk]),
        form_data(hospital, emergency_basis=Offer.EmergencyBasis.NAME),
    )
    assert response.status_code == 200 and 'id="id_emergency_basis_error"' in response.content.decode()
    response = client.post(
        reverse("offers:edit", args=[hospital.pk]),
        form_data(hospital, emergency_basis=Offer.EmergencyBasis.DECLARED),
    )
    assert response.status_code == 302
    # An imported basis stays selectable on its own record, so editing other fields still works.
    hospital.refresh_from_db()
    Offer.objects.filter(pk=hospital.pk).update(emergency_basis=Offer.EmergencyBasis.CATEGORY)
    hospital.refresh_from_db()
    response = client.post(
        reverse("offers:edit", args=[hospital.pk]),
        form_data(hospital, name="CH de Guéret (site principal)", emergency_basis="categorie"),
    )
    assert response.status_code == 302
