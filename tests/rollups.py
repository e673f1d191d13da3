"""Helpers of the rollup tests: log events tersely, read stored rollups, recompute them independently.

The recomputations use only the reference definition (``aggregation.daily_figures`` over one learner's
events), never the SQL, so that comparing them with the stored rows tests the SQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from learning_events import aggregation, event_types, services
from learning_events.models import (
    ClassroomDailyStats,
    ClassroomWordDailyStats,
    LearnerClassroomDailyStats,
    LearnerDailyStats,
    LearnerWordDailyStats,
)

ZERO = {name: 0 for name in aggregation.FIGURES} | {"accuracy": None, "exam_accuracy": None}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def event(user, event_type: str, at: datetime, room=None, **context) -> dict[str, Any]:
    """One item for ``services.log_events``."""
    return {"user": user, "event_type": event_type, "occurred_at": at, "classroom": room, "context": context}


def log(*items: dict[str, Any]) -> int:
    return services.log_events(list(items))


def figures_of(row) -> dict[str, Any]:
    return {name: getattr(row, name) for name in aggregation.FIGURES} if row else dict(ZERO)


def stored_learner_days() -> dict[tuple[int, date], dict[str, Any]]:
    return {(r.user_id, r.date): figures_of(r) for r in LearnerDailyStats.objects.all()}


def stored_learner_room_days() -> dict[tuple[int, int, date], dict[str, Any]]:
    return {(r.user_id, r.classroom_id, r.date): figures_of(r) for r in LearnerClassroomDailyStats.objects.all()}


def stored_room_days() -> dict[tuple[int, date], dict[str, Any]]:
    return {(r.classroom_id, r.date): {**figures_of(r), "active_learners": r.active_learners}
            for r in ClassroomDailyStats.objects.all()}


def stored_learner_words() -> dict[tuple[int, date, int], tuple]:
    return {(r.user_id, r.date, r.word_id): (r.attempts, r.correct, r.first_seen, r.last_seen, r.last_correct)
            for r in LearnerWordDailyStats.objects.all()}


def stored_room_words() -> dict[tuple[int, date, int], tuple]:
    return {(r.classroom_id, r.date, r.word_id): (r.attempts, r.correct, r.learners)
            for r in ClassroomWordDailyStats.objects.all()}


def _instant(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def recompute(user_ids, days) -> dict[str, dict]:
    """Every rollup of the learners' ``days``, from the reference definition; rows that would be all
    zeros (no event on the day, no time) are left out, as the rollup leaves them out."""
    learners, learner_rooms, words = {}, {}, {}
    room_parts: dict[tuple[int, date], list[dict]] = defaultdict(list)
    room_words: dict[tuple[int, date, int], list] = defaultdict(lambda: [0, 0, set()])
    room_learners: dict[tuple[int, date], set] = defaultdict(set)
    for user_id in user_ids:
        for day in days:
            start, end, activities = aggregation.learner_day_activities(user_id, day)
            today = [a for a in activities if start <= a.at < end]
            figures = aggregation.daily_figures(activities, start, end)
            if today or aggregation.time_on_task(activities, start, end):
                learners[(user_id, day)] = figures
            for room_id in {a.classroom_id for a in activities if a.classroom_id is not None}:
                mine = [a for a in activities if a.classroom_id == room_id]
                room_figures = aggregation.daily_figures(mine, start, end)
                if any(start <= a.at < end for a in mine) or aggregation.time_on_task(mine, start, end):
                    learner_rooms[(user_id, room_id, day)] = room_figures
                    room_parts[(room_id, day)].append(room_figures)
                    room_learners[(room_id, day)].add(user_id)
            answers = defaultdict(list)
            for a in today:
                if a.event_type in event_types.WORD_TYPES:
                    answers[a.word_id].append(a)
                    if a.classroom_id is not None:
                        tally = room_words[(a.classroom_id, day, a.word_id)]
                        tally[0] += 1
                        tally[1] += a.event_type == event_types.WORD_CORRECT
                        tally[2].add(user_id)
            for word_id, tries in answers.items():
                latest = max(a.at for a in tries)
                words[(user_id, day, word_id)] = (
                    len(tries), sum(a.event_type == event_types.WORD_CORRECT for a in tries),
                    _instant(min(a.at for a in tries)), _instant(latest),
                    # The latest answer's result; on a tie, incorrect.
                    all(a.event_type == event_types.WORD_CORRECT for a in tries if a.at == latest),
                )
    rooms = {}
    for key, parts in room_parts.items():
        total = {name: sum(p[name] for p in parts) for name in aggregation.FIGURES
                 if name not in ("accuracy", "exam_accuracy", "unique_words")}
        total["unique_words"] = sum(1 for (room_id, day, _) in room_words if (room_id, day) == key)
        total["accuracy"] = total["words_correct"] / total["words_practiced"] if total["words_practiced"] else None
        total["exam_accuracy"] = total["exam_correct"] / total["exam_answers"] if total["exam_answers"] else None
        rooms[key] = {**total, "active_learners": len(room_learners[key])}
    return {
        "learners": learners, "learner_rooms": learner_rooms, "rooms": rooms, "words": words,
        "room_words": {key: (a, c, len(users)) for key, (a, c, users) in room_words.items()},
    }


def stored() -> dict[str, dict]:
    return {"learners": stored_learner_days(), "learner_rooms": stored_learner_room_days(),
            "rooms": stored_room_days(), "words": stored_learner_words(), "room_words": stored_room_words()}
