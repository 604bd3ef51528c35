"""Sending queued texts: at most one text per (event, person), and at least one once the
notifier is back after a crash.

How (the exactly-once strategy):
1. The intent is durable before anything is sent: a `notifications` row per (event, person,
   kind), unique, so a redelivered event adds nothing.
2. A claim (SELECT … FOR UPDATE SKIP LOCKED, so copies never claim the same rows) drops the
   rows whose news no longer holds (`staleness`: skipped, `stale`), folds the person's other due
   rows into one outbound `messages` row (status `pending`, no SID), marks the rows `sending` and
   gives them a lease: `send_after` becomes the time the claim runs out. From here on a text's
   body never changes.
3. The provider is called only while the lease has time left for the whole call; its SID is
   written to the message, and the rows become `sent`, in one transaction.
4. Rows still `sending` after their lease (the notifier died mid-send, or the answer was lost to
   a timeout or a 5xx) are claimed again. Before sending again the notifier asks the provider
   for the texts it accepted from that number to that person since the message was written; one
   with the same body and a SID we have not recorded is that text, and is adopted instead of
   being sent twice. Twilio's Messages API takes no idempotency key, so this re-check is what
   stands between a crash and a duplicate. Its limits: the provider's list must already show
   the text (Twilio's does within seconds), and a 429 or an unreachable API, which cannot have
   accepted anything, skip it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.pacing import Pacer
from notifier.queueing import can_text
from notifier.schedule import retry_delay
from notifier.staleness import STALE, stale_notices
from notifier.texts import combined
from recon.db.models import Message, Notification, Staff, Store
from recon.db.session import unit_of_work
from recon.domain.messages import record_outbound, update_delivery_status
from recon.settings import Settings
from recon.sms import SendFailed, SendRefused, SentMessage, SmsProvider

log = logging.getLogger(__name__)

SERVICE = "notifier"
# Marks rows whose last try may have reached the provider: re-check before sending again.
UNCONFIRMED = "unconfirmed"
# Provider error codes that change the person, not just the send.
OPTED_OUT = "21610"
INVALID_NUMBER = "21211"
# How far the provider's clock may lag ours when matching a text it accepted.
CLOCK_SKEW = timedelta(minutes=5)

Row = TypeVar("Row", Message, Staff, Store)

TEXTS = Counter("recon_notifier_texts_total", "Texts by outcome", ["outcome"])


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One claimed text: its message row, the notifications it carries, and the claim's lease."""

    message_id: uuid.UUID
    staff_id: uuid.UUID | None
    from_number: str
    to_number: str
    body: str
    attempt: int
    lease_until: datetime
    recheck_since: datetime | None


class Sender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        provider: SmsProvider,
        settings: Settings,
    ) -> None:
        self.sessions = sessions
        self.provider = provider
        self.settings = settings
        self.pacer = Pacer(settings.notify_rate_per_second)

    async def run(self) -> None:
        """Send until cancelled."""
        while True:
            try:
                handled = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notifier sender failed; retrying")
                handled = 0
            if not handled:
                await asyncio.sleep(self.settings.notify_poll_seconds)

    async def run_once(self) -> int:
        """Claim what is due and send it; returns how many texts were claimed."""
        async with unit_of_work(self.sessions) as session:
            claimed = await self.claim(session, now=datetime.now(UTC))
        results = await asyncio.gather(
            *(self.deliver(outgoing) for outgoing in claimed), return_exceptions=True
        )
        accepted: list[tuple[Outgoing, SentMessage]] = []
        for outgoing, result in zip(claimed, results, strict=True):
            if isinstance(result, BaseException):
                log.error("sending a text failed", exc_info=result)
            elif result is not None:
                accepted.append((outgoing, result))
        # One transaction for the batch's SIDs: they all take the store's event lock.
        await self._confirm(accepted)
        return len(claimed)

    # --- claiming ------------------------------------------------------------------------------

    async def claim(self, session: AsyncSession, *, now: datetime) -> list[Outgoing]:
        limit = max(1, self.settings.notify_concurrency)
        claimed = await self._reclaim_unconfirmed(session, now=now, limit=limit)
        if len(claimed) < limit:
            claimed += await self._claim_due(session, now=now, limit=limit - len(claimed))
        return claimed

    def _lease(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.notify_send_lease_seconds)

    async def _claim_due(
        self, session: AsyncSession, *, now: datetime, limit: int
    ) -> list[Outgoing]:
        due = list(
            (
                await session.scalars(
                    select(Notification)
                    .where(Notification.status == "pending", Notification.send_after <= now)
                    .order_by(Notification.send_after, Notification.created_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        if not due:
            return []
        window = self.settings.notify_batch_seconds
        if window > 0:
            # What else is waiting for the same people within the window joins their text.
            due += (
                await session.scalars(
                    select(Notification)
                    .where(
                        Notification.status == "pending",
                        Notification.staff_id.in_({row.staff_id for row in due}),
                        Notification.send_after <= now + timedelta(seconds=window),
                        Notification.id.not_in([row.id for row in due]),
                    )
                    .order_by(Notification.created_at)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        due = self._drop_stale(due, await stale_notices(session, due))
        groups: dict[object, list[Notification]] = defaultdict(list)
        for row in due:
            groups[row.staff_id if window > 0 else row.id].append(row)
        for key, rows in list(groups.items()):
            if not any(row.send_after <= now for row in rows):
                # Only what came along in the window is left: it waits for its own time, and
                # for whatever joins it by then.
                del groups[key]
        staff = await _by_id(session, Staff, {row.staff_id for row in due})
        stores = await _by_id(session, Store, {row.store_id for row in due})
        claimed: list[Outgoing] = []
        for rows in groups.values():
            person = staff[rows[0].staff_id]
            if not can_text(person):
                reason = (
                    "inactive"
                    if not person.active
                    else "phone_invalid"
                    if person.phone_invalid
                    else "opted_out"
                )
                for row in rows:
                    row.status, row.error_code = "skipped", reason
                TEXTS.labels("skipped").inc(len(rows))
                continue
            rows.sort(key=lambda row: row.created_at)
            claimed.append(
                await self._start(session, stores[rows[0].store_id], person, rows, now=now)
            )
        return claimed

    @staticmethod
    def _drop_stale(rows: Sequence[Notification], stale: set[uuid.UUID]) -> list[Notification]:
        """Record the rows whose news no longer holds as skipped (`stale`); the rest go on."""
        if not stale:
            return list(rows)
        for row in rows:
            if row.id in stale:
                row.status, row.error_code = "skipped", STALE
        TEXTS.labels("stale").inc(len(stale))
        return [row for row in rows if row.id not in stale]

    async def _start(
        self,
        session: AsyncSession,
        store: Store,
        person: Staff,
        rows: Sequence[Notification],
        *,
        now: datetime,
    ) -> Outgoing:
        """Write the outbound message (no SID yet) and lease the rows it carries."""
        body = combined([row.body for row in rows])
        message = await record_outbound(
            session,
            store_id=store.id,
            from_number=store.sms_number,
            to_number=person.phone,
            body=body,
            staff_id=person.id,
            status="pending",
            kind="digest" if all(row.kind == "digest" for row in rows) else "notification",
            service=SERVICE,
        )
        message.unit_ids = sorted({row.unit_id for row in rows if row.unit_id is not None}, key=str)
        lease = self._lease(now)
        for row in rows:
            row.status = "sending"
            row.message_id = message.id
            row.attempts = 1
            row.send_after = lease
        return Outgoing(
            message_id=message.id,
            staff_id=person.id,
            from_number=store.sms_number,
            to_number=person.phone,
            body=body,
            attempt=1,
            lease_until=lease,
            recheck_since=None,
        )

    async def _reclaim_unconfirmed(
        self, session: AsyncSession, *, now: datetime, limit: int
    ) -> list[Outgoing]:
        """Rows left `sending` past their lease: a crash or a lost answer. Claim them again."""
        rows = (
            await session.scalars(
                select(Notification)
                .where(Notification.status == "sending", Notification.send_after <= now)
                .order_by(Notification.send_after)
                .limit(limit * 4)
                .with_for_update(skip_locked=True)
            )
        ).all()
        by_message: dict[uuid.UUID, list[Notification]] = defaultdict(list)
        for row in rows:
            if row.message_id is not None:
                by_message[row.message_id].append(row)
        messages = await _by_id(session, Message, set(by_message))
        claimed: list[Outgoing] = []
        for message_id, group in list(by_message.items())[:limit]:
            message = messages[message_id]
            attempt = max(row.attempts for row in group) + 1
            recheck = any(row.error_code in (None, UNCONFIRMED) for row in group)
            if attempt > self.settings.notify_max_attempts:
                code = next((r.error_code for r in group if r.error_code), UNCONFIRMED)
                await _fail(session, message, group, code=code)
                continue
            lease = self._lease(now)
            for row in group:
                row.attempts = attempt
                row.send_after = lease
            claimed.append(
                Outgoing(
                    message_id=message.id,
                    staff_id=message.staff_id,
                    from_number=message.from_number,
                    to_number=message.to_number,
                    body=message.body,
                    attempt=attempt,
                    lease_until=lease,
                    recheck_since=message.created_at - CLOCK_SKEW if recheck else None,
                )
            )
        return claimed

    # --- sending -------------------------------------------------------------------------------

    async def deliver(self, outgoing: Outgoing) -> SentMessage | None:
        """Get one text to the provider; returns what it accepted, to be confirmed (None when
        the text failed or was left for later, which is recorded here)."""
        if outgoing.recheck_since is not None:
            try:
                earlier = await self._accepted_earlier(outgoing)
            except SendFailed as exc:
                await self._retry_later(outgoing, exc)
                return None
            if earlier is not None:
                TEXTS.labels("recovered").inc()
                return earlier
        await self.pacer.wait(outgoing.from_number)
        margin = timedelta(seconds=self.settings.twilio_timeout_seconds + 1)
        if datetime.now(UTC) + margin > outgoing.lease_until:
            # Too little lease left to be sure no one else takes it over mid-call; the
            # recovery claims it again once the lease ends.
            return None
        try:
            sent = await self.provider.send(
                from_number=outgoing.from_number, to_number=outgoing.to_number, body=outgoing.body
            )
        except SendRefused as exc:
            await self._refused(outgoing, exc)
            return None
        except SendFailed as exc:
            await self._retry_later(outgoing, exc)
            return None
        TEXTS.labels("sent").inc()
        return sent

    async def _accepted_earlier(self, outgoing: Outgoing) -> SentMessage | None:
        """The provider's record of this very text, if an earlier try got it there."""
        assert outgoing.recheck_since is not None
        candidates = [
            found
            for found in await self.provider.recent(
                from_number=outgoing.from_number,
                to_number=outgoing.to_number,
                since=outgoing.recheck_since,
            )
            if found.body == outgoing.body
        ]
        if not candidates:
            return None
        async with self.sessions() as session:
            known = set(
                (
                    await session.scalars(
                        select(Message.provider_sid).where(
                            Message.provider_sid.in_([found.sid for found in candidates])
                        )
                    )
                ).all()
            )
        return next((found for found in reversed(candidates) if found.sid not in known), None)

    async def _confirm(self, accepted: Sequence[tuple[Outgoing, SentMessage]]) -> None:
        """Write the provider's SIDs and mark the texts sent."""
        if not accepted:
            return
        async with unit_of_work(self.sessions) as session:
            now = datetime.now(UTC)
            rows = await _still_ours(session, [outgoing for outgoing, _ in accepted])
            messages = await _by_id(session, Message, set(rows))
            for outgoing, sent in accepted:
                if outgoing.message_id not in rows:
                    continue
                for row in rows[outgoing.message_id]:
                    row.status, row.sent_at, row.error_code = "sent", now, None
                message = messages[outgoing.message_id]
                message.provider_sid = sent.sid
                await update_delivery_status(
                    session, message, status=sent.status, error_code=None, service=SERVICE
                )

    async def _refused(self, outgoing: Outgoing, exc: SendRefused) -> None:
        TEXTS.labels("failed").inc()
        log.warning("text to %s refused: %s", outgoing.to_number, exc)
        async with unit_of_work(self.sessions) as session:
            rows = (await _still_ours(session, [outgoing])).get(outgoing.message_id)
            if not rows:
                return
            message = await session.get_one(Message, outgoing.message_id)
            await _fail(session, message, rows, code=exc.code)
            if outgoing.staff_id is not None and exc.code in (OPTED_OUT, INVALID_NUMBER):
                flag = {"sms_opt_out": True} if exc.code == OPTED_OUT else {"phone_invalid": True}
                await session.execute(
                    update(Staff).where(Staff.id == outgoing.staff_id).values(**flag)
                )

    async def _retry_later(self, outgoing: Outgoing, exc: SendFailed) -> None:
        async with unit_of_work(self.sessions) as session:
            rows = (await _still_ours(session, [outgoing])).get(outgoing.message_id)
            if not rows:
                return
            if outgoing.attempt >= self.settings.notify_max_attempts:
                TEXTS.labels("failed").inc()
                message = await session.get_one(Message, outgoing.message_id)
                await _fail(session, message, rows, code=exc.code)
                return
            TEXTS.labels("retried").inc()
            delay = retry_delay(
                outgoing.attempt,
                base=self.settings.notify_retry_base_seconds,
                ceiling=self.settings.notify_retry_max_seconds,
                at_least=exc.retry_after,
            )
            retry_at = datetime.now(UTC) + timedelta(seconds=delay)
            for row in rows:
                row.send_after = retry_at
                row.error_code = UNCONFIRMED if exc.maybe_accepted else exc.code[:16]


async def _still_ours(
    session: AsyncSession, claims: Sequence[Outgoing]
) -> dict[uuid.UUID, list[Notification]]:
    """The claims' rows by message, locked, leaving out those a later claim took over."""
    attempt = {outgoing.message_id: outgoing.attempt for outgoing in claims}
    rows = (
        await session.scalars(
            select(Notification)
            .where(Notification.message_id.in_(attempt), Notification.status == "sending")
            .order_by(Notification.id)
            .with_for_update()
        )
    ).all()
    ours: dict[uuid.UUID, list[Notification]] = defaultdict(list)
    for row in rows:
        assert row.message_id is not None
        if row.attempts == attempt[row.message_id]:
            ours[row.message_id].append(row)
    return ours


async def _fail(
    session: AsyncSession, message: Message, rows: Sequence[Notification], *, code: str
) -> None:
    for row in rows:
        row.status, row.error_code = "failed", code[:16]
    await update_delivery_status(
        session, message, status="failed", error_code=code[:16], service=SERVICE
    )


async def _by_id(
    session: AsyncSession, model: type[Row], ids: set[uuid.UUID]
) -> dict[uuid.UUID, Row]:
    if not ids:
        return {}
    rows = (await session.scalars(select(model).where(model.id.in_(ids)))).all()
    return {row.id: row for row in rows}
