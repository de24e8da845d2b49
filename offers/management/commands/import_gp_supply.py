"""Usage: python manage.py import_gp_supply [FILE | --file FILE] [--layout sirene|rpps] [--millesime …]
[--dry-run]
"""

from offers.importers import DEFAULT_DIR, SIRENE_FILE, import_gp_supply
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe l’offre de médecins généralistes par commune : établissements SIRENE 86.21Z (proxy) "
        "ou extraction Annuaire santé / RPPS (--layout rpps)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--layout", choices=["sirene", "rpps"], default="sirene")
        self.add_file_argument(parser)
        parser.add_argument("--millesime", default="", help="date de l’extraction (RPPS)")
        parser.add_argument("--synthetic", action="store_true", help="échantillon synthétique")
        self.add_coverage_arguments(parser)

    def handle(
        self, *args, layout, millesime, synthetic, dry_run, partiel, ignorer_codes_inconnus, **options
    ):
        file = self.input_file(options)
        if file is None and layout == "sirene":
            file = str(DEFAULT_DIR / SIRENE_FILE)
        if file is None:
            from django.core.management.base import CommandError

            raise CommandError("--file est obligatoire pour --layout rpps")
        self.run(
            import_gp_supply,
            file,
            layout=layout,
            dry_run=dry_run,
            millesime=millesime,
            synthetic=synthetic or None,
            partial=partiel,
            ignore_unknown=ignorer_codes_inconnus,
        )
