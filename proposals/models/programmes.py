"""Programmes and what they are made of: source documents, axes, facts and measures (targets,
deadlines, linked indicators).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse


class SourceDocument(models.Model):
    """A text a programme is written from (copied in fixtures/proposals/sources/). The copy keeps a
    safe storage name (``file_name``: a number and a hash); pages show ``original_name``, the file's
    human name, always as text."""

    key = models.SlugField("clé", max_length=80, unique=True)
    file_name = models.CharField("fichier (nom de stockage)", max_length=120)
    original_name = models.CharField("nom d’origine du fichier", max_length=200, blank=True)
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
    def display_name(self):
        """The name a reader sees: the original one; without it, the title (never the hash)."""
        return self.original_name or self.title

    @property
    def citation(self):
        return f"{self.display_name} — « {self.title} », {self.author}, {self.date_text}"


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

    def clean(self):
        from proposals.indicators import is_known_indicator

        if self.indicator_code and not is_known_indicator(self.indicator_code):
            raise ValidationError({"indicator_code": "Indicateur inconnu du portail."})
