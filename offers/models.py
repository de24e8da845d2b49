"""The care-offer registry: MSP, CPTS, centres de santé, ESP, hospitals, emergency sites; GP supply.

Contract used by other apps (indicators, proposals through indicators): ``Offer.kind``,
``Offer.status``, ``Offer.commune``, ``Offer.location``, ``Offer.perimeter`` (CPTS),
``GPSupply`` rows of a dataset, ``HospitalActivity`` rows of a dataset. Keep these names stable.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.urls import reverse
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from offers.finess import validate_finess
from territories.constants import WGS84
from territories.models import Commune, Dataset, Departement, Region


class PerimeterSnapshot(models.Model):
    """Extra column of the offer history: the CPTS perimeter as it was, in the same history row.

    ``None`` means "not recorded" (rows written by bulk imports, which never touch perimeters):
    the history shows no perimeter change for them and restoring them leaves the perimeter as is.
    """

    perimeter_codes = models.JSONField("périmètre (codes INSEE)", null=True, blank=True)

    class Meta:
        abstract = True


FINESS_SOURCES = ("finess-hopitaux-publics", "finess-etalab")
# The outlines an offer's commune, département and région would bring along with select_related:
# never shown by registry pages (SpatiaLite converts each one to WKB for every row it sorts).
OUTLINES_OF_COMMUNE = (
    "commune__geometry",
    "commune__geometry_simplified",
    "commune__departement__geometry_simplified",
    "commune__departement__region__geometry_simplified",
)
HOSPITAL_FROM_FINESS_LABEL = "Site d’établissement public de santé (FINESS)"
OFFER_HISTORY = HistoricalRecords(bases=[PerimeterSnapshot])


class Offer(models.Model):
    class Kind(models.TextChoices):
        MSP = "msp", "Maison de santé pluriprofessionnelle (MSP)"
        CPTS = "cpts", "Communauté professionnelle territoriale de santé (CPTS)"
        CENTRE_SANTE = "centre_sante", "Centre de santé"
        ESP = "esp", "Équipe de soins primaires (ESP)"
        # The FINESS files list sites of public health establishments (C.H. category), which are
        # not all hospitals: screening centres (CDAG / CIDDAG), « appartements thérapeutiques »…
        HOSPITAL = "hopital", "Site d’établissement public de santé"
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

    class EmergencyBasis(models.TextChoices):
        NONE = "", "non renseigné"
        NAME = "nom", "déduit du nom de l’établissement (« URGENCES » / « SMUR »), non vérifié"
        CATEGORY = (
            "categorie",
            (
                "proxy : site de centre hospitalier (catégorie FINESS « C.H. ») — "
                "autorisation d’urgences non vérifiée"
            ),
        )
        DECLARED = "saisie", "renseigné par l’ARS"

    kind = models.CharField("type", max_length=20, choices=Kind.choices, db_index=True)
    subkind = models.CharField("sous-type", max_length=20, choices=SubKind.choices, blank=True, default="")
    name = models.CharField("nom", max_length=255)
    finess_et = models.CharField(
        "n° FINESS établissement",
        max_length=9,
        blank=True,
        db_index=True,
        validators=[validate_finess],
        help_text="9 caractères, clé de contrôle vérifiée (ex. 230000820).",
    )
    finess_ej = models.CharField(
        "n° FINESS entité juridique", max_length=9, blank=True, validators=[validate_finess]
    )
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
    # Hospitals: how we know the site has an emergency service / SMUR (the real hospital file only
    # has a flag deduced from the site's name, which is far from the official authorisation list).
    emergency_basis = models.CharField(
        "urgences / SMUR",
        max_length=10,
        choices=EmergencyBasis.choices,
        blank=True,
        default="",
    )
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

    # Forms set ``_perimeter_codes`` before save() (the M2M is written after the row exists), so the
    # history row of a save carries the perimeter that save sets.
    history = OFFER_HISTORY

    class Meta:
        verbose_name = "offre de soins"
        verbose_name_plural = "offres de soins"
        ordering = ["name"]
        constraints = [
            # A FINESS establishment is one offer: two concurrent imports can never duplicate it.
            models.UniqueConstraint(
                fields=["finess_et"],
                condition=~models.Q(finess_et=""),
                name="offer_unique_finess_et",
                violation_error_message="Ce n° FINESS établissement est déjà celui d’une autre offre.",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def get_absolute_url(self):
        return reverse("offers:detail", args=[self.pk])

    @property
    def kind_label(self) -> str:
        """The kind as shown in the UI, saying where a hospital site comes from."""
        if self.kind == self.Kind.HOSPITAL and self.dataset_id and self.dataset.source in FINESS_SOURCES:
            return HOSPITAL_FROM_FINESS_LABEL
        return self.get_kind_display()

    @property
    def is_synthetic(self) -> bool:
        """From a synthetic sample (tagged « synthétique » wherever the offer appears)."""
        return bool(self.dataset_id and self.dataset.is_synthetic)

    @property
    def region(self) -> Region:
        return self.commune.departement.region

    def current_perimeter_codes(self) -> list[str]:
        return sorted(self.perimeter.values_list("code", flat=True)) if self.pk else []


@receiver(pre_create_historical_record)
def _snapshot_perimeter(sender, instance, history_instance, **kwargs):
    if not isinstance(instance, Offer):
        return
    codes = getattr(instance, "_perimeter_codes", None)
    history_instance.perimeter_codes = (
        sorted(codes) if codes is not None else instance.current_perimeter_codes()
    )


@receiver(m2m_changed, sender=Offer.perimeter.through)
def _perimeter_changed_outside_a_form(sender, instance, action, reverse, **kwargs):
    """A perimeter changed directly (shell, script) still gets a history row with its snapshot.
    Forms, the admin and restore record the new perimeter in their own save's row instead."""
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    if getattr(instance, "_perimeter_codes", None) is not None:
        return
    latest = instance.history.order_by("-history_date", "-history_id").first()
    if latest is None or latest.perimeter_codes != instance.current_perimeter_codes():
        if not getattr(instance, "_change_reason", None):
            instance._change_reason = "périmètre modifié hors formulaire"
        OFFER_HISTORY.create_historical_record(instance, "~")


# GPs of this age and over leave the supply (the DREES convention) and are the ones a retirement
# what-if retires.
RETIREMENT_AGE = 65


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
    # Known only from an extraction giving ages (RPPS with birth year): headcount by age.
    aged_65_plus = models.FloatField("effectif de 65 ans et plus", null=True, blank=True)
    ages = models.JSONField("effectif par âge", null=True, blank=True)

    class Meta:
        verbose_name = "offre de médecins généralistes"
        verbose_name_plural = "offres de médecins généralistes"
        constraints = [
            models.UniqueConstraint(fields=["dataset", "commune"], name="gp_supply_unique_per_dataset")
        ]

    def __str__(self):
        return f"{self.commune_id}: {self.headcount} ({self.dataset_id})"


# A commune counting at least this many SIRENE establishments of NAF 86.10Z « activités
# hospitalières » is a « pôle hospitalier » and counts as an emergency site (proxy), see
# offers.api.hospital_poles. Measured on the SIRENE 2019 file: 10 selects 369 of the 2,824 COG 2019
# codes having at least one; mapped to today's communes (merged ones summed), 371 of 2,816 (342
# communes, 29 arrondissements), of which 82 have no emergency site in the FINESS C.H. file.
POLE_HOSPITALIER_MIN_ESTABLISHMENTS = 10
# ``basis`` of the emergency sites that are pôles hospitaliers, not Offer rows (offers.api).
POLE_HOSPITALIER_BASIS = "sirene_pole"
POLE_HOSPITALIER_BASIS_LABEL = (
    "proxy : pôle hospitalier (au moins {n} établissements SIRENE 86.10Z « activités hospitalières » "
    "dans la commune) — présence d’urgences non vérifiée"
)


class HospitalActivity(models.Model):
    """SIRENE establishments of NAF 86.10Z « activités hospitalières » in a commune, by dataset.

    A PROXY written by the SIRENE run of the GP-supply importer (same file, column ``hopital``):
    establishments are not hospitals with an emergency service (SSR, dialysis, psychiatry, HAD…
    are 86.10Z too). Rows hold the counts as the source gives them (COG 2019 codes mapped to
    today's communes, merged communes summed; Paris, Lyon and Marseille by arrondissement, their
    commune gets no sum row); communes with no establishment have no row.
    """

    dataset = models.ForeignKey(
        Dataset, verbose_name="jeu de données", on_delete=models.PROTECT, related_name="hospital_activity"
    )
    commune = models.ForeignKey(
        Commune, verbose_name="commune", on_delete=models.PROTECT, related_name="hospital_activity"
    )
    establishments = models.PositiveIntegerField("établissements SIRENE 86.10Z (proxy)")

    class Meta:
        verbose_name = "activité hospitalière (établissements SIRENE 86.10Z, proxy)"
        verbose_name_plural = "activités hospitalières (établissements SIRENE 86.10Z, proxy)"
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "commune"], name="hospital_activity_unique_per_dataset"
            )
        ]

    def __str__(self):
        return f"{self.commune_id}: {self.establishments} (86.10Z, {self.dataset_id})"


class DoctorZoning(models.Model):
    """ARS zonage médecins généralistes of a commune, as given by one import (latest import wins).

    Rows are a change log: an import writes a row only for communes whose zone or ZRR status
    differs from the current one, so importing other départements never wipes earlier ones.
    """

    class Zone(models.TextChoices):
        ZIP = "ZIP", "Zone d’intervention prioritaire"
        ZAC = "ZAC", "Zone d’action complémentaire"
        HZ = "HZ", "Hors zonage"
        ZAR = "ZAR", "Zone d’accompagnement régional"

    commune = models.ForeignKey(
        Commune, verbose_name="commune", on_delete=models.PROTECT, related_name="doctor_zoning"
    )
    dataset = models.ForeignKey(
        Dataset, verbose_name="jeu de données", on_delete=models.PROTECT, related_name="doctor_zoning"
    )
    zone = models.CharField("zonage médecins", max_length=3, choices=Zone.choices)
    zrr = models.BooleanField("classée en ZRR", null=True, blank=True)

    class Meta:
        verbose_name = "zonage médecins (ARS)"
        verbose_name_plural = "zonages médecins (ARS)"
        constraints = [
            models.UniqueConstraint(fields=["dataset", "commune"], name="doctor_zoning_unique_per_dataset")
        ]

    def __str__(self):
        return f"{self.commune_id}: {self.zone}"


class ProfessionDensity(models.Model):
    """Headcount and density of one health profession in one département, as the Assurance Maladie
    publishes them (« démographie des professionnels de santé », libéraux). ``population`` is the
    population the published density is measured on (headcount × 100 000 / density; children for
    paediatricians, women for gynaecologists and midwives): régions and France are sums over sums
    of these two columns (see :mod:`offers.demography.figures` and :mod:`offers.importers.ameli`)."""

    key = models.CharField("clé", max_length=200, primary_key=True)  # millésime:département:profession
    millesime = models.CharField("millésime", max_length=10, db_index=True)
    profession = models.CharField("profession", max_length=160)
    profession_slug = models.SlugField("profession (code)", max_length=160, db_index=True)
    departement = models.ForeignKey(
        Departement, verbose_name="département", on_delete=models.PROTECT, related_name="profession_densities"
    )
    headcount = models.PositiveIntegerField("effectif")
    density = models.FloatField("densité pour 100 000 hab. (publiée)")
    population = models.FloatField("population sous-jacente")
    is_active = models.BooleanField("en vigueur", default=True)
    dataset = models.ForeignKey(
        Dataset, verbose_name="jeu de données", on_delete=models.PROTECT, related_name="profession_densities"
    )

    class Meta:
        verbose_name = "densité de professionnels de santé (Assurance Maladie)"
        verbose_name_plural = "densités de professionnels de santé (Assurance Maladie)"

    def __str__(self):
        return f"{self.departement_id} {self.profession} {self.millesime}: {self.headcount}"


class ARSAgent(models.Model):
    """An ARS staff member: may create, edit and close offers of their régions only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.CASCADE,
        related_name="ars_agent",
    )
    regions = models.ManyToManyField(Region, verbose_name="régions", related_name="ars_agents")

    class Meta:
        verbose_name = "agent d’ARS"
        verbose_name_plural = "agents d’ARS"

    def __str__(self):
        return f"{self.user} (ARS)"


class ImportConflict(models.Model):
    """A field a re-import would have changed although it was edited by hand: left for review."""

    class Resolution(models.TextChoices):
        OPEN = "", "à examiner"
        KEPT = "kept", "saisie conservée"
        ACCEPTED = "accepted", "valeur importée appliquée"

    offer = models.ForeignKey(Offer, verbose_name="offre", on_delete=models.CASCADE, related_name="conflicts")
    dataset = models.ForeignKey(
        Dataset, verbose_name="import", on_delete=models.PROTECT, related_name="offer_conflicts"
    )
    field = models.CharField("champ", max_length=40)
    current_value = models.JSONField("valeur actuelle (saisie)", null=True)
    imported_value = models.JSONField("valeur du fichier importé", null=True)
    resolution = models.CharField(
        "décision", max_length=10, choices=Resolution.choices, blank=True, default=""
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField("décidé le", null=True, blank=True)
    created_at = models.DateTimeField("relevé le", auto_now_add=True)

    class Meta:
        verbose_name = "conflit d’import"
        verbose_name_plural = "conflits d’import"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.offer} — {self.field}"

    @property
    def field_label(self):
        try:
            return Offer._meta.get_field(self.field).verbose_name
        except Exception:
            return self.field
