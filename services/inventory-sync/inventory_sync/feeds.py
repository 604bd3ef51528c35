"""Reading an inventory feed, JSON or CSV, into rows keyed by the vehicle field names.

Only a body that is not a feed at all is refused (FeedError); judging each row is the
domain's job (`recon.domain.inventory`), so one bad car never costs the rest.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from recon.domain.inventory import SyncMode

MAX_FEED_BYTES = 64 * 1024 * 1024
JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv", "application/csv", "text/comma-separated-values")

# Header names of common DMS and inventory-feed exports, compared without case or
# punctuation ("Stock #" → "stock"), and the vehicle field each one fills.
CSV_COLUMNS: dict[str, str] = {
    **dict.fromkeys(["vin", "vinnumber", "vehiclevin", "vehicleidentificationnumber"], "vin"),
    **dict.fromkeys(
        ["stock", "stocknumber", "stockno", "stocknum", "stocknbr", "stockid", "stk", "stockcode"],
        "stock_number",
    ),
    **dict.fromkeys(["year", "modelyear", "yr", "vehicleyear"], "year"),
    **dict.fromkeys(["make", "manufacturer", "vehiclemake"], "make"),
    **dict.fromkeys(["model", "vehiclemodel", "modelname"], "model"),
    **dict.fromkeys(["trim", "series", "trimlevel", "style"], "trim"),
    **dict.fromkeys(
        [
            "color",
            "colour",
            "exteriorcolor",
            "exteriorcolour",
            "extcolor",
            "extcolour",
            "exterior",
        ],
        "exterior_color",
    ),
    **dict.fromkeys(["miles", "mileage", "odometer", "odometerreading", "odo"], "mileage"),
    **dict.fromkeys(
        [
            "dateinstock",
            "instockdate",
            "stockdate",
            "received",
            "receivedat",
            "receiveddate",
            "datereceived",
            "inventorydate",
            "dateininventory",
            "indate",
            "datein",
        ],
        "received_at",
    ),
}


class FeedError(ValueError):
    """The body is not an inventory feed at all; the message says why."""

    def __init__(self, message: str, *, status_code: int = 422) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class Feed:
    format: str  # "json" or "csv"
    mode: SyncMode | None  # what the feed itself asks for, if it says
    rows: list[Any]


async def read_capped(chunks: AsyncIterator[bytes]) -> bytes:
    """A feed's bytes as they arrive, refused once they pass MAX_FEED_BYTES."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > MAX_FEED_BYTES:
            raise FeedError(
                f"the feed is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB; split it "
                "into delta syncs",
                status_code=413,
            )
    return bytes(body)


def feed_format(content_type: str | None) -> str | None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in JSON_TYPES or media_type.endswith("+json"):
        return "json"
    if media_type in CSV_TYPES:
        return "csv"
    return None


def read_feed(body: bytes, content_type: str | None) -> Feed:
    """A pushed feed: the content type says which kind it is."""
    kind = feed_format(content_type)
    if kind == "json":
        return parse_json(body)
    if kind == "csv":
        return parse_csv(body)
    raise FeedError(
        f"send the feed as application/json or text/csv, not {content_type or 'no content type'}",
        status_code=415,
    )


def sniff_feed(body: bytes, content_type: str | None) -> Feed:
    """A fetched feed: servers often label CSV as text/plain or octet-stream, so when the
    content type does not say, the first character does."""
    kind = feed_format(content_type)
    if kind is None:
        kind = "json" if body.lstrip()[:1] in (b"{", b"[") else "csv"
    return parse_json(body) if kind == "json" else parse_csv(body)


def parse_json(body: bytes) -> Feed:
    """`{"mode": ..., "vehicles": [...]}`, or a bare list of vehicles."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"the body is not valid JSON: {exc}") from exc
    if isinstance(document, list):
        return Feed(format="json", mode=None, rows=_checked(document, clean=b"\\u0000" in body))
    if not isinstance(document, Mapping):
        raise FeedError('the body must be an object {"mode": ..., "vehicles": [...]}')
    vehicles = document.get("vehicles")
    if not isinstance(vehicles, list):
        raise FeedError('"vehicles" must be a list of vehicles')
    return Feed(
        format="json",
        mode=parse_mode(document.get("mode")),
        rows=_checked(vehicles, clean=b"\\u0000" in body),
    )


def parse_mode(value: Any) -> SyncMode | None:
    if value is None:
        return None
    try:
        return SyncMode(value)
    except ValueError as exc:
        raise FeedError(f'mode must be "full" or "delta", not {value!r}') from exc


def choose_mode(feed: Feed, requested: SyncMode | None, *, default: SyncMode) -> SyncMode:
    """The feed's own mode or the one asked for in the URL (they must agree), else `default`."""
    if feed.mode is not None and requested is not None and feed.mode != requested:
        raise FeedError(f"the body says mode {feed.mode} but the URL says {requested}")
    return feed.mode or requested or default


def parse_csv(body: bytes) -> Feed:
    """A CSV export with a header row; columns are matched by name, unknown ones ignored."""
    text = _decode(body)
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        raise FeedError("the CSV is empty: it needs a header row and a row per vehicle")
    delimiter = max(",\t;|", key=header_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    headers = next(reader)
    fields: dict[int, str] = {}
    for position, header in enumerate(headers):
        name = CSV_COLUMNS.get(normalise_header(header))
        if name is not None and name not in fields.values():
            fields[position] = name
    for required, label in (("vin", "VIN"), ("stock_number", "stock number")):
        if required not in fields.values():
            raise FeedError(
                f"the CSV has no {label} column; its columns are: "
                + ", ".join(h.strip() for h in headers)
            )
    rows = [
        {
            name: row[position].strip() if position < len(row) else ""
            for position, name in fields.items()
        }
        for row in reader
        if any(cell.strip() for cell in row)
    ]
    return Feed(format="csv", mode=None, rows=_checked(rows, clean=False))


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _decode(body: bytes) -> str:
    # Most exports are UTF-8 (often with a byte-order mark); older DMSs write Windows-1252, and
    # spreadsheets saving "Unicode text" write UTF-16. NUL characters never mean anything in a
    # feed (and Postgres cannot store them), so they are dropped.
    return _decode_text(body).replace("\x00", "")


def _decode_text(body: bytes) -> str:
    if body.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return body.decode("utf-32", errors="replace")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace")
    if len(body) >= 4 and body[1] == 0 and body[3] == 0 and body[0] and body[2]:
        return body.decode("utf-16-le", errors="replace")
    if len(body) >= 4 and body[0] == 0 and body[2] == 0 and body[1] and body[3]:
        return body.decode("utf-16-be", errors="replace")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _checked(rows: list[Any], *, clean: bool) -> list[Any]:
    """The rows (`clean`: without NUL characters, which JSON can carry as \\u0000 and
    Postgres cannot store)."""
    return [_without_nul(row) for row in rows] if clean else rows


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, Mapping):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value
