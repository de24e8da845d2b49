from django.apps import AppConfig


def load_programmes_step(stdout, dry_run=False):
    from django.core.management import call_command

    call_command("load_programmes", dry_run=dry_run, stdout=stdout)


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = "Programmes et contributions"

    def ready(self):
        from proposals import api_v1  # noqa: F401 (registers its part of the API cache key)
        from proposals.sections import fiche_measures, home_consultations, territory_section
        from territories.importing import bootstrap
        from territories.web import sections

        sections.register(territory_section)
        sections.register_fiche(fiche_measures)
        sections.register_home(home_consultations)
        bootstrap.register(30, "programmes et mesures (textes sources du Gouvernement, du PS et de LFI)")(
            load_programmes_step
        )
