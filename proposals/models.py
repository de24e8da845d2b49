"""Programmes, measures (targets, deadlines, linked indicators), working groups and contributions.

Seed programmes come from ``fixtures/proposals/programmes.json`` (loaded by ``load_programmes``);
each measure cites the source document it is written from. A measure links to what measures its
progress by an indicator code of ``indicators.api`` (stored as a string, read at display time).
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone


class SourceDocument(models.Model):
    """A text a programme is written from (copied in fixtures/proposals/sources/)."""

    key = models.SlugField("clé", max_length=80, unique=True)
    file_name = models.CharField("fichier", max_length=120)
    title = models.CharField("titre", max_length=300)
    author = models.CharField("auteur", max_length=300)
    date = models.DateField("date", null=True, blank=True)
    date_text = models.CharField("date telle que connue", max_length=300)
    checksum = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    note = models.TextField("note de provenance", blank=True)

    class Meta:
        verbose_name = "document source"
        verbose_name_plural = "documents sources"
        ordering = ["key"]

    def __str__(self):
        return f"{self.title} ({self.author}, {self.date_text})"

    @property
    def citation(self):
        return f"{self.file_name} — « {self.title} », {self.author}, {self.date_text}"


class Programme(models.Model):
    class AuthorKind(models.TextChoices):
        GOVERNMENT = "gouvernement", "Gouvernement"
        PARTY = "parti", "Parti politique"
        PARLIAMENTARY_GROUP = "groupe_parlementaire", "Groupe parlementaire"

    slug = models.SlugField("identifiant", max_length=80, unique=True)
    title = models.CharField("titre", max_length=300)
    author = models.CharField("auteur", max_length=300)
    author_kind = models.CharField("type d’auteur", max_length=30, choices=AuthorKind.choices)
    date = models.DateField("date", null=True, blank=True)
    date_text = models.CharField("date telle que donnée par le texte", max_length=300)
    summary = models.TextField("présentation", blank=True)
    source = models.ForeignKey(
        SourceDocument, verbose_name="document source", on_delete=models.PROTECT, related_name="programmes"
    )
    item_label = models.CharField("nom d’une mesure dans le texte", max_length=30, default="mesure")
    order = models.PositiveIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "programme"
        verbose_name_plural = "programmes"
        ordering = ["order", "slug"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("proposals:programme", args=[self.slug])


class Axis(models.Model):
    """A part of a programme as the text titles it (e.g. the three objectives of the Pacte)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="axes")
    number = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("titre", max_length=400)

    class Meta:
        verbose_name = "axe"
        verbose_name_plural = "axes"
        ordering = ["programme", "number"]
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="axis_unique_number")]

    def __str__(self):
        return f"{self.number}. {self.title}"


class Fact(models.Model):
    """A fact a text reports or a date of its calendar, quoted as written."""

    class Kind(models.TextChoices):
        FACT = "fait", "Fait rapporté"
        CALENDAR = "calendrier", "Calendrier"
        GOVERNANCE = "pilotage", "Pilotage"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="facts")
    number = models.PositiveSmallIntegerField("numéro")
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.FACT)
    quote = models.TextField("citation")
    value = models.DecimalField("valeur", max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField("unité", max_length=80, blank=True)
    date = models.DateField("date", null=True, blank=True)
    date_text = models.CharField("date telle que donnée", max_length=200, blank=True)
    indicator_code = models.CharField("indicateur comparable", max_length=60, blank=True)

    class Meta:
        verbose_name = "fait ou échéance"
        verbose_name_plural = "faits et échéances"
        ordering = ["programme", "number"]
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="fact_unique_number")]

    def __str__(self):
        return self.quote[:80]


class Measure(models.Model):
    class Theme(models.TextChoices):
        INSTALLATION = "installation", "Installation et répartition des médecins"
        TRAINING = "formation", "Formation des professionnels"
        COORDINATED = "exercice_coordonne", "Exercice coordonné (MSP, CPTS, ESP, centres de santé)"
        URGENT = "soins_urgents", "Soins urgents et non programmés"
        HOSPITAL = "hopital", "Hôpital et proximité"
        DIGITAL = "numerique", "Télémédecine et numérique"
        PREVENTION = "prevention", "Prévention et promotion de la santé"
        MENTAL = "sante_mentale", "Santé mentale"
        AUTONOMY = "autonomie", "Autonomie et grand âge"
        GOVERNANCE = "gouvernance", "Gouvernance territoriale et démocratie sanitaire"
        FINANCIAL_ACCESS = "acces_financier", "Accès financier aux soins"
        PROFESSIONS = "professions", "Métiers, rémunérations et compétences"

    class Lever(models.TextChoices):
        INCENTIVE = "incitation", "Incitation"
        REGULATION = "regulation", "Régulation"
        TRAINING = "formation", "Formation"
        ORGANISATION = "organisation", "Organisation des soins"
        FUNDING = "financement", "Financement"
        PREVENTION = "prevention", "Prévention"
        DIGITAL = "numerique", "Numérique"
        SALARIED = "salariat", "Salariat et offre publique"
        GOVERNANCE = "gouvernance", "Gouvernance et concertation"
        UNSPECIFIED = "non_precise", "Levier non précisé par le texte"

    class Status(models.TextChoices):
        ANNOUNCED = "annoncee", "Annoncée (engagement du Gouvernement)"
        PROPOSED = "proposee", "Proposée (programme ou texte d’orientation)"
        IN_PROGRESS = "en_cours", "En cours (selon le texte source)"
        DONE = "realisee", "Réalisée"
        ABANDONED = "abandonnee", "Abandonnée"

    class Direction(models.TextChoices):
        AT_LEAST = "au_moins", "au moins"
        AT_MOST = "au_plus", "au plus"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="measures")
    axis = models.ForeignKey(Axis, on_delete=models.PROTECT, null=True, blank=True, related_name="measures")
    number = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("intitulé", max_length=500)
    quote = models.TextField("texte cité")
    theme = models.CharField("thème", max_length=30, choices=Theme.choices)
    lever = models.CharField("levier", max_length=20, choices=Lever.choices)
    status = models.CharField("statut", max_length=20, choices=Status.choices)
    target_text = models.CharField("objectif tel qu’écrit", max_length=500, blank=True)
    target_value = models.DecimalField("valeur cible", max_digits=12, decimal_places=2, null=True, blank=True)
    target_unit = models.CharField("unité de la cible", max_length=120, blank=True)
    target_direction = models.CharField(
        "sens de la cible", max_length=10, choices=Direction.choices, default=Direction.AT_LEAST
    )
    target_note = models.TextField("note sur la cible", blank=True)
    deadline = models.DateField("échéance", null=True, blank=True)
    deadline_text = models.CharField("échéance telle qu’écrite", max_length=200, blank=True)
    indicator_code = models.CharField("indicateur de suivi", max_length=60, blank=True)
    indicator_note = models.CharField("lien entre la mesure et l’indicateur", max_length=400, blank=True)

    class Meta:
        verbose_name = "mesure"
        verbose_name_plural = "mesures"
        ordering = ["programme__order", "programme__slug", "number"]
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="measure_unique_number")]

    def __str__(self):
        return f"{self.programme.title} — n° {self.number} : {self.title}"

    def get_absolute_url(self):
        return reverse("proposals:measure", args=[self.programme.slug, self.number])

    @property
    def has_quantified_target(self):
        return self.target_value is not None

    def clean(self):
        from .indicators import is_known_indicator

        if self.indicator_code and not is_known_indicator(self.indicator_code):
            raise ValidationError({"indicator_code": "Indicateur inconnu du portail."})


class WorkingGroup(models.Model):
    """A group contributing to the programmes (e.g. a fédération), with members and coordinators."""

    slug = models.SlugField("identifiant", max_length=80, unique=True)
    name = models.CharField("nom", max_length=200)
    description = models.TextField("présentation", blank=True)
    programme = models.ForeignKey(
        Programme,
        verbose_name="programme de référence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="working_groups",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="working_groups", blank=True
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "groupe de travail"
        verbose_name_plural = "groupes de travail"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("proposals:group", args=[self.slug])


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "membre", "Membre"
        COORDINATOR = "coordination", "Coordinateur ou coordinatrice"

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=20, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField("depuis le", auto_now_add=True)

    class Meta:
        verbose_name = "adhésion"
        verbose_name_plural = "adhésions"
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} — {self.group} ({self.get_role_display()})"


class Consultation(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="consultations")
    slug = models.SlugField("identifiant", max_length=80, unique=True)
    title = models.CharField("titre", max_length=300)
    description = models.TextField("présentation (Markdown)", blank=True)
    opens_at = models.DateTimeField("ouverture")
    closes_at = models.DateTimeField("clôture")
    measures = models.ManyToManyField(
        Measure, verbose_name="mesures soumises à la consultation", blank=True, related_name="consultations"
    )
    rules = models.TextField("règles de la consultation (Markdown)", blank=True)
    scope_level = models.CharField("niveau du territoire concerné", max_length=20, blank=True)
    scope_code = models.CharField("code du territoire concerné", max_length=20, blank=True)
    scope_name = models.CharField("territoire concerné", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="créée par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("modifiée le", auto_now=True, null=True)

    class Meta:
        verbose_name = "consultation"
        verbose_name_plural = "consultations"
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="consultation_closes_after_opening",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("proposals:consultation", args=[self.slug])

    def is_open(self, now=None):
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    @property
    def phase(self):
        now = timezone.now()
        if now < self.opens_at:
            return "à venir"
        return "ouverte" if now < self.closes_at else "close"


class Contribution(models.Model):
    class Status(models.TextChoices):
        DRAFT = "brouillon", "Brouillon"
        PUBLISHED = "publiee", "Publiée"
        RETAINED = "retenue", "Retenue"
        DISCARDED = "ecartee", "Écartée"

    PUBLIC_STATUSES = (Status.PUBLISHED, Status.RETAINED, Status.DISCARDED)
    REASON_REQUIRED = (Status.RETAINED, Status.DISCARDED)

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="contributions")
    measure = models.ForeignKey(
        Measure, verbose_name="mesure", on_delete=models.PROTECT, related_name="contributions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contributions"
    )
    title = models.CharField("titre", max_length=200)
    body = models.TextField("texte (Markdown)")
    zone_level = models.CharField("niveau du territoire", max_length=20, blank=True)
    zone_code = models.CharField("code du territoire", max_length=20, blank=True)
    zone_name = models.CharField("territoire", max_length=200, blank=True)
    status = models.CharField(
        "statut", max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_reason = models.TextField("motif du statut", blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "contribution"
        verbose_name_plural = "contributions"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["zone_level", "zone_code"], name="contribution_zone_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("proposals:contribution", args=[self.pk])

    @property
    def is_public(self):
        return self.status in self.PUBLIC_STATUSES


class StatusChange(models.Model):
    """Append-only history of moderation decisions: who, when, why."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="status_changes")
    previous_status = models.CharField("statut précédent", max_length=20, choices=Contribution.Status.choices)
    status = models.CharField("nouveau statut", max_length=20, choices=Contribution.Status.choices)
    reason = models.TextField("motif", blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="par"
    )
    changed_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "changement de statut"
        verbose_name_plural = "changements de statut"
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.contribution_id}: {self.previous_status} → {self.status}"


class Support(models.Model):
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supports")
    created_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "soutien"
        verbose_name_plural = "soutiens"
        constraints = [
            models.UniqueConstraint(fields=["contribution", "user"], name="support_one_per_member")
        ]

    def __str__(self):
        return f"{self.user} soutient {self.contribution_id}"


class Comment(models.Model):
    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField("commentaire (Markdown)")
    created_at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "commentaire"
        verbose_name_plural = "commentaires"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.author} sur {self.contribution_id}"


# Orientation text, amendments and the members' vote ---------------------------------------------


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
    """One ballot in the sealed box (``proposals.ballot_box``): a random identifier, the vote, and the
    sealed choices — no author, no timestamp, no reference to an option. Opened and deleted when the
    result is proclaimed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="sealed_ballots")
    sealed = models.BinaryField("bulletin scellé")

    class Meta:
        verbose_name = "bulletin scellé"
        verbose_name_plural = "bulletins scellés"

    def __str__(self):
        return "bulletin scellé"
