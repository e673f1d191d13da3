"""The memory model: for each learner and word, the probability of recalling it now and the day to review it.

Definitions (docs/memory.md):

- A **review** is the first answer of a learner-word on a local day (``LearnerWordDailyStats.first_correct``,
  written by the rollups): FSRS models one review a day; the day's later answers (a retry after a mistake)
  are practice, not evidence of what was remembered.
- The **state** of a learner-word is FSRS's (the ``fsrs`` package, default weights, no learning steps, no
  fuzzing): stability, difficulty, last review, replayed from its reviews in day order (``replay``).
- The **prediction**: FSRS's retrievability with the learner's stability ``scale`` (``MemoryParameters``,
  fitted once they have ``LEARNING_EVENTS_MEMORY_MIN_REVIEWS`` reviews; 1 before), then Platt-calibrated
  (``MemoryCalibration``): p = sigmoid(slope * logit(R) + intercept). A word is **due** on the day p falls
  to ``LEARNING_EVENTS_MEMORY_RETENTION``.

Updates are in bulk: each rollup queues its learner-days (``MemoryDay``); ``update_memory`` takes them in
batches, reads their reviews in one query, applies reviews later than a word's last one on top of its
stored state, rebuilds from the whole history a word that got a review on or before its last one (a late
event), and upserts the states in one statement per chunk. ``rebuild_memory`` recomputes states from the
stored reviews; ``refit_memory`` fits the parameters and the calibration from every review.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from fsrs import Card, Rating, Scheduler, State
from scipy.optimize import minimize, minimize_scalar

from .conf import app_settings
from .models import LearnerWordDailyStats, MemoryCalibration, MemoryDay, MemoryParameters, MemoryState

#: FSRS with its default weights; one review a day, so no (re)learning steps; no random fuzz.
FSRS = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
_DECAY = -FSRS.parameters[20]
_FACTOR = 0.9 ** (1 / _DECAY) - 1
#: Weight of the Gaussian prior pulling a learner's log scale to 0 (scale 1): a learner's fit is about as
#: sure as this many reviews would make it before their own data move it.
SCALE_PRIOR = 20.0
#: Bounds of a fitted scale and of the calibration's slope, so that no fit can run away on odd data.
SCALE_BOUNDS = (0.05, 20.0)
SLOPE_BOUNDS = (0.05, 10.0)
MAX_INTERVAL_DAYS = 36500
BATCH = 5000
_EPSILON = 1e-6
# The advisory lock key serialising the writers of memory states (hold_memory_lock): "LEME".
MEMORY_LOCK_KEY = 0x4C454D45


@dataclass(frozen=True)
class Memory:
    """A learner-word's FSRS state after its reviews so far."""

    stability: float
    difficulty: float
    last_review: date
    reviews: int = 1
    lapses: int = 0


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of retrievability: p = sigmoid(slope * logit(R) + intercept). Identity by default."""

    slope: float = 1.0
    intercept: float = 0.0


def _midnight(day: date) -> datetime:
    """A local day as FSRS's review time: whole days apart, so its elapsed days are the days between."""
    return datetime.combine(day, time(), tzinfo=UTC)


def review(memory: Memory | None, day: date, correct: bool) -> Memory:
    """The state after a review on ``day`` (later than ``memory.last_review``), correct (FSRS's Good) or
    not (Again); ``memory`` None for the word's first review."""
    at = _midnight(day)
    if memory is None:
        card = Card(card_id=0, due=at)
    else:
        card = Card(card_id=0, state=State.Review, stability=memory.stability, difficulty=memory.difficulty,
                    due=at, last_review=_midnight(memory.last_review))
    card, _ = FSRS.review_card(card, Rating.Good if correct else Rating.Again, at)
    return Memory(stability=card.stability, difficulty=card.difficulty, last_review=day,
                  reviews=(memory.reviews if memory else 0) + 1,
                  lapses=(memory.lapses if memory else 0) + (not correct))


def replay(reviews: Iterable[tuple[date, bool]], memory: Memory | None = None) -> Memory | None:
    """The state after ``reviews`` ((day, correct), in day order) on top of ``memory``."""
    for day, correct in reviews:
        memory = review(memory, day, correct)
    return memory


def retrievability(stability, elapsed_days):
    """FSRS's power forgetting curve: recall probability ``elapsed_days`` after a review (arrays welcome)."""
    return np.power(1 + _FACTOR * np.asarray(elapsed_days, dtype=float) / np.asarray(stability, dtype=float),
                    _DECAY)


def _logit(p):
    p = np.clip(p, _EPSILON, 1 - _EPSILON)
    return np.log(p) - np.log1p(-p)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def recall(stability, elapsed_days, scale=1.0, calibration: Calibration = Calibration()):
    """The calibrated probability of recall ``elapsed_days`` after the last review (arrays welcome)."""
    raw = retrievability(np.asarray(scale, dtype=float) * stability, elapsed_days)
    return _sigmoid(calibration.slope * _logit(raw) + calibration.intercept)


def interval_days(stability: float, scale: float, calibration: Calibration, retention: float) -> int:
    """Whole days after a review until the calibrated recall falls to ``retention`` (1 to 36,500)."""
    target = float(_sigmoid((float(_logit(retention)) - calibration.intercept) / calibration.slope))
    days = scale * stability / _FACTOR * (target ** (1 / _DECAY) - 1)
    return int(min(max(math.floor(days), 1), MAX_INTERVAL_DAYS)) if math.isfinite(days) else MAX_INTERVAL_DAYS


# --- fitting ------------------------------------------------------------------------------------------


@dataclass
class Observations:
    """Predictable reviews (those after a learner-word's first): who, the stability before, the days since
    the previous review, and the outcome (1 correct)."""

    user: list[int] = field(default_factory=list)
    stability: list[float] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    outcome: list[int] = field(default_factory=list)

    def add(self, user_id: int, memory: Memory, day: date, correct: bool) -> None:
        self.user.append(user_id)
        self.stability.append(memory.stability)
        self.elapsed.append((day - memory.last_review).days)
        self.outcome.append(int(correct))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return (np.asarray(self.user, dtype=np.int64), np.asarray(self.stability, dtype=float),
                np.asarray(self.elapsed, dtype=float), np.asarray(self.outcome, dtype=float))


def observe(histories: Iterable[tuple[int, list[tuple[date, bool]]]], observations: Observations) -> None:
    """Replay each (user id, reviews) history, recording each review after the first into ``observations``."""
    for user_id, reviews in histories:
        memory = None
        for day, correct in reviews:
            if memory is not None:
                observations.add(user_id, memory, day, correct)
            memory = review(memory, day, correct)


def _log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, _EPSILON, 1 - _EPSILON)
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))


def fit_scales(observations: Observations, min_reviews: int) -> dict[int, tuple[float, int]]:
    """``{user_id: (scale, reviews)}`` for learners with at least ``min_reviews`` observations: the stability
    scale maximising the likelihood of their outcomes under FSRS's curve, with a Gaussian prior on its log
    (``SCALE_PRIOR``) so that a learner's few odd reviews do not swing it."""
    users, stability, elapsed, outcome = observations.arrays()
    fitted = {}
    if not len(users):
        return fitted
    order = np.argsort(users, kind="stable")
    users, stability, elapsed, outcome = users[order], stability[order], elapsed[order], outcome[order]
    bounds = np.log(SCALE_BOUNDS)
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(users)]):
        if end - start < min_reviews:
            continue
        s, t, y = stability[start:end], elapsed[start:end], outcome[start:end]
        result = minimize_scalar(
            lambda log_scale: _log_loss(retrievability(np.exp(log_scale) * s, t), y) + SCALE_PRIOR * log_scale ** 2,
            bounds=tuple(bounds), method="bounded")
        fitted[int(users[start])] = (float(np.exp(result.x)), int(end - start))
    return fitted


def fit_calibration(observations: Observations, scales: Mapping[int, float]) -> Calibration:
    """The Platt calibration minimising the log loss of the observations' outcomes, given each learner's
    scale (1 for learners without one). Identity when there is nothing to fit."""
    users, stability, elapsed, outcome = observations.arrays()
    if len(users) < 2 or outcome.min() == outcome.max():
        return Calibration()
    scale = np.array([scales.get(int(u), 1.0) for u in users])
    x = _logit(retrievability(scale * stability, elapsed))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        p = _sigmoid(params[0] * x + params[1])
        residual = p - outcome
        return _log_loss(p, outcome), np.array([residual @ x, residual.sum()])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[SLOPE_BOUNDS, (-10, 10)])
    return Calibration(slope=float(result.x[0]), intercept=float(result.x[1]))


# --- what is stored -------------------------------------------------------------------------------------


def _db() -> str:
    return router.db_for_write(MemoryState)


def hold_memory_lock() -> None:
    """Wait for the memory lock and hold it until the current transaction ends. Every writer of states takes
    it (``update_memory``'s batches, ``rebuild_memory``, ``refit_memory``): two runs taking different days
    of one learner-word at once would each write a state missing the other's review. PostgreSQL only (an
    advisory lock); SQLite serialises writers itself. Call inside a transaction."""
    connection = connections[_db()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MEMORY_LOCK_KEY])


def current_calibration() -> Calibration:
    """The calibration in force: the latest fit (identity before any)."""
    row = MemoryCalibration.objects.order_by("-fitted_at", "-id").values_list("slope", "intercept").first()
    return Calibration(*row) if row else Calibration()


def scales_of(user_ids: Iterable[int]) -> dict[int, float]:
    """The learners' fitted scales (learners without a fit are left out: their scale is 1)."""
    return dict(MemoryParameters.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "scale"))


def _histories(rows: Iterable[tuple[int, int, date, bool]]) -> Iterator[tuple[tuple[int, int], list]]:
    """Group (user, word, date, first_correct) rows, ordered by user, word and date, into reviews."""
    key, reviews = None, []
    for user_id, word_id, day, correct in rows:
        if (user_id, word_id) != key:
            if key is not None:
                yield key, reviews
            key, reviews = (user_id, word_id), []
        reviews.append((day, correct))
    if key is not None:
        yield key, reviews


def _review_rows(queryset) -> Iterator[tuple[int, int, date, bool]]:
    """The reviews among learner-word rows, by learner, word and day (rows rolled up before the review column
    existed have none: ``rebuild_memory`` rolls their days up again)."""
    return (queryset.filter(first_correct__isnull=False).order_by("user_id", "word_id", "date")
            .values_list("user_id", "word_id", "date", "first_correct").iterator(chunk_size=BATCH))


def _state_row(user_id: int, word_id: int, memory: Memory, scale: float, calibration: Calibration,
               retention: float) -> MemoryState:
    due = memory.last_review + timedelta(days=interval_days(memory.stability, scale, calibration, retention))
    return MemoryState(user_id=user_id, word_id=word_id, stability=memory.stability, difficulty=memory.difficulty,
                       last_review=memory.last_review, reviews=memory.reviews, lapses=memory.lapses, due=due,
                       updated_at=timezone.now())


_STATE_FIELDS = ["stability", "difficulty", "last_review", "reviews", "lapses", "due", "updated_at"]


def _store(states: dict[tuple[int, int], Memory | None]) -> None:
    """Upsert the learner-words' states (None: the word has no review any more, its state goes)."""
    calibration = current_calibration()
    scales = scales_of({user_id for user_id, _ in states})
    retention = app_settings.MEMORY_RETENTION
    rows = [_state_row(user_id, word_id, memory, scales.get(user_id, 1.0), calibration, retention)
            for (user_id, word_id), memory in states.items() if memory is not None]
    gone = {key for key, memory in states.items() if memory is None}
    if gone:
        MemoryState.objects.filter(pk__in=[
            pk for pk, user_id, word_id in MemoryState.objects.filter(_around(gone, "user_id", "word_id"))
            .values_list("pk", "user_id", "word_id") if (user_id, word_id) in gone]).delete()
    MemoryState.objects.bulk_create(rows, batch_size=BATCH, update_conflicts=True,
                                    unique_fields=["user", "word_id"], update_fields=_STATE_FIELDS)


def _around(pairs: set[tuple[int, int]], first: str, second: str) -> Q:
    """A condition matching at least the rows whose (``first``, ``second``) is one of ``pairs``: two ``IN``
    lists (their cross product; callers keep the pairs they asked for), so that the SQL stays two lists
    whatever the number of pairs."""
    return Q(**{f"{first}__in": sorted({a for a, _ in pairs}), f"{second}__in": sorted({b for _, b in pairs})})


def take_in(learner_days: Iterable[tuple[int, date]]) -> int:
    """Bring the states of every word the learner-days touch up to date with those days' reviews; returns
    how many learner-words changed. A word whose new reviews all come after its last stored one is updated
    on top of its state; any other (a review on or before its last one: a late event, a day rolled up again)
    is replayed from all its reviews. A fixed number of queries whatever the number of learner-days."""
    learner_days = set(learner_days)
    if not learner_days:
        return 0
    new: dict[tuple[int, int], list[tuple[date, bool]]] = defaultdict(list)
    rows = LearnerWordDailyStats.objects.filter(_around(learner_days, "user_id", "date"))
    for user_id, word_id, day, correct in _review_rows(rows):
        if (user_id, day) in learner_days:
            new[user_id, word_id].append((day, correct))
    # Stored states of those words, and of words whose last review fell on one of those days (its row may be
    # gone, e.g. the learner changed time zone): those are replayed too.
    stored = {}
    condition = _around(set(new), "user_id", "word_id") | _around(learner_days, "user_id", "last_review")
    for row in MemoryState.objects.filter(condition).values_list(
            "user_id", "word_id", "stability", "difficulty", "last_review", "reviews", "lapses"):
        if (row[0], row[1]) in new or (row[0], row[4]) in learner_days:
            stored[row[0], row[1]] = Memory(*row[2:])
    states: dict[tuple[int, int], Memory | None] = {}
    rebuild = set()
    for key in new.keys() | stored.keys():
        memory, reviews = stored.get(key), new.get(key, [])
        if reviews and (memory is None or reviews[0][0] > memory.last_review):
            states[key] = replay(reviews, memory)
        else:
            rebuild.add(key)
    if rebuild:
        states.update(dict.fromkeys(rebuild))
        rows = LearnerWordDailyStats.objects.filter(_around(rebuild, "user_id", "word_id"))
        for key, reviews in _histories(_review_rows(rows)):
            if key in rebuild:
                states[key] = replay(reviews)
    _store(states)
    return len(states)


def update_memory(*, batch_size: int = BATCH) -> int:
    """Take in the learner-days queued before this call (``MemoryDay``), ``batch_size`` per transaction;
    returns how many learner-words changed. Days queued again meanwhile stay for the next run. Runs are
    serialised (``hold_memory_lock``); a day a rollup is queueing at that moment is skipped, not waited for
    (PostgreSQL: ``SKIP LOCKED``), and taken by the next run."""
    began = timezone.now()
    changed = 0
    while True:
        with transaction.atomic(using=_db()):
            hold_memory_lock()
            snapshot = list(MemoryDay.objects.select_for_update(skip_locked=True).filter(marked_at__lte=began)
                            .order_by("marked_at", "id").values_list("id", "user_id", "date", "marked_at")[:batch_size])
            if not snapshot:
                return changed
            changed += take_in((user_id, day) for _, user_id, day, _ in snapshot)
            # Only the days not queued again meanwhile (their marked_at unchanged) are done.
            now = dict(MemoryDay.objects.filter(pk__in=[pk for pk, *_ in snapshot]).values_list("pk", "marked_at"))
            MemoryDay.objects.filter(pk__in=[pk for pk, _, _, marked_at in snapshot if now.get(pk) == marked_at]
                                     ).delete()
        if len(snapshot) < batch_size:
            return changed


def _learner_batches(user_ids: Iterable[int] | None) -> Iterator[list[int]]:
    ids = sorted(set(user_ids) if user_ids is not None else set(
        LearnerWordDailyStats.objects.order_by().values_list("user_id", flat=True).distinct()))
    for start in range(0, len(ids), 500):
        yield ids[start:start + 500]


def rebuild_memory(user_ids: Iterable[int] | None = None) -> int:
    """Recompute the states of ``user_ids`` (None: every learner) from their stored reviews, replacing what
    is stored, 500 learners per transaction; returns how many states were written. Learner-days rolled up
    before the review column existed are rolled up again first (``aggregation.rollup_day``)."""
    from . import aggregation  # aggregation queues memory days: imported here to keep the modules' order

    stale = LearnerWordDailyStats.objects.filter(first_correct__isnull=True)
    if user_ids is not None:
        user_ids = list(user_ids)
        stale = stale.filter(user_id__in=user_ids)
    by_day: dict[date, set[int]] = defaultdict(set)
    for user_id, day in stale.order_by().values_list("user_id", "date").distinct():
        by_day[day].add(user_id)
    for day, users in sorted(by_day.items()):
        aggregation.rollup_day(day, sorted(users))
    written = 0
    for users in _learner_batches(user_ids):
        with transaction.atomic(using=_db()):
            hold_memory_lock()
            MemoryState.objects.filter(user_id__in=users).delete()
            MemoryDay.objects.filter(user_id__in=users).delete()
            states = {key: replay(reviews) for key, reviews in
                      _histories(_review_rows(LearnerWordDailyStats.objects.filter(user_id__in=users)))}
            _store(states)
            written += len(states)
    return written


@dataclass(frozen=True)
class RefitSummary:
    learners_fitted: int
    reviews: int
    calibration: Calibration


def fit(histories: Iterable[tuple[int, list[tuple[date, bool]]]], min_reviews: int) -> tuple[
        dict[int, tuple[float, int]], Calibration, int]:
    """Fit the learners' scales and the calibration from (user id, reviews) histories: ``(scales,
    calibration, observations)``. The one fit that ``refit_memory`` stores and the benchmark evaluates."""
    observations = Observations()
    observe(histories, observations)
    scales = fit_scales(observations, min_reviews)
    calibration = fit_calibration(observations, {user: scale for user, (scale, _) in scales.items()})
    return scales, calibration, len(observations.outcome)


def refit_memory() -> RefitSummary:
    """Fit every learner's scale (those with ``LEARNING_EVENTS_MEMORY_MIN_REVIEWS`` predictable reviews) and
    the calibration from all stored reviews, store them, and move every state's due day accordingly."""
    histories = ((user_id, reviews) for (user_id, _), reviews in
                 _histories(_review_rows(LearnerWordDailyStats.objects.all())))
    scales, calibration, observed = fit(histories, app_settings.MEMORY_MIN_REVIEWS)
    now = timezone.now()
    retention = app_settings.MEMORY_RETENTION
    with transaction.atomic(using=_db()):
        hold_memory_lock()
        MemoryParameters.objects.exclude(user_id__in=list(scales)).delete()
        MemoryParameters.objects.bulk_create(
            [MemoryParameters(user_id=user_id, scale=scale, reviews=reviews, fitted_at=now)
             for user_id, (scale, reviews) in scales.items()],
            batch_size=BATCH, update_conflicts=True, unique_fields=["user"], update_fields=["scale", "reviews",
                                                                                           "fitted_at"])
        MemoryCalibration.objects.create(slope=calibration.slope, intercept=calibration.intercept,
                                         reviews=observed, fitted_at=now)
        moved = []
        for state in MemoryState.objects.only("id", "user_id", "stability", "last_review", "due").iterator(
                chunk_size=BATCH):
            scale = scales.get(state.user_id, (1.0, 0))[0]
            due = state.last_review + timedelta(days=interval_days(state.stability, scale, calibration, retention))
            if due != state.due:
                state.due = due
                moved.append(state)
        MemoryState.objects.bulk_update(moved, ["due"], batch_size=BATCH)
    return RefitSummary(learners_fitted=len(scales), reviews=observed, calibration=calibration)


def predicted(states: list[dict], today_of: Mapping[int, date]) -> list[dict]:
    """``states`` (dicts with ``user_id``, ``stability``, ``last_review``) each with ``recall``: the calibrated
    probability of recall on the learner's local day ``today_of[user_id]``."""
    if not states:
        return states
    calibration = current_calibration()
    scales = scales_of({s["user_id"] for s in states})
    elapsed = [max((today_of[s["user_id"]] - s["last_review"]).days, 0) for s in states]
    probabilities = recall(np.array([s["stability"] for s in states]), np.array(elapsed),
                           np.array([scales.get(s["user_id"], 1.0) for s in states]), calibration)
    return [{**s, "recall": float(p)} for s, p in zip(states, probabilities)]
