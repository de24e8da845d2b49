"""Shared shape of the offers import commands: --dry-run, refusal as CommandError, summary."""

import time

from django.core.management.base import BaseCommand, CommandError

from territories.importing.contract import ImportRejected, add_coverage_arguments, dataset_summary


class ImportCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="tout valider et compter, ne rien écrire")

    def add_coverage_arguments(self, parser):
        add_coverage_arguments(parser)

    def add_file_argument(self, parser, default=None):
        """The input file, given either way: ``import_x FILE`` or ``import_x --file FILE``."""
        shown = f" (défaut : {default})" if default else ""
        parser.add_argument("file", nargs="?", default=None, help=f"fichier à importer{shown}")
        parser.add_argument("--file", dest="file_option", default=None, help="même chose que FILE")
        self._file_default = default

    def input_file(self, options):
        positional, option = options.get("file"), options.get("file_option")
        if positional and option and positional != option:
            raise CommandError(f"Deux fichiers différents donnés : « {positional} » et --file « {option} ».")
        return positional or option or self._file_default

    def run(self, function, *args, **kwargs):
        start = time.perf_counter()
        try:
            dataset = function(*args, **kwargs)
        except ImportRejected as exc:
            raise CommandError(f"Import refusé, rien n’a été écrit :\n{exc}") from exc
        self.stdout.write(f"{dataset_summary(dataset)} en {time.perf_counter() - start:.1f} s")
        for key, value in dataset.report.items():
            if isinstance(value, dict):
                pairs = [f"{k} : {v}" for k, v in list(value.items())[:10]]
                shown = ", ".join(pairs) + (" …" if len(value) > 10 else "")
                self.stdout.write(f"  {key} : {shown or 'aucun'}")
            elif isinstance(value, list):
                shown = ", ".join(map(str, value[:10])) + (" …" if len(value) > 10 else "")
                self.stdout.write(f"  {key} : {len(value)}{' — ' + shown if value else ''}")
            else:
                self.stdout.write(f"  {key} : {value}")
        return dataset
