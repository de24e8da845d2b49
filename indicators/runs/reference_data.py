"""Reference data of the indicators app: the indicator definitions and the first classification
rule. Seeded by migration 0002 (which imports this module) and restored, idempotently, by a run if a
flushed database lost them. Nothing here imports a model at import time (migrations import it)."""

DEFINITIONS = [
    {
        "code": "densite_mg",
        "order": 10,
        "decimals": 1,
        "label": "Densité de médecins généralistes",
        "short_label": "Densité de généralistes",
        "unit": "médecins généralistes pour 100 000 habitants",
        "method": (
            "Nombre de médecins généralistes de la commune (équivalents temps plein quand la source les "
            "donne, sinon effectif ; avec le proxy SIRENE, nombre d’établissements NAF 86.21Z) rapporté "
            "à la population municipale, × 100 000.\n"
            "Territoires : moyenne des communes pondérée par la population, soit le total des médecins "
            "rapporté à la population totale × 100 000."
        ),
        "source": (
            "Offre de médecins généralistes : jeu de données importé courant (RPPS / Annuaire santé quand il est "
            "disponible ; à défaut le proxy SIRENE 2019, signalé comme estimation). Population : populations "
            "légales INSEE diffusées avec le COG."
        ),
    },
    {
        "code": "apl_mg",
        "order": 20,
        "decimals": 2,
        "label": "Accessibilité potentielle localisée (APL) aux médecins généralistes",
        "short_label": "APL médecins généralistes",
        "unit": "consultations accessibles par habitant et par an",
        "method": (
            "Méthode de la DREES : E2SFCA (aire flottante à deux étapes) entre points de référence des "
            "communes. Offre au point de la commune, exprimée en consultations par an = médecins (ETP, sinon "
            "effectif) × un nombre de consultations par médecin et par an, paramètre affiché de chaque calcul. "
            "Demande = population municipale (standardisée par âge quand une structure par âge est importée ; "
            "ce n’est pas encore le cas). Aire de 20 minutes ; pondération 1 sous 10 minutes, 2/3 de 10 à "
            "15, 1/3 de 15 à 20 (paramètres du calcul).\n"
            "Avec l’offre issue du proxy SIRENE ou des temps à vol d’oiseau, la valeur est une estimation et "
            "ne se compare pas directement à l’APL publiée par la DREES.\n"
            "Paris, Lyon, Marseille : calcul par arrondissement municipal ; la commune reçoit la moyenne "
            "pondérée de ses arrondissements. Territoires : moyenne pondérée par la population."
        ),
        "source": (
            "Offre de médecins généralistes (jeu importé courant) ; populations légales INSEE ; points des "
            "communes IGN ADMIN EXPRESS ; temps de trajet estimés ou distancier importé."
        ),
    },
    {
        "code": "temps_mg",
        "order": 30,
        "decimals": 1,
        "label": "Temps d’accès à la commune la plus proche ayant un médecin généraliste",
        "short_label": "Temps d’accès au généraliste",
        "unit": "minutes",
        "method": (
            "Temps de trajet du point de référence de la commune vers celui de la commune la plus proche "
            "comptant au moins un médecin généraliste (la commune elle-même si elle en compte un), plus "
            "l’accès moyen à l’intérieur de la commune : pour un disque de même superficie, de rayon "
            "R = √(superficie/π), la distance moyenne d’un habitant au centre est 2R/3, parcourue au facteur "
            "de détour et à la vitesse du calcul (superficie inconnue : médiane des communes). Aucun temps "
            "ne vaut donc « 0 minute ». Temps estimé par "
            "défaut : distance à vol d’oiseau en Lambert-93 × facteur de détour ÷ vitesse (paramètres du "
            "calcul) ; remplacé par le distancier importé quand il existe. Territoires : moyenne pondérée "
            "par la population."
        ),
        "source": "Offre de médecins généralistes (jeu importé courant) ; points des communes IGN ADMIN EXPRESS.",
    },
    {
        "code": "temps_urgences",
        "order": 40,
        "decimals": 1,
        "label": "Temps d’accès au site d’urgences le plus proche",
        "short_label": "Temps d’accès aux urgences",
        "unit": "minutes",
        "method": (
            "Temps de trajet du point de référence de la commune vers le site d’urgences ou SMUR le plus "
            "proche (registre de l’offre, d’après FINESS), plus l’accès moyen à l’intérieur de la commune "
            "(2R/3, R = √(superficie/π), au facteur de détour et à la vitesse du calcul). Temps estimé par "
            "défaut (vol d’oiseau × facteur "
            "de détour ÷ vitesse), remplacé par le distancier importé quand il existe. Territoires : "
            "moyenne pondérée par la population."
            " Limite des données ouvertes disponibles : les sites d’urgences sont ceux du registre ; "
            "l’extrait FINESS public chargé ne contient que les centres hospitaliers (C.H.), de métropole, "
            "sans autorisation d’urgences (proxy : tout site de C.H., sauf ex-hôpitaux locaux), sans "
            "CHU/CHR ni cliniques privées ; les communes comptant au moins 10 établissements SIRENE 86.10Z "
            "(« pôles hospitaliers », proxy) complètent la liste — ce qui surestime la présence d’urgences "
            "dans les villes moyennes dotées de cliniques ; outre-mer non couvert par FINESS "
            "(valeurs « France » = France métropolitaine)."
        ),
        "source": "Sites d’urgences du registre (FINESS : C.H. publics, proxy) ; points des communes IGN ADMIN EXPRESS.",
    },
    {
        "code": "part_pop_urgences_30min",
        "order": 50,
        "decimals": 1,
        "label": "Part de la population à plus de 30 minutes des soins urgents",
        "short_label": "Population à plus de 30 min des urgences",
        "unit": "% de la population",
        "method": (
            "Pacte territoire santé, engagement 9 (accès aux soins urgents en moins de 30 minutes) : part "
            "de la population municipale dont la commune est à plus de 30 minutes du site d’urgences le "
            "plus proche (temps estimé ou distancier)."
            " Limite des données ouvertes disponibles : les sites d’urgences sont ceux du registre ; "
            "l’extrait FINESS public chargé ne contient que les centres hospitaliers (C.H.), de métropole, "
            "sans autorisation d’urgences (proxy : tout site de C.H., sauf ex-hôpitaux locaux), sans "
            "CHU/CHR ni cliniques privées ; les communes comptant au moins 10 établissements SIRENE 86.10Z "
            "(« pôles hospitaliers », proxy) complètent la liste — ce qui surestime la présence d’urgences "
            "dans les villes moyennes dotées de cliniques ; outre-mer non couvert par FINESS "
            "(valeurs « France » = France métropolitaine)."
        ),
        "source": (
            "Sites d’urgences du registre (FINESS : C.H. publics, proxy) ; populations légales INSEE ; "
            "points IGN ADMIN EXPRESS."
        ),
    },
]


def seed(apps, schema_editor):
    IndicatorDefinition = apps.get_model("indicators", "IndicatorDefinition")
    ClassificationRule = apps.get_model("indicators", "ClassificationRule")
    for data in DEFINITIONS:
        IndicatorDefinition.objects.update_or_create(code=data["code"], defaults=data)
    if not ClassificationRule.objects.exists():
        ClassificationRule.objects.create(
            version=1,
            label="Classement APL et accès aux urgences",
            underserved_below=2.5,
            fragile_below=4.0,
            emergency_minutes=30.0,
            emergency_share=50.0,
            notes="Seuils initiaux : sous-dense APL < 2,5 ; fragile 2,5 à 4 ; non déficitaire ≥ 4.",
        )


def ensure_reference_data():
    """Indicator definitions and a first classification rule exist (seeded by migration 0002;
    restored here, idempotently, if a flushed database lost them)."""
    from django.apps import apps

    from indicators.models import ClassificationRule, IndicatorDefinition

    missing = set(d["code"] for d in DEFINITIONS) - set(
        IndicatorDefinition.objects.values_list("code", flat=True)
    )
    if missing or not ClassificationRule.objects.exists():
        seed(apps, None)  # never reached in normal operation: edits are not overwritten
