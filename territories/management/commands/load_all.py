"""python manage.py load_all — loads every real dataset shipped in fixtures/, then computes.

Each app registers its steps (territories.importing.bootstrap); every step is an idempotent import, so
running the command twice changes nothing the second time.
"""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from territories.importing.bootstrap import register, steps


@register(10, "base territoriale (COG 2026, bassins de vie, AAV, contours)")
def load_territories(stdout, dry_run=False):
    # The shipped IGN outlines hold one self-intersection (67226), repaired and listed in the report.
    call_command("import_territories", dry_run=dry_run, reparer_geometries=True, stdout=stdout)


class Command(BaseCommand):
    help = "Charge toutes les données réelles fournies dans fixtures/ (imports idempotents), puis calcule."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="appliquer d’abord les migrations, dans le même processus (make run)",
        )

    def handle(self, *args, dry_run, migrate, **options):
        if migrate:
            start = time.perf_counter()
            self.stdout.write(self.style.MIGRATE_HEADING("migrations"))
            call_command("migrate", interactive=False, verbosity=options["verbosity"], stdout=self.stdout)
            self.stdout.write(f"  → {time.perf_counter() - start:.1f} s")
        for order, name, step in steps():
            start = time.perf_counter()
            self.stdout.write(self.style.MIGRATE_HEADING(f"[{order}] {name}"))
            step(self.stdout, dry_run=dry_run)
            self.stdout.write(f"  → {time.perf_counter() - start:.1f} s")
        if not dry_run and connection.vendor == "postgresql":
            # Planner statistics of the tables just filled: without them (autovacuum off, or not
            # passed yet) the first pages plan their joins on empty-table guesses, seconds long.
            # The communes are vacuumed too: their visibility map lets pages read a zone's
            # communes from the covering index alone (territories migration 0008).
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) territories_commune")
                cursor.execute("ANALYZE")
            self.stdout.write(
                f"statistiques du planificateur (ANALYZE) → {time.perf_counter() - start:.1f} s"
            )
