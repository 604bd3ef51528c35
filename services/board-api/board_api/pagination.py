"""Keyset pagination with opaque cursors: `{"items": [...], "next_cursor": "..." | null}`.

A cursor names the last row of the page by an immutable key (creation time and id, or an
event's sequence number), so rows inserted while a client pages are neither repeated nor make
it skip any row that was already there.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from recon.domain.errors import InvalidInput

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

LimitQuery = Annotated[
    int,
    Query(
        ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})."
    ),
]
CursorQuery = Annotated[
    str | None,
    Query(description="`next_cursor` of the previous page, passed back unchanged."),
]


T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*values: str | int) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, arity: int) -> list[Any]:
    bad = InvalidInput("cursor is not one this API issued; pass next_cursor back unchanged")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad from exc
    if not isinstance(values, list) or len(values) != arity:
        raise bad
    return values


def after_time_and_id(
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    cursor: str,
) -> ColumnElement[bool]:
    """Rows after the cursor in (created_at, id) order."""
    at, last_id = decode_cursor(cursor, arity=2)
    try:
        key = (datetime.fromisoformat(at), uuid.UUID(last_id))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("cursor is not one this API issued") from exc
    return tuple_(created_at, row_id) > tuple_(*key)


def time_and_id_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    return encode_cursor(created_at.isoformat(), str(row_id))


def split_page(rows: Sequence[R], limit: int) -> tuple[list[R], bool]:
    """The page (rows were fetched with limit + 1) and whether another follows."""
    return list(rows[:limit]), len(rows) > limit
