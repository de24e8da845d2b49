"""python manage.py load_programmes [--dry-run] — the seed programmes and measures (idempotent)."""

from proposals.seed import SEED_FILE, SOURCES_DIR, load_programmes
from territories.importing.commands import ImportCommand


class Command(ImportCommand):
    refusal = "Fichier refusé, rien n’a été écrit"
    show_duration = show_report = False

    help = "Charge les programmes et mesures écrits d’après les textes sources (fixtures/proposals)."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(SEED_FILE))
        parser.add_argument("--sources", default=str(SOURCES_DIR))
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, path, sources, dry_run, **options):
        self.run(load_programmes, path, sources, dry_run=dry_run)
