"""The webhook's TwiML answer is what twilio's own MessagingResponse writes."""

from __future__ import annotations

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from ingest_sms.webhooks import twiml


@pytest.mark.parametrize(
    "reply",
    [
        None,
        "",
        "2231 2019 Accord: note added",
        "a & b <c> \"d\" 'e' ]]> &amp;",
        "line one\r\nline two\ttabbed",
        "é ñ 💥 ☃",
    ],
)
def test_same_bytes_as_messaging_response(reply: str | None) -> None:
    expected = MessagingResponse()
    if reply:
        expected.message(reply)
    assert twiml(reply).body == str(expected).encode()
