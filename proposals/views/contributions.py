"""Pages of the contributions: write, edit, read, support, comment, moderate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from proposals import orientation, perms
from proposals.forms import CommentForm, ContributionForm, ModerationForm
from proposals.models import (
    Comment,
    Consultation,
    Contribution,
    StatusChange,
    Support,
)
from proposals.views.posting import limited_posting, refuse


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
