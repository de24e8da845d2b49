"""Registry pages: list, detail, create / edit with a map, history with restore, import conflicts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from offers import perms
from offers.forms import STALE_MESSAGE, ConflictDecisionForm, OfferForm
from offers.importers import apply_value
from offers.models import OUTLINES_OF_COMMUNE, ImportConflict, Offer
from offers.registry import REGISTRY_KINDS, SYNTHETIC, registry_state, registry_states
from offers.staff import open_conflict_count, open_conflicts
from territories.models import Commune, Departement, Region
from territories.search import QueryTooLong, bounded
from territories.text import normalize_name
from territories.web.geojson import feature, feature_collection
from territories.zones import get_zone

HIDDEN_HISTORY_FIELDS = {"version", "updated_at", "created_at", "imported_values", "updated_by", "dataset"}


def _offers_in(communes):
    """Offers located in a set of communes (arrondissements count for their commune)."""
    return Offer.objects.filter(Q(commune__in=communes) | Q(commune__parent__in=communes))


@require_GET
def offer_list(request):
    offers = (
        Offer.objects.select_related("commune__departement__region", "dataset")
        .defer(*OUTLINES_OF_COMMUNE)
        .order_by("name")
    )
    mine = perms.agent_region_codes(request.user)
    scope = request.GET.get("perimetre") or ("mes-regions" if mine else "tout")
    region = request.GET.get("region", "")
    departement = request.GET.get("departement", "")
    if scope == "mes-regions" and mine and not region and not departement:
        offers = offers.filter(commune__departement__region__in=mine)
    if region:
        offers = offers.filter(commune__departement__region=region)
    if departement:
        offers = offers.filter(commune__departement=departement)
    kind = request.GET.get("type", "")
    if kind in Offer.Kind.values:
        offers = offers.filter(kind=kind)
    status = request.GET.get("statut", "")
    if status in Offer.Status.values:
        offers = offers.filter(status=status)
    query, query_error = request.GET.get("q", "").strip(), ""
    try:
        bounded(query)
    except QueryTooLong as exc:
        query, query_error = "", str(exc)
    if query:
        offers = offers.filter(
            Q(name__icontains=query)
            | Q(finess_et=query.upper())
            | Q(commune__name_normalized__contains=normalize_name(query))
        )
    counts = dict(offers.order_by().values_list("kind").annotate(n=Count("pk")))
    scope_zone = None
    if departement:
        scope_zone = Departement.objects.filter(pk=departement).defer("geometry_simplified").first()
    elif region:
        scope_zone = Region.objects.filter(pk=region).defer("geometry_simplified").first()
    registry = registry_state(scope_zone)
    states = registry_states(scope_zone, REGISTRY_KINDS)  # per région and per kind
    synthetic_total = Offer.objects.filter(SYNTHETIC).count() if perms.can_import(request.user) else 0
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "offers/offer_list.html",
        {
            "page": Paginator(offers, 50).get_page(request.GET.get("page")),
            "counts": [
                (label, counts.get(value, 0), states[value].text if value in REGISTRY_KINDS else "")
                for value, label in Offer.Kind.choices
            ],
            "kinds": Offer.Kind.choices,
            "statuses": Offer.Status.choices,
            # the menus: codes and names, never the outlines
            "regions": Region.objects.filter(is_active=True).order_by("name_normalized").only("code", "name"),
            "departements": Departement.objects.filter(is_active=True).order_by("code").only("code", "name"),
            "filters": {
                "type": kind,
                "statut": status,
                "region": region,
                "departement": departement,
                "q": query,
                "perimetre": scope,
            },
            "has_regions": bool(mine),
            "can_create": perms.can_create_offer(request.user),
            "conflict_count": open_conflict_count(request.user),
            "synthetic_total": synthetic_total,
            "registry": registry,
            "querystring": params.urlencode(),
            "query_error": query_error,
        },
    )


@require_GET
def offer_detail(request, pk):
    offer = get_object_or_404(
        Offer.objects.select_related("commune__departement__region", "cpts", "dataset").defer(
            *OUTLINES_OF_COMMUNE
        ),
        pk=pk,
    )
    context = {
        "offer": offer,
        "can_edit": perms.can_edit_offer(request.user, offer),
        "conflicts": offer.conflicts.filter(resolution=ImportConflict.Resolution.OPEN),
        "professionals": _professionals(offer),
    }
    if offer.kind == Offer.Kind.CPTS:
        perimeter = offer.perimeter.order_by("name")
        context["perimeter"] = perimeter
        context["perimeter_population"] = perimeter.exclude(kind=Commune.Kind.ARRONDISSEMENT).aggregate(
            total=Sum("population")
        )["total"]
        context["members"] = offer.members.order_by("name")
        # the key figures of the perimeter, by the same code path as any zone
        from territories.web.sections import render_cards
        from territories.zones import CommuneSet

        context["cards"] = render_cards(request, CommuneSet(offer.name, offer.perimeter.all()))
    return render(request, "offers/offer_detail.html", context)


def _professionals(offer):
    from offers.forms import PROFESSIONS

    labels = dict(PROFESSIONS)
    return [(labels.get(k, k), v) for k, v in offer.professionals.items()]


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request):
    if not perms.can_create_offer(request.user):
        raise PermissionDenied("Seuls les agents d’ARS et les administrateurs saisissent des offres.")
    form = OfferForm(request.POST or None, user=request.user, initial={"status": Offer.Status.OPEN})
    if request.method == "POST" and form.is_valid():
        offer = form.apply(form.instance)
        offer.updated_by = request.user
        offer._change_reason = "formulaire (création)"
        offer._perimeter_codes = form.cleaned_data["perimeter"]
        with transaction.atomic():
            offer.save()
            offer.perimeter.set(form.cleaned_data["perimeter"])
        messages.success(request, f"L’offre « {offer.name} » a été enregistrée.")
        return redirect(offer)
    return render(request, "offers/offer_form.html", {"form": form, "map_center": _map_center(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request, pk):
    offer = get_object_or_404(
        Offer.objects.select_related("commune__departement__region").defer(*OUTLINES_OF_COMMUNE), pk=pk
    )
    if not perms.can_edit_offer(request.user, offer):
        raise PermissionDenied(perms.refusal_reason(request.user, offer))
    form = OfferForm(request.POST or None, instance=offer, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            locked = Offer.objects.select_for_update().get(pk=pk)
            yours = form.cleaned_data.get("version")
            if yours != locked.version:
                form.add_error(None, STALE_MESSAGE.format(current=locked.version, yours=yours))
            else:
                edited = form.apply(form.instance)
                edited.version = locked.version + 1
                edited.updated_by = request.user
                edited._change_reason = "formulaire (modification)"
                edited._perimeter_codes = form.cleaned_data["perimeter"]
                edited.save()
                edited.perimeter.set(form.cleaned_data["perimeter"])
                messages.success(request, "Modifications enregistrées.")
                return redirect(edited)
    return render(
        request,
        "offers/offer_form.html",
        {"form": form, "offer": offer, "map_center": _map_center(request.user, offer)},
    )


def _map_center(user, offer=None):
    if offer is not None and offer.location is not None:
        return {"lat": offer.location.y, "lon": offer.location.x, "zoom": 13}
    regions = perms.editable_regions(user).exclude(geometry_simplified=None)
    if not perms.is_admin(user) and regions.count() == 1:
        extent = regions[0].geometry_simplified.extent
        return {"bounds": f"{extent[1]:.5f},{extent[0]:.5f},{extent[3]:.5f},{extent[2]:.5f}"}
    return {"lat": 46.6, "lon": 2.4, "zoom": 6}


@require_GET
def offer_history(request, pk):
    offer = get_object_or_404(Offer, pk=pk)
    records = list(offer.history.select_related("history_user").order_by("-history_date", "-history_id"))
    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            changes = _field_changes(record, previous)
            if perimeter := _perimeter_change(previous.perimeter_codes, record.perimeter_codes):
                changes.append(perimeter)
        entries.append(
            {
                "record": record,
                "changes": changes,
                "is_current": index == 0,
                "summary": _summary(record, changes),
            }
        )
    return render(
        request,
        "offers/offer_history.html",
        {"offer": offer, "entries": entries, "can_restore": perms.can_restore_offer(request.user, offer)},
    )


def _field_changes(newer, older):
    """The fields that differ between two history rows, as shown to people (labels, names)."""
    rows = []
    for change in newer.diff_against(older, excluded_fields=HIDDEN_HISTORY_FIELDS).changes:
        field = Offer._meta.get_field(change.field)
        rows.append(
            {
                "label": field.verbose_name,
                "old": _display(field, change.old),
                "new": _display(field, change.new),
            }
        )
    return rows


def _summary(record, changes):
    """One line per version: « Création », « Statut, Nom modifiés », « Aucun champ modifié »."""
    if record.history_type == "+":
        return "Création de la fiche"
    if record.history_type == "-":
        return "Suppression"
    if not changes:
        return "Aucun champ modifié"
    labels = [str(c["label"]) for c in changes]
    head = ", ".join(labels[:3])
    head = head[:1].upper() + head[1:]
    more = f" et {len(labels) - 3} autre{'s' if len(labels) > 4 else ''}" if len(labels) > 3 else ""
    return f"{head}{more} modifié{'s' if len(labels) > 1 else ''}"


def _perimeter_change(old, new):
    """The perimeter change between two history rows (added / removed communes), if both recorded."""
    if old is None or new is None or set(old) == set(new):
        return None
    added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    names = dict(Commune.objects.filter(pk__in=added + removed).values_list("code", "name"))

    def listed(codes):
        shown = ", ".join(f"{names.get(c, 'commune inconnue')} ({c})" for c in codes[:20])
        return (shown + (f" … (+{len(codes) - 20})" if len(codes) > 20 else "")) or "aucune"

    return {
        "label": Offer._meta.get_field("perimeter").verbose_name,
        "old": f"{len(old)} communes — retirées : {listed(removed)}",
        "new": f"{len(new)} communes — ajoutées : {listed(added)}",
    }


def _display(field, value):
    """A history value as a person reads it: labels, names of related records, no raw pk or dict."""
    from offers.forms import PROFESSION_LABELS

    if value in (None, "", {}):
        return "—"
    if field.is_relation and field.many_to_one:
        related = field.related_model._default_manager.filter(pk=value).first()
        return "—" if related is None else str(related)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.name == "location":
        return f"{value.y:.5f}, {value.x:.5f}"
    if field.name == "professionals" and isinstance(value, dict):
        order = list(PROFESSION_LABELS)
        ranked = sorted(value.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0]))
        return ", ".join(f"{PROFESSION_LABELS.get(k, k.replace('_', ' '))} : {v}" for k, v in ranked)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return value


@login_required
@require_http_methods(["GET", "POST"])
def offer_restore(request, pk, history_id):
    """GET: what restoring this version would change, and a confirmation button; POST: restore."""
    offer = get_object_or_404(
        Offer.objects.select_related("commune__departement__region").defer(*OUTLINES_OF_COMMUNE), pk=pk
    )
    if not perms.can_restore_offer(request.user, offer):
        raise PermissionDenied(perms.refusal_reason(request.user, offer))
    record = get_object_or_404(offer.history, history_id=history_id)
    old = record.instance
    if not perms.can_create_offer(request.user, old.commune):
        raise PermissionDenied("Cette version place l’offre hors de vos régions.")
    perimeter = record.perimeter_codes  # None: not recorded in that row, left as it is
    if perimeter is not None:
        perimeter = sorted(Commune.objects.filter(pk__in=perimeter).values_list("code", flat=True))
        if not perms.can_set_perimeter(request.user, perimeter):
            raise PermissionDenied("Le périmètre de cette version comprend des communes hors de vos régions.")
    if old.cpts_id is not None and not Offer.objects.filter(pk=old.cpts_id, kind=Offer.Kind.CPTS).exists():
        old.cpts_id = None  # that CPTS was deleted since
    if old.cpts_id not in (None, offer.cpts_id) and not perms.can_attach_to_cpts(request.user, old.cpts):
        raise PermissionDenied("Cette version rattache l’offre à une CPTS hors de vos régions.")
    stamp = timezone.localtime(record.history_date).strftime("%d/%m/%Y à %H:%M:%S")
    if request.method == "GET":
        current = offer.history.order_by("-history_date", "-history_id").first()
        changes = [] if current is None else _field_changes(record, current)  # old: now, new: then
        return render(
            request,
            "offers/offer_restore.html",
            {"offer": offer, "record": record, "stamp": stamp, "changes": changes},
        )
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=pk)
        for field in Offer._meta.concrete_fields:
            if field.primary_key or field.name in HIDDEN_HISTORY_FIELDS:
                continue
            setattr(locked, field.attname, getattr(old, field.attname))
        if perimeter is not None:
            locked._perimeter_codes = perimeter
        locked.version += 1
        locked.updated_by = request.user
        locked._change_reason = f"restauration de la version du {stamp}"
        locked.save()
        if perimeter is not None:
            locked.perimeter.set(perimeter)
    messages.success(request, f"La version du {stamp} a été restaurée.")
    return redirect("offers:history", pk=pk)


@login_required
@require_GET
def conflict_list(request):
    conflicts = (
        open_conflicts(request.user)
        .select_related("offer__commune__departement", "dataset")
        .defer(*(f"offer__{f}" for f in OUTLINES_OF_COMMUNE[:3]))
    )
    return render(
        request,
        "offers/conflict_list.html",
        {"page": Paginator(conflicts, 50).get_page(request.GET.get("page"))},
    )


@login_required
@require_POST
def conflict_resolve(request, pk):
    conflict = get_object_or_404(
        ImportConflict.objects.select_related("offer__commune__departement__region").defer(
            *(f"offer__{f}" for f in OUTLINES_OF_COMMUNE)
        ),
        pk=pk,
    )
    if not perms.can_resolve_conflict(request.user, conflict):
        raise PermissionDenied(perms.refusal_reason(request.user, conflict.offer))
    form = ConflictDecisionForm(request.POST)
    if not form.is_valid() or conflict.resolution:
        messages.error(request, "Décision invalide ou déjà prise.")
        return redirect("offers:conflicts")
    with transaction.atomic():
        if form.cleaned_data["decision"] == "accepted":
            offer = Offer.objects.select_for_update().get(pk=conflict.offer_id)
            apply_value(offer, conflict.field, conflict.imported_value)
            offer.version += 1
            offer.updated_by = request.user
            offer._change_reason = (
                f"conflit d’import : valeur importée appliquée au champ « {_field_label(conflict.field)} » "
                f"(jeu n° {conflict.dataset_id})"
            )
            offer.save()
        else:
            # the hand-entered value stays: the decision is still a line of the offer's history
            offer = Offer.objects.select_for_update().get(pk=conflict.offer_id)
            offer.updated_by = request.user
            offer._change_reason = (
                f"conflit d’import : saisie conservée pour le champ « {_field_label(conflict.field)} », "
                f"valeur du jeu n° {conflict.dataset_id} écartée"
            )
            offer.save()
        conflict.resolution = form.cleaned_data["decision"]
        conflict.resolved_by = request.user
        conflict.resolved_at = timezone.now()
        conflict.save()
    messages.success(request, "Décision enregistrée.")
    return redirect("offers:conflicts")


@login_required
@require_POST
def synthetic_remove(request):
    """Remove every offer of a synthetic sample in one action (the deletions are historised and
    the datasets stay listed, marked as removed)."""
    if not perms.can_import(request.user):
        raise PermissionDenied("Seuls les administrateurs retirent un échantillon synthétique.")
    with transaction.atomic():
        offers = Offer.objects.filter(SYNTHETIC).select_for_update()
        datasets = set(offers.values_list("dataset_id", flat=True))
        total = 0
        for offer in offers:
            offer._change_reason = "retrait de l’échantillon synthétique"
            offer.updated_by = request.user
            offer.delete()
            total += 1
        from territories.models import Dataset

        for dataset in Dataset.objects.filter(pk__in=datasets):
            dataset.report = {**(dataset.report or {}), "retire_le": timezone.now().isoformat()}
            dataset.save(update_fields=["report"])
    plural = "s" if total > 1 else ""
    messages.success(request, f"Échantillon synthétique retiré : {total} offre{plural} supprimée{plural}.")
    return redirect("offers:list")


def _field_label(name):
    try:
        return str(Offer._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 — a field of an older import layout
        return name


@require_GET
def zone_offers_geojson(request, level, code):
    """Offers located in a territory (points), one feature per offer with its kind."""
    zone = get_zone(level, code)
    if not isinstance(zone, Commune):
        communes = zone.communes()
    else:
        communes = Commune.objects.filter(pk=zone.pk)
    offers = _offers_in(communes).exclude(location=None).exclude(status=Offer.Status.CLOSED)
    features = [
        feature(
            o.location,
            kind=o.kind,
            kind_label=o.kind_label,
            name=o.name,
            status=o.get_status_display(),
            precision=o.location_precision,
            url=o.get_absolute_url(),
            synthetic=o.is_synthetic,
        )
        for o in offers.select_related("dataset").only(
            "pk",
            "kind",
            "name",
            "status",
            "location",
            "location_precision",
            "dataset__source",
            "dataset__is_synthetic",
        )[:5000]
    ]
    data = feature_collection(features)
    state = registry_state(zone)
    data["registry"] = {"loaded": state.loaded, "text": state.text, "note": state.note}
    if state.synthetic:
        data["registry"]["synthetic"] = True
    return JsonResponse(data)


@require_GET
def offer_geojson(request, pk):
    offer = get_object_or_404(Offer, pk=pk)
    if offer.location is None:
        raise Http404("Pas de localisation")
    return JsonResponse(feature_collection([feature(offer.location, name=offer.name, kind=offer.kind)]))
