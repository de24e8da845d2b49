"""python manage.py compare_apl [--millesime 2023] [--top 10] — recomputed APL vs the official one."""

from django.core.management.base import BaseCommand, CommandError

from indicators.api.values import fixed_fr as fr
from indicators.official.comparison import compare


class Command(BaseCommand):
    help = (
        "Compare l’APL recalculée par le portail (calcul courant) à l’APL officielle de la DREES : "
        "corrélations, erreur moyenne pondérée par la population, part de la population dans la même "
        "classe, et les plus grands écarts avec leur cause probable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--millesime", default=None, help="millésime DREES (défaut : le plus récent)")
        parser.add_argument("--top", type=int, default=10, help="nombre d’écarts listés (défaut 10)")

    def handle(self, *args, millesime, top, **options):
        try:
            result = compare(millesime=millesime, top=top)
        except ValueError as exc:
            raise CommandError(f"Comparaison impossible : {exc}") from exc
        run = result["run"]
        low, high = result["limits"]
        w = self.stdout.write
        w(f"APL recalculée (calcul n° {run.pk}) contre APL officielle DREES {result['millesime']}")
        w(
            f"  communes comparées : {result['communes']} (seulement DREES : {result['only_official']}, "
            f"seulement calcul : {result['only_computed']})"
        )
        w(f"  Pearson                                   : {fr(result['pearson'], 3)}")
        w(f"  Spearman                                  : {fr(result['spearman'], 3)}")
        w(f"  erreur relative médiane                   : {fr(100 * result['median_relative_error'], 1)} %")
        w(
            f"  erreur absolue moyenne (pondérée pop.)    : {fr(result['weighted_mae'], 3)} "
            "consultation/hab./an"
        )
        w(
            f"  population dans la même classe ({fr(low, 1)} / {fr(high, 1)}) : "
            f"{fr(100 * result['same_class_share'], 1)} %"
        )
        w(f"  {len(result['gaps'])} plus grands écarts (pondérés par la population) :")
        w(f"  {'commune':<32} {'pop.':>9} {'DREES':>7} {'calcul':>7} {'écart':>7}  cause probable")
        for g in result["gaps"]:
            population = f"{g.population:,.0f}".replace(",", " ")
            w(
                f"  {(g.name + ' (' + g.code + ')')[:32]:<32} {population:>9} {fr(g.official):>7} "
                f"{fr(g.computed):>7} {fr(g.gap):>7}  {g.cause}"
            )
