"""Public API of the care-offer registry (``/api/v1/offres/…``): kind, status, commune, FINESS
numbers, point, CPTS perimeter and the dataset each offer comes from. Nothing private: who edited
an offer, import conflicts and the values as last imported are never exposed."""

from datetime import date, datetime

from django.db.models import Count, Max, Q
from django.http import Http404
from ninja import Query, Router, Schema

from offers.models import OUTLINES_OF_COMMUNE, Offer
from territories.web.api_common import (
    CSV_EXTRA,
    DEFAULT_PAGE_SIZE,
    ERRORS,
    MAX_PAGE_SIZE,
    Format,
    Page,
    ZoneFilters,
    communes_within,
    tabular,
)
from territories.web.caching import register_state

router = Router(tags=["Offre de soins"])


def registry_state():
    """Hand edits of the registry change offers without any import or run."""
    state = Offer.objects.aggregate(last=Max("updated_at"), count=Count("pk"))
    last = state["last"]
    return f"o{state['count']}-{last.timestamp() if last else 0}", last


register_state("registry", registry_state)


class OfferRow(Schema):
    id: int
    kind: str
    kind_label: str
    subkind: str
    name: str
    status: str
    commune: str
    commune_name: str
    departement: str
    finess_et: str
    finess_ej: str
    address: str
    longitude: float | None
    latitude: float | None
    location_precision: str
    opened_on: date | None
    closed_on: date | None
    aci_signed: bool | None
    emergency_basis: str
    cpts: int | None
    source: str | None
    licence: str | None
    millesime: str | None
    is_synthetic: bool
    updated_at: datetime
    url: str


class OfferDetail(OfferRow):
    professionals: dict
    perimeter: list[str]


OFFER_FIELDS = list(OfferRow.model_fields)


def offer_row(o) -> dict:
    d = o.dataset
    return {
        "id": o.pk,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "subkind": o.subkind,
        "name": o.name,
        "status": o.status,
        "commune": o.commune_id,
        "commune_name": o.commune.name,
        "departement": o.commune.departement_id,
        "finess_et": o.finess_et,
        "finess_ej": o.finess_ej,
        "address": o.address,
        "longitude": round(o.location.x, 6) if o.location else None,
        "latitude": round(o.location.y, 6) if o.location else None,
        "location_precision": o.location_precision,
        "opened_on": o.opened_on,
        "closed_on": o.closed_on,
        "aci_signed": o.aci_signed,
        "emergency_basis": o.emergency_basis,
        "cpts": o.cpts_id,
        "source": d.title if d else "saisie de l’ARS",
        "licence": d.licence if d else None,
        "millesime": d.millesime if d else None,
        "is_synthetic": bool(d and d.is_synthetic),
        "updated_at": o.updated_at,
        "url": o.get_absolute_url(),
    }


def offers_in(zones):
    """Offers located in the zones' communes (or their arrondissements), and CPTS whose perimeter
    reaches them."""
    if not zones:
        return Offer.objects.all()
    communes = communes_within(zones)
    ids = Offer.objects.filter(
        Q(commune__in=communes) | Q(commune__parent__in=communes) | Q(perimeter__in=communes)
    ).values("pk")
    return Offer.objects.filter(pk__in=ids)


@router.get(
    "/",
    response={200: Page[OfferRow], **ERRORS},
    summary="Les offres du registre",
    openapi_extra=CSV_EXTRA,
)
def offers(
    request,
    type: Offer.Kind | None = Query(None, description="msp, cpts, centre_sante, esp, hopital, urgences"),
    statut: Offer.Status | None = None,
    filters: ZoneFilters = Query(...),
    page: int = Query(1, ge=1),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    format: Format = "json",
):
    """MSP, CPTS, centres de santé, ESP, sites hospitaliers et d’urgences : filtrés par type,
    statut et zone ; la source (jeu de données, licence, millésime) de chacun."""
    qs = offers_in(filters.zones()).select_related("commune", "dataset").defer(*OUTLINES_OF_COMMUNE[:2])
    qs = qs.order_by("pk")
    if type:
        qs = qs.filter(kind=type)
    if statut:
        qs = qs.filter(status=statut)
    return tabular(request, qs, page, page_size, format, OFFER_FIELDS, "offres", offer_row)


@router.get("/{offer_id}/", response={200: OfferDetail, **ERRORS}, summary="Une offre")
def offer_detail(request, offer_id: int):
    """Une offre, avec le périmètre (codes INSEE des communes) d’une CPTS."""
    offers = Offer.objects.select_related("commune", "dataset").defer(*OUTLINES_OF_COMMUNE[:2])
    offer = offers.filter(pk=offer_id).first()
    if offer is None:
        raise Http404(f"Offre n° {offer_id} introuvable")
    return {
        **offer_row(offer),
        "professionals": offer.professionals or {},
        "perimeter": sorted(offer.perimeter.values_list("code", flat=True)),
    }
