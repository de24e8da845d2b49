from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = "Offre de soins"

    def ready(self):
        from territories import bootstrap, sections

        from .cards import offer_cards
        from .sections import offer_section

        sections.register(offer_section)
        sections.register_cards(offer_cards)
        from .staff import agent_home, nav_links

        sections.register_nav(nav_links)
        from django.db.models.signals import post_delete, post_save

        from territories.models import Dataset

        from .models import Offer
        from .registry import forget_loaded_regions

        for model in (Offer, Dataset):
            post_save.connect(
                forget_loaded_regions, sender=model, dispatch_uid=f"registry-{model.__name__}-save"
            )
            post_delete.connect(
                forget_loaded_regions, sender=model, dispatch_uid=f"registry-{model.__name__}-del"
            )
        sections.register_home(agent_home)
        bootstrap.register(20, "offre de soins (hôpitaux FINESS, médecins SIRENE proxy, zonage ARS)")(
            load_offers
        )


def load_offers(stdout, dry_run=False):
    """Real files shipped in fixtures/offers (no synthetic sample is loaded here)."""
    from django.core.management import call_command

    call_command("import_hospitals", dry_run=dry_run, stdout=stdout)
    call_command("import_gp_supply", dry_run=dry_run, stdout=stdout)
    call_command("import_zonage", dry_run=dry_run, stdout=stdout)
