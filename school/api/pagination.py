"""The API's pagination: ``?limit=&offset=`` pages of ``{count, next, previous, results}``, with a ceiling."""

from rest_framework import pagination

MAX_PAGE_SIZE = 500


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's limit/offset pagination (50 items by default), where a ``limit`` above ``MAX_PAGE_SIZE`` is cut to
    it: one request never reads a whole table, and a huge number never reaches the database as a LIMIT."""

    max_limit = MAX_PAGE_SIZE
