"""The SMS provider's webhooks: staff texts in (answered with TwiML), delivery statuses."""

from __future__ import annotations

import logging
import re
from xml.sax.saxutils import escape

from fastapi import APIRouter, HTTPException, Response
from starlette.datastructures import FormData

from ingest_sms.delivery import STATUS, record_status
from ingest_sms.deps import IngestDep, SignedForm
from ingest_sms.inbound import MAX_MEDIA, InboundText, SmsIngest
from recon.service.deps import SessionDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])

TWIML = "application/xml"
_MEDIA_KEY = re.compile(r"MediaUrl(\d+)")


_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(reply: str | None) -> Response:
    """The TwiML twilio's MessagingResponse writes, byte for byte (a test holds them equal),
    without building an ElementTree for one element on every text."""
    if not reply:
        return Response(f"{_XML_DECLARATION}<Response />", media_type=TWIML)
    message = escape(reply)  # what ElementTree escapes in text: & < >
    return Response(
        f"{_XML_DECLARATION}<Response><Message>{message}</Message></Response>", media_type=TWIML
    )


def _field(form: FormData, name: str, *, limit: int) -> str:
    value = form.get(name)
    # NUL is never part of a text, a number or a SID (and Postgres cannot store it).
    return value.replace("\x00", "")[:limit] if isinstance(value, str) else ""


def inbound_text(form: FormData) -> InboundText:
    from_number = _field(form, "From", limit=64)
    to_number = _field(form, "To", limit=64)
    if not from_number.strip() or not to_number.strip():
        raise HTTPException(400, "From and To are required")
    media = sorted(
        (int(match.group(1)), value)
        for key, value in form.multi_items()
        if (match := _MEDIA_KEY.fullmatch(key)) and isinstance(value, str) and value
    )
    return InboundText(
        from_number=from_number,
        to_number=to_number,
        body=_field(form, "Body", limit=10_000),
        message_sid=_field(form, "MessageSid", limit=64)
        or _field(form, "SmsSid", limit=64)
        or None,
        media_urls=tuple(
            url.replace("\x00", "")[:2000] for _, url in media[:MAX_MEDIA] if url.strip("\x00")
        ),
    )


@router.post(
    "/sms",
    summary="An inbound text (Twilio form fields); answers TwiML with the reply",
    response_class=Response,
    responses={
        200: {"content": {TWIML: {}}},
        403: {"description": "bad or missing signature"},
        503: {"description": "the text could not be stored (Postgres unreachable)"},
    },
)
async def receive_sms(form: SignedForm, ingest: IngestDep) -> Response:
    return await answer_text(inbound_text(form), ingest)


async def answer_text(inbound: InboundText, ingest: SmsIngest) -> Response:
    """Store, apply and answer one text (the route's work, also done by `fast_path`)."""
    try:
        handled = await ingest.receive(inbound)
    except Exception:
        # Stored texts are always answered 200 (a failure after storing gets an apology).
        # One that could not be stored at all must not look delivered: the provider logs a
        # non-2xx and calls its fallback URL, if one is set.
        log.exception("inbound text from %s could not be stored", inbound.from_number)
        raise HTTPException(503, "the text could not be stored; send it again") from None
    return twiml(handled.reply)


@router.post(
    "/status",
    summary="A delivery status callback for an outbound text",
    status_code=204,
    response_class=Response,
    responses={403: {"description": "bad or missing signature"}},
)
async def delivery_status(form: SignedForm, session: SessionDep) -> Response:
    message_sid = _field(form, "MessageSid", limit=64) or _field(form, "SmsSid", limit=64)
    status = _field(form, "MessageStatus", limit=32) or _field(form, "SmsStatus", limit=32)
    status = status.strip().lower()
    if not message_sid or not STATUS.fullmatch(status):
        raise HTTPException(400, "MessageSid and MessageStatus (a status word) are required")
    error_code = _field(form, "ErrorCode", limit=16).strip() or None
    await record_status(session, message_sid=message_sid, status=status, error_code=error_code)
    return Response(status_code=204)
