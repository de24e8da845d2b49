"""The one base of every import command (``manage.py import_…``, ``load_programmes``): the options
every importer shares (``--dry-run``, the input file, coverage), the one refusal handler (an
``ImportRejected`` becomes a ``CommandError`` saying that nothing was written) and the summary.

An app's command declares its options and calls ``self.run(importer, …)``; the way it prints the
dataset report is a declaration too (``report_limit``, ``pair_separator``, ``show_report``,
``show_duration``) unless it overrides :meth:`ImportCommand.write_report`.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from territories.importing.contract import ImportRejected, add_coverage_arguments, dataset_summary


class ImportCommand(BaseCommand):
    refusal = "Import refusé, rien n’a été écrit"
    show_duration = True  # « … en 1.2 s » after the summary
    show_report = True  # one line per entry of the dataset report
    report_limit = 10  # items shown per list or dict entry
    pair_separator = ", "

    def add_arguments(self, parser):
        self.add_dry_run_argument(parser)

    def add_dry_run_argument(self, parser):
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
        """Run an importer; a refused file raises a CommandError naming every problem."""
        start = time.perf_counter()
        try:
            dataset = function(*args, **kwargs)
        except ImportRejected as exc:
            raise CommandError(f"{self.refusal} :\n{exc}") from exc
        duration = f" en {time.perf_counter() - start:.1f} s" if self.show_duration else ""
        self.stdout.write(f"{dataset_summary(dataset)}{duration}")
        if self.show_report:
            self.write_report(dataset)
        return dataset

    def write_report(self, dataset):
        limit = self.report_limit
        for key, value in dataset.report.items():
            if isinstance(value, dict):
                pairs = [f"{k} : {v}" for k, v in list(value.items())[:limit]]
                shown = self.pair_separator.join(pairs) + (" …" if len(value) > limit else "")
                self.stdout.write(f"  {key} : {shown or 'aucun'}")
            elif isinstance(value, list):
                shown = ", ".join(map(str, value[:limit])) + (" …" if len(value) > limit else "")
                self.stdout.write(f"  {key} : {len(value)}{' — ' + shown if value else ''}")
            else:
                self.stdout.write(f"  {key} : {value}")
