"""Turning refusals and bad input into clear 4xx answers shaped `{"detail": "..."}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from recon.domain.errors import DomainError, InvalidChange, NotFound, StaleUnit

log = logging.getLogger(__name__)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "rules", 0, "stage")` → `rules.0.stage`: the request body's own name is left
    out, but a field that happens to be called `body` (a note's) is kept."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(str(part) for part in parts)


def _describe(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error") or "JSON decode error"
        position = error.get("loc", ("body", None))[-1]
        at = f" at character {position}" if isinstance(position, int) else ""
        return f"the body is not valid JSON: {reason}{at}"
    where = _where(error.get("loc", ()))
    message = str(error.get("msg", "invalid"))
    if not where and error.get("type") == "missing":
        return "a JSON body is required"
    if not where and error.get("type") in ("model_attributes_type", "dict_type"):
        return "the body must be a JSON object, sent with Content-Type: application/json"
    return f"{where}: {message}" if where else message


def describe_validation_error(exc: RequestValidationError) -> str:
    """One readable line per problem: where it is and what is wrong."""
    problems = [_describe(error) for error in exc.errors()]
    return "; ".join(problems) or "invalid request"


# Postgres "data exception" states a request's values can cause: a client's mistake, not ours.
_DATA_ERRORS = {
    "22021": "text may not contain NUL (\\u0000) characters",
    "22P05": "text may not contain NUL (\\u0000) characters",
    "22003": "a number is out of range",
    "22008": "a date, time or duration is out of range",
    "22007": "a date or time is not valid",
    "22001": "a value is too long",
}


def data_error_detail(exc: DBAPIError) -> str | None:
    """What to tell the client when Postgres refused a value the request carried; None when
    the error is not about the request's data."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if not isinstance(state, str):
        return None
    if state in _DATA_ERRORS:
        return _DATA_ERRORS[state]
    if state.startswith("22"):
        return "a value in the request is not valid"
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation_error(exc)}, status_code=422)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        detail = data_error_detail(exc)
        if detail is None:
            raise exc
        log.warning(
            "%s %s: bad value refused by Postgres: %s", request.method, request.url.path, exc.orig
        )
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # A date or number the request carried that is too large to compute with.
        log.warning("%s %s: value out of range: %s", request.method, request.url.path, exc)
        return JSONResponse(
            {"detail": f"a value in the request is out of range ({exc})"}, status_code=422
        )


def status_for(exc: DomainError) -> int:
    """Not found → 404; a change the unit's state refuses, or a stale version → 409;
    an incomplete request → 422."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, StaleUnit | InvalidChange):
        return 409
    return 422
