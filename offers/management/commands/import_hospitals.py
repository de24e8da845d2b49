"""python manage.py import_hospitals [--file …] [--dry-run]"""

from offers.importers import DEFAULT_DIR, HOSPITALS_FILE, import_hospitals

from ._base import ImportCommand


class Command(ImportCommand):
    help = "Importe les sites des centres hospitaliers publics (extraction FINESS, sans coordonnées)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--file", default=str(DEFAULT_DIR / HOSPITALS_FILE))

    def handle(self, *args, file, dry_run, **options):
        self.run(import_hospitals, file, dry_run=dry_run)
