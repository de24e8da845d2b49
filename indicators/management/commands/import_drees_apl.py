"""python manage.py import_drees_apl FILE [--sheet NAME] [--millesime YEAR] [--dry-run] [--synthetic]"""

from indicators.importers import import_drees_apl
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    show_duration = False

    help = (
        "Importe l’APL aux médecins généralistes publiée par la DREES, par commune (classeur .xlsx, "
        "une feuille par millésime). Valeurs affichées à côté de l’APL calculée, sans recalcul."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--sheet", default=None, help="feuille à lire (défaut : la plus récente)")
        parser.add_argument(
            "--millesime", default=None, help="millésime (défaut : l’année du nom de la feuille)"
        )
        parser.add_argument(
            "--synthetic", action="store_true", help="échantillon synthétique (affiché comme tel)"
        )
        parser.add_argument("--dry-run", action="store_true", help="tout valider et compter, ne rien écrire")

    def handle(self, *args, path, sheet, millesime, synthetic, dry_run, **options):
        self.run(
            import_drees_apl,
            path,
            sheet=sheet,
            millesime=millesime,
            dry_run=dry_run,
            synthetic=synthetic or None,
        )

    def write_report(self, dataset):
        for key, value in dataset.report.items():
            if isinstance(value, dict):
                shown = ", ".join(f"{k} : {v}" for k, v in list(value.items())[:10])
            elif isinstance(value, list):
                shown = ", ".join(map(str, value[:10]))
            else:
                self.stdout.write(f"  {key} : {value}")
                continue
            more = " …" if len(value) > 10 else ""
            self.stdout.write(f"  {key} : {len(value)}{' — ' + shown + more if value else ''}")
