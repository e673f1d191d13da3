from datetime import date

import pytest
from django.http import QueryDict

from school.dashboards.forms import DateRange, date_range

TODAY = date(2025, 3, 20)
DEFAULT = (date(2025, 3, 7), TODAY)
FALLBACK = " Showing the last 14 days instead."


@pytest.mark.parametrize(("query", "expected"), [
    ("", DateRange(*DEFAULT)),
    ("from=2025-03-01&to=2025-03-02", DateRange(date(2025, 3, 1), date(2025, 3, 2))),
    ("from=2025-03-05&to=2025-03-05", DateRange(date(2025, 3, 5), date(2025, 3, 5))),
    ("from=2025-03-01", DateRange(date(2025, 3, 1), TODAY)),
    ("to=2025-01-31", DateRange(date(2025, 1, 18), date(2025, 1, 31))),
    ("from=&to=", DateRange(*DEFAULT)),
    ("from=2024-03-21&to=2025-03-21", DateRange(date(2024, 3, 21), date(2025, 3, 21))),  # 366 days
    ("from=2024-03-20&to=2025-03-21", DateRange(*DEFAULT, error="Choose a range of at most 366 days." + FALLBACK)),
    ("from=2025-03-02&to=2025-03-01", DateRange(*DEFAULT, error="“From” must be on or before “to”." + FALLBACK)),
    ("from=2025-03-25", DateRange(*DEFAULT, error="“From” must be on or before “to”." + FALLBACK)),
    ("from=yesterday", DateRange(*DEFAULT, error="From: Enter a date as YYYY-MM-DD." + FALLBACK)),
    ("to=2025-02-29", DateRange(*DEFAULT, error="To: Enter a date as YYYY-MM-DD." + FALLBACK)),
])
def test_date_range(query, expected):
    assert date_range(QueryDict(query), today=TODAY) == expected

