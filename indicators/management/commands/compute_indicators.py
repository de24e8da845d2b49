"""python manage.py compute_indicators [--trigger command] — the same service as the Celery task."""

from django.core.management.base import BaseCommand, CommandError

from indicators.models import ComputationRun
from indicators.runs import services


class Command(BaseCommand):
    help = (
        "Calcule les indicateurs (APL, densité, temps d’accès, classement) et publie le calcul s’il réussit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--trigger", default="command", choices=ComputationRun.Trigger.values)

    def handle(self, *args, trigger, **options):
        try:
            run = services.recompute(trigger)
        except Exception as exc:
            raise CommandError(f"Calcul échoué (les résultats précédents restent affichés) : {exc}") from exc
        france = run.summary.get("france", {})

        def fmt(value, digits):
            return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")

        self.stdout.write(
            f"Calcul n° {run.pk} {run.get_status_display()} en {run.duration or 0:.1f} s ; "
            f"{run.summary.get('communes')} communes ; France : APL {fmt(france.get('apl_mg'), 2)} "
            f"consultations/hab./an{' (estimation)' if run.is_estimate else ''}, "
            f"densité {fmt(france.get('densite_mg'), 1)} "
            + (
                "établissements de médecine générale (proxy des médecins) pour 100 000 hab."
                if run.parameters.get("supply", {}).get("is_proxy")
                else "médecins généralistes pour 100 000 hab."
            )
        )
