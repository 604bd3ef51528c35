"""What every SMS provider offers the notifier, and the two ways a send can fail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A text the provider accepted: its id (Twilio's SID) and status (`queued`, ...)."""

    sid: str
    status: str
    body: str = ""
    created_at: datetime | None = None


class SendRefused(Exception):
    """The provider refused the text for good (bad number, opted out, ...): never retry."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class SendFailed(Exception):
    """The text may be retried. `maybe_accepted` is True when the provider could have taken it
    anyway (a timeout after the request left, a 5xx): check with it before sending again."""

    def __init__(
        self, code: str, message: str, *, maybe_accepted: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.maybe_accepted = maybe_accepted
        self.retry_after = retry_after


class SmsProvider(Protocol):
    name: str

    async def send(self, *, from_number: str, to_number: str, body: str) -> SentMessage:
        """Hand one text to the provider; raises SendRefused or SendFailed."""
        ...

    async def recent(
        self, *, from_number: str, to_number: str, since: datetime
    ) -> list[SentMessage]:
        """Texts the provider accepted from `from_number` to `to_number` since `since`: how a
        send whose answer was lost is found again instead of being repeated."""
        ...

    async def aclose(self) -> None: ...
