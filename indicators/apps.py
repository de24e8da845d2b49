import subprocess
import sys
import time

from django.apps import AppConfig


class EngineWarmUp:
    """The engine's compiled kernel (numba, cached on disk) is loaded — after a fresh install,
    compiled, several seconds — in a process of its own while ``load_all`` imports the files; the
    first computation waits for it, then loads the cached machine code at once."""

    def __init__(self):
        self.process = None

    def start(self):
        from django.conf import settings

        code = "from indicators.engine import grid; grid.warm_up()"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=settings.BASE_DIR,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:  # no process to spare: the first computation compiles the kernel itself
            self.process = None

    def wait(self, stdout):
        if self.process is None:
            return
        start = time.perf_counter()
        self.process.wait()
        waited = time.perf_counter() - start
        if waited >= 0.1:
            stdout.write(f"  noyau de calcul compilé (attente {waited:.1f} s)")
        self.process = None


warm_up = EngineWarmUp()


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = "Indicateurs"

    def ready(self):
        from indicators.api import v1  # noqa: F401 (registers its part of the API cache key)
        from indicators.dashboard.cards import key_figure_cards, simulate_facet
        from indicators.dashboard.evolution import evolution_section
        from indicators.dashboard.national import home_map_section
        from indicators.dashboard.sections import access_section, simulate_section
        from indicators.dashboard.where_to_act import where_to_act_fiche, where_to_act_section
        from indicators.runs import triggers
        from territories.importing import bootstrap
        from territories.signals import dataset_imported
        from territories.web import sections

        dataset_imported.connect(triggers.on_dataset_imported, dispatch_uid="indicators-recompute")
        sections.register(access_section)
        sections.register(simulate_section, personal=True)
        sections.register(evolution_section)
        sections.register(where_to_act_section)
        sections.register_fiche(where_to_act_fiche)
        sections.register_cards(key_figure_cards)
        sections.register_facet("simulate", simulate_facet)
        sections.register_home(home_map_section)
        from indicators.perms import staff_nav_links

        sections.register_nav(staff_nav_links)

        @bootstrap.register(1, "indicateurs : recalculs différés jusqu’à la fin des imports")
        def defer_recomputes(stdout, dry_run=False):
            triggers.defer(True)
            if not dry_run:
                warm_up.start()

        @bootstrap.register(30, "indicateurs : APL publiée par la DREES (2022 et 2023)")
        def load_drees_apl(stdout, dry_run=False):
            from django.conf import settings

            from indicators.importers import import_drees_age_weights, import_drees_apl
            from territories.importing.workbooks import reusing_workbooks

            path = settings.FIXTURES_DIR / "indicators" / "apl_generalistes.xlsx"
            with reusing_workbooks():  # the workbook is read and parsed once for its three imports
                for sheet in ("APL 2022", "APL 2023"):
                    dataset = import_drees_apl(path, sheet=sheet, dry_run=dry_run)
                    stdout.write(
                        f"  {sheet} : {dataset.rows_read} communes lues, {dataset.rows_created} valeurs "
                        f"créées, {dataset.rows_updated} modifiées, "
                        f"{dataset.report.get('nombre_codes_non_apparies', 0)} codes hors COG"
                    )
                # the age weights of the latest millésime become the default demand weights (used
                # as soon as an age structure is loaded)
                weights = import_drees_age_weights(path, dry_run=dry_run)
            stdout.write(f"  poids par âge {weights.millesime} : {weights.rows_read} tranches")

        @bootstrap.register(90, "indicateurs : premier calcul (APL, densité, temps d’accès, classement)")
        def compute_first_run(stdout, dry_run=False):
            from indicators.models import ComputationRun

            changed = triggers.defer(False)
            warm_up.wait(stdout)
            if dry_run:
                stdout.write("  essai à blanc : pas de calcul")
                return
            current = ComputationRun.current()
            if current is not None and not changed:
                stdout.write(f"  aucune donnée modifiée : le calcul n° {current.pk} reste à jour")
                return
            from django.core.management import call_command

            call_command("compute_indicators", trigger="bootstrap", stdout=stdout)
