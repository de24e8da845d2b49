"""Stored exact answers of planning requests (integer programs solved by HiGHS in a Celery task),
kept with their parameters like a computation run so that the page, the export and the API show
the same result and the same request is never solved twice. Imported by ``indicators.models``."""

from django.conf import settings
from django.db import models


class ExactPlan(models.Model):
    class Kind(models.TextChoices):
        NEED = "besoin", "Nombre minimal de médecins pour atteindre le seuil"
        PLAN = "plan", "Placement optimal de N médecins"

    class Status(models.TextChoices):
        PENDING = "pending", "en attente"
        RUNNING = "running", "en cours"
        OPTIMAL = "optimal", "optimum prouvé"
        TIME_LIMIT = "time_limit", "limite de temps atteinte"
        INFEASIBLE = "infeasible", "impossible"
        FAILED = "failed", "échec"

    key = models.CharField("clé de la demande", max_length=64, unique=True)
    kind = models.CharField("nature", max_length=10, choices=Kind.choices)
    run = models.ForeignKey(
        "indicators.ComputationRun",
        verbose_name="calcul (bassin de patientèle)",
        on_delete=models.CASCADE,
        related_name="exact_plans",
    )
    millesime = models.CharField("millésime de l’APL officielle", max_length=20)
    zone_level = models.CharField("niveau", max_length=20)
    zone_code = models.CharField("code", max_length=20)
    zone_name = models.CharField("territoire", max_length=200)
    parameters = models.JSONField("paramètres", default=dict)
    time_limit = models.PositiveIntegerField("limite de temps (s)", default=60)
    status = models.CharField("statut", max_length=12, choices=Status.choices, default=Status.PENDING)
    step = models.CharField("étape", max_length=200, blank=True)
    objective = models.FloatField("meilleure solution", null=True, blank=True)
    bound = models.FloatField("borne prouvée", null=True, blank=True)
    gap = models.FloatField("écart relatif prouvé", null=True, blank=True)
    greedy = models.FloatField("solution gloutonne", null=True, blank=True)
    lp_bound = models.FloatField("relaxation linéaire", null=True, blank=True)
    result = models.JSONField("placement et détails", default=dict, blank=True)
    seconds = models.FloatField("durée de résolution (s)", null=True, blank=True)
    error = models.TextField("erreur", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    finished_at = models.DateTimeField("fin", null=True, blank=True)

    class Meta:
        app_label = "indicators"
        verbose_name = "plan exact"
        verbose_name_plural = "plans exacts"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.zone_name} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.OPTIMAL, self.Status.TIME_LIMIT)
