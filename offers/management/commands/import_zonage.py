"""python manage.py import_zonage [FILE | --file FILE] [--millesime …] [--dry-run]"""

from offers.importers import DEFAULT_DIR, ZONAGE_FILE, import_zonage
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe le zonage médecins des ARS (ZIP, ZAC, HZ, ZAR) et le statut ZRR. Un fichier qui ne "
        "couvre que quelques départements demande --partiel (les autres ne sont pas touchés)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        self.add_file_argument(parser, default=str(DEFAULT_DIR / ZONAGE_FILE))
        parser.add_argument("--millesime", default="")
        self.add_coverage_arguments(parser)

    def handle(self, *args, millesime, dry_run, partiel, ignorer_codes_inconnus, **options):
        self.run(
            import_zonage,
            self.input_file(options),
            dry_run=dry_run,
            millesime=millesime,
            partial=partiel,
            ignore_unknown=ignorer_codes_inconnus,
        )
