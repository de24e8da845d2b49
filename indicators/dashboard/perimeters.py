"""Perimeters built by élus and ARS agents (a CPTS project, a territory under study): pick
communes (paste INSEE codes, or search and add by name), name it, and get the same dashboard as any
zone — key figures, map, ranking of its communes, exports — by the same code path (values
aggregated at read time from the stored commune values). Private to their author unless shared."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from indicators.api.values import atoms_of_zone
from indicators.dashboard.figures import ranking
from indicators.perms import can_build_perimeter, can_edit_perimeter, can_view_perimeter
from territories.models import Commune, Departement, Perimeter
from territories.picker import TerritoryError
from territories.picker import resolve as resolve_territory
from territories.search import search
from territories.selection import parse_communes
from territories.web.sections import render_cards

MAX_NAME = 200
MAX_DESCRIPTION = 2000


def _login_or_403(request):
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    raise PermissionDenied("Réservé aux élus, aux agents des ARS et aux administrateurs.")


def _visible(user):
    if user.is_authenticated and user.is_staff:
        return Perimeter.objects.all()
    if user.is_authenticated:
        return Perimeter.objects.filter(Q(is_shared=True) | Q(owner=user))
    return Perimeter.objects.filter(is_shared=True)


@require_GET
def perimeter_list(request):
    perimeters = _visible(request.user).annotate(n=Count("communes_set")).select_related("owner")
    return render(
        request,
        "indicators/perimeter_list.html",
        {"perimeters": perimeters, "can_build": can_build_perimeter(request.user)},
    )


@require_http_methods(["GET", "POST"])
def perimeter_edit(request, pk=None):
    perimeter = get_object_or_404(Perimeter, pk=pk) if pk else None
    if perimeter is None and not can_build_perimeter(request.user):
        return _login_or_403(request)
    if perimeter is not None and not can_edit_perimeter(request.user, perimeter):
        return _login_or_403(request)
    data = {
        "name": perimeter.name if perimeter else "",
        "description": perimeter.description if perimeter else "",
        "codes": "\n".join(sorted(perimeter.communes_set.values_list("code", flat=True)))
        if perimeter
        else "",
        "is_shared": perimeter.is_shared if perimeter else False,
        "query": "",
    }
    errors, notes, hits = {}, [], []
    if request.method == "POST":
        data.update(
            name=request.POST.get("name", "").strip(),
            description=request.POST.get("description", "").strip(),
            codes=request.POST.get("codes", ""),
            is_shared=request.POST.get("is_shared") == "on",
            query=request.POST.get("query", "").strip(),
        )
        if request.POST.get("action") == "add":
            # search and add: the commune of a chosen suggestion, or the best one for the typed
            # name, code or postal code (the other candidates are listed)
            try:
                commune = resolve_territory(data["query"], levels=("commune",))
                found = []
            except TerritoryError:
                found = [h for h in search(data["query"], limit=8) if isinstance(h.zone, Commune)]
                commune = found[0].zone if found else None
            if commune is not None:
                data["codes"] = (data["codes"].rstrip() + "\n" + commune.code).strip()
                notes.append(f"{commune.name} ({commune.code}) ajoutée.")
                hits = [(h.zone, h.detail) for h in found[1:5]]
                data["query"] = ""
            else:
                errors["query"] = f"Aucune commune ne correspond à « {data['query']} »."
        else:
            selection = parse_communes(data["codes"])
            notes.extend(selection.notes)
            if not data["name"]:
                errors["name"] = "Donnez un nom au périmètre."
            elif len(data["name"]) > MAX_NAME:
                errors["name"] = f"{MAX_NAME} caractères au plus."
            if len(data["description"]) > MAX_DESCRIPTION:
                errors["description"] = f"{MAX_DESCRIPTION} caractères au plus."
            if selection.problems:
                errors["codes"] = "Corrigez ces entrées : " + " ; ".join(selection.problems[:20])
            elif len(selection.codes) < 1:
                errors["codes"] = "Ajoutez au moins une commune."
            if not errors:
                with transaction.atomic():
                    if perimeter is None:
                        perimeter = Perimeter(owner=request.user)
                    perimeter.name = data["name"]
                    perimeter.description = data["description"]
                    perimeter.is_shared = data["is_shared"]
                    perimeter.save()
                    perimeter.communes_set.set(selection.codes)
                messages.success(
                    request, f"Périmètre « {perimeter.name} » enregistré ({len(selection.codes)} communes)."
                )
                return redirect("indicators:perimeter", pk=perimeter.pk)
    codes = [c for c in data["codes"].split() if c]
    known = Commune.objects.filter(code__in=codes[:2000])
    names = dict(known.values_list("code", "name"))
    # the pick map opens on the département holding most of the perimeter's communes
    initial = (
        known.values("departement_id").annotate(n=Count("code")).order_by("-n", "departement_id").first()
    )
    return render(
        request,
        "indicators/perimeter_form.html",
        {
            "perimeter": perimeter,
            "data": data,
            "errors": errors,
            "notes": notes,
            "hits": hits,
            "chosen": [(c, names.get(c)) for c in codes[:300]],
            "chosen_total": len(codes),
            "initial_departement": initial["departement_id"] if initial else "",
            "departements": Departement.objects.filter(is_active=True)
            .order_by("code")
            .values_list("code", "name"),
        },
    )


@require_GET
def perimeter_detail(request, pk):
    perimeter = get_object_or_404(Perimeter.objects.select_related("owner"), pk=pk)
    if not can_view_perimeter(request.user, perimeter):
        return _login_or_403(request)
    rows, columns, run, millesimes = ranking(perimeter, "commune", "apl", False)
    shown = [c for c in columns if c.label]
    return render(
        request,
        "indicators/perimeter_detail.html",
        {
            "zone": perimeter,
            "perimeter": perimeter,
            "cards": render_cards(request, perimeter),
            "columns": shown,
            "table": [(r, [(c, r.get(c.key)) for c in shown]) for r in rows],
            "total": len(rows),
            "run": run,
            "millesimes": millesimes,
            "can_edit": can_edit_perimeter(request.user, perimeter),
            "geojson_url": reverse("indicators:perimeter_geojson", args=[perimeter.pk]),
        },
    )


@require_GET
def perimeter_export(request, pk, fmt):
    from indicators.views.dashboard import _export

    if fmt not in ("csv", "xlsx"):
        raise Http404("Format inconnu")
    perimeter = get_object_or_404(Perimeter, pk=pk)
    if not can_view_perimeter(request.user, perimeter):
        return _login_or_403(request)
    rows, columns, run, millesimes = ranking(perimeter, "commune", "apl", False)
    return _export(
        rows,
        columns,
        fmt,
        f"perimetre-{perimeter.pk}-communes",
        run,
        millesimes,
        extra_columns=[("rank", "Rang"), ("code", "Code"), ("name", "Nom")],
    )


@require_GET
def perimeter_geojson(request, pk):
    from indicators.views.maps import classes_payload

    perimeter = get_object_or_404(Perimeter, pk=pk)
    if not can_view_perimeter(request.user, perimeter):
        raise PermissionDenied("Ce périmètre n’est pas partagé : seul son auteur le voit.")
    return JsonResponse(classes_payload(atoms_of_zone(perimeter)))


@require_GET
def perimeter_fiche(request, pk):
    from django.http import HttpResponse

    from indicators.dashboard.fiche import fiche_pdf

    perimeter = get_object_or_404(Perimeter, pk=pk)
    if not can_view_perimeter(request.user, perimeter):
        return _login_or_403(request)
    response = HttpResponse(
        fiche_pdf(perimeter, request.build_absolute_uri("/"), request), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="fiche-perimetre-{perimeter.pk}.pdf"'
    return response
