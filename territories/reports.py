"""Import reports as French sentences: every importer stores a small dict (``Dataset.report``);
pages show it as « Offres par type : 3 MSP, 1 CPTS », never as a raw dictionary.

Apps register the words of their own keys and codes (``register_terms`` in ``AppConfig.ready``);
an unknown key is shown with its underscores replaced by spaces.
"""

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
}


def register_terms(mapping: dict[str, str]) -> None:
    _terms.update(mapping)


def term(key) -> str:
    key = str(key)
    return _terms.get(key) or key.replace("_", " ")


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
