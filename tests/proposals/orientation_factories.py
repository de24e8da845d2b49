"""Builders for the orientation-text tests: a consultation with contributions, a text with sections,
an amendment window, and a vote ready to open."""

from datetime import timedelta

from django.utils import timezone

from proposals import orientation
from proposals.models import Membership, OrientationText

from .factories import add_member, make_consultation, make_contribution, make_group


def make_world(measure, *, members=3, slug="federation-creuse"):
    """A group with a coordinator and ``members`` members, another group with one member, a closed
    consultation with two published contributions."""
    group = make_group(slug=slug, name="Fédération de la Creuse")
    coordinator = add_member(group, f"{slug}-coord", role=Membership.Role.COORDINATOR)
    people = [add_member(group, f"{slug}-m{i}") for i in range(1, members + 1)]
    other = make_group(slug=f"{slug}-autre", name="Fédération du Cantal")
    outsider = add_member(other, f"{slug}-autre-m1")
    consultation = make_consultation(group, state="closed", slug=f"{slug}-2019", measures=[measure])
    contributions = [
        make_contribution(
            consultation, people[0], measure=measure, title="Un centre de santé par bassin de vie"
        ),
        make_contribution(
            consultation,
            people[1],
            measure=measure,
            title="Réguler l’installation",
            zone_level="departement",
            zone_code="23",
            zone_name="Creuse",
        ),
    ]
    return {
        "group": group,
        "coordinator": coordinator,
        "members": people,
        "other_group": other,
        "outsider": outsider,
        "consultation": consultation,
        "contributions": contributions,
        "measure": measure,
    }


def make_text(world, *, amendments="open"):
    now = timezone.now()
    window = {
        "open": (now - timedelta(days=1), now + timedelta(days=7)),
        "closed": (now - timedelta(days=8), now - timedelta(minutes=1)),
        "none": (None, None),
    }[amendments]
    text = OrientationText.objects.create(
        consultation=world["consultation"],
        title="Santé et territoires : texte d’orientation",
        amendments_open_at=window[0],
        amendments_close_at=window[1],
        created_by=world["coordinator"],
    )
    c1, c2 = world["contributions"]
    s1 = orientation.save_section(
        text,
        user=world["coordinator"],
        title="Des centres de santé dans chaque bassin de vie",
        body="Ouvrir un centre de santé **par bassin de vie** sous-doté.",
        contributions=[c1],
        measures=[world["measure"]],
    )
    s2 = orientation.save_section(
        text,
        user=world["coordinator"],
        title="L’installation des médecins",
        body="Encourager l’installation dans les zones sous-denses.",
        contributions=[c2],
        territories=[("departement", "23", "Creuse")],
    )
    return text, s1, s2


def open_vote_with_point(world, text, section, *, quorum=25):
    vote = orientation.prepare_vote(
        text,
        user=world["coordinator"],
        closes_at=timezone.now() + timedelta(days=7),
        quorum_percent=quorum,
        groups=[world["group"]],
    )
    point = orientation.add_point(
        vote,
        section=section,
        title="Faut-il réguler l’installation ?",
        options=[
            ("Réguler", "Conditionner l’installation en zone sur-dense à un départ."),
            ("Inciter", "Renforcer les aides à l’installation en zone sous-dense."),
        ],
    )
    text.refresh_from_db()
    return orientation.open_vote(vote), point


def ballot(vote, adoption="Pour", point=None):
    """{question id: option id} choosing by label."""
    choices = {}
    for question in vote.questions.prefetch_related("options"):
        wanted = adoption if question.kind == question.Kind.ADOPTION else point
        choices[question.pk] = next(o.pk for o in question.options.all() if o.label == wanted)
    return choices


def close_vote(vote):
    """Time passes: the closing date is now behind us."""
    type(vote).objects.filter(pk=vote.pk).update(
        opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now() - timedelta(seconds=1)
    )
    vote.refresh_from_db()
    return vote
