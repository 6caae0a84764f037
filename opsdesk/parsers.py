"""The API's JSON parser: DRF's, except that a body nested too deep for Python's parser is a 400.

`json.load` raises RecursionError (not ValueError) on e.g. 5,000 nested arrays, which DRF's parser
lets through as a 500; any client, even anonymous on the token endpoint, could trigger it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
