"""python manage.py import_ameli_demography [FILE | --file FILE] [--dry-run]"""

from offers.importers.ameli import DEFAULT_PATH, import_professions
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe les effectifs et densités des professionnels de santé libéraux par département "
        "(Assurance Maladie, démographie des professionnels de santé)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        self.add_file_argument(parser, default=str(DEFAULT_PATH))

    def handle(self, *args, dry_run, **options):
        self.run(import_professions, self.input_file(options), dry_run=dry_run)
