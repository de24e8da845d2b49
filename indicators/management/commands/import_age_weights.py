"""python manage.py import_age_weights FILE --title … --publisher … --licence … --millesime …
[--url …] [--synthetic] [--dry-run]"""

from indicators.importers import age_weights_source, import_age_weights, is_synthetic_name
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    show_duration = show_report = False

    help = (
        "Importe les poids de consommation de soins de médecine générale par tranche d’âge "
        "(CSV tranche_age;poids) ; source, licence et millésime sont obligatoires (aucun poids par défaut)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--title", required=True, help="intitulé de la source (ex. publication DREES)")
        parser.add_argument("--publisher", required=True)
        parser.add_argument("--licence", required=True)
        parser.add_argument("--millesime", required=True)
        parser.add_argument("--url", default="")
        parser.add_argument(
            "--synthetic", action="store_true", help="échantillon synthétique (affiché comme tel)"
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, path, title, publisher, licence, millesime, url, synthetic, dry_run, **options):
        info = age_weights_source(
            title=title,
            publisher=publisher,
            licence=licence,
            millesime=millesime,
            url=url,
            synthetic=synthetic or is_synthetic_name(path),
        )
        self.run(import_age_weights, path, info=info, dry_run=dry_run)
