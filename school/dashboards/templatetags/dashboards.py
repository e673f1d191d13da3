"""Template filters of the dashboards: figures as people read them."""

from django import template

register = template.Library()


@register.filter
def percent(ratio: float | None) -> str:
    """``0.8333`` -> ``"83%"``; None (nothing practised) -> ``"–"``."""
    return "–" if ratio is None else f"{round(ratio * 100)}%"


@register.filter
def duration(seconds: int | None) -> str:
    """Seconds of time on task as ``"1 h 05 min"``, ``"12 min"``, ``"< 1 min"`` or ``"0 min"``."""
    seconds = seconds or 0
    if 0 < seconds < 60:
        return "< 1 min"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@register.filter
def per(total: float | None, count: int | None) -> str:
    """An average shown to one decimal, ``total / count``: ``per(17, 2)`` -> ``"8.5"``, ``per(16, 2)`` ->
    ``"8"``; nothing counted -> ``"–"``."""
    if not count:
        return "–"
    average = round((total or 0) / count, 1) + 0.0  # + 0.0: no "-0"
    return f"{average:.1f}".removesuffix(".0")


@register.filter
def assignment_kind(assignment) -> str:
    """What an assignment asks for, as a teacher says it: "word list", "exam", "story", "article", "game"."""
    if assignment.content_id:
        return assignment.content.get_kind_display().lower()
    return assignment.kind.replace("_", " ")


@register.filter
def status_label(progress) -> str:
    """A learner's progress on an assignment in words: "Done", "In progress (3 of 10 words)", "Not started",
    each after "Overdue · " when it is."""
    label = {"done": "Done", "in_progress": "In progress", "not_started": "Not started"}[progress.status]
    if progress.status == "in_progress" and progress.words_total is not None:
        label += f" ({progress.words_answered} of {progress.words_total} words)"
    return f"Overdue · {label}" if progress.overdue else label
