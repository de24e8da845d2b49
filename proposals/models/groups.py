"""Working groups and their consultations: members, contributions with their moderation history,
supports and comments.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from proposals.models.programmes import Measure, Programme


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
