"""python manage.py import_finess FILE|--file FILE [--skip-other-categories] [--synthetic] [--dry-run]"""

from django.core.management.base import CommandError

from offers.importers import import_finess
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    help = "Importe une extraction FINESS au format etalab cs1100507 (MSP, centres de santé, CPTS, hôpitaux)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        self.add_file_argument(parser)
        parser.add_argument(
            "--skip-other-categories",
            action="store_true",
            help="ignorer (et compter) les catégories hors registre au lieu de refuser le fichier "
            "(pour l’extraction nationale complète)",
        )
        parser.add_argument("--synthetic", action="store_true", help="échantillon synthétique")

    def handle(self, *args, dry_run, skip_other_categories, synthetic, **options):
        file = self.input_file(options)
        if file is None:
            raise CommandError("Indiquez le fichier FINESS : import_finess FICHIER (ou --file FICHIER).")
        self.run(
            import_finess,
            file,
            dry_run=dry_run,
            skip_other_categories=skip_other_categories,
            synthetic=synthetic or None,
        )
