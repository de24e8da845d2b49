"""Models of the indicators app: definitions, computation runs, values, classification rules and results.

Provenance is data: every stored value points to the run that computed it; a run records its
parameters (travel-time provider, APL steps, supply unit conversion), its input datasets, the
classification rule version, its status, progress, duration and its diff with the previous run.
A run becomes *current* only once complete (atomic switch): pages read the current run only.
"""

import numpy as np
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from territories.models import Dataset


class IndicatorDefinition(models.Model):
    """What an indicator measures, in which unit, how and from which sources (seeded by a migration)."""

    code = models.SlugField("code", max_length=40, primary_key=True)
    label = models.CharField("intitulé", max_length=200)
    short_label = models.CharField("intitulé court", max_length=80)
    unit = models.CharField("unité", max_length=120)
    method = models.TextField("méthode")
    source = models.TextField("sources")
    decimals = models.PositiveSmallIntegerField("décimales affichées", default=1)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "définition d’indicateur"
        verbose_name_plural = "définitions d’indicateurs"
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.label} ({self.unit})"

    def get_absolute_url(self):
        return reverse("indicators:definition", args=[self.code])


class ClassificationRule(models.Model):
    """A version of the desert classification thresholds. Versions are never edited once used."""

    version = models.PositiveIntegerField("version", unique=True)
    label = models.CharField("intitulé", max_length=200, default="Classement APL et accès aux urgences")
    underserved_below = models.FloatField(
        "seuil « sous-dense » (APL strictement inférieure à)",
        default=2.5,
        help_text="consultations accessibles par habitant et par an",
    )
    fragile_below = models.FloatField(
        "seuil « fragile » (APL strictement inférieure à)",
        default=4.0,
        help_text="au-delà : « non déficitaire »",
    )
    emergency_minutes = models.FloatField(
        "accès aux urgences : seuil (minutes)",
        default=30.0,
        help_text="au-delà, la commune est signalée « urgences à plus de N minutes »",
    )
    emergency_share = models.FloatField(
        "zones : part de population au-delà du seuil (%) pour signaler la zone",
        default=50.0,
    )

    class Mesh(models.TextChoices):
        COMMUNE = "commune", "commune par commune"
        TVS = "tvs", "territoire de vie-santé (comme le zonage ARS)"

    mesh = models.CharField(
        "maille du classement des communes",
        max_length=10,
        choices=Mesh.choices,
        default=Mesh.COMMUNE,
        help_text="« territoire de vie-santé » : l’APL du TVS (moyenne des APL communales pondérée par la "
        "population) décide de la classe de toutes ses communes ; sans TVS importés, le bassin de vie "
        "2022 en tient lieu (approximation).",
    )
    is_active = models.BooleanField("en vigueur", default=True)
    notes = models.TextField("notes", blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "règle de classement"
        verbose_name_plural = "règles de classement"
        ordering = ["-version"]

    def __str__(self):
        return f"v{self.version} — APL < {self.underserved_below:g} / < {self.fragile_below:g}"

    @classmethod
    def current(cls):
        rule = cls.objects.filter(is_active=True).order_by("-version").first()
        if rule is None:
            rule = cls.objects.create(version=(cls.objects.aggregate(m=models.Max("version"))["m"] or 0) + 1)
        return rule

    def classify_apl(self, apl):
        if apl is None:
            return Classification.AplClass.UNKNOWN
        if apl < self.underserved_below:
            return Classification.AplClass.UNDERSERVED
        if apl < self.fragile_below:
            return Classification.AplClass.FRAGILE
        return Classification.AplClass.SUFFICIENT

    def classify_apls(self, apl) -> np.ndarray:
        """:meth:`classify_apl` of a whole array at once (NaN: « inconnu »), as class codes."""
        apl = np.asarray(apl, dtype=float)
        labels = Classification.AplClass
        return np.where(
            np.isnan(apl),
            labels.UNKNOWN.value,
            np.where(
                apl < self.underserved_below,
                labels.UNDERSERVED.value,
                np.where(apl < self.fragile_below, labels.FRAGILE.value, labels.SUFFICIENT.value),
            ),
        ).astype(object)

    def as_dict(self):
        return {
            "version": self.version,
            "underserved_below": self.underserved_below,
            "fragile_below": self.fragile_below,
            "emergency_minutes": self.emergency_minutes,
            "emergency_share": self.emergency_share,
            "mesh": self.mesh,
        }


class ComputationRun(models.Model):
    """One computation of every indicator and class; values are written under its id."""

    class Status(models.TextChoices):
        PENDING = "pending", "en attente"
        RUNNING = "running", "en cours"
        SUCCEEDED = "succeeded", "réussi"
        FAILED = "failed", "échoué"
        SUPERSEDED = "superseded", "regroupé avec un calcul demandé après"

    class Trigger(models.TextChoices):
        IMPORT = "import", "après un import"
        ADMIN = "admin", "à la demande d’un administrateur"
        COMMAND = "command", "commande manage.py"
        BEAT = "beat", "planification nocturne"
        BOOTSTRAP = "bootstrap", "chargement initial (load_all)"
        TEST = "test", "test"

    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.PENDING)
    is_current = models.BooleanField("résultats affichés", default=False, editable=False)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    step = models.CharField("étape", max_length=200, blank=True)
    trigger = models.CharField("déclencheur", max_length=12, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    trigger_dataset = models.ForeignKey(
        Dataset,
        verbose_name="import déclencheur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parameters = models.JSONField("paramètres", default=dict, blank=True)
    datasets = models.ManyToManyField(Dataset, verbose_name="jeux de données utilisés", related_name="+")
    rule = models.ForeignKey(
        ClassificationRule,
        verbose_name="règle de classement",
        null=True,
        on_delete=models.PROTECT,
        related_name="runs",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name="calcul précédent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_estimate = models.BooleanField("contient des estimations", default=True)
    review = models.CharField(
        "validation",
        max_length=12,
        blank=True,
        default="",
        choices=[
            ("", "publié sans validation"),
            ("held", "à valider"),
            ("published", "publié après validation"),
            ("discarded", "écarté"),
        ],
    )
    hold_reason = models.TextField("motif de la mise en attente", blank=True)
    diff = models.JSONField("écarts avec le calcul précédent", default=dict, blank=True)
    summary = models.JSONField("résumé", default=dict, blank=True)
    task_id = models.CharField("tâche Celery", max_length=64, blank=True)
    error = models.TextField("erreur", blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    started_at = models.DateTimeField("début", null=True, blank=True)
    heartbeat_at = models.DateTimeField("dernier signe de vie", null=True, blank=True)
    finished_at = models.DateTimeField("fin", null=True, blank=True)
    duration = models.FloatField("durée (s)", null=True, blank=True)

    class Meta:
        verbose_name = "calcul des indicateurs"
        verbose_name_plural = "calculs des indicateurs"
        ordering = ["-created_at", "-pk"]
        permissions = [("simulate_whatif", "Peut simuler une évolution de l’offre (what-if)")]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_run"
            )
        ]

    def __str__(self):
        return f"Calcul n° {self.pk} — {self.get_status_display()}"

    def get_absolute_url(self):
        return reverse("indicators:run", args=[self.pk])

    @property
    def is_active(self):
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @classmethod
    def current(cls):
        """The published run (read once per GET request: ``territories.web.memo``)."""
        from territories.web.memo import remembered

        return remembered("run", lambda: cls.objects.filter(is_current=True).select_related("rule").first())


class IndicatorValue(models.Model):
    """The value of one indicator for one zone (commune or any zone level), computed by one run."""

    # ≈ 190,000 rows per run for all of France. The key (run, level, zone, indicator) is the primary
    # key, whose prefix serves every lookup by run, level and zone; no other index, no per-row
    # foreign-key trigger. On PostgreSQL each run's rows are one partition of the table, written by
    # COPY into a fresh table attached when complete (indicators/runs/partitions.py). Integrity is the
    # run's: its rows are written in one transaction under its id, deleted with it, and the
    # indicator codes are the seeded definitions.
    pk = models.CompositePrimaryKey("run", "level", "zone_code", "indicator")
    run = models.ForeignKey(
        ComputationRun, on_delete=models.CASCADE, related_name="values", db_constraint=False, db_index=False
    )
    level = models.CharField("niveau", max_length=20)  # territories.zones levels, or "france"
    zone_code = models.CharField("code de la zone", max_length=12)
    indicator = models.ForeignKey(
        IndicatorDefinition,
        on_delete=models.PROTECT,
        related_name="values",
        db_constraint=False,
        db_index=False,
    )
    value = models.FloatField("valeur", null=True)
    population = models.FloatField("population pondérant la valeur", null=True)

    class Meta:
        verbose_name = "valeur d’indicateur"
        verbose_name_plural = "valeurs d’indicateurs"

    def __str__(self):
        return f"{self.indicator_id} {self.level}:{self.zone_code} = {self.value}"


class Classification(models.Model):
    """The class of a commune or zone for one run (APL class, emergency access, ARS zonage beside)."""

    class AplClass(models.TextChoices):
        UNDERSERVED = "sous_dense", "sous-dense"
        FRAGILE = "fragile", "fragile"
        SUFFICIENT = "non_deficitaire", "non déficitaire"
        UNKNOWN = "inconnu", "non calculé"

    pk = models.CompositePrimaryKey("run", "level", "zone_code")  # partitioned by run, as the values
    run = models.ForeignKey(
        ComputationRun,
        on_delete=models.CASCADE,
        related_name="classifications",
        db_constraint=False,  # written by COPY with the values (see IndicatorValue)
        db_index=False,
    )
    level = models.CharField("niveau", max_length=20)
    zone_code = models.CharField("code de la zone", max_length=12)
    apl_class = models.CharField("classe APL", max_length=20, choices=AplClass.choices)
    emergency_far = models.BooleanField("urgences au-delà du seuil", null=True)
    ars_zone = models.CharField("zonage ARS médecins", max_length=40, blank=True)
    zrr = models.CharField("ZRR", max_length=60, blank=True)
    # Communes: the class of their territoire de vie-santé (or bassin de vie, the approximation),
    # decided on its population-weighted APL, as the ARS zonage does.
    mesh_zone = models.CharField("TVS (ou bassin de vie)", max_length=12, blank=True)
    mesh_apl = models.FloatField("APL du TVS (ou du bassin de vie)", null=True, blank=True)
    mesh_class = models.CharField(
        "classe du TVS (ou du bassin de vie)", max_length=20, choices=AplClass.choices, blank=True
    )

    class Meta:
        verbose_name = "classement"
        verbose_name_plural = "classements"

    def __str__(self):
        return f"{self.level}:{self.zone_code} {self.label}"

    @property
    def label(self):
        text = self.get_apl_class_display()
        if self.emergency_far:
            text += " ; urgences éloignées"
        return text


class TravelTime(models.Model):
    """An imported commune-to-commune travel time (minutes); when present it replaces the estimate."""

    pair = models.CharField("couple origine>destination", max_length=11, primary_key=True)
    origin = models.CharField("commune d’origine", max_length=5, db_index=True)
    destination = models.CharField("commune de destination", max_length=5)
    minutes = models.FloatField("minutes")
    is_active = models.BooleanField("en vigueur", default=True)
    dataset = models.ForeignKey(
        Dataset, verbose_name="jeu de données", on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "temps de trajet importé"
        verbose_name_plural = "temps de trajet importés"

    def __str__(self):
        return f"{self.origin} → {self.destination} : {self.minutes:g} min"


def lean_provenance():
    """The link of a published value to its Dataset. No database constraint (one deferred check
    per row: 140,000 at the commit of an import) and no index: a Dataset is never deleted (no code
    deletes one, the admin forbids it) and PROTECT is still enforced by Django's deletion
    collector. tests/indicators/test_drees_apl.py checks both."""
    return models.ForeignKey(
        Dataset,
        verbose_name="jeu de données",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class PublishedIndicatorValue(models.Model):
    """A value published by a producer (DREES APL per commune…), stored as published.

    It feeds no computation and is never mixed into computation runs: pages show it *beside* the
    computed value, with its own dataset (source, millésime, licence, synthetic flag).
    """

    class Variant(models.TextChoices):
        NO_AGE_LIMIT = "sans_borne", "sans borne d’âge"
        MAX_65 = "moins_65", "médecins de 65 ans et moins"
        MAX_62 = "moins_62", "médecins de 62 ans et moins"

    # ≈ 70,000 rows per millésime, written in one import. Indexes: the key, the commune (a
    # foreign key) and (indicator, commune, active), which every reader filters on; no index of
    # its own on the indicator code (the composite index starts with it) and, on PostgreSQL, no
    # pattern-matching copy of the key or commune indexes (nothing reads them with LIKE: dropped
    # by migration 0015).
    key = models.CharField("clé", max_length=60, primary_key=True)  # indicator:millésime:variant:commune
    indicator_code = models.CharField("code de l’indicateur", max_length=40)
    millesime = models.CharField("millésime", max_length=20)
    variant = models.CharField("variante", max_length=12, choices=Variant.choices)
    commune = models.ForeignKey(
        "territories.Commune", verbose_name="commune", on_delete=models.PROTECT, related_name="+"
    )
    value = models.FloatField("valeur publiée")
    population = models.FloatField("population de pondération publiée", null=True, blank=True)
    population_kind = models.CharField("nature de la population de pondération", max_length=40, blank=True)
    population_total = models.FloatField("population totale publiée", null=True, blank=True)
    source_codes = models.CharField("codes du fichier", max_length=120, blank=True)
    is_active = models.BooleanField("en vigueur", default=True)
    dataset = lean_provenance()  # the import's own Dataset, created before its rows

    class Meta:
        verbose_name = "valeur publiée d’indicateur"
        verbose_name_plural = "valeurs publiées d’indicateurs"
        indexes = [models.Index(fields=["indicator_code", "commune", "is_active"])]

    def __str__(self):
        return f"{self.indicator_code} {self.millesime} {self.variant} {self.commune_id} = {self.value}"


class PublishedZoneValue(models.Model):
    """A published commune value aggregated to a zone as its producer prescribes (the DREES note:
    APL weighted by the standardised population; population under a threshold counted with the
    total population). Derived from ``PublishedIndicatorValue`` in the same transaction as the
    import (``indicators.official.published.aggregate_published``), so pages read one row per zone."""

    indicator_code = models.CharField("code de l’indicateur", max_length=40)
    millesime = models.CharField("millésime", max_length=20)
    variant = models.CharField("variante", max_length=12, choices=PublishedIndicatorValue.Variant.choices)
    level = models.CharField("niveau", max_length=20)
    zone_code = models.CharField("code de la zone", max_length=20)
    value = models.FloatField("valeur agrégée", null=True)
    population_standardised = models.FloatField("population standardisée", default=0)
    population_total = models.FloatField("population totale", default=0)
    population_underserved = models.FloatField("population totale sous le seuil « sous-dense »", default=0)
    population_fragile = models.FloatField("population totale sous le seuil « fragile »", default=0)
    communes = models.PositiveIntegerField("communes publiées", default=0)
    dataset = lean_provenance()  # the import that derived the row

    class Meta:
        verbose_name = "valeur publiée agrégée"
        verbose_name_plural = "valeurs publiées agrégées"
        # One index besides the primary key: the unique key starts with (indicator, level, zone),
        # which every reader filters on (a zone's or a level's values), then millésime and variant.
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_code", "level", "zone_code", "millesime", "variant"],
                name="published_zone_value_unique",
            )
        ]

    def __str__(self):
        return f"{self.indicator_code} {self.millesime} {self.level}:{self.zone_code} = {self.value}"


class DatasetUpload(models.Model):
    """A data file uploaded by an administrator, imported by a Celery task with the same service
    as the matching ``manage.py import_…`` command. The file stays under
    ``MEDIA_ROOT/imports/<token>/<original name>`` (provenance)."""

    class Kind(models.TextChoices):
        FINESS = "finess", "Extraction FINESS etalab cs1100507 (MSP, centres de santé, CPTS, hôpitaux)"
        HOSPITALS = "hospitals", "FINESS — sites des établissements publics de santé (sans coordonnées)"
        GP_SIRENE = "gp_sirene", "Offre de médecins généralistes — établissements SIRENE 86.21Z (proxy)"
        GP_RPPS = "gp_rpps", "Offre de médecins généralistes — extraction Annuaire santé / RPPS"
        ZONAGE = "zonage", "Zonage médecins des ARS (ZIP, ZAC, HZ, ZAR) et ZRR"
        TIME_MATRIX = "time_matrix", "Distancier commune à commune (origin, destination, minutes)"
        DREES_APL = "drees_apl", "APL aux médecins généralistes publiée par la DREES (.xlsx)"
        AGE_STRUCTURE = (
            "age_structure",
            "Population par commune et tranche d’âge (code_commune;tranche_age;population)",
        )
        AGE_WEIGHTS = "age_weights", "Poids de consommation de soins par tranche d’âge (tranche_age;poids)"

    class Status(models.TextChoices):
        PENDING = "pending", "en attente"
        RUNNING = "running", "en cours"
        SUCCEEDED = "succeeded", "réussi"
        DRY_RUN = "dry_run", "essai à blanc réussi"
        FAILED = "failed", "échoué"

    token = models.UUIDField("dossier", unique=True, editable=False)
    kind = models.CharField("type de fichier", max_length=20, choices=Kind.choices)
    original_name = models.CharField("nom du fichier", max_length=255)
    path = models.CharField("chemin (sous MEDIA_ROOT)", max_length=500)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    dry_run = models.BooleanField("essai à blanc", default=False)
    synthetic = models.BooleanField("échantillon synthétique", default=False)
    options = models.JSONField("options", default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="déposé par",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.PENDING)
    dataset = models.ForeignKey(
        Dataset,
        verbose_name="jeu de données",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.TextField("message", blank=True)
    problems = models.JSONField("problèmes (fichier, ligne, champ, motif)", default=list, blank=True)
    task_id = models.CharField("tâche Celery", max_length=64, blank=True)
    created_at = models.DateTimeField("déposé le", auto_now_add=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "fichier déposé pour import"
        verbose_name_plural = "fichiers déposés pour import"
        ordering = ["-created_at", "-pk"]
        permissions = [("upload_dataset", "Peut déposer un fichier de données à importer")]

    def __str__(self):
        return f"{self.original_name} ({self.get_kind_display()}) — {self.get_status_display()}"

    def get_absolute_url(self):
        return reverse("indicators:upload", args=[self.pk])

    @property
    def is_active(self):
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


class AgePopulation(models.Model):
    """Population of one commune in one age band, from an imported age structure (census).

    One current structure: a new file replaces it (rows absent from it are marked obsolete).
    Used, with :class:`AgeWeight`, to standardise the APL demand by age (``indicators.runs.demand``).
    """

    key = models.CharField("clé", max_length=40, primary_key=True)  # commune:band
    commune = models.ForeignKey(
        "territories.Commune", verbose_name="commune", on_delete=models.PROTECT, related_name="+"
    )
    band = models.CharField("tranche d’âge", max_length=30)
    population = models.PositiveIntegerField("population")
    source_codes = models.CharField("codes du fichier", max_length=120, blank=True)
    is_active = models.BooleanField("en vigueur", default=True)
    dataset = models.ForeignKey(
        Dataset, verbose_name="jeu de données", on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "population par tranche d’âge"
        verbose_name_plural = "populations par tranche d’âge"
        indexes = [models.Index(fields=["is_active", "commune"])]

    def __str__(self):
        return f"{self.commune_id} {self.band} : {self.population}"


class AgeWeight(models.Model):
    """Relative consumption of GP care of one age band (e.g. as published by the DREES for its APL)."""

    band = models.CharField("tranche d’âge", max_length=30, primary_key=True)
    weight = models.FloatField("poids (consommation relative)")
    is_active = models.BooleanField("en vigueur", default=True)
    dataset = models.ForeignKey(
        Dataset, verbose_name="jeu de données", on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = "poids de consommation par tranche d’âge"
        verbose_name_plural = "poids de consommation par tranche d’âge"

    def __str__(self):
        return f"{self.band} : {self.weight:g}"


from indicators.simulate.models import ExactPlan  # noqa: E402, F401 (the planning jobs, registered with the app)
