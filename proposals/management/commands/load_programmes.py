"""python manage.py load_programmes [--dry-run] — the seed programmes and measures (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from proposals.seed import SEED_FILE, SOURCES_DIR, load_programmes
from territories.importing.contract import ImportRejected, dataset_summary


class Command(BaseCommand):
    help = "Charge les programmes et mesures écrits d’après les textes sources (fixtures/proposals)."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(SEED_FILE))
        parser.add_argument("--sources", default=str(SOURCES_DIR))
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, path, sources, dry_run, **options):
        try:
            dataset = load_programmes(path, sources, dry_run=dry_run)
        except ImportRejected as exc:
            raise CommandError(f"Fichier refusé, rien n’a été écrit :\n{exc}") from exc
        self.stdout.write(dataset_summary(dataset))
