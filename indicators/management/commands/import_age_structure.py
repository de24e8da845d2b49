"""python manage.py import_age_structure FILE [--millesime …] [--title …] [--publisher …]
[--licence …] [--url …] [--synthetic] [--dry-run]"""

from indicators.importers import age_structure_source, import_age_structure, is_synthetic_name
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    show_duration = False

    help = (
        "Importe une population par commune et tranche d’âge (CSV long code_commune;tranche_age;population, "
        "séparateur ; ou , , UTF-8 ou latin-1) pour standardiser la demande de l’APL par âge."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--millesime", default="non précisé")
        parser.add_argument("--title", default=None)
        parser.add_argument("--publisher", default="")
        parser.add_argument("--licence", default=None)
        parser.add_argument("--url", default="")
        parser.add_argument(
            "--synthetic", action="store_true", help="échantillon synthétique (affiché comme tel)"
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, path, millesime, title, publisher, licence, url, synthetic, dry_run, **options):
        synthetic = synthetic or is_synthetic_name(path)
        info = age_structure_source(
            millesime, title=title, publisher=publisher, licence=licence, url=url, synthetic=synthetic
        )
        self.run(import_age_structure, path, info=info, dry_run=dry_run)

    def write_report(self, dataset):
        report = dataset.report or {}
        if report.get("nombre_codes_non_apparies"):
            self.stdout.write(
                f"Codes non appariés ({report['nombre_codes_non_apparies']}) : "
                + ", ".join(report["codes_non_apparies"][:30])
            )
