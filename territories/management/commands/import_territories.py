"""python manage.py import_territories [--dir fixtures/territories] [--only cog|supracom|geo] [--dry-run]
[--partiel] [--ignorer-codes-inconnus] [--reparer-geometries] [--table-appartenance FICHIER] …"""

from pathlib import Path

from django.core.management.base import CommandError

from territories import importers
from territories.importing.commands import ImportCommand
from territories.importing.contract import add_coverage_arguments

STEPS = {
    "cog": importers.import_cog,
    "supracom": importers.import_supracom,
    "geo": importers.import_geometries,
}
# One option per file, for a file named otherwise or in another format (XLSX, zip, GeoPackage…).
FILE_OPTIONS = {
    "regions": "--regions",
    "departements": "--departements",
    "communes": "--communes",
    "epci": "--epci",
    "supracom": "--table-appartenance",
    "bv_labels": "--libelles-bassins-de-vie",
    "points": "--points",
    "contours": "--contours",
}


class Command(ImportCommand):
    report_limit = 15
    pair_separator = " ; "

    help = (
        "Importe la base territoriale (COG 2026, bassins de vie 2022, AAV 2020, contours et points). "
        "Formats acceptés : CSV (UTF-8, Windows-1252, séparateur , ; tabulation), XLSX, JSON, GeoJSON "
        "(CRS déclaré), GeoPackage, Shapefile zippé, compressés en gzip, xz ou zip."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(importers.DEFAULT_DIR), help="dossier des fichiers sources")
        parser.add_argument(
            "--only", choices=sorted(STEPS), action="append", help="n’importer que cette source"
        )
        parser.add_argument("--dry-run", action="store_true", help="tout valider et compter, ne rien écrire")
        add_coverage_arguments(parser)
        parser.add_argument(
            "--reparer-geometries",
            action="store_true",
            help="corriger les contours invalides (auto-intersections) au lieu de refuser le fichier",
        )
        parser.add_argument("--feuille", default=None, help="feuille du classeur XLSX (table d’appartenance)")
        for name, option in FILE_OPTIONS.items():
            parser.add_argument(option, dest=f"file_{name}", default=None, help=f"fichier « {name} »")

    def handle(
        self, *args, dir, only, dry_run, partiel, ignorer_codes_inconnus, reparer_geometries, **options
    ):
        files = {name: options[f"file_{name}"] for name in FILE_OPTIONS if options.get(f"file_{name}")}
        for path in files.values():
            if not Path(path).exists():
                raise CommandError(f"Fichier introuvable : {path}")
        arguments = {
            "cog": {"partial": partiel, "files": files},
            "supracom": {
                "partial": partiel,
                "ignore_unknown": ignorer_codes_inconnus,
                "files": files,
                "sheet": options.get("feuille"),
            },
            "geo": {
                "partial": partiel,
                "ignore_unknown": ignorer_codes_inconnus,
                "repair": reparer_geometries,
                "files": files,
            },
        }
        for name in only or list(STEPS):
            self.run(STEPS[name], Path(dir), dry_run=dry_run, **arguments[name])
