"""The « Politiques publiques » section of territory pages (registered in ProposalsConfig.ready)."""

from django.db.models import Count

from proposals.consultations import member_consultations
from proposals.models import Contribution
from proposals.outcomes import outcome_rows
from territories.zones import level_of


def territory_section(request, zone):
    level = level_of(zone)
    contributions = (
        Contribution.objects.filter(
            zone_level=level, zone_code=zone.pk, status__in=Contribution.PUBLIC_STATUSES
        )
        .select_related("measure__programme", "consultation")
        .annotate(support_total=Count("supports", distinct=True))
        .order_by("-support_total", "-created_at")[:20]
    )
    return {
        "title": "Politiques publiques",
        "template": "proposals/_territory_section.html",
        "order": 40,
        "context": {
            "zone": zone,
            "zone_param": f"{level}:{zone.pk}",
            "rows": outcome_rows(zone),
            "contributions": list(contributions),
        },
    }


MAX_FICHE_MEASURES = 6


def fiche_measures(request, zone):
    """The measures tracked for the territory on its one-page fiche: target and measured value,
    plain text (registered with ``territories.web.sections.register_fiche``)."""
    from proposals.templatetags.proposals_tags import number_fr

    lines = []
    for row in outcome_rows(zone)[:MAX_FICHE_MEASURES]:
        m, outcome = row["measure"], row["local"]
        target = ""
        if m.target_value is not None:
            sign = "≤" if m.target_direction == m.Direction.AT_MOST else "≥"
            target = f"cible {sign} {number_fr(m.target_value)} {m.target_unit}".rstrip()
        measured = "pas encore mesuré"
        if outcome and outcome.measurement and outcome.measurement.value is not None:
            measured = f"mesuré ici : {_measured_text(outcome.measurement, number_fr)}"
            if outcome.measurement.is_estimate:
                measured += " (estimation)"
            # the same verdict as the page (proposals/_measurement.html)
            if outcome.reached is True:
                measured += ", cible atteinte"
            elif outcome.reached is False:
                measured += ", cible non atteinte"
            elif not outcome.comparable:
                measured += " — repère de contexte : unité différente de la cible, pas de verdict"
        elif outcome and outcome.measurement and outcome.measurement.missing:
            measured = outcome.measurement.missing
        parts = [p for p in (target, measured) if p]
        lines.append(f"{m.programme.title}, n° {m.number} — {m.title} : " + " ; ".join(parts))
    return {"title": "Mesures suivies et leurs cibles", "order": 10, "lines": lines}


def _measured_text(measurement, number_fr) -> str:
    """The value with its unit, as the page shows it."""
    text = number_fr(measurement.value)
    if measurement.unit != "nombre":
        unit = getattr(measurement, "unit_label", "") or measurement.unit
        text += f" {unit}"
    return text


def home_consultations(request):
    """Home block for members of working groups: their groups' consultations, open ones first."""
    consultations = member_consultations(request.user)
    if not consultations:
        return None
    return {
        "template": "proposals/home_consultations.html",
        "order": 6,
        "context": {"consultations": consultations[:8]},
    }
