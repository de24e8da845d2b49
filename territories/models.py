"""The territorial base: régions, départements, EPCI, bassins de vie and communes (the atom).

Every zone is a set of communes: a commune points to its département, EPCI and bassin de vie;
custom perimeters hold an explicit set. Reference tables are keyed by official codes.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, FloatField, Func, Q, Sum
from django.urls import get_script_prefix, reverse

from territories.constants import WGS84

_CODE = "00000"  # a placeholder code: the page address of a level is reversed once per prefix
_url_patterns: dict[tuple[str, str], str] = {}


def zone_url(level: str, code: str) -> str:
    """The page of a territory, ``reverse("territories:zone", args=[level, code])`` without the
    ~20 µs of a reverse per row (a département's table lists 200 communes)."""
    prefix = get_script_prefix()
    pattern = _url_patterns.get((level, prefix))
    if pattern is None:
        pattern = _url_patterns[level, prefix] = reverse("territories:zone", args=[level, _CODE])
    if not code or "/" in code or "%" in code or "?" in code or "#" in code:
        return reverse("territories:zone", args=[level, code])  # let reverse quote or refuse it
    return pattern.replace(_CODE, code, 1)


def lon_lat(field: str) -> dict:
    """Annotations ``lon`` and ``lat`` of a point field read as numbers by the database (ST_X /
    ST_Y, PostGIS and SpatiaLite alike; NULL without a point), never through a GEOS object per row:
    ``queryset.annotate(**lon_lat("point"))``."""
    return {
        "lon": Func(F(field), function="ST_X", output_field=FloatField()),
        "lat": Func(F(field), function="ST_Y", output_field=FloatField()),
    }


class Dataset(models.Model):
    """One imported batch of an open-data file: provenance is data (source, licence, millésime)."""

    class Status(models.TextChoices):
        RUNNING = "running", "en cours"
        SUCCEEDED = "succeeded", "réussi"
        FAILED = "failed", "échoué"
        DRY_RUN = "dry_run", "essai à blanc"

    source = models.CharField("source", max_length=80, db_index=True)
    title = models.CharField("intitulé", max_length=255)
    publisher = models.CharField("producteur", max_length=255, blank=True)
    licence = models.CharField("licence", max_length=255)
    attribution = models.TextField("mention obligatoire", blank=True)
    millesime = models.CharField("millésime", max_length=120)
    url = models.URLField("adresse de la source", blank=True)
    file_name = models.CharField("fichier", max_length=255)
    checksum = models.CharField("empreinte SHA-256", max_length=64)
    is_synthetic = models.BooleanField("échantillon synthétique", default=False)
    is_proxy = models.BooleanField("donnée de substitution (proxy)", default=False)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.RUNNING)
    rows_read = models.PositiveIntegerField("lignes lues", default=0)
    rows_created = models.PositiveIntegerField("lignes créées", default=0)
    rows_updated = models.PositiveIntegerField("lignes modifiées", default=0)
    rows_unchanged = models.PositiveIntegerField("lignes inchangées", default=0)
    rows_obsoleted = models.PositiveIntegerField("lignes devenues obsolètes", default=0)
    report = models.JSONField("rapport (codes non appariés, avertissements)", default=dict, blank=True)
    message = models.TextField("message", blank=True)
    started_at = models.DateTimeField("début", auto_now_add=True)
    finished_at = models.DateTimeField("fin", null=True, blank=True)

    class Meta:
        verbose_name = "jeu de données importé"
        verbose_name_plural = "jeux de données importés"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.title} ({self.millesime}) — {self.get_status_display()}"

    @property
    def rows_changed(self):
        return self.rows_created + self.rows_updated + self.rows_obsoleted

    def get_absolute_url(self):
        return reverse("territories:dataset", args=[self.pk])


class Zone(models.Model):
    """Fields common to every stored zone level (a set of communes)."""

    name = models.CharField("nom", max_length=200)
    name_normalized = models.CharField("nom normalisé", max_length=200, db_index=True, editable=False)
    geometry_simplified = models.MultiPolygonField("contour simplifié", srid=WGS84, null=True, blank=True)
    outline_hash = models.CharField(max_length=32, blank=True, editable=False)
    is_active = models.BooleanField("en vigueur", default=True)
    dataset = models.ForeignKey(
        Dataset,
        verbose_name="jeu de données",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # Name of the Commune field pointing at this level (set by each subclass).
    commune_lookup = ""
    level_label = ""
    url_name = ""

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def get_absolute_url(self):
        return zone_url(self.url_name, self.code)

    def communes(self):
        """The communes of the zone (the atom: arrondissements are excluded to avoid double counts)."""
        return Commune.objects.filter(
            is_active=True, kind=Commune.Kind.COMMUNE, **{self.commune_lookup: self}
        )

    @property
    def population(self):
        return self.communes().aggregate(total=Sum("population"))["total"] or 0


class Region(Zone):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)

    commune_lookup = "departement__region"
    level_label = "Région"
    url_name = "region"

    class Meta(Zone.Meta):
        verbose_name = "région"


class Departement(Zone):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    region = models.ForeignKey(
        Region, verbose_name="région", on_delete=models.PROTECT, related_name="departements"
    )

    commune_lookup = "departement"
    level_label = "Département"
    url_name = "departement"

    class Meta(Zone.Meta):
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class EPCI(Zone):
    class Kind(models.TextChoices):
        CC = "CC", "Communauté de communes"
        CA = "CA", "Communauté d’agglomération"
        CU = "CU", "Communauté urbaine"
        METRO = "METRO", "Métropole"
        MET69 = "MET69", "Métropole de Lyon"

    code = models.CharField("SIREN", max_length=9, primary_key=True)
    kind = models.CharField("nature", max_length=5, choices=Kind.choices)

    commune_lookup = "epci"
    level_label = "EPCI"
    url_name = "epci"

    class Meta(Zone.Meta):
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"


class BassinDeVie(Zone):
    code = models.CharField("code BV2022", max_length=5, primary_key=True)

    commune_lookup = "bassin_de_vie"
    level_label = "Bassin de vie"
    url_name = "bassin-de-vie"

    class Meta(Zone.Meta):
        verbose_name = "bassin de vie"
        verbose_name_plural = "bassins de vie"


class TerritoireVieSante(Zone):
    """A territoire de vie-santé (TVS): the mesh on which the ARS decide their zonage médecins.

    Not yet a browsable level of the portal (no outline is published with it): it serves the
    classification « comme le zonage ARS ». Without a TVS file, the bassin de vie 2022 stands in
    for it (the stated approximation)."""

    code = models.CharField("code TVS", max_length=10, primary_key=True)

    commune_lookup = "tvs"
    level_label = "Territoire de vie-santé"
    url_name = "tvs"

    class Meta(Zone.Meta):
        verbose_name = "territoire de vie-santé"
        verbose_name_plural = "territoires de vie-santé"


class Commune(models.Model):
    """The atom. Arrondissements municipaux (75101…) are rows too, pointing at their commune."""

    class Kind(models.TextChoices):
        COMMUNE = "COM", "commune"
        ARRONDISSEMENT = "ARM", "arrondissement municipal"

    class PointSource(models.TextChoices):
        TOWN_HALL = "mairie", "mairie"
        INTERIOR = "interieur", "point intérieur du contour"
        FORMER = "anciennes", "centre des anciennes communes (commune sans contour)"
        ESTIMATED = "estime", "point estimé dans l’EPCI ou le département (commune sans contour)"

    class AAVCategory(models.TextChoices):
        CENTRE = "11", "Commune-centre"
        MAIN_POLE = "12", "Autre commune du pôle principal"
        SECONDARY_POLE = "13", "Commune d’un pôle secondaire"
        CROWN = "20", "Commune de la couronne"
        OUTSIDE = "30", "Commune hors attraction des villes"

    code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=200)
    name_normalized = models.CharField("nom normalisé", max_length=200, db_index=True, editable=False)
    kind = models.CharField("type", max_length=3, choices=Kind.choices, default=Kind.COMMUNE)
    parent = models.ForeignKey(
        "self",
        verbose_name="commune parente",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="arrondissements",
    )
    departement = models.ForeignKey(
        Departement, verbose_name="département", on_delete=models.PROTECT, related_name="communes_set"
    )
    epci = models.ForeignKey(
        EPCI,
        verbose_name="EPCI",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communes_set",
    )
    bassin_de_vie = models.ForeignKey(
        BassinDeVie,
        verbose_name="bassin de vie",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communes_set",
    )
    tvs = models.ForeignKey(
        TerritoireVieSante,
        verbose_name="territoire de vie-santé",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communes_set",
    )
    population = models.PositiveIntegerField("population municipale", null=True, blank=True)
    population_year = models.PositiveSmallIntegerField("millésime de population", null=True, blank=True)
    postal_codes = models.CharField(
        "codes postaux", max_length=255, blank=True, help_text="séparés par des espaces"
    )
    aav_code = models.CharField("aire d’attraction des villes 2020", max_length=3, blank=True)
    aav_category = models.CharField(
        "catégorie AAV 2020", max_length=2, choices=AAVCategory.choices, blank=True
    )
    geometry = models.MultiPolygonField("contour", srid=WGS84, null=True, blank=True)
    geometry_simplified = models.MultiPolygonField("contour simplifié", srid=WGS84, null=True, blank=True)
    point = models.PointField("point de référence", srid=WGS84, null=True, blank=True)
    point_source = models.CharField(
        "origine du point", max_length=10, choices=PointSource.choices, blank=True
    )
    area_km2 = models.FloatField("superficie approchée (km²)", null=True, blank=True)
    is_active = models.BooleanField("en vigueur", default=True)
    geometry_hash = models.CharField(max_length=32, blank=True, editable=False)
    dataset = models.ForeignKey(
        Dataset,
        verbose_name="jeu de données",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "commune"
        ordering = ["name"]
        indexes = [
            models.Index(fields=["postal_codes"]),
            # The few communes with a parent (arrondissements municipaux): pages find a zone's
            # arrondissements without reading the whole parent index (NULL for every commune).
            models.Index(fields=["parent"], name="commune_with_parent", condition=Q(parent__isnull=False)),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def level_label(self):
        return "Arrondissement municipal" if self.kind == self.Kind.ARRONDISSEMENT else "Commune"

    @property
    def postal_code_list(self):
        return self.postal_codes.split()

    def get_absolute_url(self):
        return zone_url("commune", self.code)

    def communes(self):
        """A commune is a zone of one commune (an arrondissement is itself)."""
        return Commune.objects.filter(pk=self.pk)

    def parent_zones(self):
        """Parent zones from the smallest to the largest, skipping unknown links."""
        zones = [self.parent, self.bassin_de_vie, self.epci, self.departement, self.departement.region]
        return [z for z in zones if z is not None]


class CommuneCodeAlias(models.Model):
    """An old or alternative INSEE code (merged communes, COG history) pointing at today's commune."""

    old_code = models.CharField("ancien code", max_length=5, primary_key=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="aliases")

    class Meta:
        verbose_name = "ancien code commune"

    def __str__(self):
        return f"{self.old_code} → {self.commune_id}"


class Perimeter(models.Model):
    """A perimeter drawn by a user or imported (territoire de vie-santé…): an explicit set of communes."""

    name = models.CharField("nom", max_length=200)
    description = models.TextField("description", blank=True)
    communes_set = models.ManyToManyField(Commune, verbose_name="communes", related_name="perimeters")
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="perimeters",
    )
    is_shared = models.BooleanField(
        "partagé", default=False, help_text="visible par tous ; sinon par son auteur seulement"
    )

    level_label = "Périmètre"

    class Meta:
        verbose_name = "périmètre"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def communes(self):
        return self.communes_set.filter(is_active=True).exclude(kind=Commune.Kind.ARRONDISSEMENT)
