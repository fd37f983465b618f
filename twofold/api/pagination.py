"""Opaque, signed cursors: a page continues exactly after the last row of the one before."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core import signing
from django.utils.translation import gettext as _

_SALT = "twofold.api.cursor"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class BadCursor(Exception):
    def __init__(self) -> None:
        super().__init__(_("The cursor is not one this API gave out for this list and filter."))
        self.message = str(self.args[0])


def _filters_digest(filters: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[
        :16
    ]


def make_cursor(kind: str, last_id: int, filters: dict[str, Any]) -> str:
    # Signed so a caller can't forge a position; bound to the list and its filters, so a
    # cursor can't be carried over to a differently filtered list and skip rows.
    return signing.dumps({"k": kind, "after": last_id, "f": _filters_digest(filters)}, salt=_SALT)


def read_cursor(kind: str, cursor: str | None, filters: dict[str, Any]) -> int | None:
    """The id the page continues after (None: the first page); raises BadCursor."""
    if not cursor:
        return None
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature:
        raise BadCursor from None
    if (
        not isinstance(data, dict)
        or data.get("k") != kind
        or data.get("f") != _filters_digest(filters)
        or not isinstance(data.get("after"), int)
    ):
        raise BadCursor
    return int(data["after"])
