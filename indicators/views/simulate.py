"""The what-if page: add or remove supply and see the APL and classes change, computed in memory from
the cached catchment (nothing written).
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from indicators.api.values import (
    atoms_of_zone,
)
from indicators.dashboard.sections import access_section
from indicators.models import ComputationRun
from indicators.official.published import latest_official
from indicators.perms import can_simulate
from indicators.simulate.official_whatif import ACTIONS as OFFICIAL_ACTIONS
from indicators.simulate.official_whatif import NEW_GP_CONSULTATIONS, OPEN_GPS, simulate_official
from indicators.simulate.whatif import ACTIONS, ADD_MSP, WhatIfError, simulate
from territories.models import Commune
from territories.text import normalize_name
from territories.zones import get_zone, level_of


@require_http_methods(["GET", "POST"])
def simulate_view(request, level, code):
    if not can_simulate(request.user):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        raise PermissionDenied(
            "La simulation est réservée aux élus, aux agents des ARS et aux administrateurs ; "
            "votre compte n’est dans aucun de ces groupes."
        )
    zone = get_zone(level, code)
    run = ComputationRun.current()
    atoms = atoms_of_zone(zone)
    communes = list(
        Commune.objects.filter(code__in=atoms).order_by("-population", "code").values_list("code", "name")
    )
    result, error = None, None
    # The baseline is the official APL when one is published; the portal's own APL otherwise.
    official = latest_official() is not None
    default_action = OPEN_GPS if official else ADD_MSP
    form = {
        "action": default_action,
        "commune": f"{communes[0][1]} (commune {communes[0][0]})" if communes else "",
        "gps": 1 if official else 4,
        "activity": NEW_GP_CONSULTATIONS,
        "years": 5,
    }
    # a GET naming a commune (a row of the planning page) simulates it at once: nothing is written
    data = request.POST if request.method == "POST" else request.GET
    if run is not None and (request.method == "POST" or "commune" in request.GET):
        form = {
            "action": data.get("action", "") or default_action,
            "commune": data.get("commune", ""),
            "gps": data.get("gps", ""),
            "activity": data.get("activity", "") or NEW_GP_CONSULTATIONS,
            "years": data.get("years", "") or 5,
        }
        try:
            commune_code = whatif_commune(form["commune"], communes, zone)
            gps = int(form["gps"]) if form["gps"] else None
            if gps is not None and gps > 200:
                raise WhatIfError("Au plus 200 médecins.")
            if form["action"] in OFFICIAL_ACTIONS:
                activity = float(
                    str(form["activity"]).replace(",", ".").replace("\u202f", "").replace(" ", "")
                )
                result = simulate_official(
                    run, set(atoms), form["action"], commune_code=commune_code, gps=gps, activity=activity
                )
            else:
                years = int(form["years"]) if str(form["years"]).strip() else None
                result = simulate(
                    run, set(atoms), form["action"], commune_code=commune_code, gps=gps, years=years
                )
        except ValueError as exc:
            error = str(exc) if isinstance(exc, WhatIfError) else "Nombre de médecins ou activité invalide."
    section = access_section(request, zone)
    return render(
        request,
        "indicators/simulate.html",
        {
            "zone": zone,
            "level": level_of(zone),
            "run": run,
            "single_commune": communes[0] if len(communes) == 1 else None,
            "within": f"{level_of(zone)}:{zone.pk}",
            "actions": ACTIONS,
            "official": official,
            "official_actions": OFFICIAL_ACTIONS,
            "form": form,
            "result": result,
            "error": error,
            "section": section["context"] if section else {},
            "classes_after": result.classes_after() if result else {},
        },
    )


def whatif_commune(text, communes, zone):
    """The INSEE code of the commune a what-if names: a code, a suggestion's label or a name, among
    the zone's communes (a name shared with communes elsewhere in France is not ambiguous here)."""
    from territories.picker import TerritoryError, resolve

    text = (text or "").strip()
    codes = dict(communes)
    if text.upper() in codes:
        return text.upper()
    normalized = normalize_name(text)
    same_name = [code for code, name in communes if normalize_name(name) == normalized]
    if len(same_name) == 1:
        return same_name[0]
    if not text:
        raise WhatIfError("Indiquez la commune où le changement a lieu.")
    try:
        commune = resolve(text, levels=("commune",))
    except TerritoryError as exc:
        raise WhatIfError(str(exc)) from exc
    if commune.pk not in codes:
        raise WhatIfError(f"{commune.name} ({commune.pk}) n’est pas dans le territoire {zone.name}.")
    return commune.pk
