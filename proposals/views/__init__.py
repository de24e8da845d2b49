from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from proposals import orientation, perms
from proposals.consultations import member_consultations, phase_order
from proposals.forms import CommentForm, ConsultationForm, ContributionForm, ModerationForm
from proposals.indicators import indicator_label
from proposals.models import (
    Comment,
    Consultation,
    Contribution,
    Fact,
    Measure,
    Programme,
    SourceDocument,
    StatusChange,
    Support,
    WorkingGroup,
)
from proposals.outcomes import outcome, outcome_rows
from proposals.views import exports
from territories.picker import TerritoryError
from territories.picker import label as territory_label
from territories.picker import resolve as resolve_territory
from territories.zones import level_of

RATE_GROUP = "proposals-post"
# Comparison rows: the installation debate reads incitation, then régulation, then salariat.
LEVER_ORDER = [
    Measure.Lever.INCENTIVE,
    Measure.Lever.REGULATION,
    Measure.Lever.SALARIED,
    Measure.Lever.ORGANISATION,
    Measure.Lever.FUNDING,
    Measure.Lever.TRAINING,
    Measure.Lever.PREVENTION,
    Measure.Lever.DIGITAL,
    Measure.Lever.GOVERNANCE,
    Measure.Lever.UNSPECIFIED,
]


def post_rate(group, request):
    return getattr(settings, "PROPOSALS_POST_RATE", "30/h")


def limited_posting(view):
    """Rate-limit posting per user (django-ratelimit); a refused post says so in French, status 429."""

    @ratelimit(key="user_or_ip", rate=post_rate, method="POST", group=RATE_GROUP, block=False)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "limited", False):
            response = render(
                request,
                "proposals/rate_limited.html",
                {"next": request.META.get("HTTP_REFERER", "")},
                status=429,
            )
            return response
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def refuse(request, message):
    """403 with the reason, in French, on a page of the portal."""
    return render(request, "proposals/refused.html", {"message": message}, status=403)


def _public_contributions(queryset):
    return queryset.filter(status__in=Contribution.PUBLIC_STATUSES)


def _ranked(queryset):
    return (
        queryset.select_related("author", "measure__programme", "consultation")
        .annotate(
            support_total=Count("supports", distinct=True), comment_total=Count("comments", distinct=True)
        )
        .order_by("-support_total", "-created_at")
    )


# Programmes and measures ------------------------------------------------------------------------


@require_GET
def index(request):
    programmes = Programme.objects.select_related("source").annotate(measure_total=Count("measures"))
    return render(
        request,
        "proposals/index.html",
        {
            "programmes": programmes,
            "themes": Measure.Theme.choices,
            "groups": WorkingGroup.objects.annotate(consultation_total=Count("consultations")),
            "rows": outcome_rows(),
            "my_consultations": member_consultations(request.user),
        },
    )


@require_GET
def programme_detail(request, slug):
    programme = get_object_or_404(Programme.objects.select_related("source"), slug=slug)
    measures = programme.measures.select_related("axis").order_by("number")
    axes = list(programme.axes.all())
    grouped = [(axis, [m for m in measures if m.axis_id == axis.pk]) for axis in axes]
    loose = [m for m in measures if m.axis_id is None]
    facts = list(programme.facts.all())
    return render(
        request,
        "proposals/programme_detail.html",
        {
            "programme": programme,
            "grouped": grouped,
            "loose": loose,
            "measure_total": len(measures),
            "calendar": [f for f in facts if f.kind == Fact.Kind.CALENDAR],
            "governance": [f for f in facts if f.kind == Fact.Kind.GOVERNANCE],
            "facts": [_fact_row(f) for f in facts if f.kind == Fact.Kind.FACT],
            "groups": programme.working_groups.all(),
        },
    )


def _fact_row(fact):
    return {
        "fact": fact,
        "outcome": outcome_for_code(fact.indicator_code) if fact.indicator_code else None,
        "indicator_label": indicator_label(fact.indicator_code) if fact.indicator_code else "",
    }


def outcome_for_code(code, zone=None):
    from proposals.indicators import measure

    return measure(code, zone)


@require_GET
def measure_detail(request, slug, number):
    measure = get_object_or_404(
        Measure.objects.select_related("programme__source", "axis"), programme__slug=slug, number=number
    )
    zone, zone_error = None, ""
    territory = request.GET.get("territoire", "").strip()
    if territory:
        try:
            zone = resolve_territory(territory)
        except TerritoryError as exc:
            zone_error = str(exc)
    reference_facts = (
        [_fact_row(f) for f in measure.programme.facts.filter(indicator_code=measure.indicator_code)]
        if measure.indicator_code
        else []
    )
    contributions = _ranked(_public_contributions(measure.contributions.all()))
    return render(
        request,
        "proposals/measure_detail.html",
        {
            "measure": measure,
            "programme": measure.programme,
            "indicator_label": indicator_label(measure.indicator_code) if measure.indicator_code else "",
            "national": outcome(measure),
            "zone": zone,
            "zone_level": level_of(zone) if zone else "",
            "local": outcome(measure, zone) if zone is not None else None,
            "territory": territory_label(zone) if zone is not None else territory,
            "zone_error": zone_error,
            "reference_facts": reference_facts,
            "contributions": contributions[:50],
            "same_theme": Measure.objects.filter(theme=measure.theme)
            .exclude(programme=measure.programme)
            .select_related("programme")[:20],
        },
    )


@require_GET
def source_document(request, key):
    document = get_object_or_404(SourceDocument, key=key)
    from proposals.seed import SOURCES_DIR

    path = SOURCES_DIR / document.file_name
    if not path.is_file():
        raise Http404("Texte source absent")
    return render(
        request,
        "proposals/source_document.html",
        {
            "document": document,
            "text": path.read_text(encoding="utf-8"),
            "programmes": document.programmes.all(),
        },
    )


@require_GET
def compare(request):
    themes = dict(Measure.Theme.choices)
    theme = request.GET.get("theme") or Measure.Theme.INSTALLATION
    if theme not in themes:
        raise Http404("Thème inconnu")
    measures = list(
        Measure.objects.filter(theme=theme).select_related("programme").order_by("programme__order", "number")
    )
    programmes = list(dict.fromkeys(m.programme for m in measures))
    labels = dict(Measure.Lever.choices)
    levers = [(value, labels[value]) for value in LEVER_ORDER if any(m.lever == value for m in measures)]
    table = [
        {
            "lever": label,
            "cells": [
                [m for m in measures if m.lever == value and m.programme_id == p.pk] for p in programmes
            ],
        }
        for value, label in levers
    ]
    counts = dict(Measure.objects.values_list("theme").annotate(n=Count("pk")))
    return render(
        request,
        "proposals/compare.html",
        {
            "theme": theme,
            "theme_label": themes[theme],
            "themes": [(value, label, counts.get(value, 0)) for value, label in Measure.Theme.choices],
            "programmes": programmes,
            "table": table,
            "measure_total": len(measures),
        },
    )


@require_GET
def measures_export(request, fmt):
    if fmt not in ("csv", "json"):
        raise Http404("Format inconnu")
    return exports.measures_csv() if fmt == "csv" else exports.measures_json()


# Working groups and consultations ----------------------------------------------------------------


@require_GET
def group_list(request):
    groups = WorkingGroup.objects.select_related("programme").annotate(
        member_total=Count("memberships", distinct=True),
        consultation_total=Count("consultations", distinct=True),
    )
    return render(request, "proposals/group_list.html", {"groups": groups})


@require_GET
def group_detail(request, slug):
    group = get_object_or_404(WorkingGroup.objects.select_related("programme"), slug=slug)
    memberships = group.memberships.select_related("user").order_by("-role", "user__username")
    return render(
        request,
        "proposals/group_detail.html",
        {
            "group": group,
            "coordinators": [m for m in memberships if m.role == m.Role.COORDINATOR],
            "member_total": len(memberships),
            "consultations": sorted(group.consultations.all(), key=phase_order),
            "is_member": perms.is_member(request.user, group),
            "can_manage": perms.can_manage_consultations(request.user, group),
        },
    )


@require_GET
def consultation_detail(request, slug):
    consultation = get_object_or_404(Consultation.objects.select_related("group"), slug=slug)
    user = request.user
    visible = Q(status__in=Contribution.PUBLIC_STATUSES)
    if user.is_authenticated:
        if user.is_staff or perms.is_coordinator(user, consultation.group):
            visible = Q()
        else:
            visible |= Q(author=user)
    status = request.GET.get("statut", "")
    contributions = consultation.contributions.filter(visible)
    if status in Contribution.Status.values:
        contributions = contributions.filter(status=status)
    return render(
        request,
        "proposals/consultation_detail.html",
        {
            "consultation": consultation,
            "group": consultation.group,
            "contributions": _ranked(contributions)[:200],
            "statuses": Contribution.Status.choices,
            "status": status,
            "measures": consultation.measures.select_related("programme"),
            "can_contribute": perms.can_contribute(user, consultation),
            "is_member": perms.is_member(user, consultation.group),
            "can_export": perms.can_export(user, consultation),
            "can_manage": perms.can_manage_consultation(user, consultation),
            "scope_url": _scope_url(consultation),
            "closed_notice": perms.CLOSED_NOTICE,
            "text": _orientation_text(user, consultation),
        },
    )


def _orientation_text(user, consultation):
    """The consultation's orientation text when this user may read it (None otherwise)."""
    text = getattr(consultation, "orientation_text", None)
    if text is not None:
        text = orientation.proclaim_if_due(text)
    return text if text is not None and perms.can_view_text(user, text) else None


def _scope_url(consultation):
    if not consultation.scope_level:
        return ""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("territories:zone", args=[consultation.scope_level, consultation.scope_code])
    except NoReverseMatch:
        return ""


@require_GET
def consultation_export(request, slug, fmt):
    if fmt not in ("csv", "json"):
        raise Http404("Format inconnu")
    consultation = get_object_or_404(Consultation.objects.select_related("group"), slug=slug)
    if not perms.can_export(request.user, consultation):
        return refuse(request, "Export réservé à la coordination du groupe.")
    return (
        exports.contributions_csv(consultation) if fmt == "csv" else exports.contributions_json(consultation)
    )


# Consultations run from the front (coordinators of the group, staff) ------------------------------


def _manage_refusal(group):
    return (
        f"Seuls les coordinateurs du groupe « {group.name} » et les administrateurs ouvrent, "
        "programment, modifient et closent ses consultations."
    )


@login_required
@require_http_methods(["GET", "POST"])
def consultation_create(request, slug):
    group = get_object_or_404(WorkingGroup.objects.select_related("programme"), slug=slug)
    if not perms.can_manage_consultations(request.user, group):
        return refuse(request, _manage_refusal(group))
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = ConsultationForm(
        request.POST or None,
        group=group,
        initial={"opens_at": now, "closes_at": now + timedelta(days=30)},
    )
    if request.method == "POST" and form.is_valid():
        consultation = form.save(commit=False)
        consultation.created_by = request.user
        consultation.save()
        form.save_m2m()
        messages.success(request, f"Consultation « {consultation.title} » {_phase_sentence(consultation)}.")
        return redirect(consultation)
    return render(
        request, "proposals/consultation_form.html", {"form": form, "group": group, "creating": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
def consultation_edit(request, slug):
    consultation = get_object_or_404(Consultation.objects.select_related("group__programme"), slug=slug)
    if not perms.can_manage_consultation(request.user, consultation):
        return refuse(request, _manage_refusal(consultation.group))
    form = ConsultationForm(request.POST or None, instance=consultation, group=consultation.group)
    if request.method == "POST" and form.is_valid():
        consultation = form.save()
        messages.success(request, f"Consultation modifiée : elle {_phase_sentence(consultation)}.")
        return redirect(consultation)
    return render(
        request,
        "proposals/consultation_form.html",
        {"form": form, "group": consultation.group, "consultation": consultation},
    )


@login_required
@require_POST
def consultation_phase(request, slug, action):
    """« Ouvrir maintenant » an upcoming consultation, « Clore maintenant » an open one."""
    consultation = get_object_or_404(Consultation.objects.select_related("group"), slug=slug)
    if not perms.can_manage_consultation(request.user, consultation):
        return refuse(request, _manage_refusal(consultation.group))
    now = timezone.now()
    if action == "ouvrir" and consultation.phase == "à venir":
        consultation.opens_at = now
        if consultation.closes_at <= now:
            consultation.closes_at = now + timedelta(days=30)
    elif action == "clore" and consultation.phase == "ouverte":
        consultation.closes_at = now
    else:
        messages.error(request, f"Action impossible : la consultation est {consultation.phase}.")
        return redirect(consultation)
    consultation.save(update_fields=["opens_at", "closes_at", "updated_at"])
    messages.success(request, f"La consultation {_phase_sentence(consultation)}.")
    return redirect(consultation)


def _phase_sentence(consultation):
    closes = timezone.localtime(consultation.closes_at).strftime("%d/%m/%Y à %H:%M")
    opens = timezone.localtime(consultation.opens_at).strftime("%d/%m/%Y à %H:%M")
    return {
        "à venir": f"ouvrira le {opens} et sera close le {closes}",
        "ouverte": f"est ouverte jusqu’au {closes}",
        "close": f"est close depuis le {closes}",
    }[consultation.phase]


# Contributions -----------------------------------------------------------------------------------


@login_required
@limited_posting
def contribution_create(request, slug):
    consultation = get_object_or_404(Consultation.objects.select_related("group"), slug=slug)
    if not perms.can_contribute(request.user, consultation):
        return refuse(request, _refusal(request.user, consultation))
    form = ContributionForm(request.POST or None, consultation=consultation)
    if request.method == "POST" and form.is_valid():
        contribution = form.save(commit=False)
        contribution.consultation, contribution.author = consultation, request.user
        contribution.save()
        messages.success(
            request, "Contribution enregistrée en brouillon : la coordination du groupe la publiera."
        )
        return redirect(contribution)
    return render(
        request,
        "proposals/contribution_form.html",
        {"form": form, "consultation": consultation, "creating": True},
    )


def _refusal(user, consultation):
    if not consultation.is_open():
        return "La consultation n’est pas ouverte : elle est en lecture seule."
    return "Seuls les membres du groupe de travail peuvent participer à cette consultation."


@login_required
@limited_posting
def contribution_edit(request, pk):
    contribution = get_object_or_404(Contribution.objects.select_related("consultation__group"), pk=pk)
    if not perms.can_edit_contribution(request.user, contribution):
        return refuse(request, "Seul l’auteur modifie son brouillon, tant que la consultation est ouverte.")
    form = ContributionForm(
        request.POST or None, instance=contribution, consultation=contribution.consultation
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Contribution modifiée.")
        return redirect(contribution)
    return render(
        request,
        "proposals/contribution_form.html",
        {"form": form, "consultation": contribution.consultation, "contribution": contribution},
    )


@require_GET
def contribution_detail(request, pk):
    contribution = get_object_or_404(
        Contribution.objects.select_related(
            "consultation__group", "measure__programme", "author"
        ).prefetch_related(
            Prefetch("comments", queryset=Comment.objects.select_related("author")),
            Prefetch("status_changes", queryset=StatusChange.objects.select_related("changed_by")),
            orientation.SECTIONS_WITH_TEXT,
        ),
        pk=pk,
    )
    user = request.user
    if not perms.can_view_contribution(user, contribution):
        raise Http404("Contribution introuvable")
    statuses = perms.moderation_statuses(user, contribution)
    return render(
        request,
        "proposals/contribution_detail.html",
        {
            "contribution": contribution,
            "consultation": contribution.consultation,
            "support_total": contribution.supports.count(),
            "has_supported": user.is_authenticated and contribution.supports.filter(user=user).exists(),
            "can_support": perms.can_support(user, contribution),
            "can_comment": perms.can_comment(user, contribution),
            "can_edit": perms.can_edit_contribution(user, contribution),
            "can_moderate": bool(statuses),
            "closed": perms.is_closed(contribution.consultation),
            "fates": orientation.contribution_fates(
                contribution, lambda text: perms.can_view_text(user, text)
            ),
            "closed_notice": perms.CLOSED_NOTICE,
            "comment_form": CommentForm(),
            "moderation_form": ModerationForm(
                initial={"status": contribution.status},
                statuses=statuses if perms.is_closed(contribution.consultation) else None,
            ),
        },
    )


@require_POST
@login_required
@limited_posting
def contribution_support(request, pk):
    contribution = get_object_or_404(Contribution.objects.select_related("consultation__group"), pk=pk)
    if not perms.can_support(request.user, contribution):
        return refuse(
            request, "Soutien impossible : réservé aux autres membres du groupe, consultation ouverte."
        )
    try:
        with transaction.atomic():
            Support.objects.create(contribution=contribution, user=request.user)
    except IntegrityError:
        messages.error(request, "Vous soutenez déjà cette contribution : un seul soutien par membre.")
    else:
        messages.success(request, "Votre soutien est enregistré.")
    return redirect(contribution)


@require_POST
@login_required
@limited_posting
def contribution_comment(request, pk):
    contribution = get_object_or_404(Contribution.objects.select_related("consultation__group"), pk=pk)
    if not perms.can_comment(request.user, contribution):
        return refuse(
            request, "Commentaire impossible : réservé aux membres du groupe, consultation ouverte."
        )
    form = CommentForm(request.POST)
    if form.is_valid():
        comment = form.save(commit=False)
        comment.contribution, comment.author = contribution, request.user
        comment.save()
        messages.success(request, "Commentaire publié.")
    else:
        messages.error(request, "Le commentaire est vide.")
    return redirect(f"{contribution.get_absolute_url()}#commentaires")


@require_POST
@login_required
@limited_posting
def contribution_moderate(request, pk):
    contribution = get_object_or_404(Contribution.objects.select_related("consultation__group"), pk=pk)
    if not perms.can_moderate(request.user, contribution):
        return refuse(request, "Modération réservée à la coordination du groupe.")
    form = ModerationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{contribution.get_absolute_url()}#moderation")
    status, reason = form.cleaned_data["status"], form.cleaned_data["reason"].strip()
    if not perms.can_set_status(request.user, contribution, status):
        return refuse(
            request,
            f"{perms.CLOSED_NOTICE} : retenir ou écarter une contribution publiée avant la clôture. "
            "Publier un brouillon ou renvoyer une contribution en brouillon n’est plus possible.",
        )
    with transaction.atomic():
        StatusChange.objects.create(
            contribution=contribution,
            previous_status=contribution.status,
            status=status,
            reason=reason,
            changed_by=request.user,
        )
        contribution.status, contribution.status_reason = status, reason
        contribution.save(update_fields=["status", "status_reason", "updated_at"])
    messages.success(request, f"Statut : {contribution.get_status_display()}.")
    return redirect(contribution)
