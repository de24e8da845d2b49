"""Import reports as French sentences: every importer stores a small dict (``Dataset.report``);
pages show it as « Offres par type : 3 MSP, 1 CPTS », never as a raw dictionary.

Apps register the words of their own keys and codes (``register_terms`` in ``AppConfig.ready``);
an unknown key is shown with its underscores replaced by spaces.
"""

import re

from django.utils.formats import number_format

_terms = {
    # keys of the territories importers
    "communes": "Communes",
    "departements": "Départements",
    "regions": "Régions",
    "epci": "EPCI",
    "contours": "Contours",
    "points": "Points de référence",
    "anciens_codes": "Anciens codes de commune",
    "anciens_codes_ecrits": "Anciens codes enregistrés (communes fusionnées)",
    "communes_sans_epci": "Communes sans EPCI",
    "communes_sans_contour": "Communes sans contour",
    "communes_sans_point": "Communes sans point de référence",
    "communes_2026_sans_bassin_de_vie": "Communes sans bassin de vie",
    "membres_epci_inconnus": "Membres d’EPCI inconnus du COG",
    "codes_2024_non_apparies": "Codes 2024 non appariés",
    "fusions_2024_2026": "Fusions de communes 2024-2026",
    "contours_repares": "Contours réparés",
    "contours_de_zones_recalcules": "Contours de zones recalculés",
    "codes_non_apparies": "Codes hors COG",
    "nombre_codes_non_apparies": "Nombre de codes hors COG",
    "codes_fusionnes": "Codes de communes fusionnées rattachés",
    "valeurs_vides": "Valeurs vides",
    "feuille": "Feuille",
    "unites": "Unités",
    "identique_au_jeu": "Fichier identique au jeu n°",
    # the reading layer (territories.importing.readers) and the coverage of national files
    "lecture": "Lecture des fichiers",
    "format": "format",
    "encodage": "encodage",
    "separateur": "séparateur",
    "compression": "compression",
    "lignes_de_titre_ignorees": "lignes de titre ignorées",
    "reprojete_depuis": "reprojeté en WGS84 depuis",
    "codes_completes_par_des_zeros": "codes complétés par leurs zéros de tête",
    "couverture": "Couverture du fichier",
    "departements_couverts": "Départements couverts",
    "departements_charges": "Départements chargés",
    "departements_mis_a_jour": "Départements mis à jour (fichier partiel)",
    "codes_hors_des_departements_charges": "Codes de départements non chargés (ignorés)",
    "codes_inconnus_ignores": "Codes inconnus ignorés (sur demande)",
    "codes_geo_inconnus_du_cog": "Codes inconnus du COG (ignorés sur demande)",
    "communes_obsoletes_par_departement": "Communes rendues obsolètes, par département",
    "communes_non_listees_laissees_telles_quelles": "Communes absentes du fichier partiel, laissées intactes",
    "colonnes_ignorees": "Colonnes lues mais ignorées (non utilisées par l’import)",
    "contours_inchanges_a_la_tolerance_pres": "Contours identiques au mètre près (non réécrits)",
    "contours_de_zones_invalides": "Contours de zones invalides après l’import (doit être 0)",
    "communes_sans_contour_avec_point_estime": "Communes sans contour dotées d’un point estimé (d’après)",
    "territoires_de_vie_sante": "Territoires de vie-santé",
    "communes_sans_tvs": "Communes sans territoire de vie-santé",
    "communes_reprises_du_jeu_precedent": "Communes d’autres départements reprises du jeu précédent",
}


def register_terms(mapping: dict[str, str]) -> None:
    _terms.update(mapping)


def term(key) -> str:
    """The words of a key; an unknown identifier loses its underscores, a file name or a code
    is shown as is."""
    key = str(key)
    if key in _terms:
        return _terms[key]
    return key.replace("_", " ") if re.fullmatch("[A-Za-z0-9_]+", key) and "_" in key else key


def _number(value) -> str:
    return number_format(value, force_grouping=True) if isinstance(value, int | float) else str(value)


def _value(value, limit=15) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, dict):
        if not value:
            return "aucun"
        parts = [
            # « 3 MSP » for a known word, « 124 : 5 » for a bare code
            f"{_number(v)} {term(k)}"
            if isinstance(v, int | float) and str(k) in _terms
            else f"{term(k)} : {_value(v)}"
            for k, v in value.items()
        ]
        return ", ".join(parts)
    if isinstance(value, list | tuple):
        if not value:
            return "aucun"
        shown = ", ".join(_value(v) for v in value[:limit])
        more = f" … et {_number(len(value) - limit)} autres" if len(value) > limit else ""
        return f"{_number(len(value))} : {shown}{more}"
    return str(value)


def report_lines(report) -> list[tuple[str, str]]:
    """(label, text) pairs, in the report's order."""
    if not isinstance(report, dict):
        return []
    return [(term(key)[:1].upper() + term(key)[1:], _value(value)) for key, value in report.items()]
