"""Assignment progress: who has done the work set in a classroom, computed from the learning events.

For each (assignment, learner) the status is ``not_started``, ``in_progress`` or ``done``, with the instants
it started and was done, and whether it is overdue. The rules (docs/assignments.md):

- Only the learner's events that occurred at or after the assignment's ``created_at`` count, in any
  classroom or none: work done before the teacher set it does not count.
- A **word list** is done when every word in it has been answered (``word_correct`` or ``word_incorrect``
  with that ``word_id``) at least once, at the instant the last of them was first answered; in progress
  from the first answer. An empty word list is never started nor done.
- An **exam** is done when a submission exists (an ``exam_answer`` with its ``exam_id``). A submission is
  graded and logged at once and no event marks an exam begun, so an exam has no in-progress state.
- A **story or article** is done when completed (``content_complete`` with its ``content_id``); in
  progress from its first ``content_view``.
- A **game** is done when completed (``game_complete`` with its ``game_id``); no event marks a game begun,
  so a game has no in-progress state.
- Every instant is the *first* one meeting the rule, so later events never move it: done stays done.
- **Overdue**: not done, and the learner's own local today (their profile's time zone) is after the due
  date. No due date: never overdue.
- The learners of an assignment are its classroom's current members: someone who left is not listed.

Set-based: the progress of any number of assignments and learners takes a fixed number of queries (the
assignments, the members, the word lists' words, and one grouped query over the events per kind of
assignment), each events query restricted to the learners concerned and bounded below by the earliest
``created_at`` (so that PostgreSQL reads only the daily partitions from then on).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Case, DateTimeField, F, Min, QuerySet, When
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from learning_events import event_types
from learning_events.models import LearningEvent
from learning_events.timezones import zone

from school.vocabulary.models import WordList

from .models import Assignment, Classroom, Membership
from .selectors import display_name, distinct_names

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
STATUSES = (NOT_STARTED, IN_PROGRESS, DONE)


@dataclass(frozen=True)
class Learner:
    """Who a progress row is about: ids and names. ``name`` is the one to show: the display name, with the
    username beside a display name another learner of the classroom shares
    (``school.classrooms.selectors.distinct_names``)."""

    id: int
    username: str
    display_name: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class Progress:
    """One learner's progress on one assignment.

    ``words_answered``/``words_total`` are the distinct words of the list answered since the assignment was
    set and the words in the list, for word lists; None for other kinds.
    """

    learner: Learner
    status: str
    started_at: datetime | None
    done_at: datetime | None
    overdue: bool
    words_answered: int | None = None
    words_total: int | None = None


@dataclass(frozen=True)
class AssignmentProgress:
    """An assignment with a row per current learner of its classroom (by display name, username, id),
    ``counts`` per status (every status present, zero included) and ``overdue``, the count of overdue
    learners; ``overdue_learners`` and ``pending`` (not done, overdue or not: who is behind) list them."""

    assignment: Assignment
    learners: list[Progress]
    counts: dict[str, int]
    overdue: int
    overdue_learners: list[Learner]
    pending: list[Learner]


@dataclass(frozen=True)
class LearnerAssignment:
    """One assignment of a learner's classrooms with the learner's own progress on it."""

    assignment: Assignment
    progress: Progress


# --- querysets to page through ------------------------------------------------------------------------

def _ordered(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    # Due first, no due date last, on every database (SQLite sorts NULL first, PostgreSQL last).
    return assignments.select_related("classroom", "content").order_by(F("due_date").asc(nulls_last=True), "id")


def classroom_assignments(classroom: Classroom) -> QuerySet[Assignment]:
    """The assignments of ``classroom``, soonest due first (no due date last), then oldest first."""
    return _ordered(Assignment.objects.filter(classroom=classroom))


def learner_assignments(learner) -> QuerySet[Assignment]:
    """The assignments of every classroom ``learner`` currently belongs to, ordered like
    ``classroom_assignments``."""
    return _ordered(Assignment.objects.filter(classroom__memberships__student=learner))


# --- progress -------------------------------------------------------------------------------------------

def assignment_progress(assignments: Iterable[Assignment], *, now: datetime | None = None
                        ) -> list[AssignmentProgress]:
    """The progress of every current learner of each assignment's classroom, in the order given.

    ``now`` (default: the current time) decides what is overdue. Takes at most seven queries, whatever the
    number of assignments, classrooms and learners.
    """
    assignments = list(assignments)
    members = _members({a.classroom_id for a in assignments})
    rows = _progress(assignments, members, now or timezone.now())
    return [_summary(a, [rows[(a.pk, learner.id)] for learner in members.get(a.classroom_id, [])])
            for a in assignments]


def classroom_progress(classroom: Classroom, *, now: datetime | None = None) -> list[AssignmentProgress]:
    """``assignment_progress`` of all the assignments of ``classroom`` (``classroom_assignments``' order)."""
    return assignment_progress(classroom_assignments(classroom), now=now)


def learner_progress(learner, assignments: Iterable[Assignment] | None = None, *,
                     now: datetime | None = None) -> list[LearnerAssignment]:
    """``learner``'s own progress on ``assignments`` (default: ``learner_assignments(learner)``), in that
    order. The assignments must be of classrooms the learner belongs to; others are left out."""
    assignments = list(learner_assignments(learner) if assignments is None else assignments)
    members = _members({a.classroom_id for a in assignments}, learner_id=learner.pk)
    rows = _progress(assignments, members, now or timezone.now())
    return [LearnerAssignment(a, rows[(a.pk, learner.pk)]) for a in assignments if (a.pk, learner.pk) in rows]


def assignments_due(user, start: date, end: date, *, now: datetime | None = None) -> list[AssignmentProgress]:
    """The assignments due from ``start`` to ``end`` (inclusive) in the classrooms ``user`` teaches (staff:
    every classroom), soonest first, each with its progress (``pending``: who has not done it yet)."""
    assignments = Assignment.objects.filter(due_date__range=(start, end))
    if not user.is_staff:
        assignments = assignments.filter(classroom__teacher=user)
    return assignment_progress(_ordered(assignments), now=now)


# --- the computation -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Kind:
    """How one kind of assignment reads the events: its target's context key and the event types counted."""

    target: str  # the Assignment field and the context key "<target>_id"
    context_key: str
    event_types: tuple[str, ...]


WORD_LIST = _Kind("word_list", "word_id", event_types.WORD_TYPES)
KINDS = (
    WORD_LIST,
    _Kind("exam", "exam_id", (event_types.EXAM_ANSWER,)),
    _Kind("content", "content_id", (event_types.CONTENT_VIEW, event_types.CONTENT_COMPLETE)),
    _Kind("game", "game_id", (event_types.GAME_COMPLETE,)),
)


def _members(classroom_ids: set[int], learner_id: int | None = None) -> dict[int, list[Learner]]:
    """``{classroom_id: [Learner, ...]}`` of the current members, by display name, username and id."""
    memberships = Membership.objects.filter(classroom_id__in=classroom_ids).select_related("student__learner_profile")
    if learner_id is not None:
        memberships = memberships.filter(student_id=learner_id)
    students: dict[int, list] = defaultdict(list)
    for membership in memberships:
        students[membership.classroom_id].append(membership.student)
    members = {}
    for classroom_id, people in students.items():
        by_id = {student.pk: student for student in people}
        names = distinct_names((s.pk, display_name(s), s.get_username()) for s in people)
        members[classroom_id] = [_learner(by_id[user_id], name) for user_id, name in names.items()]
    return members


def _learner(student, name: str) -> Learner:
    profile = getattr(student, "learner_profile", None)
    return Learner(id=student.pk, username=student.get_username(), display_name=display_name(student), name=name,
                   time_zone=profile.time_zone if profile else settings.TIME_ZONE)


def _progress(assignments: list[Assignment], members: dict[int, list[Learner]], now: datetime
              ) -> dict[tuple[int, int], Progress]:
    """``{(assignment_id, learner_id): Progress}`` for every assignment and current learner of its classroom."""
    words = _words_of({a.word_list_id for a in assignments if a.word_list_id})
    rows = {}
    for kind in KINDS:
        of_kind = [a for a in assignments if getattr(a, f"{kind.target}_id")]
        learner_ids = {learner.id for a in of_kind for learner in members.get(a.classroom_id, [])}
        if not of_kind or not learner_ids:
            continue
        if kind is WORD_LIST:
            targets = set().union(*(words[a.word_list_id] for a in of_kind))
        else:
            targets = {getattr(a, f"{kind.target}_id") for a in of_kind}
        firsts = _first_instants(kind, {a.created_at for a in of_kind}, learner_ids, targets)
        for assignment in of_kind:
            for learner in members.get(assignment.classroom_id, []):
                rows[(assignment.pk, learner.id)] = _learner_progress(
                    kind, assignment, learner, firsts, words, now)
    return rows


def _words_of(word_list_ids: set[int]) -> dict[int, set[int]]:
    """``{word_list_id: {word_id, ...}}``, empty lists included."""
    words: dict[int, set[int]] = {word_list_id: set() for word_list_id in word_list_ids}
    if word_list_ids:
        pairs = WordList.words.through.objects.filter(wordlist_id__in=word_list_ids)
        for word_list_id, word_id in pairs.values_list("wordlist_id", "word_id"):
            words[word_list_id].add(word_id)
    return words


def _first_instants(kind: _Kind, since: set[datetime], learner_ids: set[int], targets: set[int]
                    ) -> dict[tuple[int, int, str], dict[datetime, datetime]]:
    """``{(learner_id, target_id, event_type): {since: first instant at or after it}}`` in one grouped query.

    One conditional minimum per distinct ``since`` (an assignment's ``created_at``): the same word, exam,
    story or game may be assigned more than once, each counting only from when it was set.
    """
    if not targets:
        return {}
    bounds = sorted(since)
    minimums = {f"first_{i}": Min(Case(When(occurred_at__gte=bound, then=F("occurred_at")),
                                       output_field=DateTimeField()))
                for i, bound in enumerate(bounds)}
    grouped = (
        LearningEvent.objects
        .filter(user_id__in=learner_ids, event_type__in=kind.event_types, occurred_at__gte=bounds[0],
                **{f"context__{kind.context_key}__in": sorted(targets)})
        .values("user_id", "event_type", target=KeyTransform(kind.context_key, "context"))
        .annotate(**minimums)
        .order_by()
    )
    firsts = {}
    for row in grouped:
        instants = {bound: row[f"first_{i}"] for i, bound in enumerate(bounds) if row[f"first_{i}"] is not None}
        firsts[(row["user_id"], row["target"], row["event_type"])] = instants
    return firsts


def _learner_progress(kind: _Kind, assignment: Assignment, learner: Learner,
                      firsts: dict[tuple[int, int, str], dict[datetime, datetime]], words: dict[int, set[int]],
                      now: datetime) -> Progress:
    """Apply the kind's rule to the first instants of ``learner``'s events since ``assignment`` was set."""

    def first(target: int, event_type: str) -> datetime | None:
        return firsts.get((learner.id, target, event_type), {}).get(assignment.created_at)

    def earliest(*instants: datetime | None) -> datetime | None:
        return min((i for i in instants if i is not None), default=None)

    answered = total = None
    if kind is WORD_LIST:
        in_list = words[assignment.word_list_id]
        times = [t for t in (earliest(*(first(w, e) for e in kind.event_types)) for w in in_list) if t is not None]
        answered, total = len(times), len(in_list)
        started_at = min(times, default=None)
        done_at = max(times) if in_list and answered == total else None
    elif kind.target == "content":
        started_at = earliest(*(first(assignment.content_id, e) for e in kind.event_types))
        done_at = first(assignment.content_id, event_types.CONTENT_COMPLETE)
    else:  # an exam submission or a game completion: started and done at once
        started_at = done_at = first(getattr(assignment, f"{kind.target}_id"), kind.event_types[0])
    status = DONE if done_at else IN_PROGRESS if started_at else NOT_STARTED
    overdue = (status != DONE and assignment.due_date is not None
               and timezone.localdate(now, zone(learner.time_zone)) > assignment.due_date)
    return Progress(learner=learner, status=status, started_at=started_at, done_at=done_at, overdue=overdue,
                    words_answered=answered, words_total=total)


def _summary(assignment: Assignment, rows: list[Progress]) -> AssignmentProgress:
    counts = {status: sum(1 for row in rows if row.status == status) for status in STATUSES}
    overdue = [row.learner for row in rows if row.overdue]
    return AssignmentProgress(assignment=assignment, learners=rows, counts=counts, overdue=len(overdue),
                              overdue_learners=overdue, pending=[row.learner for row in rows if row.status != DONE])
