"""python manage.py import_tvs FICHIER [--millesime …] [--licence …] [--editeur …] [--synthetique]
[--partiel] [--ignorer-codes-inconnus] [--feuille …] [--dry-run]"""

from pathlib import Path

from territories import importers
from territories.importing.commands import ImportCommand
from territories.importing.contract import add_coverage_arguments


class Command(ImportCommand):
    help = (
        "Importe les territoires de vie-santé (TVS) des communes : une ligne par commune avec son code "
        "TVS et son libellé (colonnes CODGEO, TVS, LIBTVS ou code_commune, code_tvs, libelle_tvs). "
        "Sans TVS importés, le classement « comme le zonage ARS » se fait sur le bassin de vie 2022."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier des TVS (CSV, XLSX, éventuellement compressé)")
        parser.add_argument("--millesime", default="", help="année du découpage")
        parser.add_argument("--licence", default="", help="licence du fichier (défaut : Licence Ouverte)")
        parser.add_argument("--editeur", default="", help="producteur (défaut : DREES / ARS)")
        parser.add_argument("--synthetique", action="store_true", help="échantillon synthétique")
        parser.add_argument("--feuille", default=None, help="feuille du classeur XLSX")
        add_coverage_arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="tout valider et compter, ne rien écrire")

    def handle(
        self, *args, file, millesime, licence, editeur, synthetique, feuille, partiel, dry_run, **options
    ):
        path = Path(file)
        synthetic = synthetique or "synthetique" in path.name.lower()
        info = importers.tvs_source(millesime, synthetic=synthetic, licence=licence, publisher=editeur)
        self.run(
            importers.import_tvs,
            path,
            dry_run=dry_run,
            partial=partiel,
            ignore_unknown=options["ignorer_codes_inconnus"],
            info=info,
            sheet=feuille,
        )

    def write_report(self, dataset):
        for key, value in dataset.report.items():
            shown = (
                value if not isinstance(value, list) else f"{len(value)} — {', '.join(map(str, value[:15]))}"
            )
            self.stdout.write(f"  {key} : {shown}")
