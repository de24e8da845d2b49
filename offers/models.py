"""The care-offer registry: MSP, CPTS, centres de santé, ESP, hospitals, emergency sites; GP supply.

Contract used by other apps (indicators, proposals through indicators): ``Offer.kind``,
``Offer.status``, ``Offer.commune``, ``Offer.location``, ``Offer.perimeter`` (CPTS),
``GPSupply`` rows of a dataset. Keep these names stable.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from territories.constants import WGS84
from territories.models import Commune, Dataset, Region


class Offer(models.Model):
    class Kind(models.TextChoices):
        MSP = "msp", "Maison de santé pluriprofessionnelle (MSP)"
        CPTS = "cpts", "Communauté professionnelle territoriale de santé (CPTS)"
        CENTRE_SANTE = "centre_sante", "Centre de santé"
        ESP = "esp", "Équipe de soins primaires (ESP)"
        HOSPITAL = "hopital", "Établissement hospitalier"
        EMERGENCY = "urgences", "Site d’urgences / SMUR"

    class SubKind(models.TextChoices):
        NONE = "", "—"
        MUNICIPAL = "cms", "Centre municipal de santé"
        URGENCES = "urgences", "Service d’urgences"
        SMUR = "smur", "SMUR"

    class Status(models.TextChoices):
        PROJECT = "projet", "En projet"
        OPEN = "ouvert", "En fonctionnement"
        CLOSED = "ferme", "Fermé"

    class LocationPrecision(models.TextChoices):
        EXACT = "exact", "Adresse géolocalisée"
        COMMUNE = "commune", "Placé au point de référence de la commune (pas de coordonnées dans la source)"
        MANUAL = "manuel", "Placé à la main sur la carte"

    kind = models.CharField("type", max_length=20, choices=Kind.choices, db_index=True)
    subkind = models.CharField("sous-type", max_length=20, choices=SubKind.choices, blank=True, default="")
    name = models.CharField("nom", max_length=255)
    finess_et = models.CharField("n° FINESS établissement", max_length=9, blank=True, db_index=True)
    finess_ej = models.CharField("n° FINESS entité juridique", max_length=9, blank=True)
    address = models.CharField("adresse", max_length=255, blank=True)
    commune = models.ForeignKey(
        Commune, verbose_name="commune", on_delete=models.PROTECT, related_name="offers"
    )
    location = models.PointField("localisation", srid=WGS84, null=True, blank=True)
    location_precision = models.CharField(
        "précision de la localisation", max_length=10, choices=LocationPrecision.choices, blank=True
    )
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_on = models.DateField("date d’ouverture", null=True, blank=True)
    closed_on = models.DateField("date de fermeture", null=True, blank=True)
    # Number of professionals by profession where known, e.g. {"medecin_generaliste": 4, "infirmier": 3}.
    professionals = models.JSONField("professionnels par profession", default=dict, blank=True)
    # CPTS only: the perimeter (a set of communes) and the ACI contract.
    perimeter = models.ManyToManyField(
        Commune, verbose_name="périmètre (communes)", blank=True, related_name="cpts_covering"
    )
    aci_signed = models.BooleanField("contrat ACI signé", null=True, blank=True)
    # MSP / ESP may belong to a CPTS.
    cpts = models.ForeignKey(
        "self",
        verbose_name="CPTS de rattachement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        limit_choices_to={"kind": "cpts"},
    )
    dataset = models.ForeignKey(
        Dataset,
        verbose_name="jeu de données d’origine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Values as last imported, to detect hand edits a re-import must not overwrite silently.
    imported_values = models.JSONField(default=dict, blank=True, editable=False)
    version = models.PositiveIntegerField("version", default=1, editable=False)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "offre de soins"
        verbose_name_plural = "offres de soins"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def get_absolute_url(self):
        return reverse("offers:detail", args=[self.pk])

    @property
    def region(self) -> Region:
        return self.commune.departement.region

    @property
    def general_practitioners(self):
        return self.professionals.get("medecin_generaliste")


class GPSupply(models.Model):
    """Supply of general practitioners in a commune, as given by one dataset (source and millésime)."""

    dataset = models.ForeignKey(
        Dataset, verbose_name="jeu de données", on_delete=models.PROTECT, related_name="gp_supply"
    )
    commune = models.ForeignKey(
        Commune, verbose_name="commune", on_delete=models.PROTECT, related_name="gp_supply"
    )
    headcount = models.FloatField("effectif")
    fte = models.FloatField("équivalents temps plein", null=True, blank=True)
    share_aged_60_plus = models.FloatField("part des 60 ans et plus", null=True, blank=True)

    class Meta:
        verbose_name = "offre de médecins généralistes"
        verbose_name_plural = "offres de médecins généralistes"
        constraints = [
            models.UniqueConstraint(fields=["dataset", "commune"], name="gp_supply_unique_per_dataset")
        ]

    def __str__(self):
        return f"{self.commune_id}: {self.headcount} ({self.dataset_id})"
