"""Pages of the working groups and their consultations: lists, detail, export, creation, edition and
phases (open, close).
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from proposals import orientation, perms
from proposals.consultations import phase_order
from proposals.forms import ConsultationForm
from proposals.models import (
    Consultation,
    Contribution,
    WorkingGroup,
)
from proposals.views import exports
from proposals.views.contributions import _ranked
from proposals.views.posting import refuse


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
            "role": perms.role_label(request.user, group),
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
