"""The date range of a dashboard page, read from ``?from=YYYY-MM-DD&to=YYYY-MM-DD``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms

DEFAULT_DAYS = 14
MAX_DAYS = 366
_DATE = {"input_formats": ["%Y-%m-%d"], "required": False,
         "error_messages": {"invalid": "Enter a date as YYYY-MM-DD."}}


@dataclass(frozen=True)
class DateRange:
    """The inclusive range of days a page shows, and why it is not the one asked for (``error``)."""

    start: date
    end: date
    error: str = ""


class DateRangeForm(forms.Form):
    """``from`` and ``to`` (inclusive); either may be left out. Not a declarative form: ``from`` is a keyword."""

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today
        self.fields["from"] = forms.DateField(label="From", **_DATE)
        self.fields["to"] = forms.DateField(label="To", **_DATE)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        end = cleaned.get("to") or self.today
        start = cleaned.get("from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError("“From” must be on or before “to”.")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"Choose a range of at most {MAX_DAYS} days.")
        cleaned["range"] = DateRange(start, end)
        return cleaned


def date_range(params, *, today: date) -> DateRange:
    """The range ``params`` (a QueryDict) asks for; when it is not valid, the default range (the
    ``DEFAULT_DAYS`` days ending ``today``) with ``error`` saying what was wrong."""
    form = DateRangeForm(params, today=today)
    if form.is_valid():
        return form.cleaned_data["range"]
    problems = [
        message if field == "__all__" else f"{form.fields[field].label}: {message}"
        for field, messages in form.errors.items() for message in messages
    ]
    default = DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
    return DateRange(default.start, default.end,
                     error=f"{' '.join(problems)} Showing the last {DEFAULT_DAYS} days instead.")
