"""Named permission predicates of the indicators app (tested as a matrix of roles × actions).

* ``can_trigger_run``: staff only (a recompute on demand, from the runs page).
* ``can_see_run``: a run held « à valider » or « écarté » (its page, its diff, its values through
  ``?calcul=``) is seen by staff only; published runs and runs without values by everyone.
* ``can_simulate``: staff, ARS agents (an ``offers.ARSAgent`` record, or the group below) and élus
  (the group « élus », created by migration 0003), or holders of the ``indicators.simulate_whatif``
  permission. Anonymous visitors cannot simulate.
* ``can_upload_dataset``: superusers, or staff with ``indicators.upload_dataset`` (imports page).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q

from offers.models import ARSAgent
from territories.web.memo import per_request

SIMULATION_GROUPS = ("agents ARS", "élus")


def can_trigger_run(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


UNPUBLISHED_REVIEWS = ("held", "discarded")


def can_see_run(user, run) -> bool:
    return run.review not in UNPUBLISHED_REVIEWS or can_trigger_run(user)


@per_request
def can_simulate(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.is_superuser:
        return True
    # one query (a page asks once, see territories.web.memo): the permission held directly or
    # through a group, an ARS agent record, or a simulation group
    holds = Q(codename="simulate_whatif", content_type__app_label="indicators")
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .filter(
            Q(user_permissions__in=Permission.objects.filter(holds))
            | Q(groups__permissions__in=Permission.objects.filter(holds))
            | Q(groups__name__in=SIMULATION_GROUPS)
            | Exists(ARSAgent.objects.filter(user=OuterRef("pk")))
        )
        .exists()
    )


def can_plan(user) -> bool:
    """The planning page (« Où installer des médecins ? »), its exports and its API route: open to
    every visitor. It reads the official APL and computes in memory (milliseconds, bounded: at most
    500 GPs), writes nothing, and tells nothing the public API does not: harmless read-only."""
    return True


def can_request_exact_plan(user) -> bool:
    """Ask for an exact plan (an integer program solved by a worker for up to a minute, stored):
    the users who may simulate. A stored answer is shown to everyone."""
    return can_simulate(user)


def can_upload_dataset(user) -> bool:
    """Upload a data file to import (FINESS, GP supply, zonage, time matrix, DREES APL).

    An import replaces reference data for the whole portal and triggers a recompute: superusers,
    or staff members holding the dedicated permission ``indicators.upload_dataset`` (granted in the
    admin). Being staff alone is not enough; ARS agents, élus and citizens cannot.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return bool(user.is_staff and user.has_perm("indicators.upload_dataset"))


# --- Perimeters (CPTS projects…) built by users -------------------------------------------------


def can_build_perimeter(user) -> bool:
    """Build a perimeter of communes and read its dashboard: the users who may simulate (staff,
    ARS agents, élus)."""
    return can_simulate(user)


def can_view_perimeter(user, perimeter) -> bool:
    """A perimeter is private to its author unless shared; staff see every perimeter."""
    if perimeter.is_shared:
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    return perimeter.owner_id == user.pk or user.is_staff


def can_edit_perimeter(user, perimeter) -> bool:
    """Only its author (or a superuser) edits or deletes a perimeter."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return perimeter.owner_id == user.pk or user.is_superuser


def staff_nav_links(request):
    """Menu entries: the imports page for those who may import, the runs for administrators."""
    from django.urls import reverse

    user = request.user
    if not getattr(user, "is_authenticated", False):
        return []
    links = []
    if can_upload_dataset(user):
        links.append({"label": "Imports", "url": reverse("indicators:uploads"), "order": 30})
    if can_trigger_run(user):
        links.append({"label": "Calculs", "url": reverse("indicators:runs"), "order": 31})
    return links
