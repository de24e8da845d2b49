"""Proclaim the votes whose closing date has passed (pages also do it when first read after the
close; run this from cron to publish results even when nobody visits)."""

from django.core.management.base import BaseCommand

from proposals.orientation import proclaim_due


class Command(BaseCommand):
    help = "Proclame le résultat des votes dont la date de clôture est passée."

    def handle(self, *args, **options):
        count = proclaim_due()
        self.stdout.write(f"{count} vote(s) proclamé(s).")
