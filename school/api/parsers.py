"""The API's JSON parser: DRF's, except that a document nested too deeply is a 400, not a 500.

Python's JSON decoder raises ``RecursionError`` (not a ``ValueError``, which DRF turns into a 400) for a
body such as ten thousand nested arrays.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
