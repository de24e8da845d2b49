"""The sources of the registry's importers: default files, producers, millésimes and licences."""

from django.conf import settings

from territories.importing.contract import (
    SourceInfo,
)

DEFAULT_DIR = settings.FIXTURES_DIR / "offers"


HOSPITALS_FILE = "finess_centres_hospitaliers_2023.csv"


SIRENE_FILE = "PS_communes_sirene_2019.csv.gz"


ZONAGE_FILE = "zonage_medecins_23_48_75.csv"


GP_SOURCES = ("rpps-annuaire-sante", "sirene-86-21z")  # preferred first


HOSPITALS = SourceInfo(
    source="finess-hopitaux-publics",
    title="FINESS — sites des centres hospitaliers publics (métropole)",
    publisher="Ministère de la Santé et DREES (FINESS), "
    "extraction via jeremtti/medical_desert_disease_prevalence",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="FINESS, ministère de la Santé / DREES",
    millesime="extraction FINESS 2023 (date exacte non documentée)",
    url="https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/",
)


SIRENE = SourceInfo(
    source="sirene-86-21z",
    title="Médecins généralistes : établissements SIRENE 86.21Z — proxy",
    publisher="INSEE (base SIRENE), agrégation virgilus/desert-medicaux-global",
    licence="Licence Ouverte / Etalab 2.0 (données SIRENE) ; agrégation sous licence MIT",
    attribution="INSEE, base SIRENE des entreprises et de leurs établissements ; © 2019 Mag3",
    millesime="stock SIRENE début 2019 (codes COG 2019)",
    url="https://github.com/virgilus/desert-medicaux-global",
    is_proxy=True,
)


RPPS = SourceInfo(
    source="rpps-annuaire-sante",
    title="Médecins généralistes : Annuaire santé (RPPS), extraction en libre accès",
    publisher="Agence du numérique en santé (Annuaire santé)",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="Annuaire santé, Agence du numérique en santé",
    millesime="",
    url="https://annuaire.sante.fr/web/site-pro/extractions-publiques",
)


ZONAGE = SourceInfo(
    source="ars-zonage-medecins",
    title="Zonage médecins généralistes des ARS (ZIP, ZAC, HZ, ZAR) et ZRR",
    publisher="Agences régionales de santé, via Alternantsauvage/ZonageMed",
    licence="Licence Ouverte / Etalab 2.0 (données administratives publiques)",
    attribution="ARS, zonage médecins en vigueur ; à vérifier contre les arrêtés",
    millesime="zonage en vigueur mi-2025",
    url="https://github.com/Alternantsauvage/ZonageMed",
)


FINESS = SourceInfo(
    source="finess-etalab",
    title="FINESS — extraction des établissements géolocalisés (etalab cs1100507)",
    publisher="Ministère de la Santé et DREES (FINESS)",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="FINESS, ministère de la Santé / DREES",
    millesime="",
    url="https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/",
)


NO_DATA_ROW = "aucune ligne de données (fichier vide ou tronqué ?)"


SYNTHETIC_LICENCE = "échantillon synthétique fabriqué pour les tests (aucune donnée réelle)"


def _mark_synthetic(info: SourceInfo) -> None:
    """A hand-made sample in an official layout: say so in the title, licence and attribution."""
    info.is_synthetic = True
    info.title += " — échantillon synthétique"
    info.licence = SYNTHETIC_LICENCE
    info.publisher = f"échantillon fabriqué à la main au format de : {info.publisher}"
    info.attribution = "aucune (données fictives)"
