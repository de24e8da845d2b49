"""Pages of the members' vote on an orientation text: prepare the points, open the vote, vote
(secretly), the proclaimed result, the adopted text and the tally as exports.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from proposals import orientation, perms
from proposals.forms import (
    PointForm,
    VoteForm,
)
from proposals.views import exports
from proposals.views.posting import limited_posting, refuse
from proposals.views.texts import EDIT_REFUSAL, _guard, _report, _text, _viewable_text


@login_required
@require_http_methods(["GET", "POST"])
@limited_posting
@_guard
def vote_prepare(request, slug):
    text = _viewable_text(request, slug)
    if not perms.can_edit_text(request.user, text):
        return refuse(request, EDIT_REFUSAL)
    vote = getattr(text, "vote", None)
    initial = {"groups": [text.consultation.group]}
    if vote is not None:
        initial = {
            "closes_at": vote.closes_at,
            "quorum_percent": vote.quorum_percent,
            "groups": vote.groups.all(),
        }
    form = VoteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            orientation.prepare_vote(
                text,
                user=request.user,
                closes_at=data["closes_at"],
                quorum_percent=data["quorum_percent"],
                groups=data["groups"],
            )
        except orientation.OrientationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Vote préparé : ajoutez les points en débat, puis ouvrez-le.")
            return redirect("proposals:vote", slug)
    return render(
        request,
        "proposals/vote_form.html",
        {"form": form, "text": text, "consultation": text.consultation, "vote": vote},
    )


@login_required
@require_http_methods(["GET", "POST"])
@limited_posting
@_guard
def point_create(request, slug):
    text = _viewable_text(request, slug)
    vote = getattr(text, "vote", None)
    if vote is None or not perms.can_edit_text(request.user, text):
        return refuse(request, EDIT_REFUSAL)
    form = PointForm(request.POST or None, text=text)
    if request.method == "POST" and form.is_valid():
        try:
            orientation.add_point(
                vote,
                section=form.cleaned_data["section"],
                title=form.cleaned_data["title"],
                options=form.options(),
            )
        except orientation.OrientationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Point ajouté au vote.")
            return redirect("proposals:vote", slug)
    return render(
        request,
        "proposals/point_form.html",
        {"form": form, "text": text, "consultation": text.consultation, "vote": vote},
    )


@login_required
@require_POST
@_guard
def vote_open(request, slug):
    text = _viewable_text(request, slug)
    vote = getattr(text, "vote", None)
    if vote is None or not perms.can_edit_text(request.user, text):
        return refuse(request, EDIT_REFUSAL)
    try:
        orientation.open_vote(vote)
    except orientation.OrientationError as exc:
        _report(request, exc)
    else:
        messages.success(request, "Le vote est ouvert : le texte ne change plus.")
    return redirect("proposals:vote", slug)


@require_GET
@_guard
def vote_detail(request, slug):
    text = _viewable_text(request, slug)
    vote = getattr(text, "vote", None)
    if vote is None:
        raise Http404("Aucun vote n’est prévu pour ce texte.")
    user = request.user
    questions = list(vote.questions.prefetch_related("options").select_related("section"))
    return render(
        request,
        "proposals/vote_detail.html",
        {
            "text": text,
            "consultation": text.consultation,
            "vote": vote,
            "questions": questions,
            "groups": vote.groups.all(),
            "tally": orientation.tally(vote) if perms.can_view_turnout(user, vote) else None,
            "can_view_results": perms.can_view_results(user, vote),
            "can_vote": perms.can_vote(user, vote),
            "has_voted": orientation.has_voted(user, vote),
            "is_eligible": orientation.is_eligible(user, vote),
            "can_edit": perms.can_edit_text(user, text),
            "can_close_amendments": perms.can_close_amendments(user, text),
            "pending": orientation.pending_amendments(text).count() if perms.can_edit_text(user, text) else 0,
            "rule": orientation.QUORUM_RULE.format(quorum=vote.quorum_percent),
        },
    )


@login_required
@require_POST
@limited_posting
@_guard
def vote_cast(request, slug):
    """A ballot: one option per question (``q<question id>`` = option id). The confirmation names no
    choice (messages live in the session, which administrators could read)."""
    text = _viewable_text(request, slug)
    vote = getattr(text, "vote", None)
    if vote is None:
        raise Http404("Aucun vote n’est prévu pour ce texte.")
    choices = {}
    for key, value in request.POST.items():
        if key.startswith("q"):
            try:
                choices[int(key[1:])] = int(value)
            except ValueError:
                messages.error(request, "Bulletin non valable : une option ne correspond pas à ce vote.")
                return redirect("proposals:vote", slug)
    try:
        orientation.cast_ballot(vote, request.user, choices)
    except orientation.OrientationError as exc:
        _report(request, exc)
    else:
        messages.success(request, "A voté : votre bulletin est enregistré. Il est secret et définitif.")
    return redirect("proposals:vote", slug)


def _proclaimed(request, slug):
    text = _text(slug)
    if text.final_text is None:
        raise Http404("Le résultat du vote n’est pas encore proclamé.")
    return text


@require_GET
def adopted_text(request, slug, fmt="html"):
    text = _proclaimed(request, slug)
    if fmt == "pdf":
        return exports.orientation_pdf(text, request.build_absolute_uri("/"))
    if fmt != "html":
        raise Http404("Format inconnu")
    return render(
        request,
        "proposals/adopted_text.html",
        {"text": text, "consultation": text.consultation, "final": text.final_text},
    )


@require_GET
def tally_export(request, slug, fmt):
    text = _proclaimed(request, slug)
    if fmt not in ("csv", "json"):
        raise Http404("Format inconnu")
    return exports.tally_csv(text) if fmt == "csv" else exports.tally_json(text)
