"""Who may do what in the care-offer registry: named predicates, tested as a matrix.

Roles: ARS agents (``ARSAgent``) create, edit, close and restore offers of their régions only;
élus, working-group members and visitors read; superusers do everything (imports included).
The same predicates guard the pages, the Django admin and the JSON endpoints.
"""

from territories.models import Commune, Region


def agent_region_codes(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cache = getattr(user, "_offers_region_codes", None)
    if cache is None:
        from offers.models import ARSAgent

        cache = set(
            ARSAgent.objects.filter(user=user).values_list("regions__code", flat=True).exclude(regions=None)
        )
        user._offers_region_codes = cache
    return cache


def is_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def is_ars_agent(user) -> bool:
    return bool(getattr(user, "is_active", False) and agent_region_codes(user))


def region_code_of_commune(commune: Commune | str | None) -> str | None:
    if commune is None:
        return None
    if isinstance(commune, str):
        return Commune.objects.filter(pk=commune).values_list("departement__region_id", flat=True).first()
    return commune.departement.region_id


def can_create_offer(user, commune: Commune | str | None = None) -> bool:
    """Without a commune: may the user create offers somewhere (shows the button)."""
    if is_admin(user):
        return True
    if not is_ars_agent(user):
        return False
    if commune is None:
        return True
    return region_code_of_commune(commune) in agent_region_codes(user)


def can_edit_offer(user, offer) -> bool:
    if is_admin(user):
        return True
    if not is_ars_agent(user) or offer is None or offer.commune_id is None:
        return False
    return region_code_of_commune(offer.commune) in agent_region_codes(user)


def can_restore_offer(user, offer) -> bool:
    return can_edit_offer(user, offer)


def can_delete_offer(user, offer=None) -> bool:
    """Offers are closed, not deleted; only admins may delete (e.g. a duplicate entry)."""
    return is_admin(user)


def can_resolve_conflict(user, conflict) -> bool:
    return can_edit_offer(user, conflict.offer)


def can_import(user) -> bool:
    return is_admin(user)


def editable_regions(user):
    if is_admin(user):
        return Region.objects.filter(is_active=True).defer("geometry_simplified")
    return Region.objects.filter(code__in=agent_region_codes(user)).defer("geometry_simplified")


def communes_outside_editable_regions(user, codes) -> list[str]:
    """Codes (of ``codes``) of communes the user may not put in a CPTS perimeter, sorted.

    Admins are unrestricted; others only use communes of their régions (a perimeter reaching into
    another région would show the CPTS on that région's pages and count there).
    """
    codes = sorted(set(codes))
    if is_admin(user) or not codes:
        return []
    allowed = set(
        Commune.objects.filter(pk__in=codes, departement__region__in=agent_region_codes(user)).values_list(
            "code", flat=True
        )
    )
    return [c for c in codes if c not in allowed]


def can_set_perimeter(user, codes) -> bool:
    return (is_admin(user) or is_ars_agent(user)) and not communes_outside_editable_regions(user, codes)


def can_attach_to_cpts(user, cpts) -> bool:
    """Attaching an MSP / ESP to a CPTS changes that CPTS's members: only within the user's régions."""
    if cpts is None:
        return True
    return can_edit_offer(user, cpts)


def attachable_cpts(user, queryset):
    """The CPTS (of ``queryset``) a user may attach an MSP / ESP to."""
    if is_admin(user):
        return queryset
    return queryset.filter(commune__departement__region__in=agent_region_codes(user))


SHORT_KINDS = {
    "msp": "cette MSP",
    "cpts": "cette CPTS",
    "centre_sante": "ce centre de santé",
    "esp": "cette ESP",
    "hopital": "ce site hospitalier",
    "urgences": "ce site d’urgences",
}


def refusal_reason(user, offer) -> str:
    """Why ``user`` may not edit ``offer``, in French, with what to do (the 403 page shows it)."""
    if not getattr(user, "is_authenticated", False):
        return "Connectez-vous avec un compte d’agent d’ARS pour modifier le registre."
    subject = SHORT_KINDS.get(offer.kind, "cette offre")
    if offer.commune_id is None:
        return f"Seul un administrateur peut modifier {subject} : elle n’est rattachée à aucune commune."
    region = offer.commune.departement.region
    if not is_ars_agent(user):
        return (
            f"Votre compte n’est pas celui d’un agent d’ARS : {subject} relève de l’ARS {region.name}, "
            "qui seule peut la modifier. Demandez un compte d’agent à l’administrateur du portail."
        )
    yours = ", ".join(
        Region.objects.filter(code__in=agent_region_codes(user))
        .order_by("name")
        .values_list("name", flat=True)
    )
    return (
        f"{subject[0].upper()}{subject[1:]} relève de l’ARS {region.name} ; vos régions : {yours}. "
        f"Un agent de l’ARS {region.name} peut la modifier."
    )
