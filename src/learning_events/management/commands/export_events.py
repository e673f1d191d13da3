"""``export_events``: write pseudonymous learning events to a JSON Lines, CSV or Parquet file, or as xAPI
statements (one JSON object a line)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from learning_events import exports, xapi
from learning_events.replica import replica_reads

DATES = ("Dates are ISO YYYY-MM-DD, inclusive, and mean whole UTC days of occurred_at "
         "(when the learner acted), whatever the learners' time zones.")


class Command(BaseCommand):
    help = (
        "Export learning events as JSON Lines, CSV or Parquet, ordered by (occurred_at, id), or as xAPI "
        "statements, one JSON object a line (--format xapi, docs/xapi.md). Learners and classrooms appear only "
        "as keyed pseudonyms (LEARNING_EVENTS_EXPORT_SALT); the same data and filters give a byte-identical "
        f"file. {DATES} See docs/exports.md for the columns."
    )
    nouns = ("event", "events")
    filters_types = True
    formats = exports.FORMATS
    export_of = staticmethod(exports.events_export)

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", required=True, choices=self.formats, help="File format.")
        parser.add_argument("--output", required=True, metavar="PATH",
                            help="File to write; replaced only once the export is complete.")
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="First UTC day to export (inclusive).")
        parser.add_argument("--until", metavar="YYYY-MM-DD", help="Last UTC day to export (inclusive).")
        parser.add_argument("--classroom", metavar="ID", help=f"Only {self.nouns[1]} inside this classroom.")
        if self.filters_types:
            parser.add_argument("--types", metavar="T,T",
                                help="Only these event types, comma-separated (e.g. word_correct,word_incorrect).")

    def handle(self, *args, **options) -> None:
        statements = options["format"] == "xapi"
        try:
            filters = exports.parse_filters(
                since=options["since"], until=options["until"], classroom=options["classroom"],
                types=options.get("types"),
            )
            export = xapi.statements_export(filters) if statements else self.export_of(filters)
        except exports.ExportError as exc:
            raise CommandError(str(exc)) from exc
        nouns = ("statement", "statements") if statements else self.nouns
        version = f"mapping version {xapi.MAPPING_VERSION}" if statements else f"schema version {exports.SCHEMA_VERSION}"
        interactive = sys.stderr.isatty()
        # Exports read the read replica when the host has one (LEARNING_EVENTS_REPLICA_DATABASE).
        with replica_reads(), tqdm(total=export.count() if interactive else None, unit=f" {nouns[1]}",
                                   disable=not interactive, file=sys.stderr) as bar:
            try:
                written = exports.write(export, options["format"], options["output"], on_rows=bar.update)
            except OSError as exc:
                raise CommandError(f"cannot write {options['output']}: {exc.strerror or exc}") from exc
        self.stdout.write(
            f"Wrote {written} {nouns[written != 1]} to {options['output']} ({options['format']}, {version})."
        )
