"""python manage.py import_zonage [FILE | --file FILE] [--millesime …] [--dry-run]"""

from offers.importers import DEFAULT_DIR, ZONAGE_FILE, import_zonage

from ._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe le zonage médecins des ARS (ZIP, ZAC, HZ, ZAR) et le statut ZRR, pour les "
        "départements présents dans le fichier (les autres départements ne sont pas touchés)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        self.add_file_argument(parser, default=str(DEFAULT_DIR / ZONAGE_FILE))
        parser.add_argument("--millesime", default="")

    def handle(self, *args, millesime, dry_run, **options):
        self.run(import_zonage, self.input_file(options), dry_run=dry_run, millesime=millesime)
