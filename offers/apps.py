from django.apps import AppConfig

REPORT_TERMS = {
    "msp": "MSP",
    "cpts": "CPTS",
    "centre_sante": "centres de santé",
    "esp": "ESP",
    "hopital": "sites hospitaliers publics",
    "urgences": "sites d’urgences / SMUR",
    "etablissements": "Établissements",
    "par_type": "Offres par type",
    "par_zone": "Communes par zone du zonage",
    "categories_ignorees": "Catégories FINESS ignorées (hors registre)",
    "sans_coordonnees_place_au_point_de_la_commune": "Sans coordonnées, placés au point de leur commune",
    "coordonnees_hors_de_la_commune": "Coordonnées hors de la commune déclarée",
    "geolocalisation_sans_structureet": "Géolocalisations sans établissement",
    "sites": "Sites",
    "rattaches_a_un_arrondissement_municipal": "Rattachés à un arrondissement municipal",
    "finess_ej_repares": "N° FINESS juridiques réparés",
    "anciens_codes_commune_remplaces": "Anciens codes de commune remplacés",
    "urgences_smur_d_apres_le_nom": "Urgences / SMUR reconnus à leur nom",
    "urgences_proxy_centres_hospitaliers": "Urgences supposées (centres hospitaliers, proxy)",
    "localisation": "Localisation",
    "conflits": "Conflits avec des saisies à la main",
    "nombre_conflits": "Nombre de conflits",
    "retire_le": "Échantillon retiré le",
}


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = "Offre de soins"

    def ready(self):
        from offers import api_v1  # noqa: F401 (registers its part of the API cache key)
        from offers.cards import offer_cards
        from offers.sections import offer_section, superuser_facet
        from territories.importing import bootstrap
        from territories.web import sections

        sections.register(offer_section)
        sections.register_facet("superuser", superuser_facet)
        sections.register_cards(offer_cards)
        from offers.demography.pages import gp_density_card, professions_section

        sections.register(professions_section)
        sections.register_cards(gp_density_card)
        from offers.staff import agent_home, nav_links

        sections.register_nav(nav_links)
        from territories.importing.reports import register_terms

        register_terms(REPORT_TERMS)
        from django.db.models.signals import post_delete, post_save

        from offers.models import Offer
        from offers.registry import forget_loaded_regions
        from territories.models import Dataset

        for model in (Offer, Dataset):
            post_save.connect(
                forget_loaded_regions, sender=model, dispatch_uid=f"registry-{model.__name__}-save"
            )
            post_delete.connect(
                forget_loaded_regions, sender=model, dispatch_uid=f"registry-{model.__name__}-del"
            )
        sections.register_home(agent_home)
        bootstrap.register(
            20,
            "offre de soins (hôpitaux FINESS, médecins SIRENE proxy, zonage ARS, densités Assurance Maladie)",
        )(load_offers)


def load_offers(stdout, dry_run=False):
    """Real files shipped in fixtures/offers (no synthetic sample is loaded here)."""
    from django.core.management import call_command

    call_command("import_hospitals", dry_run=dry_run, stdout=stdout)
    call_command("import_gp_supply", dry_run=dry_run, stdout=stdout)
    # The shipped zonage sample covers three départements (23, 48, 75): a partial file, said so.
    call_command("import_zonage", dry_run=dry_run, partiel=True, stdout=stdout)
    # Official headcounts and densities of 38 professions by département (Assurance Maladie 2024)
    call_command("import_ameli_demography", dry_run=dry_run, stdout=stdout)
