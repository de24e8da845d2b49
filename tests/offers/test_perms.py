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
    assert perms.can_view_offers(user)
    assert perms.can_edit_offer(user, offer) is expected
    assert perms.can_close_offer(user, offer) is expected
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
