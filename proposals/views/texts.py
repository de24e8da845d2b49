"""Pages of the orientation text: drafting, sections and their history, the trace export and the
traceability page (measure or territory → contributions → sections → vote). Amendments and the
vote have their own modules (``amendments``, ``votes``); the access guard is here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from proposals import orientation, perms
from proposals.forms import (
    OrientationTextForm,
    SectionForm,
)
from proposals.models import (
    Amendment,
    Consultation,
    Contribution,
    Measure,
    OrientationText,
    SectionVersion,
    TextSection,
)
from proposals.views import exports
from proposals.views.posting import limited_posting, refuse
from territories.picker import TerritoryError, stored_key, stored_label
from territories.picker import label as territory_label
from territories.picker import resolve as resolve_territory
from territories.zones import level_of

VIEW_REFUSAL = (
    "Le texte d’orientation en préparation est réservé aux membres du groupe et des groupes appelés à "
    "voter ; il sera public une fois le résultat du vote proclamé."
)


EDIT_REFUSAL = (
    "Seuls les coordinateurs du groupe et les administrateurs rédigent le texte, tant qu’il n’est pas "
    "soumis au vote."
)


class Refused(Exception):
    """Raised while loading a page the user may not see; ``_guard`` answers 403 with the reason."""


def _text(slug):
    text = get_object_or_404(
        OrientationText.objects.select_related("consultation__group", "vote"), consultation__slug=slug
    )
    return orientation.proclaim_if_due(text)


def _viewable_text(request, slug):
    text = _text(slug)
    if not perms.can_view_text(request.user, text):
        raise Refused(VIEW_REFUSAL)
    return text


def _guard(view):
    """Turn a ``Refused`` raised while loading into the portal's 403 page with its reason."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Refused as exc:
            return refuse(request, str(exc))

    wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
    return wrapper


def _report(request, exc):
    messages.error(request, str(exc))


@login_required
@require_http_methods(["GET", "POST"])
def text_create(request, slug):
    consultation = get_object_or_404(Consultation.objects.select_related("group"), slug=slug)
    if hasattr(consultation, "orientation_text"):
        return redirect(consultation.orientation_text)
    if not perms.can_manage_consultation(request.user, consultation):
        return refuse(request, EDIT_REFUSAL)
    form = OrientationTextForm(
        request.POST or None, initial={"title": f"Texte d’orientation — {consultation.title}"}
    )
    if request.method == "POST" and form.is_valid():
        text = form.save(commit=False)
        text.consultation, text.created_by = consultation, request.user
        text.save()
        messages.success(
            request, "Texte d’orientation créé : rédigez ses sections à partir des contributions."
        )
        return redirect(text)
    return render(
        request, "proposals/text_form.html", {"form": form, "consultation": consultation, "creating": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
@_guard
def text_edit(request, slug):
    text = _viewable_text(request, slug)
    if not perms.can_edit_text(request.user, text):
        return refuse(request, EDIT_REFUSAL)
    form = OrientationTextForm(request.POST or None, instance=text)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Texte modifié ; période d’amendement : {text.amendment_phase}.")
        return redirect(text)
    return render(
        request, "proposals/text_form.html", {"form": form, "consultation": text.consultation, "text": text}
    )


@require_GET
@_guard
def text_detail(request, slug):
    text = _viewable_text(request, slug)
    user = request.user
    sections = list(text.sections.prefetch_related("contributions", "measures__programme", "territories"))
    amendments = list(
        text.amendments.select_related("author", "section").annotate(support_total=Count("supports"))
    )
    for a in amendments:
        a.fate = orientation.amendment_fate(a)
    final = {s["number"]: s for s in (text.final_text or {}).get("sections", [])}
    for section in sections:
        section.amendment_list = [a for a in amendments if a.section_id == section.pk]
        section.shown = final.get(section.number, {"body": section.body, "decided_by_vote": ""})
    taken = {c.pk for s in sections for c in s.contributions.all()}
    public = text.consultation.contributions.filter(status__in=Contribution.PUBLIC_STATUSES).select_related(
        "author"
    )
    vote = getattr(text, "vote", None)
    return render(
        request,
        "proposals/text_detail.html",
        {
            "text": text,
            "consultation": text.consultation,
            "sections": sections,
            "final": text.final_text,
            "not_taken_up": [c for c in public if c.pk not in taken],
            "can_edit": perms.can_edit_text(user, text),
            "can_amend": perms.can_amend(user, text),
            "can_close_amendments": perms.can_close_amendments(user, text),
            "events": list(text.events.select_related("by")),
            "pending": sum(1 for a in amendments if a.status == Amendment.Status.PROPOSED),
            "vote": vote,
            "tally": orientation.tally(vote) if vote and perms.can_view_turnout(user, vote) else None,
            "can_vote": vote is not None and perms.can_vote(user, vote),
        },
    )


def _section(text, number):
    return get_object_or_404(TextSection, text=text, number=number)


def _section_initial(section):
    return {
        "title": section.title,
        "body": section.body,
        "contributions": list(section.contributions.all()),
        "measures": list(section.measures.all()),
        "territories": "\n".join(stored_label(t.level, t.code) for t in section.territories.all()),
    }


@login_required
@require_http_methods(["GET", "POST"])
@limited_posting
@_guard
def section_edit(request, slug, number=None):
    text = _viewable_text(request, slug)
    if not perms.can_edit_text(request.user, text):
        return refuse(request, EDIT_REFUSAL)
    section = _section(text, number) if number is not None else None
    initial = _section_initial(section) if section else {}
    taken_id = request.GET.get("contribution", "")
    if section is None and taken_id.isascii() and taken_id.isdecimal() and len(taken_id) <= 12:
        taken = text.consultation.contributions.filter(
            pk=request.GET["contribution"], status__in=Contribution.PUBLIC_STATUSES
        ).first()
        if taken:
            initial = {
                "title": taken.title,
                "body": taken.body,
                "contributions": [taken],
                "measures": [taken.measure],
            }
    form = SectionForm(request.POST or None, initial=initial, consultation=text.consultation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            section = orientation.save_section(
                text,
                user=request.user,
                section=section,
                title=data["title"],
                body=data["body"],
                contributions=data["contributions"],
                measures=data["measures"],
                territories=[stored_key(zone) for zone in data["territories"]],
            )
        except orientation.OrientationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Section {section.number} enregistrée (version {section.version}).")
            return redirect(section)
    return render(
        request,
        "proposals/section_form.html",
        {"form": form, "text": text, "consultation": text.consultation, "section": section},
    )


@require_GET
@_guard
def section_history(request, slug, number):
    text = _viewable_text(request, slug)
    section = _section(text, number)
    versions = list(section.versions.select_related("author", "amendment"))
    by_number = {v.number: v for v in versions}
    try:
        new = by_number[int(request.GET.get("a", section.version))]
        old = by_number.get(int(request.GET.get("de", new.number - 1)))
    except (KeyError, ValueError):
        raise Http404("Version inconnue") from None
    for v in versions:
        before = by_number.get(v.number - 1)
        v.changes = orientation.changed_fields(_version_dict(before) if before else None, _version_dict(v))
    return render(
        request,
        "proposals/section_history.html",
        {
            "text": text,
            "consultation": text.consultation,
            "section": section,
            "versions": list(reversed(versions)),
            "old": old,
            "new": new,
            "diff": orientation.diff_lines(old.body if old else "", new.body),
            "title_changed": old is not None and old.title != new.title,
        },
    )


def _version_dict(version: SectionVersion):
    return {key: getattr(version, key) for key in orientation.CHANGE_LABELS}


@require_GET
@_guard
def trace_export(request, slug, fmt):
    text = _viewable_text(request, slug)
    if fmt not in ("csv", "json"):
        raise Http404("Format inconnu")
    return exports.trace_csv(text) if fmt == "csv" else exports.trace_json(text)


@require_GET
def trace(request):
    """From a measure (``?mesure=<programme>/<numéro>``) or a territory (``?territoire=Creuse``): the
    public contributions about it, the sections of proclaimed texts that take them up or concern it,
    and the vote results."""
    measure = zone = None
    error = ""
    measure_key = request.GET.get("mesure", "").strip()
    territory = request.GET.get("territoire", "").strip()
    if measure_key:
        slug, _, number = measure_key.partition("/")
        measure = (
            Measure.objects.select_related("programme")
            .filter(
                programme__slug=slug[:100],
                number=int(number) if number.isascii() and number.isdecimal() and len(number) <= 9 else -1,
            )
            .first()
        )
        if measure is None:
            error = f"Mesure inconnue : « {measure_key[:80]} » (attendu : programme/numéro)."
    elif territory:
        try:
            zone = resolve_territory(territory)
        except TerritoryError as exc:
            error = str(exc)
    contributions = sections = []
    if measure is not None or zone is not None:
        contributions, sections = orientation.traced(measure=measure, zone=zone)
    return render(
        request,
        "proposals/trace.html",
        {
            "measure": measure,
            "zone": zone,
            "zone_label": territory_label(zone) if zone is not None else territory,
            "zone_level": level_of(zone) if zone is not None else "",
            "error": error,
            "contributions": contributions,
            "sections": sections,
            "measures": Measure.objects.select_related("programme").order_by("programme__order", "number"),
        },
    )
