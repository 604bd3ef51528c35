"""The `log` provider (the default in `make run`): records each text and sends nothing."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime

from recon.sms.provider import SentMessage

log = logging.getLogger(__name__)

_counter = itertools.count(1)


class LogProvider:
    name = "log"

    def __init__(self) -> None:
        # Kept per (from, to) only as long as the process lives: enough for `recent`, and
        # losing it on restart costs at most a repeated log line, never a real text.
        self.sent: dict[tuple[str, str], list[SentMessage]] = {}

    async def send(self, *, from_number: str, to_number: str, body: str) -> SentMessage:
        message = SentMessage(
            sid=f"LOG{next(_counter):030d}",
            status="logged",
            body=body,
            created_at=datetime.now(UTC),
        )
        self.sent.setdefault((from_number, to_number), []).append(message)
        log.info("text %s → %s (not sent, SMS_PROVIDER=log): %s", from_number, to_number, body)
        return message

    async def recent(
        self, *, from_number: str, to_number: str, since: datetime
    ) -> list[SentMessage]:
        return [
            message
            for message in self.sent.get((from_number, to_number), [])
            if message.created_at is not None and message.created_at >= since
        ]

    async def aclose(self) -> None:
        return None
