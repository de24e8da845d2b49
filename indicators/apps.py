from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = "Indicateurs"

    def ready(self):
        from territories import bootstrap, sections
        from territories.signals import dataset_imported

        from . import triggers
        from .sections import access_section

        dataset_imported.connect(triggers.on_dataset_imported, dispatch_uid="indicators-recompute")
        sections.register(access_section)

        @bootstrap.register(1, "indicateurs : recalculs différés jusqu’à la fin des imports")
        def defer_recomputes(stdout, dry_run=False):
            triggers.defer(True)

        @bootstrap.register(90, "indicateurs : premier calcul (APL, densité, temps d’accès, classement)")
        def compute_first_run(stdout, dry_run=False):
            from .models import ComputationRun

            changed = triggers.defer(False)
            if dry_run:
                stdout.write("  essai à blanc : pas de calcul")
                return
            current = ComputationRun.current()
            if current is not None and not changed:
                stdout.write(f"  aucune donnée modifiée : le calcul n° {current.pk} reste à jour")
                return
            from django.core.management import call_command

            call_command("compute_indicators", trigger="bootstrap", stdout=stdout)
