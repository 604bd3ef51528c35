"""The text webhook, answered in front of FastAPI's routing and dependency solving (about a
sixth of a text's CPU in this service, paid by every text a store's staff send).

A `POST /webhooks/twilio/sms` with a small urlencoded body goes through the same steps as the
route: `signed_form` (parse, check the signature), `inbound_text`, `answer_text`. Anything
these steps refuse before a text is stored (a bad signature, a missing field, an unreadable
form) goes the full way through the app with the body replayed, so the 4xx is worded exactly
as before; once a text is handed to `answer_text`, this path answers it, as the route would.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest_sms.deps import ingest_of, signed_form
from ingest_sms.webhooks import answer_text, inbound_text, receive_sms, router

# The route: its path is what this answers, and the request metrics label by it.
SMS_ROUTE = next(
    route
    for route in router.routes
    if isinstance(route, APIRoute) and route.endpoint is receive_sms
)
# Twilio's form for one text is a few hundred bytes (a few KB with ten media URLs); a larger
# or unsized body is left to the app (and its form parser's limits).
MAX_FORM_BYTES = 64 * 1024
FORM_TYPE = b"application/x-www-form-urlencoded"


class SmsWebhookFastPath:
    """ASGI middleware; ingest-sms's app adds it inside the request metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_small_form_post(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            body = await request.body()
        except ClientDisconnect:  # gone mid-body: the app's next receive says so too
            await self.app(scope, receive, send)
            return
        try:
            form = await signed_form(request)
            inbound = inbound_text(form)
        except HTTPException:
            await self.app(scope, _replay(body, receive), send)
            return
        scope["route"] = SMS_ROUTE
        try:
            response = await answer_text(inbound, ingest_of(scope["app"]))
        except HTTPException as exc:  # the text could not be stored: 503, as the route says
            handlers = scope["app"].exception_handlers  # the app's own, should it set one
            handler = handlers.get(StarletteHTTPException, http_exception_handler)
            response = await handler(request, exc)
        await response(scope, receive, send)


def _is_small_form_post(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    if get_route_path(scope) != SMS_ROUTE.path:  # the path as the router matches it
        return False
    headers = dict(scope["headers"])
    size = headers.get(b"content-length", b"")
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    return content_type == FORM_TYPE and size.isdigit() and int(size) <= MAX_FORM_BYTES


def _replay(body: bytes, receive: Receive) -> Receive:
    """The request's body once more for the app, then whatever else the server sends."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
