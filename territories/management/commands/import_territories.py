"""python manage.py import_territories [--dir fixtures/territories] [--only cog|supracom|geo] [--dry-run]"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from territories import importers
from territories.importing import ImportRejected, dataset_summary

STEPS = {
    "cog": importers.import_cog,
    "supracom": importers.import_supracom,
    "geo": importers.import_geometries,
}


class Command(BaseCommand):
    help = "Importe la base territoriale (COG 2026, bassins de vie 2022, AAV 2020, contours et points)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(importers.DEFAULT_DIR), help="dossier des fichiers sources")
        parser.add_argument(
            "--only", choices=sorted(STEPS), action="append", help="n’importer que cette source"
        )
        parser.add_argument("--dry-run", action="store_true", help="tout valider et compter, ne rien écrire")

    def handle(self, *args, dir, only, dry_run, **options):
        for name in only or list(STEPS):
            start = time.perf_counter()
            try:
                dataset = STEPS[name](Path(dir), dry_run=dry_run)
            except ImportRejected as exc:
                raise CommandError(f"Import refusé, rien n’a été écrit :\n{exc}") from exc
            self.stdout.write(f"{dataset_summary(dataset)} en {time.perf_counter() - start:.1f} s")
            for key, value in dataset.report.items():
                if isinstance(value, (list, dict)):
                    shown = ", ".join(list(value)[:15]) + (" …" if len(value) > 15 else "")
                    self.stdout.write(f"  {key} : {len(value)}{' — ' + shown if value else ''}")
                else:
                    self.stdout.write(f"  {key} : {value}")
