"""Benchmark: the memory model against simple baselines on held-out later reviews (``make bench-memory``).

Two data sets, each in a fresh SQLite database of its own (a subprocess each):

- **simulated**: learners whose memory follows a forgetting process written here, independently of FSRS
  (``simulate``: exponential forgetting with per-learner and per-word half-lives, growing on success with a
  spacing effect, cut on failure, with noise). Their answers go through the pipeline as events
  (``services.log_events``), the rollups (``aggregation.rollup_dirty_days``: the reviews) and the memory
  model's update (``memory.update_memory``).
- **demo**: the demo school (``seed_demo``, whose answers follow its own half-life forgetting process:
  ``school.demo``), rolled up the same way. It is small: two weeks of practice.

Evaluation (``evaluate``): reviews (a learner-word's first answer of a local day, as the rollups store them)
are split by time, never at random: the first 70% of the days train, the rest test. Only reviews with an
earlier review of the same word are predicted (every method needs one). Everything is fitted on the
training period only: the model's learner scales and its Platt calibration (``memory.fit``, the code that
``refit_memory`` stores), the global rate, the per-word rate, the last-answer rates, and half-life
regression, fitted on the traces export (``exports.traces_export``). In the test period each method predicts
each review from everything before it (states and features move on; parameters stay frozen).

    .venv/bin/python bench/memory.py [--learners 100] [--days 120] [--seed 17]

Prints one table per data set (log loss, AUC, ECE over 10 equal-width bins) and exits non-zero when, on any
data set, the model does not beat every baseline on log loss or its ECE is over 0.05.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from benchdb import setup_django  # noqa: E402

TRAIN_SHARE = 0.7
ECE_TARGET = 0.05
METHODS = ("memory model (FSRS + fit)", "FSRS defaults, uncalibrated", "global rate", "per-word rate",
           "last answer", "half-life regression")


# --- the simulated learners -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    """The forgetting process of the simulated learners (independent of FSRS; docs/memory.md states it).

    Recall after ``d`` days is ``2 ** (-d / h)`` (exponential forgetting), ``h`` the learner-word's half-life
    times a per-review noise ``exp(N(0, review_noise))``. A new word's half-life is ``first_half_life``
    times the learner's ability ``exp(N(0, learner_spread))`` times the word's ease
    ``exp(N(0, word_spread))`` (doubled when the first answer is right). A success multiplies ``h`` by
    ``success_growth + spacing_gain * (1 - p)`` (reviews of a fading memory strengthen it more) times
    ``exp(N(0, growth_noise))``; a failure multiplies it by ``failure_factor`` (at least ``min_half_life``)
    and the learner retries at once (right with ``retry_correct``: practice, not a review).
    """

    first_half_life: float = 4.0
    learner_spread: float = 0.45
    word_spread: float = 0.55
    review_noise: float = 0.25
    success_growth: float = 2.5
    spacing_gain: float = 5.0
    growth_noise: float = 0.2
    failure_factor: float = 0.6
    min_half_life: float = 0.3
    first_correct: float = 0.25
    retry_correct: float = 0.85


def simulate(*, learners: int, days: int, words: int, seed: int, start: date,
             process: Process = Process()) -> list[tuple[int, int, datetime, bool]]:
    """The simulated answers (learner index, word index, instant, correct), in time order per learner.

    Practice follows a Leitner-like rule, not the model's schedule: a learner is active on a day with their
    own probability (0.35-0.85); each active day they answer the words whose interval has run out (at most
    30, the most overdue first; an interval starts at 1 day, grows 2.2x, jittered, on success and goes back to
    1 day on failure), a few words early (10% chance each, at most 5), and 3-8 new words while fewer than 20
    words are waiting.
    """
    rng = random.Random(seed)
    ease = [math.exp(rng.gauss(0, process.word_spread)) for _ in range(words)]
    answers = []
    for learner in range(learners):
        ability = math.exp(rng.gauss(0, process.learner_spread))
        activity = rng.uniform(0.35, 0.85)
        order = rng.sample(range(words), words)
        half_life: dict[int, float] = {}
        last: dict[int, int] = {}
        due: dict[int, int] = {}
        interval: dict[int, float] = {}
        for day in range(days):
            if rng.random() > activity:
                continue
            at = datetime.combine(start + timedelta(days=day), datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=rng.uniform(7, 21))
            waiting = sorted((w for w in due if due[w] <= day), key=lambda w: (due[w], w))
            overdue = waiting[:30]
            early = [w for w in due if due[w] > day and rng.random() < 0.1][:5]
            # New words only while the backlog is short, as a sensible course would pace them.
            fresh = order[len(half_life):len(half_life) + rng.randint(3, 8)] if len(waiting) < 20 else []
            session = overdue + early
            rng.shuffle(session)
            for word in session + fresh:
                at += timedelta(seconds=rng.uniform(6, 15))
                if word in half_life:
                    h = half_life[word] * math.exp(rng.gauss(0, process.review_noise))
                    p = 2 ** (-(day - last[word]) / h)
                    correct = rng.random() < p
                    if correct:
                        growth = process.success_growth + process.spacing_gain * (1 - p)
                        half_life[word] *= growth * math.exp(rng.gauss(0, process.growth_noise))
                        interval[word] *= 2.2 * rng.uniform(0.7, 1.3)
                    else:
                        half_life[word] = max(process.min_half_life, half_life[word] * process.failure_factor)
                        interval[word] = 1.0
                else:
                    correct = rng.random() < process.first_correct
                    half_life[word] = process.first_half_life * ability * ease[word] * (2 if correct else 1)
                    interval[word] = 2.2 if correct else 1.0
                answers.append((learner, word, at, correct))
                if not correct:  # a retry at once: practice on the same day, not a review
                    at += timedelta(seconds=rng.uniform(4, 10))
                    answers.append((learner, word, at, rng.random() < process.retry_correct))
                last[word] = day
                due[word] = day + max(1, round(interval[word]))
    return answers


# --- metrics --------------------------------------------------------------------------------------------


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    from scipy.stats import rankdata

    ranks = rankdata(p)
    positives = y.sum()
    negatives = len(y) - positives
    if not positives or not negatives:
        return float("nan")
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |mean prediction - mean outcome| per equal-width bin, weighted by size."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(p[mask].mean() - y[mask].mean())
    return float(total / len(p))


# --- the evaluation -------------------------------------------------------------------------------------


def half_life_regression(train: dict, l2: float = 1.0):
    """Half-life regression (Settles & Meeder 2016) fitted by log loss: p = 2 ** (-days / h), h = 2 ** (theta . x)
    with x = [1, sqrt(1 + right), sqrt(1 + wrong), one-hot word]. Returns ``predict(features) -> p``."""
    from scipy.optimize import minimize

    words = sorted(set(train["word"].tolist()))
    index = {w: i for i, w in enumerate(words)}

    def design(data):
        n = len(data["days"])
        base = np.column_stack([np.ones(n), np.sqrt(1 + data["right"]), np.sqrt(1 + data["wrong"])])
        word_column = np.array([index.get(int(w), -1) for w in data["word"]])
        return base, word_column

    base, word_column = design(train)
    y, days = train["outcome"], train["days"]
    known = word_column >= 0

    def loss(theta):
        log2_h = base @ theta[:3] + np.where(known, theta[3:][word_column], 0.0)
        h = np.exp2(np.clip(log2_h, -10, 20))
        p = np.clip(np.exp2(-days / h), 1e-6, 1 - 1e-6)
        # d loss / d log2_h: (dL/dp) * (dp/dlog2_h), dp/dlog2_h = p * ln2 * ln2 * days / h
        dp = p * math.log(2) ** 2 * days / h
        dl = (p - y) / (p * (1 - p)) * dp
        grad = np.concatenate([base.T @ dl, np.bincount(word_column[known], weights=dl[known],
                                                        minlength=len(words))])
        grad[3:] += 2 * l2 * theta[3:]
        value = -np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)) + l2 * np.sum(theta[3:] ** 2)
        return value, grad

    theta = minimize(loss, np.zeros(3 + len(words)), jac=True, method="L-BFGS-B").x

    def predict(data):
        b, w = design(data)
        log2_h = b @ theta[:3] + np.where(w >= 0, theta[3:][np.maximum(w, 0)], 0.0)
        return np.clip(np.exp2(-data["days"] / np.exp2(np.clip(log2_h, -10, 20))), 1e-6, 1 - 1e-6)

    return predict


def evaluate(reviews: list[tuple[int, int, date, bool, datetime]], traces: list[dict], min_reviews: int) -> dict:
    """The table: every method's log loss, AUC and ECE on the test period's predictable reviews.

    ``reviews``: (user id, word id, day, correct, instant of the review's answer), the rollups' reviews;
    ``traces``: the traces export's rows, with ``user_id`` (the learner's id, matched to the export's
    pseudonym), ``word_id``, ``outcome``, ``occurred_at``, ``seconds_since_last_seen``, ``seen_before``,
    ``correct_before``.
    """
    from learning_events import memory

    days = sorted({day for _, _, day, _, _ in reviews})
    cutoff = days[0] + timedelta(days=math.ceil((days[-1] - days[0]).days * TRAIN_SHARE))
    histories: dict[tuple[int, int], list] = defaultdict(list)
    for user_id, word_id, day, correct, at in sorted(reviews, key=lambda r: (r[0], r[1], r[2])):
        histories[user_id, word_id].append((day, correct, at))
    # The model: fitted on the training period's reviews only.
    scales, calibration, observed = memory.fit(
        ((user_id, [(d, c) for d, c, _ in h if d < cutoff]) for (user_id, _), h in histories.items()), min_reviews)
    # The test targets, with the model's predictions made before each.
    test, train_targets = [], []
    for (user_id, word_id), history in histories.items():
        state = None
        for day, correct, at in history:
            if state is not None:
                elapsed = (day - state.last_review).days
                row = (user_id, word_id, at, int(correct), state.stability, elapsed)
                (test if day >= cutoff else train_targets).append(row)
            state = memory.review(state, day, correct)
    y = np.array([r[3] for r in test], dtype=float)
    stability = np.array([r[4] for r in test])
    elapsed = np.array([r[5] for r in test], dtype=float)
    scale = np.array([scales.get(r[0], (1.0, 0))[0] for r in test])
    predictions = {
        METHODS[0]: memory.recall(stability, elapsed, scale, calibration),
        METHODS[1]: memory.retrievability(stability, elapsed),
    }
    train_y = np.array([r[3] for r in train_targets], dtype=float)
    global_rate = train_y.mean()
    predictions[METHODS[2]] = np.full(len(y), global_rate)
    by_word = defaultdict(lambda: [0, 0])
    for r in train_targets:
        by_word[r[1]][0] += r[3]
        by_word[r[1]][1] += 1
    prior = 5  # reviews' worth of the global rate: words seen rarely in training lean on it
    predictions[METHODS[3]] = np.array([(by_word[r[1]][0] + prior * global_rate) / (by_word[r[1]][1] + prior)
                                        for r in test])
    # Trace-based baselines: the attempt that is each review, with what came before it.
    attempts = {(t["user_id"], t["word_id"], t["occurred_at"]): t for t in traces}
    previous_outcome = {}
    ordered = sorted(traces, key=lambda t: (t["user_id"], t["word_id"], t["occurred_at"]))
    for before, after in zip(ordered, ordered[1:]):
        if (before["user_id"], before["word_id"]) == (after["user_id"], after["word_id"]):
            previous_outcome[after["user_id"], after["word_id"], after["occurred_at"]] = before["outcome"]
    # Last answer: P(correct | the learner's last answer on the word), the two rates fitted on training.
    counts = {0: [0, 0], 1: [0, 0]}
    for r in train_targets:
        last = previous_outcome[r[0], r[1], r[2]]
        counts[last][0] += r[3]
        counts[last][1] += 1
    rate = {k: (c + global_rate) / (n + 1) for k, (c, n) in counts.items()}  # smoothed: finite log loss
    predictions[METHODS[4]] = np.array([rate[previous_outcome[r[0], r[1], r[2]]] for r in test])

    def features(rows):
        return {"days": np.array([r["seconds_since_last_seen"] / 86400 for r in rows]),
                "right": np.array([r["correct_before"] for r in rows], dtype=float),
                "wrong": np.array([r["seen_before"] - r["correct_before"] for r in rows], dtype=float),
                "word": np.array([r["word_id"] for r in rows]),
                "outcome": np.array([r["outcome"] for r in rows], dtype=float)}

    # Half-life regression: fitted on the export's rows of the training period's reviews (the attempts the
    # methods are judged on; fitted on every attempt, same-day retries included, it did worse on the test).
    hlr_train = [attempts[r[0], r[1], r[2]] for r in train_targets]
    predict = half_life_regression(features(hlr_train))
    predictions[METHODS[5]] = predict(features([attempts[r[0], r[1], r[2]] for r in test]))
    table = {name: {"log_loss": log_loss(p, y), "auc": auc(p, y), "ece": ece(p, y)} for name, p in predictions.items()}
    return {"table": table, "cutoff": cutoff.isoformat(), "first_day": days[0].isoformat(),
            "last_day": days[-1].isoformat(), "train_reviews": len(train_targets), "test_reviews": len(test),
            "test_recall_rate": float(y.mean()) if len(y) else None, "learners_fitted": len(scales),
            "calibration": [calibration.slope, calibration.intercept], "fit_observations": observed,
            "hlr_train_attempts": len(hlr_train), "answers": len(traces)}


# --- running a part in its own database -----------------------------------------------------------------


def load_simulated(args) -> None:
    """The simulated learners' answers logged as events, in the pipeline's own bulk form."""
    from django.contrib.auth import get_user_model

    from learning_events import event_types, services
    from school.vocabulary.models import Word

    start = date.today() - timedelta(days=args.days + 1)
    answers = simulate(learners=args.learners, days=args.days, words=args.words, seed=args.seed, start=start)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"sim-{n}") for n in range(args.learners))
    words = Word.objects.bulk_create(Word(text=f"w{n}", translation=f"t{n}", language="es")
                                     for n in range(args.words))
    batch = []
    for learner, word, at, correct in answers:
        batch.append({"user": users[learner], "occurred_at": at, "context": {"word_id": words[word].pk},
                      "event_type": event_types.WORD_CORRECT if correct else event_types.WORD_INCORRECT,
                      "event_id": uuid.UUID(int=random.getrandbits(128))})
        if len(batch) == 5000:
            services.log_events(batch)
            batch = []
    services.log_events(batch)


def run_part(part: str, args) -> None:
    """In a fresh process on a fresh database: load the data, roll up, update the memory, evaluate, print JSON."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        setup_django(f"sqlite:///{directory}/{part}.sqlite3", migrate=False)
        from django.core.management import call_command
        from django.db import connection

        with connection.cursor() as cursor:  # a throw-away database: no waiting for the disk on each commit
            cursor.execute("PRAGMA synchronous = OFF")
        call_command("migrate", verbosity=0)

        from learning_events import aggregation, exports, memory
        from learning_events.models import LearnerWordDailyStats, LearningEvent

        random.seed(args.seed)
        if part == "simulated":
            load_simulated(args)
        else:
            call_command("seed_demo", verbosity=0)
        loaded = time.perf_counter()
        aggregation.rollup_dirty_days()
        memory.update_memory()
        rolled = time.perf_counter()
        reviews = list(LearnerWordDailyStats.objects.filter(first_correct__isnull=False).values_list(
            "user_id", "word_id", "date", "first_correct", "first_seen"))
        pseudonyms = exports.Pseudonymizer()
        user_of = {pseudonyms.user(u): u for u in LearningEvent.objects.values_list("user_id", flat=True).distinct()}
        trace_file = os.path.join(directory, "traces.parquet")
        exports.write(exports.traces_export(exports.parse_filters()), "parquet", trace_file)
        import pyarrow.parquet as pq

        traces = pq.read_table(trace_file, columns=[
            "learner", "word_id", "outcome", "occurred_at", "seconds_since_last_seen", "seen_before",
            "correct_before"]).to_pylist()
        for t in traces:
            t["user_id"] = user_of[t.pop("learner")]
        result = evaluate(reviews, traces, args.min_reviews)
        result["seconds"] = {"load": loaded - started, "rollup_and_update": rolled - loaded,
                             "evaluate": time.perf_counter() - rolled}
    print(json.dumps(result))


def print_table(part: str, result: dict) -> None:
    print(f"\n{part}: {result['answers']:,} answers; reviews {result['first_day']} to {result['last_day']}, "
          f"train before {result['cutoff']} ({result['train_reviews']:,} predictable reviews), "
          f"test {result['test_reviews']:,} (recalled {result['test_recall_rate']:.3f})")
    print(f"  model: {result['learners_fitted']} learners with their own scale; calibration slope "
          f"{result['calibration'][0]:.3f}, intercept {result['calibration'][1]:.3f}; seconds: "
          + ", ".join(f"{k} {v:.0f}" for k, v in result["seconds"].items()))
    print(f"  {'method':<30} {'log loss':>9} {'AUC':>7} {'ECE':>7}")
    for name, row in result["table"].items():
        print(f"  {name:<30} {row['log_loss']:>9.4f} {row['auc']:>7.4f} {row['ece']:>7.4f}")


def targets(result: dict) -> list[str]:
    """The targets missed on ``result`` (none: all met)."""
    table = result["table"]
    ours = table[METHODS[0]]
    missed = [f"log loss {ours['log_loss']:.4f} not below {name}'s {row['log_loss']:.4f}"
              for name, row in table.items() if name != METHODS[0] and ours["log_loss"] >= row["log_loss"]]
    if ours["ece"] > ECE_TARGET:
        missed.append(f"ECE {ours['ece']:.4f} over {ECE_TARGET}")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--min-reviews", type=int, default=100,
                        help="predictable training reviews a learner needs for their own scale (the setting's default)")
    parser.add_argument("--parts", default="simulated,demo")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        run_part(args.part, args)
        return
    missed_anywhere = False
    for part in args.parts.split(","):
        command = [sys.executable, __file__, "--part", part, *sys.argv[1:]]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        print_table(part, result)
        missed = targets(result)
        missed_anywhere = missed_anywhere or bool(missed)
        print("  targets (beat every baseline on log loss, ECE <= 0.05): "
              + ("met" if not missed else "MISSED: " + "; ".join(missed)), flush=True)
    sys.exit(1 if missed_anywhere else 0)


if __name__ == "__main__":
    main()
