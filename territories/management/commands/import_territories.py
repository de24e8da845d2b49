"""python manage.py import_territories [--dir fixtures/territories] [--only cog|supracom|geo] [--dry-run]
[--partiel] [--ignorer-codes-inconnus] [--reparer-geometries] [--table-appartenance FICHIER] …"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from territories import importers
from territories.importing.contract import ImportRejected, add_coverage_arguments, dataset_summary

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


class Command(BaseCommand):
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
            start = time.perf_counter()
            try:
                dataset = STEPS[name](Path(dir), dry_run=dry_run, **arguments[name])
            except ImportRejected as exc:
                raise CommandError(f"Import refusé, rien n’a été écrit :\n{exc}") from exc
            self.stdout.write(f"{dataset_summary(dataset)} en {time.perf_counter() - start:.1f} s")
            for key, value in dataset.report.items():
                if isinstance(value, dict):
                    pairs = [f"{k} : {v}" for k, v in list(value.items())[:15]]
                    shown = " ; ".join(pairs) + (" …" if len(value) > 15 else "")
                    self.stdout.write(f"  {key} : {shown or 'aucun'}")
                elif isinstance(value, list):
                    shown = ", ".join(map(str, value[:15])) + (" …" if len(value) > 15 else "")
                    self.stdout.write(f"  {key} : {len(value)}{' — ' + shown if value else ''}")
                else:
                    self.stdout.write(f"  {key} : {value}")
