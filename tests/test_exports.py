"""Event and trace exports: pseudonyms, privacy, formats, reproducibility, filters, trace features, commands."""

import datetime
import hashlib
import hmac
import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.db import connection

from learning_events import exports, services, xapi
from learning_events.models import LearningEvent
from tests import words
from tests.testapp.models import Room

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SESSION = "6f1c1e6e-6d4b-4c1f-9d0a-3b3c8a1f2e10"
SALT = b"salt-a"


def languages_of_words(word_ids):
    """A host's older, language-only LEARNING_EVENTS_WORD_LANGUAGES hook: word 9 has no language."""
    return {word_id: {7: "es", 8: "fr"}[word_id] for word_id in word_ids if word_id in (7, 8)}


@pytest.fixture(autouse=True)
def export_settings(settings):
    settings.LEARNING_EVENTS_EXPORT_SALT = SALT.decode()
    settings.LEARNING_EVENTS_WORD_NAMES = words.HOOK  # words 7 and 8 are named, 9 is not (a deleted word)
    words.CALLS.clear()


def pseudonym(domain: str, value: int, salt: bytes = SALT) -> str:
    return hmac.new(salt, f"{domain}:{value}".encode(), hashlib.sha256).hexdigest()[:16]


def iso(value: datetime.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rendered(export: exports.Export, fmt: str) -> bytes:
    return b"".join(exports.render(export, fmt))


def jsonl_records(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines()]


def everything(**filters) -> exports.ExportFilters:
    return exports.ExportFilters(**filters)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


# --- the event export -----------------------------------------------------------------------------


@pytest.fixture
def three_events(make_user, room):
    alice, bob = make_user(), make_user()
    word = services.log_word_practice(alice, 7, False, room, occurred_at=T0,
                                      context={"session_id": SESSION, "response_ms": 1200, "answer": "gato"})
    exam = services.log_event(alice, "exam_answer", {"exam_id": 1, "question_id": 2, "submission_id": 3,
                                                     "correct": True, "answer": "el gato", "duration_seconds": 90.5},
                              room, occurred_at=T0)
    view = services.log_event(bob, "content_view", {"content_type": "story", "content_id": 3, "nickname": "bobby"},
                              occurred_at=at(1))
    return [LearningEvent.objects.get(pk=e.pk) for e in (word, exam, view)]


def expected_event_records(events) -> list[dict]:
    contexts = [{"response_ms": 1200, "session_id": SESSION, "word_id": 7},
                {"correct": True, "duration_seconds": 90.5, "exam_id": 1, "question_id": 2, "submission_id": 3},
                {"content_id": 3, "content_type": "story"}]
    return [
        {"schema_version": 1, "event_id": str(e.event_id), "event_type": e.event_type,
         "occurred_at": iso(e.occurred_at), "created_at": iso(e.created_at), "learner": pseudonym("user", e.user_id),
         "classroom": pseudonym("classroom", e.classroom_id) if e.classroom_id else None, "context": context}
        for e, context in zip(events, contexts)
    ]


def test_jsonl_holds_one_record_per_event_in_time_then_id_order_without_free_text(three_events):
    data = rendered(exports.events_export(everything()), "jsonl")
    assert jsonl_records(data) == expected_event_records(three_events)
    # Fixed key order, compact separators, sorted context keys: the bytes themselves are specified.
    first = expected_event_records(three_events)[0]
    assert data.split(b"\n")[0].decode() == (
        f'{{"schema_version":1,"event_id":"{first["event_id"]}","event_type":"word_incorrect",'
        f'"occurred_at":"2026-03-02T10:00:00.000000Z","created_at":"{first["created_at"]}",'
        f'"learner":"{first["learner"]}","classroom":"{first["classroom"]}",'
        f'"context":{{"response_ms":1200,"session_id":"{SESSION}","word_id":7}}}}'
    )


def test_csv_has_a_header_and_json_contexts(three_events):
    records = expected_event_records(three_events)
    lines = ["schema_version,event_id,event_type,occurred_at,created_at,learner,classroom,context"]
    for r in records:
        context = json.dumps(r["context"], separators=(",", ":"), sort_keys=True).replace('"', '""')
        lines.append(f'1,{r["event_id"]},{r["event_type"]},{r["occurred_at"]},{r["created_at"]},{r["learner"]},'
                     f'{r["classroom"] or ""},"{context}"')
    assert rendered(exports.events_export(everything()), "csv").decode() == "\n".join(lines) + "\n"


def test_parquet_has_typed_columns_and_the_schema_version_in_its_metadata(three_events):
    table = pq.read_table(io.BytesIO(rendered(exports.events_export(everything()), "parquet")))
    assert table.to_pylist() == [
        {**r, "occurred_at": e.occurred_at, "created_at": e.created_at,
         "context": json.dumps(r["context"], separators=(",", ":"), sort_keys=True)}
        for r, e in zip(expected_event_records(three_events), three_events)
    ]
    assert [str(field.type) for field in table.schema] == [
        "int64", "string", "string", "timestamp[us, tz=UTC]", "timestamp[us, tz=UTC]", "string", "string", "string"]
    metadata = table.schema.metadata
    assert (metadata[b"learning_events.export"], metadata[b"learning_events.schema_version"]) == (b"events", b"1")
    assert metadata[b"learning_events.column.learner"] == b"Pseudonym of the learner."


def test_empty_exports_are_valid_files(db):
    export = exports.events_export(everything())
    assert rendered(export, "jsonl") == b""
    assert rendered(export, "csv") == (
        b"schema_version,event_id,event_type,occurred_at,created_at,learner,classroom,context\n")
    table = pq.read_table(io.BytesIO(rendered(export, "parquet")))
    assert (table.num_rows, table.schema.names) == (0, [c.name for c in exports.EVENT_COLUMNS])


# --- privacy and pseudonyms -----------------------------------------------------------------------


def texts_of(export: exports.Export) -> dict[str, str]:
    """Every format's bytes as text; Parquet both raw (metadata) and decoded (its compressed values)."""
    parquet = rendered(export, "parquet")
    table = pq.read_table(io.BytesIO(parquet))
    return {
        "jsonl": rendered(export, "jsonl").decode(),
        "csv": rendered(export, "csv").decode(),
        "parquet bytes": parquet.decode("latin-1"),
        "parquet values": json.dumps(table.to_pylist(), default=str) + repr(table.schema.metadata),
    }


def test_no_identifying_field_leaves_in_any_export_or_format(make_user):
    person = make_user(username="zoraida.quintero", email="zoraida.q@example.org", first_name="Zoraida",
                       last_name="Quintero")
    room = Room.objects.create(name="Quintero family room")
    services.log_word_practice(person, 7, True, room, occurred_at=T0,
                               context={"answer": "Zoraida Quintero", "student_name": "Zoraida", "session_id": SESSION})
    services.log_event(person, "exam_answer", {"exam_id": 1, "question_id": 2, "submission_id": 3, "correct": False,
                                               "answer": "my email is zoraida.q@example.org"}, room, occurred_at=at(5))
    services.log_event(person, "content_complete", {"content_id": 1, "content_type": "article",
                                                    "reader": "zoraida.quintero"}, room, occurred_at=at(9))
    for export in (exports.events_export(everything()), exports.traces_export(everything())):
        for fmt, text in texts_of(export).items():
            found = [needle for needle in ("zoraida", "quintero", "example.org") if needle in text.lower()]
            assert (export.kind, fmt, found) == (export.kind, fmt, [])
    learners = {r["learner"] for r in jsonl_records(rendered(exports.events_export(everything()), "jsonl"))}
    assert learners == {pseudonym("user", person.pk)}


def test_pseudonyms_are_stable_for_a_salt_and_differ_across_salts(settings, make_user, room):
    learner = make_user()
    services.log_word_practice(learner, 7, True, room, occurred_at=T0)

    def names() -> tuple[str, str]:
        record = jsonl_records(rendered(exports.events_export(everything()), "jsonl"))[0]
        return record["learner"], record["classroom"]

    salted_a = names()
    assert names() == salted_a == (pseudonym("user", learner.pk), pseudonym("classroom", room.pk))
    settings.LEARNING_EVENTS_EXPORT_SALT = "salt-b"
    salted_b = names()
    assert salted_b == (pseudonym("user", learner.pk, b"salt-b"), pseudonym("classroom", room.pk, b"salt-b"))
    assert set(salted_a).isdisjoint(salted_b)


def test_pseudonyms_are_domain_separated():
    names = exports.Pseudonymizer(b"k")
    assert names.user(3) != names.classroom(3)
    assert (names.user(3), names.classroom(None)) == (pseudonym("user", 3, b"k"), None)


def test_without_a_salt_setting_the_key_derives_from_the_secret_key(settings):
    settings.LEARNING_EVENTS_EXPORT_SALT = None
    derived = hashlib.sha256(b"learning-events-export:pipeline-tests").digest()
    assert exports.Pseudonymizer().user(3) == pseudonym("user", 3, derived)


# --- reproducibility ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", exports.TABLE_FORMATS)
@pytest.mark.parametrize("build", [exports.events_export, exports.traces_export])
def test_the_same_data_and_filters_give_byte_identical_files(tmp_path, three_events, fmt, build):
    services.log_word_practice(three_events[0].user_id, 7, True, occurred_at=T0)  # a tie on occurred_at
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    rows = exports.write(build(everything()), fmt, str(first))
    assert exports.write(build(everything()), fmt, str(second)) == rows
    assert first.read_bytes() == second.read_bytes() == rendered(build(everything()), fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a.{fmt}", f"b.{fmt}"]  # no partial file left


def test_parquet_streams_in_row_groups(monkeypatch, make_user):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    monkeypatch.setattr(exports, "ROW_GROUP_ROWS", 4)
    learner = make_user()
    for second in range(5):
        services.log_word_practice(learner, 7, second % 2 == 0, occurred_at=at(second))
    chunks = list(exports.render(exports.events_export(everything()), "parquet"))
    metadata = pq.read_metadata(io.BytesIO(b"".join(chunks)))
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [4, 1]
    assert len(chunks) == 2  # the first row group as soon as it is full, then the rest and the footer
    assert pq.read_table(io.BytesIO(b"".join(chunks))).column("event_id").to_pylist() == [
        str(e.event_id) for e in LearningEvent.objects.order_by("occurred_at", "id")]


@pytest.mark.postgres
@pytest.mark.parametrize("build", [exports.events_export, exports.traces_export])
def test_rows_stream_through_a_server_side_cursor_on_postgresql(monkeypatch, make_user, build):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server-side cursors (rows are still fetched in chunks)")
    monkeypatch.setattr(exports, "CHUNK_SIZE", 1)
    learner = make_user()
    for second in range(3):
        services.log_word_practice(learner, 7, True, occurred_at=at(second))
    rows = build(everything()).rows()
    next(rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        assert cursor.fetchone() == (1,)
    assert len(list(rows)) == 2


# --- filters --------------------------------------------------------------------------------------


def test_dates_are_whole_utc_days_inclusive_and_classroom_and_types_filter(make_user, room):
    learner = make_user(time_zone="Pacific/Auckland")  # local days do not matter: exports use UTC days
    other_room = Room.objects.create(name="Room 2")
    day = datetime.datetime(2026, 3, 2, tzinfo=UTC)
    tick = datetime.timedelta(microseconds=1)

    def log(when, classroom=room, correct=True):
        return services.log_word_practice(learner, 7, correct, classroom, occurred_at=when).event_id

    before = log(day - tick)
    first = log(day)
    elsewhere = log(day + datetime.timedelta(hours=1), other_room)
    wrong = log(day + datetime.timedelta(hours=2), correct=False)
    last = log(day + datetime.timedelta(days=2) - tick)
    after = log(day + datetime.timedelta(days=2))

    def ids(**arguments) -> list[str]:
        records = jsonl_records(rendered(exports.events_export(exports.parse_filters(**arguments)), "jsonl"))
        return [r["event_id"] for r in records]

    assert ids() == [str(e) for e in (before, first, elsewhere, wrong, last, after)]
    assert ids(since="2026-03-02", until="2026-03-03") == [str(e) for e in (first, elsewhere, wrong, last)]
    assert ids(since="2026-03-04") == [str(after)]
    assert ids(until="2026-03-01") == [str(before)]
    assert ids(classroom=str(other_room.pk)) == [str(elsewhere)]
    assert ids(types="word_incorrect") == [str(wrong)]
    assert ids(since="2026-03-02", until="2026-03-02", classroom=room.pk, types="word_correct, word_incorrect") == [
        str(first), str(wrong)]


def test_parse_filters_accepts_empty_strings_as_no_filter(db):
    assert exports.parse_filters(since="", until="", classroom="", types="") == exports.ExportFilters()


@pytest.mark.parametrize(
    ("arguments", "errors"),
    [
        ({"since": "2026-02-30"}, {"since": "'2026-02-30' is not a date; use YYYY-MM-DD"}),
        ({"until": "yesterday"}, {"until": "'yesterday' is not a date; use YYYY-MM-DD"}),
        ({"until": "20260302"}, {"until": "'20260302' is not a date; use YYYY-MM-DD"}),
        ({"since": "2026-03-02", "until": "2026-03-01"}, {"until": "2026-03-01 is before since (2026-03-02)"}),
        ({"classroom": "abc"}, {"classroom": "'abc' is not a classroom id (an integer)"}),
        ({"classroom": "999"}, {"classroom": "no classroom has id 999"}),
        ({"types": "word_correct,word_guessed"}, {"types": (
            "unknown event type(s) word_guessed; known: practice_start, practice_end, word_correct, "
            "word_incorrect, exam_answer, content_view, content_complete, game_complete")}),
        ({"since": "x", "classroom": "y"}, {"since": "'x' is not a date; use YYYY-MM-DD",
                                            "classroom": "'y' is not a classroom id (an integer)"}),
    ],
)
def test_bad_filters_name_every_bad_argument(db, arguments, errors):
    with pytest.raises(exports.ExportError) as info:
        exports.parse_filters(**arguments)
    assert info.value.errors == errors


def test_bad_format_is_refused():
    with pytest.raises(exports.ExportError) as info:
        exports.parse_format("xlsx")
    assert info.value.errors == {"format": "'xlsx' is not a format; choose one of jsonl, csv, parquet, xapi"}


# --- learning traces ------------------------------------------------------------------------------


def trace(learner, word_id, outcome, when, seconds, seen, correct, *, classroom=None, session=None, event=None,
          response_ms=None):
    word = words.named(word_id)
    return {
        "schema_version": 1, "event_id": str(event.event_id), "learner": pseudonym("user", learner.pk),
        "word_id": word_id, "language": word["language"], "outcome": outcome,
        "occurred_at": iso(when), "seconds_since_last_seen": seconds, "seen_before": seen,
        "correct_before": correct, "response_ms": response_ms, "session_id": session,
        "classroom": pseudonym("classroom", classroom.pk) if classroom else None,
        "word_text": word["text"], "word_translation": word["translation"],
    }


def traces(**arguments) -> list[dict]:
    return jsonl_records(rendered(exports.traces_export(exports.parse_filters(**arguments)), "jsonl"))


def test_traces_count_each_learners_history_with_each_word(make_user, room):
    alice, bob = make_user(), make_user()
    practise = services.log_word_practice
    a1 = practise(alice, 7, False, room, occurred_at=T0, context={"session_id": SESSION, "response_ms": 2100})
    b1 = practise(bob, 7, False, occurred_at=at(10))
    services.log_event(alice, "content_view", {"content_id": 1, "content_type": "story"}, occurred_at=at(20))
    a2 = practise(alice, 8, True, room, occurred_at=at(30))
    a3 = practise(alice, 7, True, occurred_at=at(60), context={"session_id": SESSION})
    a4 = practise(alice, 7, True, room, occurred_at=at(3600))
    b2 = practise(bob, 9, True, occurred_at=at(7200))
    b3 = practise(bob, 7, True, occurred_at=at(7200.5))
    assert traces() == [
        trace(alice, 7, 0, T0, None, 0, 0, classroom=room, session=SESSION, event=a1, response_ms=2100),
        trace(bob, 7, 0, at(10), None, 0, 0, event=b1),
        trace(alice, 8, 1, at(30), None, 0, 0, classroom=room, event=a2),
        trace(alice, 7, 1, at(60), 60.0, 1, 0, session=SESSION, event=a3),
        trace(alice, 7, 1, at(3600), 3540.0, 2, 1, classroom=room, event=a4),
        trace(bob, 9, 1, at(7200), None, 0, 0, event=b2),
        trace(bob, 7, 1, at(7200.5), 7190.5, 1, 0, event=b3),
    ]
    assert words.CALLS == [[7, 8, 9]]  # asked once per batch, for the words it does not know yet


def test_trace_features_come_from_the_whole_history_whatever_the_window_and_classroom(make_user, room):
    alice = make_user()
    other_room = Room.objects.create(name="Room 2")
    day1, day2 = T0, T0 + datetime.timedelta(days=1)
    first = services.log_word_practice(alice, 7, False, room, occurred_at=day1)
    second = services.log_word_practice(alice, 7, True, room, occurred_at=day1 + datetime.timedelta(seconds=60))
    third = services.log_word_practice(alice, 7, True, other_room, occurred_at=day2)
    services.log_word_practice(alice, 7, False, other_room, occurred_at=day2 + datetime.timedelta(days=1))
    expected_third = trace(alice, 7, 1, day2, 86340.0, 2, 1, classroom=other_room, event=third)
    assert traces(since="2026-03-03", until="2026-03-03") == [expected_third]
    assert traces(until="2026-03-03", classroom=other_room.pk) == [expected_third]
    assert traces(until="2026-03-02") == [
        trace(alice, 7, 0, day1, None, 0, 0, classroom=room, event=first),
        trace(alice, 7, 1, day1 + datetime.timedelta(seconds=60), 60.0, 1, 0, classroom=room, event=second),
    ]


def test_traces_without_a_word_hook_leave_the_words_names_empty(settings, make_user):
    settings.LEARNING_EVENTS_WORD_NAMES = None
    services.log_word_practice(make_user(), 7, True, occurred_at=T0)
    assert [(t["word_id"], t["language"], t["word_text"], t["word_translation"]) for t in traces()] == [
        (7, None, None, None)]
    row = rendered(exports.traces_export(everything()), "csv").decode().splitlines()[1].split(",")
    assert (row[3], row[4], row[-2:]) == ("7", "", ["", ""])


def test_traces_still_take_languages_from_the_older_language_hook(settings, make_user):
    settings.LEARNING_EVENTS_WORD_NAMES = None
    settings.LEARNING_EVENTS_WORD_LANGUAGES = "tests.test_exports.languages_of_words"
    for word_id in (7, 8, 9):
        services.log_word_practice(make_user(), word_id, True, occurred_at=T0)
    assert [(t["word_id"], t["language"], t["word_text"], t["word_translation"]) for t in traces()] == [
        (7, "es", None, None), (8, "fr", None, None), (9, None, None, None)]


def test_trace_parquet_types(make_user):
    services.log_word_practice(make_user(), 7, True, occurred_at=T0)
    table = pq.read_table(io.BytesIO(rendered(exports.traces_export(everything()), "parquet")))
    assert {field.name: str(field.type) for field in table.schema} == {
        "schema_version": "int64", "event_id": "string", "learner": "string", "word_id": "int64",
        "language": "string", "outcome": "int64", "occurred_at": "timestamp[us, tz=UTC]",
        "seconds_since_last_seen": "double", "seen_before": "int64", "correct_before": "int64",
        "response_ms": "int64", "session_id": "string", "classroom": "string", "word_text": "string",
        "word_translation": "string",
    }
    assert table.schema.metadata[b"learning_events.export"] == b"traces"


def test_trace_count_matches_the_rows(make_user, room):
    learner = make_user()
    for second in range(3):
        services.log_word_practice(learner, 7, True, room if second else None, occurred_at=at(second))
    services.log_event(learner, "content_view", {"content_id": 1, "content_type": "story"}, room, occurred_at=at(1))
    assert exports.traces_export(everything()).count() == 3
    assert exports.traces_export(everything(classroom_id=room.pk)).count() == len(traces(classroom=room.pk)) == 2


# --- management commands --------------------------------------------------------------------------


def test_export_events_writes_the_file_and_says_so(tmp_path, three_events):
    output, out = tmp_path / "events.csv", io.StringIO()
    call_command("export_events", "--format=csv", f"--output={output}", "--types=word_incorrect,content_view",
                 stdout=out)
    filters = exports.parse_filters(types="word_incorrect,content_view")
    assert output.read_bytes() == rendered(exports.events_export(filters), "csv")
    assert out.getvalue() == f"Wrote 2 events to {output} (csv, schema version 1).\n"


def test_export_traces_writes_the_file_and_says_so(tmp_path, three_events, room):
    output, out = tmp_path / "traces.parquet", io.StringIO()
    call_command("export_traces", "--format", "parquet", "--output", str(output), "--since", "2026-03-02",
                 "--until", "2026-03-02", "--classroom", str(room.pk), stdout=out)
    assert pq.read_table(output).column("event_id").to_pylist() == [str(three_events[0].event_id)]
    assert out.getvalue() == f"Wrote 1 attempt to {output} (parquet, schema version 1).\n"


@pytest.mark.parametrize("name", ["export_events", "export_traces"])
def test_help_explains_formats_and_utc_dates(name):
    text = " ".join(load_command_class("learning_events", name).create_parser("manage.py", name).format_help().split())
    assert ("--format {jsonl,csv,parquet,xapi}" if name == "export_events" else "--format {jsonl,csv,parquet}") in text
    assert ("Dates are ISO YYYY-MM-DD, inclusive, and mean whole UTC days of occurred_at (when the learner acted), "
            "whatever the learners' time zones.") in text
    assert ("--types T,T" in text) == (name == "export_events")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format=xlsx"],
         "Error: argument --format: invalid choice: 'xlsx' (choose from 'jsonl', 'csv', 'parquet', 'xapi')"),
        (["--format=jsonl", "--since=2026-02-30"], "since: '2026-02-30' is not a date; use YYYY-MM-DD"),
        (["--format=jsonl", "--since=2026-03-02", "--until=2026-03-01"],
         "until: 2026-03-01 is before since (2026-03-02)"),
        (["--format=jsonl", "--classroom=999"], "classroom: no classroom has id 999"),
        (["--format=jsonl", "--types=word_guessed"], "types: unknown event type(s) word_guessed; known: "
         "practice_start, practice_end, word_correct, word_incorrect, exam_answer, content_view, content_complete, "
         "game_complete"),
    ],
)
def test_export_events_refuses_bad_arguments_clearly(tmp_path, arguments, message):
    with pytest.raises(CommandError) as info:
        call_command("export_events", f"--output={tmp_path / 'x'}", *arguments)
    assert str(info.value) == message
    assert list(tmp_path.iterdir()) == []


def test_export_traces_has_no_types_filter(tmp_path, db):
    with pytest.raises(CommandError) as info:
        call_command("export_traces", "--format=csv", f"--output={tmp_path / 'x'}", "--types=word_correct")
    assert str(info.value) == "Error: unrecognized arguments: --types=word_correct"


def test_an_unwritable_output_is_a_clear_error(tmp_path, db):
    missing = tmp_path / "missing" / "events.jsonl"
    with pytest.raises(CommandError) as info:
        call_command("export_events", "--format=jsonl", f"--output={missing}")
    assert str(info.value) == f"cannot write {missing}: No such file or directory"


def test_a_failed_export_leaves_no_file(tmp_path, monkeypatch, three_events):
    def broken(*args, **kwargs):
        yield b"half"
        raise RuntimeError("database went away")

    monkeypatch.setattr(exports, "_jsonl", broken)
    with pytest.raises(RuntimeError):
        exports.write(exports.events_export(everything()), "jsonl", str(tmp_path / "events.jsonl"))
    assert list(tmp_path.iterdir()) == []



# --- xAPI statements (format xapi; the mapping itself: tests/test_xapi.py) ---------------------------


def test_export_events_writes_xapi_statements_one_a_line(tmp_path, three_events, settings):
    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = "https://school.example"
    output, out = tmp_path / "statements.jsonl", io.StringIO()
    call_command("export_events", "--format=xapi", f"--output={output}", "--types=word_incorrect,content_view",
                 stdout=out)
    mapper = xapi.StatementMapper()
    expected = [mapper.statement(xapi.Event(str(e.event_id), e.event_type, e.occurred_at, e.user_id, e.classroom_id,
                                            e.context)) for e in (three_events[0], three_events[2])]
    assert [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()] == expected
    assert out.getvalue() == f"Wrote 2 statements to {output} (xapi, mapping version 1).\n"


def test_export_events_as_xapi_needs_a_home_page(tmp_path, three_events):
    with pytest.raises(CommandError) as info:
        call_command("export_events", "--format=xapi", f"--output={tmp_path / 'x'}")
    assert str(info.value) == ("format: xapi needs LEARNING_EVENTS_XAPI_HOME_PAGE, the IRI of the platform that names "
                               "learners' accounts (docs/xapi.md)")
    assert not (tmp_path / "x").exists()


def test_statements_and_tables_do_not_mix(three_events, settings):
    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = "https://school.example"
    with pytest.raises(exports.ExportError) as table_as_xapi:
        rendered(exports.events_export(everything()), "xapi")
    with pytest.raises(exports.ExportError) as statements_as_csv:
        rendered(xapi.statements_export(everything()), "csv")
    assert (table_as_xapi.value.errors, statements_as_csv.value.errors) == (
        {"format": "xapi is the format of the event export's statements (xapi.statements_export)"},
        {"format": "statements are written as xapi, not csv"})


def test_xapi_exports_are_byte_identical_and_leave_no_answer(three_events, settings):
    settings.LEARNING_EVENTS_XAPI_HOME_PAGE = "https://school.example"
    first = rendered(xapi.statements_export(everything()), "xapi")
    assert first == rendered(xapi.statements_export(everything()), "xapi")
    assert (b"gato" in first, first.count(b"\n"), xapi.statements_export(everything()).count()) == (False, 3, 3)
