"""Exports of the learning events for AI work: raw events and learner-word learning traces.

Two exports, three formats (JSON Lines, CSV, Parquet), one set of guarantees (see ``docs/exports.md``); the
events also as xAPI statements, one a line (``format=xapi``, built by ``learning_events.xapi``):

- **Pseudonymous.** Learners and classrooms appear only as keyed hashes (HMAC-SHA256 keyed with
  ``LEARNING_EVENTS_EXPORT_SALT``, over a domain-separated message such as ``b"user:42"``). No username,
  e-mail or name is ever read; of a context only the catalogue's declared keys leave, minus free text
  (the learner's typed ``answer``).
- **Versioned.** Every record carries ``schema_version``; Parquet files also carry it as file metadata.
- **Streaming.** Rows come from a server-side cursor in chunks and leave as bytes chunk by chunk, so
  memory stays flat whatever the size of the export.
- **Reproducible.** Rows are ordered by ``(occurred_at, id)``, JSON keys have a fixed order and nothing
  in a file depends on the time of the export: the same data and filters give byte-identical files.

Dates filter on ``occurred_at`` and are whole UTC days, inclusive at both ends.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.apps import apps
from django.db.models import BigIntegerField, Case, F, IntegerField, QuerySet, Sum, Value, When, Window
from django.db.models.expressions import RowRange
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, FirstValue, Lag, RowNumber

from . import event_types, selectors
from .conf import app_settings
from .models import LearningEvent

SCHEMA_VERSION = 1
TABLE_FORMATS = ("jsonl", "csv", "parquet")
FORMATS = (*TABLE_FORMATS, "xapi")
"""Every format of the event export; the traces are tables only (``TABLE_FORMATS``)."""
PSEUDONYM_LENGTH = 16
"""Hex characters kept of each HMAC (64 bits): collisions stay below 1e-7 for a million learners."""
CHUNK_SIZE = 2000
"""Rows fetched per round trip of the server-side cursor, and per bytes chunk written or sent."""
ROW_GROUP_ROWS = 50_000
"""Rows per Parquet row group (held as compact Arrow arrays until written)."""
MEDIA_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xapi": "application/x-ndjson; charset=utf-8",
}


class ExportError(ValueError):
    """Bad export arguments, as ``{argument: message}``."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


# --- filters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFilters:
    """Which events an export holds: UTC days of ``occurred_at`` (inclusive), one classroom, some types."""

    since: date | None = None
    until: date | None = None
    classroom_id: int | None = None
    event_types: tuple[str, ...] = ()

    @property
    def start(self) -> datetime | None:
        """First instant inside the export window (UTC), or None when open."""
        return datetime.combine(self.since, time(), tzinfo=UTC) if self.since else None

    @property
    def end(self) -> datetime | None:
        """First instant after the export window (UTC), or None when open."""
        if not self.until or self.until == date.max:
            return None
        return datetime.combine(self.until + timedelta(days=1), time(), tzinfo=UTC)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_date(value: str, errors: dict[str, str], name: str) -> date | None:
    try:
        if not _ISO_DATE.fullmatch(value):  # fromisoformat also takes 20260302 and 2026-W10
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = f"{value!r} is not a date; use YYYY-MM-DD"
        return None


def parse_filters(
    *,
    since: str | None = None,
    until: str | None = None,
    classroom: str | int | None = None,
    types: str | None = None,
) -> ExportFilters:
    """Build filters from text arguments (command line, query string); empty strings mean "no filter".

    ``types`` is a comma-separated list of event types; ``classroom`` must be the id of an existing
    classroom. Raises ``ExportError`` naming every bad argument.
    """
    errors: dict[str, str] = {}
    since_date = _parse_date(since, errors, "since") if since else None
    until_date = _parse_date(until, errors, "until") if until else None
    if since_date and until_date and since_date > until_date:
        errors["until"] = f"{until_date} is before since ({since_date})"
    classroom_id = None
    if classroom not in (None, ""):
        try:
            classroom_id = int(classroom)
        except (TypeError, ValueError):
            errors["classroom"] = f"{classroom!r} is not a classroom id (an integer)"
        else:
            if not apps.get_model(app_settings.CLASSROOM_MODEL).objects.filter(pk=classroom_id).exists():
                errors["classroom"] = f"no classroom has id {classroom_id}"
    chosen: tuple[str, ...] = ()
    if types:
        chosen = tuple(dict.fromkeys(t.strip() for t in types.split(",") if t.strip()))
        unknown = [t for t in chosen if t not in event_types.CATALOGUE]
        if unknown:
            errors["types"] = (f"unknown event type(s) {', '.join(unknown)}; "
                               f"known: {', '.join(event_types.CATALOGUE)}")
    if errors:
        raise ExportError(errors)
    return ExportFilters(since=since_date, until=until_date, classroom_id=classroom_id, event_types=chosen)


def parse_format(value: str | None, formats: Sequence[str] = FORMATS) -> str:
    """The export format named by ``value``; raises ``ExportError`` for anything not in ``formats``."""
    if value not in formats:
        raise ExportError({"format": f"{value!r} is not a format; choose one of {', '.join(formats)}"})
    return value


# --- pseudonyms -----------------------------------------------------------------------------------


class Pseudonymizer:
    """Keyed, domain-separated hashes of ids: stable for one salt, unrelated across salts.

    ``user(42)`` is the first ``PSEUDONYM_LENGTH`` hex characters of HMAC-SHA256(salt, b"user:42").
    Without the salt nobody can tell which id a pseudonym stands for, even by trying every id.
    """

    def __init__(self, salt: bytes | None = None):
        self._salt = app_settings.EXPORT_SALT if salt is None else salt
        # Bounded: an export meets each learner many times, and memory must not grow with its size.
        self._digest = lru_cache(maxsize=100_000)(self._compute)

    def _compute(self, domain: bytes, value: int) -> str:
        message = domain + b":" + str(value).encode()
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]

    def user(self, user_id: int) -> str:
        return self._digest(b"user", user_id)

    def classroom(self, classroom_id: int | None) -> str | None:
        return None if classroom_id is None else self._digest(b"classroom", classroom_id)


# --- columns and rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an export: its name, kind (int, float, str, timestamp, json) and meaning."""

    name: str
    kind: str
    description: str

    @property
    def arrow_type(self) -> pa.DataType:
        return {
            "int": pa.int64(), "float": pa.float64(), "str": pa.string(), "json": pa.string(),
            "timestamp": pa.timestamp("us", tz="UTC"),
        }[self.kind]


SCHEMA_VERSION_COLUMN = Column("schema_version", "int", f"Version of this export's schema ({SCHEMA_VERSION}).")

EVENT_COLUMNS: tuple[Column, ...] = (
    SCHEMA_VERSION_COLUMN,
    Column("event_id", "str", "The event's UUID (its idempotency key)."),
    Column("event_type", "str", "One of the catalogue's types, e.g. word_correct."),
    Column("occurred_at", "timestamp", "When the learner acted (UTC, microseconds)."),
    Column("created_at", "timestamp", "When the server stored the event (UTC, microseconds)."),
    Column("learner", "str", "Pseudonym of the learner."),
    Column("classroom", "str", "Pseudonym of the classroom, or null."),
    Column("context", "json", "The context's declared keys minus free text, keys sorted."),
)

TRACE_COLUMNS: tuple[Column, ...] = (
    SCHEMA_VERSION_COLUMN,
    Column("event_id", "str", "UUID of the graded answer's event (joins with the event export)."),
    Column("learner", "str", "Pseudonym of the learner."),
    Column("word_id", "int", "The word's id in the host's vocabulary."),
    Column("language", "str", "The word's language (ISO 639-1, from LEARNING_EVENTS_WORD_NAMES), or null."),
    Column("outcome", "int", "1 when the answer was correct, 0 when not."),
    Column("occurred_at", "timestamp", "When the learner answered (UTC, microseconds)."),
    Column("seconds_since_last_seen", "float",
           "Seconds since this learner's previous attempt at this word, or null on the first."),
    Column("seen_before", "int", "This learner's attempts at this word before this one."),
    Column("correct_before", "int", "How many of those earlier attempts were correct."),
    Column("response_ms", "int", "Milliseconds the learner took to answer, or null."),
    Column("session_id", "str", "UUID of the practice session, or null."),
    Column("classroom", "str", "Pseudonym of the classroom of this attempt, or null."),
    Column("word_text", "str", "The word as written (from LEARNING_EVENTS_WORD_NAMES), or null."),
    Column("word_translation", "str", "The word's translation (from LEARNING_EVENTS_WORD_NAMES), or null."),
)


@dataclass(frozen=True)
class Export:
    """An export ready to render: its kind, columns, a lazy stream of rows and a way to count them.

    Kind ``statements`` (``xapi.statements_export``) has no columns: its rows are xAPI statements (dicts).
    """

    kind: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[Any]]
    count: Callable[[], int] = field(repr=False)


def _exported_keys() -> dict[str, tuple[str, ...]]:
    """Per event type, the context keys an export may carry: declared ones that are not free text."""
    return {
        value: tuple(sorted(key for key, kind in {**spec.required, **spec.optional}.items()
                            if kind is not event_types.STRING))
        for value, spec in event_types.CATALOGUE.items()
    }


def _in_window(queryset: QuerySet, filters: ExportFilters) -> QuerySet:
    if filters.start:
        queryset = queryset.filter(occurred_at__gte=filters.start)
    if filters.end:
        queryset = queryset.filter(occurred_at__lt=filters.end)
    if filters.classroom_id is not None:
        queryset = queryset.filter(classroom_id=filters.classroom_id)
    return queryset


def events_queryset(filters: ExportFilters) -> QuerySet:
    """The events matching ``filters`` in the exports' order, ``(occurred_at, id)``."""
    queryset = _in_window(LearningEvent.objects.all(), filters)
    if filters.event_types:
        queryset = queryset.filter(event_type__in=filters.event_types)
    return queryset.order_by("occurred_at", "id")


def events_export(filters: ExportFilters, *, salt: bytes | None = None) -> Export:
    """The events matching ``filters``, one row per event in ``EVENT_COLUMNS`` order."""
    queryset = events_queryset(filters)

    def rows() -> Iterator[tuple]:
        names = Pseudonymizer(salt)
        keys = _exported_keys()
        selected = queryset.values_list(
            "event_id", "event_type", "occurred_at", "created_at", "user_id", "classroom_id", "context")
        for event_id, event_type, occurred_at, created_at, user_id, classroom_id, context in selected.iterator(
                chunk_size=CHUNK_SIZE):
            yield (
                SCHEMA_VERSION, str(event_id), event_type, occurred_at, created_at,
                names.user(user_id), names.classroom(classroom_id),
                {key: context[key] for key in keys.get(event_type, ()) if key in context},
            )

    return Export("events", EVENT_COLUMNS, rows, queryset.count)


def trace_queryset(filters: ExportFilters) -> QuerySet:
    """Graded word attempts in ``filters``' window and classroom, with their history features.

    The features come from window functions over the learner's whole history with the word, partitioned
    by (learner, word) and ordered by (occurred_at, id): the export window and classroom choose which
    attempts are rows, never what came before them. Django applies filters on window annotations in an
    outer query (after the windows ran), so the attempt's own time and classroom are exposed as window
    values (``FIRST_VALUE`` over the current row) for the window and classroom filters to act on.
    """
    history = LearningEvent.objects.filter(event_type__in=event_types.WORD_TYPES)
    if filters.end:
        # Later attempts never change the features of earlier ones.
        history = history.filter(occurred_at__lt=filters.end)
    if filters.classroom_id is not None:
        # Whole partitions only (every attempt of the learners concerned), so no feature changes.
        history = history.filter(user_id__in=LearningEvent.objects.filter(
            event_type__in=event_types.WORD_TYPES, classroom_id=filters.classroom_id).values("user_id"))

    def over(expression, frame=None) -> Window:
        return Window(expression, partition_by=[F("user_id"), F("word_id")],
                      order_by=[F("occurred_at").asc(), F("id").asc()], frame=frame)

    this_row = RowRange(start=0, end=0)
    attempts = history.annotate(
        word_id=Cast(KeyTextTransform("word_id", "context"), BigIntegerField()),
        outcome=Case(When(event_type=event_types.WORD_CORRECT, then=Value(1)), default=Value(0),
                     output_field=IntegerField()),
    ).annotate(
        attempt_number=over(RowNumber()),
        correct_through=over(Sum("outcome"), RowRange(start=None, end=0)),
        previous_at=over(Lag("occurred_at")),
        attempt_at=over(FirstValue("occurred_at"), this_row),
        attempt_classroom=over(FirstValue("classroom_id"), this_row),
        response_ms=Cast(KeyTextTransform("response_ms", "context"), BigIntegerField()),
        session_id=KeyTextTransform("session_id", "context"),
    )
    if filters.start:
        attempts = attempts.filter(attempt_at__gte=filters.start)
    if filters.classroom_id is not None:
        attempts = attempts.filter(attempt_classroom=filters.classroom_id)
    return attempts.order_by("occurred_at", "id")


def traces_export(filters: ExportFilters, *, salt: bytes | None = None) -> Export:
    """Learning traces: one row per graded word attempt in ``filters``, in ``TRACE_COLUMNS`` order.

    ``filters.event_types`` is ignored (traces are word attempts). Words' language, text and translation come
    from the host's ``LEARNING_EVENTS_WORD_NAMES`` hook (``selectors.word_names``), asked once per batch for
    the words it has not named yet. They are vocabulary, not personal data: nothing about a person is added.
    """
    queryset = trace_queryset(filters)
    counted = _in_window(LearningEvent.objects.filter(event_type__in=event_types.WORD_TYPES), filters)

    def rows() -> Iterator[tuple]:
        pseudonyms = Pseudonymizer(salt)
        names: dict[int, dict[str, str | None]] = {}
        selected = queryset.values_list(
            "event_id", "user_id", "word_id", "outcome", "occurred_at", "previous_at", "attempt_number",
            "correct_through", "response_ms", "session_id", "classroom_id")
        for chunk in _batches(selected.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
            names.update(selectors.word_names({row[2] for row in chunk} - names.keys()))
            for (event_id, user_id, word_id, outcome, occurred_at, previous_at, attempt_number,
                 correct_through, response_ms, session_id, classroom_id) in chunk:
                word = names[word_id]
                yield (
                    SCHEMA_VERSION, str(event_id), pseudonyms.user(user_id), word_id, word["language"], outcome,
                    occurred_at,
                    None if previous_at is None else (occurred_at - previous_at).total_seconds(),
                    attempt_number - 1, correct_through - outcome, response_ms, session_id,
                    pseudonyms.classroom(classroom_id), word["text"], word["translation"],
                )

    return Export("traces", TRACE_COLUMNS, rows, counted.count)


# --- writers --------------------------------------------------------------------------------------


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _iso(value: datetime) -> str:
    # isoformat is several times faster than strftime; the offset is always +00:00 after astimezone.
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _jsonl(columns: Sequence[Column], batches: Iterable[list[tuple]]) -> Iterator[bytes]:
    names = [c.name for c in columns]
    times = [i for i, c in enumerate(columns) if c.kind == "timestamp"]
    for batch in batches:
        lines = []
        for row in batch:
            row = list(row)
            for i in times:
                row[i] = None if row[i] is None else _iso(row[i])
            lines.append(json.dumps(dict(zip(names, row)), ensure_ascii=False, separators=(",", ":"),
                                    sort_keys=False))
        yield ("\n".join(lines) + "\n").encode()


def _statement_lines(batches: Iterable[list[dict]]) -> Iterator[bytes]:
    for batch in batches:
        yield ("\n".join(json.dumps(statement, ensure_ascii=False, separators=(",", ":")) for statement in batch)
               + "\n").encode()


def _csv(columns: Sequence[Column], batches: Iterable[list[tuple]]) -> Iterator[bytes]:
    convert: list[Callable[[Any], Any]] = [
        {"timestamp": _iso, "json": _json_text}.get(c.kind, lambda value: value) for c in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for batch in batches:
        writer.writerows([None if v is None else f(v) for f, v in zip(convert, row)] for row in batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # an export without rows is its header alone
        yield buffer.getvalue().encode()


class _Drain:
    """A write-only sink whose bytes are taken away as they come, so Parquet can stream."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0
        self.closed = False

    def write(self, data) -> int:
        data = bytes(data)
        self._chunks.append(data)
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def _parquet(columns: Sequence[Column], batches: Iterable[list[tuple]], kind: str) -> Iterator[bytes]:
    schema = pa.schema(
        [pa.field(c.name, c.arrow_type) for c in columns],
        metadata={
            "learning_events.export": kind,
            "learning_events.schema_version": str(SCHEMA_VERSION),
            **{f"learning_events.column.{c.name}": c.description for c in columns},
        },
    )
    jsons = [i for i, c in enumerate(columns) if c.kind == "json"]

    def arrow(batch: list[tuple]) -> pa.RecordBatch:
        values = [list(column) for column in zip(*batch)]
        for i in jsons:
            values[i] = [None if v is None else _json_text(v) for v in values[i]]
        return pa.RecordBatch.from_arrays([pa.array(v, type=c.arrow_type) for v, c in zip(values, columns)],
                                          schema=schema)

    sink = _Drain()
    with pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema, compression="zstd") as writer:
        group: list[pa.RecordBatch] = []
        for batch in batches:
            group.append(arrow(batch))
            if sum(b.num_rows for b in group) >= ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(group, schema=schema))
                group = []
                yield sink.take()
        if group:
            writer.write_table(pa.Table.from_batches(group, schema=schema))
    yield sink.take()  # the last row group and the footer


def render(export: Export, fmt: str, *, on_rows: Callable[[int], Any] | None = None) -> Iterator[bytes]:
    """The export as a stream of bytes chunks in format ``fmt``; ``on_rows(n)`` after each n rows.

    ``xapi`` renders a statements export (``xapi.statements_export``), and only that; raises ``ExportError``
    for any other pairing.
    """
    fmt = parse_format(fmt)
    if (fmt == "xapi") != (export.kind == "statements"):
        raise ExportError({"format": "xapi is the format of the event export's statements (xapi.statements_export)"
                           if fmt == "xapi" else f"statements are written as xapi, not {fmt}"})

    def batches() -> Iterator[list[tuple]]:
        for batch in _batches(export.rows(), CHUNK_SIZE):
            yield batch
            if on_rows:
                on_rows(len(batch))

    if fmt == "xapi":
        return _statement_lines(batches())
    if fmt == "jsonl":
        return _jsonl(export.columns, batches())
    if fmt == "csv":
        return _csv(export.columns, batches())
    return _parquet(export.columns, batches(), export.kind)


def write(export: Export, fmt: str, path: str, *, on_rows: Callable[[int], Any] | None = None) -> int:
    """Write the export to the file at ``path`` and return how many rows it holds.

    The file appears whole or not at all: bytes go to ``<path>.partial``, renamed over ``path`` at the end.
    Raises ``ExportError`` for a bad format and ``OSError`` when the file cannot be written.
    """
    written = 0

    def count(n: int) -> None:
        nonlocal written
        written += n
        if on_rows:
            on_rows(n)

    chunks = render(export, fmt, on_rows=count)
    partial = f"{path}.partial"
    try:
        with open(partial, "wb") as output:
            for chunk in chunks:
                output.write(chunk)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return written


def filename(export: Export, fmt: str, filters: ExportFilters) -> str:
    """A download name that says what the file holds, e.g. ``learning-events_2026-01-01_2026-01-31.csv``
    (statements: ``learning-statements_....jsonl``)."""
    parts = [f"learning-{export.kind}"]
    if filters.since or filters.until:
        parts.append(f"{filters.since or 'start'}_{filters.until or 'end'}")
    return "_".join(parts) + (".jsonl" if fmt == "xapi" else f".{fmt}")
