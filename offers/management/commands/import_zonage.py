"""python manage.py import_zonage [--file …] [--millesime …] [--dry-run]"""

from offers.importers import DEFAULT_DIR, ZONAGE_FILE, import_zonage

from ._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe le zonage médecins des ARS (ZIP, ZAC, HZ, ZAR) et le statut ZRR, pour les "
        "départements présents dans le fichier (les autres départements ne sont pas touchés)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--file", default=str(DEFAULT_DIR / ZONAGE_FILE))
        parser.add_argument("--millesime", default="")

    def handle(self, *args, file, millesime, dry_run, **options):
        self.run(import_zonage, file, dry_run=dry_run, millesime=millesime)
