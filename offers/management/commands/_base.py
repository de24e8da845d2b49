"""Shared shape of the offers import commands: --dry-run, refusal as CommandError, summary."""

import time

from django.core.management.base import BaseCommand, CommandError

from territories.importing import ImportRejected, dataset_summary


class ImportCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="tout valider et compter, ne rien écrire")

    def run(self, function, *args, **kwargs):
        start = time.perf_counter()
        try:
            dataset = function(*args, **kwargs)
        except ImportRejected as exc:
            raise CommandError(f"Import refusé, rien n’a été écrit :\n{exc}") from exc
        self.stdout.write(f"{dataset_summary(dataset)} en {time.perf_counter() - start:.1f} s")
        for key, value in dataset.report.items():
            if isinstance(value, (list, dict)):
                shown = ", ".join(map(str, list(value)[:10])) + (" …" if len(value) > 10 else "")
                self.stdout.write(f"  {key} : {len(value)}{' — ' + shown if value else ''}")
            else:
                self.stdout.write(f"  {key} : {value}")
        return dataset
