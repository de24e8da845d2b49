"""The method text of the two access times says the mean access inside the commune (issue 27): for
databases seeded before it (indicators.runs.reference_data now seeds the new text, also when it restores a flushed database)."""

from django.db import migrations

OLD_GP = "comptant au moins un médecin généraliste (0 si la commune en compte un)."
NEW_GP = (
    "comptant au moins un médecin généraliste (la commune elle-même si elle en compte un), plus l’accès "
    "moyen à l’intérieur de la commune : pour un disque de même superficie, de rayon R = √(superficie/π), "
    "la distance moyenne d’un habitant au centre est 2R/3, parcourue au facteur de détour et à la vitesse "
    "du calcul (superficie inconnue : médiane des communes). Aucun temps ne vaut donc « 0 minute »."
)
OLD_ER = "proche (registre de l’offre, d’après FINESS)."
NEW_ER = (
    "proche (registre de l’offre, d’après FINESS), plus l’accès moyen à l’intérieur de la commune "
    "(2R/3, R = √(superficie/π), au facteur de détour et à la vitesse du calcul)."
)


def forward(apps, schema_editor):
    definitions = apps.get_model("indicators", "IndicatorDefinition")
    for code, old, new in (("temps_mg", OLD_GP, NEW_GP), ("temps_urgences", OLD_ER, NEW_ER)):
        for definition in definitions.objects.filter(code=code):
            if old in definition.method:
                definition.method = definition.method.replace(old, new)
                definition.save(update_fields=["method"])


def backward(apps, schema_editor):
    definitions = apps.get_model("indicators", "IndicatorDefinition")
    for code, old, new in (("temps_mg", OLD_GP, NEW_GP), ("temps_urgences", OLD_ER, NEW_ER)):
        for definition in definitions.objects.filter(code=code):
            if new in definition.method:
                definition.method = definition.method.replace(new, old)
                definition.save(update_fields=["method"])


class Migration(migrations.Migration):
    dependencies = [("indicators", "0012_values_keyed_and_partitioned_by_run")]
    operations = [migrations.RunPython(forward, backward)]
