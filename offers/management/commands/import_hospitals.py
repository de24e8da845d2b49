"""python manage.py import_hospitals [FILE | --file FILE] [--dry-run]"""

from offers.importers import DEFAULT_DIR, HOSPITALS_FILE, import_hospitals
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    help = "Importe les sites des centres hospitaliers publics (extraction FINESS, sans coordonnées)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        self.add_file_argument(parser, default=str(DEFAULT_DIR / HOSPITALS_FILE))

    def handle(self, *args, dry_run, **options):
        self.run(import_hospitals, self.input_file(options), dry_run=dry_run)
