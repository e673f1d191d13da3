"""``export_traces``: write learner-word learning traces (one row per graded word attempt) to a file."""

from __future__ import annotations

from learning_events import exports

from .export_events import DATES, Command as ExportEventsCommand


class Command(ExportEventsCommand):
    help = (
        "Export learning traces: one row per graded word attempt (word_correct/word_incorrect) with the "
        "features spaced-repetition and knowledge-tracing models use (outcome, seconds since this learner "
        "last saw the word, attempts and correct answers before this one, language, session), as JSON Lines, "
        "CSV or Parquet. Features always count the learner's whole history: --since, --until and "
        f"--classroom only choose which attempts become rows. {DATES} See docs/exports.md for the columns."
    )
    nouns = ("attempt", "attempts")
    filters_types = False  # traces are word attempts by definition: a type filter would only mislead
    formats = exports.TABLE_FORMATS  # a trace row is no statement: xAPI carries the events themselves
    export_of = staticmethod(exports.traces_export)
