"""The orientation text of a consultation: sections and their versions, amendments, the members'
secret vote (questions, options, participations).
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from proposals.models.groups import Consultation, Contribution, WorkingGroup
from proposals.models.programmes import Measure


class OrientationText(models.Model):
    """The text a consultation ends in: sections drafted by the coordinators from the contributions,
    amended by the members during a window, then put to the members' vote and frozen once adopted."""

    class State(models.TextChoices):
        DRAFTING = "redaction", "En rédaction"
        VOTING = "vote", "Soumis au vote"
        ADOPTED = "adopte", "Adopté"
        REJECTED = "rejete", "Non adopté"

    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="orientation_text"
    )
    title = models.CharField("titre", max_length=300)
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.DRAFTING)
    amendments_open_at = models.DateTimeField("ouverture des amendements", null=True, blank=True)
    amendments_close_at = models.DateTimeField("clôture des amendements", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    decided_at = models.DateTimeField("résultat proclamé le", null=True, blank=True)
    final_text = models.JSONField("texte figé à la proclamation", null=True, blank=True)
    final_checksum = models.CharField("empreinte SHA-256 du texte figé", max_length=64, blank=True)

    class Meta:
        verbose_name = "texte d’orientation"
        verbose_name_plural = "textes d’orientation"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amendments_close_at__gt=models.F("amendments_open_at"))
                | models.Q(amendments_open_at__isnull=True)
                | models.Q(amendments_close_at__isnull=True),
                name="orientation_amendments_close_after_opening",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("proposals:text", args=[self.consultation.slug])

    @property
    def amendment_phase(self):
        """« non prévue », « à venir », « ouverte » or « close »."""
        if not self.amendments_open_at or not self.amendments_close_at:
            return "non prévue"
        now = timezone.now()
        if now < self.amendments_open_at:
            return "à venir"
        return "ouverte" if now < self.amendments_close_at else "close"


class TextEvent(models.Model):
    """Append-only history of the text's own life outside its sections: who, when, what (e.g. the
    amendment window closed before its date so that the vote may open)."""

    class Kind(models.TextChoices):
        AMENDMENTS_CLOSED = "amendements_clos", "Période d’amendement close par anticipation"

    text = models.ForeignKey(OrientationText, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("événement", max_length=30, choices=Kind.choices)
    detail = models.TextField("détail", blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="par"
    )
    at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "événement du texte"
        verbose_name_plural = "événements du texte"
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.at:%d/%m/%Y %H:%M})"


class TextSection(models.Model):
    text = models.ForeignKey(OrientationText, on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("titre", max_length=300)
    body = models.TextField("texte (Markdown)")
    contributions = models.ManyToManyField(
        Contribution, verbose_name="contributions reprises", blank=True, related_name="sections"
    )
    measures = models.ManyToManyField(
        Measure, verbose_name="mesures concernées", blank=True, related_name="orientation_sections"
    )
    version = models.PositiveIntegerField("version", default=1)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "section du texte d’orientation"
        verbose_name_plural = "sections du texte d’orientation"
        ordering = ["text", "number"]
        constraints = [models.UniqueConstraint(fields=["text", "number"], name="section_unique_number")]

    def __str__(self):
        return f"Section {self.number} — {self.title}"

    def get_absolute_url(self):
        return f"{self.text.get_absolute_url()}#section-{self.number}"


class SectionTerritory(models.Model):
    """A territory a section concerns (every zone is a set of communes: level and code)."""

    section = models.ForeignKey(TextSection, on_delete=models.CASCADE, related_name="territories")
    level = models.CharField("niveau", max_length=20)
    code = models.CharField("code", max_length=20)
    name = models.CharField("nom", max_length=200)

    class Meta:
        verbose_name = "territoire d’une section"
        verbose_name_plural = "territoires des sections"
        ordering = ["section", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["section", "level", "code"], name="section_territory_unique")
        ]
        indexes = [models.Index(fields=["level", "code"], name="section_territory_zone_idx")]

    def __str__(self):
        return self.name


class SectionVersion(models.Model):
    """Append-only history of a section: who, when, what (the whole section as it then was)."""

    section = models.ForeignKey(TextSection, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("version")
    title = models.CharField("titre", max_length=300)
    body = models.TextField("texte")
    contribution_ids = models.JSONField("contributions reprises", default=list)
    measure_ids = models.JSONField("mesures concernées", default=list)
    territories = models.JSONField("territoires", default=list)
    note = models.CharField("nature du changement", max_length=300)
    amendment = models.ForeignKey(
        "Amendment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "version d’une section"
        verbose_name_plural = "versions des sections"
        ordering = ["section", "number"]
        constraints = [models.UniqueConstraint(fields=["section", "number"], name="section_version_unique")]

    def __str__(self):
        return f"{self.section} v{self.number}"


class Amendment(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "depose", "Déposé"
        ACCEPTED = "accepte", "Accepté"
        MERGED = "fusionne", "Fusionné"
        REFUSED = "refuse", "Refusé"

    DECIDED = (Status.ACCEPTED, Status.MERGED, Status.REFUSED)

    text = models.ForeignKey(OrientationText, on_delete=models.CASCADE, related_name="amendments")
    section = models.ForeignKey(TextSection, on_delete=models.CASCADE, related_name="amendments")
    number = models.PositiveIntegerField("numéro")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField("rédaction proposée pour la section (Markdown)")
    rationale = models.TextField("exposé des motifs (Markdown)", blank=True)
    base_version = models.PositiveIntegerField("version amendée")
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.PROPOSED)
    decision_reason = models.TextField("motif de la décision", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    created_at = models.DateTimeField("déposé le", auto_now_add=True)

    class Meta:
        verbose_name = "amendement"
        verbose_name_plural = "amendements"
        ordering = ["text", "number"]
        constraints = [models.UniqueConstraint(fields=["text", "number"], name="amendment_unique_number")]

    def __str__(self):
        return f"Amendement n° {self.number} à la section {self.section.number}"

    def get_absolute_url(self):
        return reverse("proposals:amendment", args=[self.pk])


class AmendmentSupport(models.Model):
    amendment = models.ForeignKey(Amendment, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "soutien à un amendement"
        verbose_name_plural = "soutiens aux amendements"
        constraints = [
            models.UniqueConstraint(fields=["amendment", "user"], name="amendment_support_one_per_member")
        ]

    def __str__(self):
        return f"{self.user} soutient l’amendement {self.amendment_id}"


class Vote(models.Model):
    """The members' vote on the final text. Secret: the database keeps, per option, a count, and,
    per member, only that they have voted (``Participation``) — no row ties a member to a choice."""

    text = models.OneToOneField(OrientationText, on_delete=models.CASCADE, related_name="vote")
    groups = models.ManyToManyField(
        WorkingGroup, verbose_name="groupes appelés à voter", related_name="votes"
    )
    opens_at = models.DateTimeField("ouverture", null=True, blank=True)
    closes_at = models.DateTimeField("clôture")
    quorum_percent = models.PositiveSmallIntegerField("quorum (% des membres appelés à voter)", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    eligible_count = models.PositiveIntegerField("membres appelés à voter (à l’ouverture)", null=True)

    class Meta:
        verbose_name = "vote"
        verbose_name_plural = "votes"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quorum_percent__lte=100), name="vote_quorum_percent_max_100"
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True) | models.Q(closes_at__gt=models.F("opens_at")),
                name="vote_closes_after_opening",
            ),
        ]

    def __str__(self):
        return f"Vote sur « {self.text} »"

    def get_absolute_url(self):
        return reverse("proposals:vote", args=[self.text.consultation.slug])

    @property
    def phase(self):
        """« en préparation », « ouvert » or « clos » (from the dates: enforced on the server)."""
        if self.opens_at is None:
            return "en préparation"
        return "ouvert" if timezone.now() < self.closes_at else "clos"


class VoteQuestion(models.Model):
    class Kind(models.TextChoices):
        ADOPTION = "adoption", "Adoption du texte"
        POINT = "point", "Point en débat"

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveSmallIntegerField("numéro")
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.POINT)
    title = models.CharField("question", max_length=300)
    section = models.ForeignKey(
        TextSection, null=True, blank=True, on_delete=models.PROTECT, related_name="vote_questions"
    )

    class Meta:
        verbose_name = "question soumise au vote"
        verbose_name_plural = "questions soumises au vote"
        ordering = ["vote", "number"]
        constraints = [models.UniqueConstraint(fields=["vote", "number"], name="vote_question_unique")]

    def __str__(self):
        return self.title


class VoteOption(models.Model):
    question = models.ForeignKey(VoteQuestion, on_delete=models.CASCADE, related_name="options")
    number = models.PositiveSmallIntegerField("numéro")
    label = models.CharField("option", max_length=300)
    text = models.TextField("rédaction de la section si cette option l’emporte (Markdown)", blank=True)
    is_abstention = models.BooleanField("abstention", default=False)
    count = models.PositiveIntegerField("voix", default=0)

    class Meta:
        verbose_name = "option"
        verbose_name_plural = "options"
        ordering = ["question", "number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="vote_option_unique")]

    def __str__(self):
        return self.label


class Participation(models.Model):
    """That a member has voted (once: a unique constraint), and the day — never what."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voted_on = models.DateField("a voté le")

    class Meta:
        verbose_name = "émargement"
        verbose_name_plural = "émargements"
        constraints = [models.UniqueConstraint(fields=["vote", "user"], name="participation_one_per_member")]

    def __str__(self):
        return f"{self.user} a voté"


class SealedBallot(models.Model):
    """One ballot in the sealed box (``proposals.orientation.ballot_box``): a random identifier, the
    vote, and the sealed choices — no author, no timestamp, no reference to an option. Opened and
    deleted when the result is proclaimed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="sealed_ballots")
    sealed = models.BinaryField("bulletin scellé")

    class Meta:
        verbose_name = "bulletin scellé"
        verbose_name_plural = "bulletins scellés"

    def __str__(self):
        return "bulletin scellé"
