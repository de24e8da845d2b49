"""python manage.py compare_zonage [--calcul N] [--maille commune|bv|tvs|toutes]
[--source calcul|drees|toutes]

The computed classes against the imported ARS zonage médecins: cross-tables by communes and by
population, and Cohen's kappa (indicators.official.zonage)."""

from django.core.management.base import BaseCommand, CommandError

from indicators.api.values import fixed_fr as fr
from indicators.models import ComputationRun
from indicators.official.zonage import MESHES, SOURCES, ZONE_LABELS, ZONES, agreement

SOURCE_ARGS = {"calcul": "run", "drees": "drees"}


def row(label, cells) -> str:
    """A line of the table: numbers with French thousands separators, right-aligned."""
    return f"    {label:<18}" + "".join(f"{c if isinstance(c, str) else fr(c, 0):>14}" for c in cells)


class Command(BaseCommand):
    help = (
        "Compare les classes d’accessibilité (sous-dense, fragile, non déficitaire) au zonage ARS "
        "médecins importé (ZIP, ZAC, hors zonage) : tableaux croisés en communes et en population, "
        "kappa de Cohen, à la maille de la commune et du bassin de vie (approximation du territoire "
        "de vie-santé)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--calcul", type=int, default=None, help="n° du calcul (défaut : le calcul courant)"
        )
        parser.add_argument("--maille", choices=["commune", "bv", "tvs", "toutes"], default="toutes")
        parser.add_argument("--source", choices=["calcul", "drees", "toutes"], default="toutes")

    def handle(self, *args, calcul, maille, source, **options):
        run = (
            ComputationRun.objects.filter(pk=calcul, status=ComputationRun.Status.SUCCEEDED).first()
            if calcul
            else ComputationRun.current()
        )
        if run is None:
            raise CommandError(
                f"Calcul n° {calcul} introuvable ou non réussi."
                if calcul
                else "Aucun calcul courant : lancez compute_indicators."
            )
        meshes = list(MESHES) if maille == "toutes" else [maille]
        sources = list(SOURCES) if source == "toutes" else [SOURCE_ARGS[source]]
        w = self.stdout.write
        for src in sources:
            for mesh in meshes:
                result = agreement(run, mesh, src)
                if src == "drees" and result.millesime is None:
                    w(f"\n{SOURCES[src]} : non chargée (import_drees_apl), pas de comparaison.")
                    break
                if result.zoned == 0:
                    raise CommandError(
                        "Aucun zonage ARS dans ce calcul : importez-le (import_zonage) puis recalculez."
                    )
                title = SOURCES[src] + (
                    f" {result.millesime}" if result.millesime else f" (calcul n° {run.pk})"
                )
                w(f"\n{title} — maille : {MESHES[mesh]}")
                w(
                    f"  {result.zoned} communes zonées ; {result.without_class} sans APL (non classées), "
                    "exclues du tableau"
                )
                for name, share, table in (
                    ("communes", "des communes", result.by_communes),
                    ("population", "de la population", result.by_population),
                ):
                    w(f"  En {name} :")
                    w(row("classe", [ZONE_LABELS[z] for z in ZONES] + ["total"]))
                    for label, cells, total in table.rows():
                        w(row(label, [*cells, total]))
                    w(row("total", [*table.column_totals(), table.total]))
                    w(
                        f"    accord (sous-dense↔ZIP, fragile↔ZAC, non déficitaire↔hors zonage) : "
                        f"{table.agreement_text} {share} ; kappa de Cohen : {table.kappa_text}"
                    )
