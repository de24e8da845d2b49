"""Pages of the amendments to an orientation text: propose, read, support, decide (coordinators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from proposals import orientation, perms
from proposals.forms import (
    AmendmentDecisionForm,
    AmendmentForm,
)
from proposals.models import (
    Amendment,
    SectionVersion,
)
from proposals.views.posting import limited_posting, refuse
from proposals.views.texts import VIEW_REFUSAL, Refused, _guard, _report, _section, _viewable_text


@login_required
@require_http_methods(["GET", "POST"])
@limited_posting
@_guard
def amendment_create(request, slug, number):
    text = _viewable_text(request, slug)
    section = _section(text, number)
    if not perms.can_amend(request.user, text):
        return refuse(
            request,
            "Amender est réservé aux membres du groupe, pendant la période d’amendement "
            f"(actuellement : {text.amendment_phase}).",
        )
    form = AmendmentForm(request.POST or None, initial={"body": section.body})
    if request.method == "POST" and form.is_valid():
        try:
            amendment = orientation.propose_amendment(
                section,
                user=request.user,
                body=form.cleaned_data["body"],
                rationale=form.cleaned_data["rationale"],
            )
        except orientation.OrientationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Amendement n° {amendment.number} déposé.")
            return redirect(amendment)
    return render(
        request,
        "proposals/amendment_form.html",
        {"form": form, "text": text, "consultation": text.consultation, "section": section},
    )


def _amendment(request, pk):
    amendment = get_object_or_404(
        Amendment.objects.select_related("text__consultation__group", "section", "author", "decided_by"),
        pk=pk,
    )
    amendment.text = orientation.proclaim_if_due(amendment.text)
    if not perms.can_view_text(request.user, amendment.text):
        raise Refused(VIEW_REFUSAL)
    return amendment


@require_GET
@_guard
def amendment_detail(request, pk):
    amendment = _amendment(request, pk)
    user = request.user
    base = amendment.section.versions.filter(number=amendment.base_version).first()
    produced = SectionVersion.objects.filter(amendment=amendment).first()
    return render(
        request,
        "proposals/amendment_detail.html",
        {
            "amendment": amendment,
            "text": amendment.text,
            "consultation": amendment.text.consultation,
            "section": amendment.section,
            "diff": orientation.diff_lines(base.body if base else "", amendment.body),
            "produced": produced,
            "fate": orientation.amendment_fate(amendment),
            "support_total": amendment.supports.count(),
            "has_supported": user.is_authenticated and amendment.supports.filter(user=user).exists(),
            "can_support": perms.can_support_amendment(user, amendment),
            "can_decide": perms.can_decide_amendment(user, amendment),
            "decision_form": AmendmentDecisionForm(initial={"merged_body": amendment.body}),
        },
    )


@login_required
@require_POST
@limited_posting
@_guard
def amendment_support(request, pk):
    amendment = _amendment(request, pk)
    if not perms.can_support_amendment(request.user, amendment):
        return refuse(
            request, "Soutien réservé aux autres membres du groupe, pendant la période d’amendement."
        )
    if orientation.support_amendment(amendment, request.user):
        messages.success(request, "Votre soutien est enregistré.")
    else:
        messages.error(request, "Vous soutenez déjà cet amendement : un seul soutien par membre.")
    return redirect(amendment)


@login_required
@require_POST
@limited_posting
@_guard
def amendment_decide(request, pk):
    amendment = _amendment(request, pk)
    if not perms.can_decide_amendment(request.user, amendment):
        return refuse(
            request, "Décision réservée à la coordination, tant que le texte n’est pas soumis au vote."
        )
    form = AmendmentDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            orientation.decide_amendment(
                amendment,
                user=request.user,
                status=data["status"],
                reason=data["reason"],
                merged_body=data["merged_body"],
            )
        except orientation.OrientationError as exc:
            _report(request, exc)
        else:
            amendment.refresh_from_db()
            messages.success(
                request, f"Amendement n° {amendment.number} : {orientation.amendment_fate(amendment)}."
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(amendment)


@login_required
@require_POST
@_guard
def amendments_close(request, slug):
    """The coordination ends the amendment window now, after ticking the confirmation; back to the
    page the form was on (the vote or the text)."""
    text = _viewable_text(request, slug)
    back = (
        "proposals:vote"
        if request.POST.get("retour") == "vote" and hasattr(text, "vote")
        else "proposals:text"
    )
    if not perms.can_close_amendments(request.user, text):
        return refuse(
            request,
            "Clore la période d’amendement revient à la coordination du groupe, pendant cette période "
            f"(actuellement : {text.amendment_phase}).",
        )
    if request.POST.get("confirmer") != "oui":
        messages.error(request, "Cochez la confirmation pour clore la période d’amendement maintenant.")
        return redirect(back, slug)
    try:
        orientation.close_amendments_early(text, user=request.user)
    except orientation.OrientationError as exc:
        _report(request, exc)
    else:
        pending = orientation.pending_amendments(text).count()
        messages.success(
            request,
            "Période d’amendement close : plus aucun amendement ne peut être proposé."
            + (f" Décidez les {pending} amendement(s) en attente, puis ouvrez le vote." if pending else ""),
        )
    return redirect(back, slug)
