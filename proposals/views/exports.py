"""Exports of a consultation's contributions (with comments, supports, statuses and their history).

CSV is written for French spreadsheets: UTF-8 with a byte-order mark (accents intact in Excel) and
``;`` as separator (the comma is the decimal separator in French locales).
"""

import json

from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from proposals.models import Contribution, Measure
from territories.web.exports import csv_response

CSV_COLUMNS = [
    ("id", "Identifiant"),
    ("title", "Titre"),
    ("author", "Auteur"),
    ("programme", "Programme"),
    ("measure", "Mesure"),
    ("territory", "Territoire"),
    ("status", "Statut"),
    ("status_reason", "Motif du statut"),
    ("supports", "Soutiens"),
    ("created_at", "Créée le"),
    ("body", "Texte"),
    ("comments", "Commentaires"),
    ("history", "Historique des statuts"),
]


def _local(dt):
    """French date for spreadsheets: « 22/11/2026 10:00 » (Paris time)."""
    return timezone.localtime(dt).strftime("%d/%m/%Y %H:%M")


def _iso(dt):
    """ISO 8601 with its UTC offset for machine-readable exports (JSON)."""
    return timezone.localtime(dt).isoformat()


def contribution_records(consultation, date=_local):
    """One record per contribution; ``date`` formats datetimes (French for CSV, ISO for JSON)."""
    contributions = (
        Contribution.objects.filter(consultation=consultation)
        .select_related("author", "measure__programme")
        .prefetch_related("comments__author", "status_changes__changed_by")
        .annotate(support_total=Count("supports", distinct=True))
        .order_by("-support_total", "created_at")
    )
    for c in contributions:
        yield {
            "id": c.pk,
            "title": c.title,
            "author": c.author.get_username(),
            "programme": c.measure.programme.title,
            "measure": f"n° {c.measure.number} : {c.measure.title}",
            "territory": f"{c.zone_name} ({c.zone_level}:{c.zone_code})" if c.zone_level else "",
            "status": c.get_status_display(),
            "status_reason": c.status_reason,
            "supports": c.support_total,
            "created_at": date(c.created_at),
            "body": c.body,
            "comments": [
                {"author": m.author.get_username(), "created_at": date(m.created_at), "body": m.body}
                for m in c.comments.all()
            ],
            "history": [
                {
                    "from": h.get_previous_status_display(),
                    "to": h.get_status_display(),
                    "reason": h.reason,
                    "by": h.changed_by.get_username(),
                    "at": date(h.changed_at),
                }
                for h in c.status_changes.all()
            ],
        }


def contributions_csv(consultation):
    return csv_response(
        contribution_records(consultation), CSV_COLUMNS, f"contributions-{consultation.slug}.csv"
    )


def contributions_json(consultation):
    payload = {
        "consultation": {
            "slug": consultation.slug,
            "title": consultation.title,
            "group": consultation.group.name,
            "opens_at": _iso(consultation.opens_at),
            "closes_at": _iso(consultation.closes_at),
        },
        "contributions": list(contribution_records(consultation, date=_iso)),
    }
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="contributions-{consultation.slug}.json"'
    return response


MEASURE_COLUMNS = [
    ("programme", "Programme"),
    ("author", "Auteur"),
    ("number", "Numéro"),
    ("axis", "Axe"),
    ("title", "Intitulé"),
    ("theme", "Thème"),
    ("lever", "Levier"),
    ("status", "Statut"),
    ("target_text", "Objectif (tel qu’écrit)"),
    ("target_value", "Valeur cible"),
    ("target_unit", "Unité"),
    ("deadline", "Échéance"),
    ("indicator_code", "Indicateur de suivi"),
    ("source", "Document source"),
    ("quote", "Texte cité"),
]


def measure_records():
    for m in Measure.objects.select_related("programme__source", "axis"):
        yield {
            "programme": m.programme.title,
            "author": m.programme.author,
            "number": m.number,
            "axis": m.axis.title if m.axis else "",
            "title": m.title,
            "theme": m.get_theme_display(),
            "lever": m.get_lever_display(),
            "status": m.get_status_display(),
            "target_text": m.target_text,
            "target_value": ""
            if m.target_value is None
            else format(m.target_value.normalize(), "f").replace(".", ","),
            "target_unit": m.target_unit,
            "deadline": m.deadline_text or (m.deadline.isoformat() if m.deadline else ""),
            "indicator_code": m.indicator_code,
            "source": m.programme.source.citation,
            "quote": m.quote,
        }


def measures_csv():
    return csv_response(measure_records(), MEASURE_COLUMNS, "mesures.csv")


def measures_json():
    rows = list(measure_records())
    for row in rows:
        row["target_value"] = float(row["target_value"].replace(",", ".")) if row["target_value"] else None
    return HttpResponse(
        json.dumps({"mesures": rows}, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )


# The orientation text: adopted text (PDF), tally and traceability table ---------------------------


def orientation_pdf(text, base_url) -> HttpResponse:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(
        "proposals/adopted_text_print.html",
        {"text": text, "final": text.final_text, "printed_at": timezone.localtime()},
    )
    response = HttpResponse(HTML(string=html, base_url=base_url).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="texte-{text.consultation.slug}.pdf"'
    return response


TALLY_COLUMNS = [
    ("question_number", "Question"),
    ("question", "Intitulé"),
    ("option", "Option"),
    ("votes", "Voix"),
    ("winner", "Option retenue"),
]


def tally_records(text):
    final = text.final_text
    for result in final["results"]:
        for option in result["options"]:
            yield {
                "question_number": result["number"],
                "question": result["question"],
                "option": option["label"],
                "votes": option["count"],
                "winner": "oui" if option["label"] == result["winner"] else "",
            }


def tally_csv(text):
    return csv_response(tally_records(text), TALLY_COLUMNS, f"resultats-{text.consultation.slug}.csv")


def tally_json(text):
    final = text.final_text
    payload = {
        "texte": text.title,
        "etat": text.get_state_display(),
        "proclame_le": _iso(text.decided_at),
        "membres_appeles": final["eligible"],
        "votants": final["participants"],
        "quorum_pourcentage": final["quorum_percent"],
        "quorum_atteint": final["quorum_reached"],
        "adopte": final["adopted"],
        "empreinte_sha256": text.final_checksum,
        "questions": final["results"],
    }
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="resultats-{text.consultation.slug}.json"'
    return response


TRACE_COLUMNS = [
    ("contribution_id", "Contribution"),
    ("contribution", "Titre de la contribution"),
    ("measure", "Mesure"),
    ("territory", "Territoire"),
    ("status", "Statut de la contribution"),
    ("section", "Section du texte"),
    ("decision", "Devenir"),
]


def trace_records(text):
    """Every public contribution of the consultation → the sections that take it up → the decision."""
    sections = {}
    for section in text.sections.prefetch_related("contributions"):
        for c in section.contributions.all():
            sections.setdefault(c.pk, []).append(section)
    state = text.get_state_display().lower()
    contributions = (
        text.consultation.contributions.filter(status__in=Contribution.PUBLIC_STATUSES)
        .select_related("measure__programme")
        .order_by("created_at")
    )
    for c in contributions:
        taken = sections.get(c.pk, [])
        row = {
            "contribution_id": c.pk,
            "contribution": c.title,
            "measure": f"{c.measure.programme.title}, n° {c.measure.number}",
            "territory": c.zone_name,
            "status": c.get_status_display(),
        }
        if not taken:
            reason = f" : {c.status_reason}" if c.status_reason else ""
            yield {
                **row,
                "section": "",
                "decision": f"non reprise ({c.get_status_display().lower()}{reason})",
            }
        for section in taken:
            yield {
                **row,
                "section": f"{section.number}. {section.title}",
                "decision": f"reprise — texte {state}",
            }


def trace_csv(text):
    return csv_response(trace_records(text), TRACE_COLUMNS, f"tracabilite-{text.consultation.slug}.csv")


def trace_json(text):
    payload = {"texte": text.title, "etat": text.get_state_display(), "lignes": list(trace_records(text))}
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="tracabilite-{text.consultation.slug}.json"'
    return response
