"""Builders for the proposals tests: groups with roles, consultations open or closed, contributions."""

from datetime import timedelta

from django.utils import timezone

from proposals.models import Consultation, Contribution, Measure, Membership, WorkingGroup
from tests.factories import make_user


def make_group(slug="federation-creuse", name="Fédération de la Creuse"):
    return WorkingGroup.objects.create(slug=slug, name=name)


def add_member(group, username, role=Membership.Role.MEMBER, **extra):
    user = make_user(username, **extra)
    Membership.objects.create(group=group, user=user, role=role)
    return user


def make_consultation(group, *, state="open", slug=None, measures=()):
    now = timezone.now()
    opens, closes = {
        "open": (now - timedelta(days=1), now + timedelta(days=30)),
        "closed": (now - timedelta(days=30), now - timedelta(days=1)),
        "upcoming": (now + timedelta(days=1), now + timedelta(days=30)),
    }[state]
    consultation = Consultation.objects.create(
        group=group,
        slug=slug or f"{group.slug}-{state}",
        title=f"Consultation {state} — déserts médicaux",
        opens_at=opens,
        closes_at=closes,
    )
    consultation.measures.set(measures)
    return consultation


def make_contribution(consultation, author, *, measure=None, status=Contribution.Status.PUBLISHED, **extra):
    measure = measure or Measure.objects.order_by("pk").first()
    return Contribution.objects.create(
        consultation=consultation,
        author=author,
        measure=measure,
        title=extra.pop("title", "Un centre de santé intercommunal à Guéret"),
        body=extra.pop("body", "Mutualiser **un centre de santé** entre communes."),
        status=status,
        **extra,
    )
