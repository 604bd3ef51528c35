"""The busiest request there is, a board asking again for a list it asked for before, answered
in front of FastAPI's routing and parameter parsing (about half of such a request's CPU).

A `GET …/units` whose query string the list route has already parsed and answered is
answered here from the same parts the route uses: `authorize_read` (the caller and the
store's event seq in one statement) and `listing.list_json` (the page cached at that seq, or
read now). Anything else, and anything this path cannot decide on its own (a refusal, a
token whose last use is due to be recorded, a failure), goes the full way through the app,
which answers or words the error as always: nothing has been sent by then.
"""

from __future__ import annotations

import logging
import re

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Receive, Scope, Send

import recon.domain.units as units
from board_api.auth import authorize_read, presented_token
from board_api.units import listing
from board_api.units.endpoints import list_units, router
from recon.service.state import ServiceState

log = logging.getLogger(__name__)

# The list route's path (`router.prefix`), a slug being what Starlette's `{slug}` matches.
UNITS_PATH = re.compile(r"/api/v1/stores/(?P<slug>[^/]+)/units")
# For the request metrics, which label a request by its route's template.
LIST_ROUTE = next(
    route for route in router.routes if getattr(route, "endpoint", None) is list_units
)
JSON_HEADERS = [(b"content-type", b"application/json")]


class UnitListFastPath:
    """ASGI middleware; board-api's app adds it inside the request metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = UNITS_PATH.fullmatch(scope["path"])
            query = listing.KNOWN_QUERIES.get(scope["query_string"]) if match else None
            if match and query is not None:
                body = await _page(scope, match["slug"], query)
                if body is not None:
                    scope["route"] = LIST_ROUTE
                    headers = [*JSON_HEADERS, (b"content-length", b"%d" % len(body))]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)


async def _page(scope: Scope, slug: str, query: listing.UnitQuery) -> bytes | None:
    """The list as the route would answer it, or None for the route to decide."""
    state: ServiceState = scope["app"].state.recon
    try:
        token = presented_token(Request(scope))
    except HTTPException:
        return None  # a malformed Authorization header: the route words the 401
    try:
        access = await authorize_read(state.reads, slug=slug, token=token, settings=state.settings)
        if access is None:
            return None
        return await listing.list_json(
            state.sessions, store=access.store, query=query, at=units.now()
        )
    except Exception:
        # A slug Postgres refuses, or Postgres gone mid-read: the full path meets it again and
        # answers (or words the error) as it should.
        log.debug("unit list fast path fell back", exc_info=True)
        return None
