"""Which database alias served the queries of a block: the replica tests of both suites assert with these."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.db import connections
from django.test.utils import CaptureQueriesContext


@contextmanager
def served() -> Iterator[dict[str, list[str]]]:
    """``{alias: [SQL, ...]}`` of the queries each connection ran inside the block."""
    with ExitStack() as stack:
        captured = {alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
                    for alias in ("default", "replica")}
        queries: dict[str, list[str]] = {}
        yield queries
    queries.update({alias: [query["sql"] for query in capture.captured_queries]
                    for alias, capture in captured.items()})


def readers_of(queries: dict[str, list[str]], model) -> list[str]:
    """The aliases whose queries read ``model``'s table (server-side cursors too: DECLARE ... FOR SELECT)."""
    table = f'FROM "{model._meta.db_table}"'
    return [alias for alias, sqls in queries.items() if any(table in sql for sql in sqls)]
