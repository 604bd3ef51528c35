"""The text webhook's fast path (`ingest_sms.fast_path`): a signed text is answered there, as
the route answers it; anything it would refuse reaches the full app with its body intact."""

from __future__ import annotations

import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Message, Receive, Scope, Send

from ingest_sms.fast_path import SmsWebhookFastPath
from ingest_sms.main import create_app
from recon.devstack.text import SMS_PATH, reply_of, sign, text_form
from tests.conftest import TestServers
from tests.ingest.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, Phone, ingest_settings
from tests.ingest.test_webhook import detail_car, stage_of
from tests.platform.test_services import serving

Sessions = async_sessionmaker[AsyncSession]
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class FullApp:
    """Stands in for the app behind the fast path: keeps the body each request reached it with."""

    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"full app"})


@pytest.fixture(scope="module")
async def app(servers: TestServers) -> AsyncIterator[FastAPI]:
    app = create_app(ingest_settings(servers))
    async with serving(app):
        yield app


@dataclass
class Posted:
    status: int
    answer: bytes
    sent: bytes
    # The bodies the app behind the fast path was called with (none: the fast path answered).
    reached_app: list[bytes]


async def post(
    app: FastAPI,
    form: dict[str, str],
    *,
    signed: bool = True,
    content_type: str = FORM_TYPE,
    chunks: int = 1,
    then_disconnect: bool = False,
) -> Posted:
    """POST the form to the fast path in front of a `FullApp`, as Twilio would (`chunks`: in
    that many pieces; `then_disconnect`: the client leaves before the last)."""
    body = urllib.parse.urlencode(form).encode()
    signature = sign(auth_token=AUTH_TOKEN, url=PUBLIC_BASE_URL + SMS_PATH, params=form)
    headers = {
        "content-type": content_type,
        "x-twilio-signature": signature if signed else "x",
        "content-length": str(len(body)),
    }
    scope: Scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("test", 80),
        "path": SMS_PATH,
        "raw_path": SMS_PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
        "app": app,
    }
    size = -(-len(body) // chunks)
    pieces = [body[at : at + size] for at in range(0, len(body), size)]
    if then_disconnect:
        pieces = pieces[:-1]
    requests: list[Message] = [
        {"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1 or then_disconnect}
        for n, piece in enumerate(pieces)
    ]
    answered: list[Message] = []

    async def receive() -> Message:
        return requests.pop(0) if requests else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        answered.append(message)

    full_app = FullApp()
    await SmsWebhookFastPath(full_app)(scope, receive, send)
    status = next(m["status"] for m in answered if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in answered)
    return Posted(status, answer, body, full_app.bodies)


def test_the_app_answers_texts_through_it(app: FastAPI) -> None:
    assert any(middleware.cls is SmsWebhookFastPath for middleware in app.user_middleware)


@pytest.mark.parametrize("chunks", [1, 3])
async def test_a_signed_text_is_answered_in_front_of_the_app(
    app: FastAPI, sessions: Sessions, chunks: int
) -> None:
    store, detailer, unit = await detail_car(sessions)
    form = text_form(from_number=detailer.phone, to_number=store.sms_number, body="2231 done")

    posted = await post(app, form, chunks=chunks)

    assert posted.status == 200 and posted.reached_app == []
    reply = reply_of(posted.answer.decode())
    assert reply is not None and "2231" in reply
    assert await stage_of(sessions, unit) == "photos"


@pytest.mark.parametrize(
    ("content_type", "signed", "without"),
    [
        (FORM_TYPE, False, None),
        (FORM_TYPE, True, "From"),
        ("multipart/form-data; boundary=x", True, None),
        ("text/plain", True, None),
    ],
    ids=["bad signature", "no sender", "multipart", "not a form"],
)
async def test_what_it_would_refuse_reaches_the_app_with_its_body(
    app: FastAPI, sessions: Sessions, content_type: str, signed: bool, without: str | None
) -> None:
    store, detailer, unit = await detail_car(sessions)
    form = text_form(from_number=detailer.phone, to_number=store.sms_number, body="2231 done")
    form.pop(without or "", None)

    posted = await post(app, form, signed=signed, content_type=content_type)

    assert (posted.status, posted.answer) == (299, b"full app")
    assert posted.reached_app == [posted.sent]
    assert await stage_of(sessions, unit) == "detail"


async def test_a_sender_gone_mid_body_is_left_to_the_app(app: FastAPI, sessions: Sessions) -> None:
    store, detailer, unit = await detail_car(sessions)
    form = text_form(from_number=detailer.phone, to_number=store.sms_number, body="2231 done")

    posted = await post(app, form, chunks=2, then_disconnect=True)

    assert posted.status == 299 and len(posted.reached_app) == 1
    assert await stage_of(sessions, unit) == "detail"


async def test_a_text_it_answers_is_timed_under_the_route(phone: Phone, sessions: Sessions) -> None:
    store, detailer, _ = await detail_car(sessions)

    async def answered() -> float:
        metrics = (await phone.client.get("/metrics")).text
        for line in metrics.splitlines():
            if (
                line.startswith("recon_http_request_seconds_count")
                and f'route="{SMS_PATH}"' in line
                and 'status="200"' in line
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = await answered()
    await phone.text(from_number=detailer.phone, to_number=store.sms_number, body="2231 done")

    assert await answered() == before + 1
