"""Turning refusals and bad input into clear 4xx answers shaped `{"detail": "..."}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from recon.domain.errors import DomainError, InvalidChange, NotFound, StaleUnit

log = logging.getLogger(__name__)


def describe_validation_error(exc: RequestValidationError) -> str:
    """One readable line per problem: where it is and what is wrong."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        message = str(error.get("msg", "invalid"))
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation_error(exc)}, status_code=422)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))


def status_for(exc: DomainError) -> int:
    """Not found → 404; a change the unit's state refuses, or a stale version → 409;
    an incomplete request → 422."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, StaleUnit | InvalidChange):
        return 409
    return 422
