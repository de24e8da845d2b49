"""python manage.py import_time_matrix FILE [--millesime …] [--licence …] [--dry-run]"""

from indicators.importers import import_time_matrix, matrix_source
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    show_duration = show_report = False

    help = (
        "Importe un distancier commune à commune (CSV origin,destination,minutes) ; il remplace l’estimation."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--millesime", default="non précisé")
        parser.add_argument("--licence", default="non précisée")
        parser.add_argument("--title", default=None)
        parser.add_argument("--publisher", default="")
        parser.add_argument(
            "--synthetic", action="store_true", help="échantillon synthétique (affiché comme tel)"
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, path, millesime, licence, title, publisher, synthetic, dry_run, **options):
        info = matrix_source(millesime, title, licence, publisher, synthetic=synthetic)
        self.run(import_time_matrix, path, info=info, dry_run=dry_run)
