"""One inbound text, from the webhook's fields to its reply.

A text is handled in one transaction. Its first statement reads the store, the sender and
their recent texts and what changed for the cached unit index, takes the store's lock (every
writer of a store queues there, so the units read after it are the ones the change is made
to) and stores the text. Then what it means is worked out (the interpretation is CPU only,
well under a millisecond), it is applied through the domain, and its reply, its outcome and
its events are written in one statement as it commits. The lock is held for as few
statements as that takes: a store's texts are applied one at a time, so its hold time is the
store's ceiling.

Nothing a sender wrote is lost. A text the interpreter chokes on is stored for review with an
apology. When applying fails for any other reason (Postgres mid-way, a bug), the transaction
rolls back and the text is stored on its own, marked for review, with the same apology. A
repeated MessageSid finds the first copy (a unique index) and gets its stored reply.

Overload too: a store's texts take turns in the process before they take a connection (they
would queue on the store's lock in Postgres anyway, at a cost to every store), and a process
handles at most `capacity` texts at once, so texts never exhaust the connection pool. One
that waits longer than ADMIT_SECONDS for its turn is stored on a reserved connection,
answered "saved, will be applied", and applied by a background task as soon as there is
room. A text that cannot be stored at all raises, and the webhook answers
503 (the provider logs it and calls its fallback URL, if one is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from ingest_sms import replies
from ingest_sms.unit_index import VIEW_UNCHANGED_TYPES, UnitIndexCache, changed_units_sql
from recon import understanding
from recon.db.models import Message, Store
from recon.domain import pg, units
from recon.domain.errors import StaleUnit
from recon.domain.event_log import (
    Cause,
    defer_events,
    lock_store_events,
    note_store_locked,
)
from recon.domain.messages import (
    NewInbound,
    Settled,
    record_inbound,
    record_outbound,
    settle_inbound,
)
from recon.domain.sms import (
    ACCOUNT_ACTIONS,
    Outcome,
    apply_unit_command,
    set_sms_opt_out,
)
from recon.domain.undo import undo_last_change
from recon.events import Actor
from recon.phones import try_e164
from recon.settings import Settings

log = logging.getLogger(__name__)

SERVICE = "ingest-sms"
# Twilio caps a text at 1600 characters; anything longer is not a text a person typed.
MAX_BODY = 1600
MAX_MEDIA = 10
STALE_RETRIES = 3
CONTEXT_WINDOW = timedelta(hours=2)
# The most of the sender's texts in the CONTEXT_WINDOW read to understand a new one: as many
# as the default flood limit of 20 read when the flood guard counted the same rows. The guard
# now counts on its own, so a store with a high limit does not read that many texts per text.
CONTEXT_TEXTS = 21
UNREGISTERED_REPLY_EVERY = timedelta(hours=24)
FLOOD_WINDOW = timedelta(minutes=1)
FLOOD_NOTICE_EVERY = timedelta(minutes=10)
# Overload. Connections kept back from texts being applied, for storing the ones that wait
# too long (and for /readyz); create_engine allows pool_size + pool_size overflow.
RESERVED_CONNECTIONS = 2
# How long a text may wait for its turn before it is stored to be applied later (Twilio
# gives up on a webhook after 15 s), and how long storing it may wait for a reserved one.
ADMIT_SECONDS = 5.0
RESERVE_SECONDS = 8.0
# Held texts: how often the background task looks for them besides being woken, and how old
# one may be and still be applied (an older one is left to a person to review).
HELD_POLL_SECONDS = 30.0
HELD_APPLY_WITHIN = timedelta(hours=1)
HELD_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class InboundText:
    """The fields of Twilio's webhook this service uses."""

    from_number: str
    to_number: str
    body: str
    message_sid: str | None
    media_urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Handled:
    """What the webhook answers: the reply (None → empty TwiML) and the stored message."""

    reply: str | None
    message_id: uuid.UUID | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class _StoreRow:
    id: uuid.UUID
    sms_number: str
    timezone: str
    # The store's last event when it was read: what the unit index is brought up to.
    last_event_seq: int


@dataclass(frozen=True, slots=True)
class _StaffRow:
    id: uuid.UUID
    name: str
    role: str
    active: bool


@dataclass(frozen=True, slots=True)
class _Sent:
    """One of the sender's earlier texts, as far as understanding a new one needs."""

    id: uuid.UUID
    created_at: datetime
    status: str
    unit_ids: Sequence[uuid.UUID] | None
    # The part still waiting for a unit, when the text got "which car?".
    pending_text: str | None


@dataclass(frozen=True, slots=True)
class _Sender:
    store: _StoreRow
    staff: _StaffRow | None
    from_number: str
    # Their texts of the CONTEXT_WINDOW before the text, newest first (read with the sender,
    # when asked for and the sender is active staff; at most CONTEXT_TEXTS of them).
    recent: tuple[_Sent, ...] = ()
    # How many of their other texts came in the FLOOD_WINDOW before it (counted up to one
    # more than the flood limit), read with them.
    in_flood_window: int = 0
    # (the seq the unit index cache was at, the units changed since), when read with it.
    changed: tuple[int, set[uuid.UUID]] | None = None
    # Whether the text was stored by the statement that read all this (when it was asked
    # to; False: a text with its provider SID is stored already).
    stored: bool | None = None


class Overloaded(Exception):
    """Not even a reserved connection came free: the text could not be stored."""


@dataclass(frozen=True, slots=True)
class _Understood:
    """What a text means to its store, and so what is done with it."""

    verdict: Literal["apply", "reject", "flood", "ignore", "failed"]
    interpretation: Any = None
    now: datetime | None = None
    error: str | None = None


class SmsIngest:
    """The per-process part of the service: sessions, settings, the unit-index cache, and the
    admission of texts (`slots`: how many are handled at once)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        capacity: int | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.indexes = UnitIndexCache()
        # The store each SMS number was when last texted: a text reads what changed for that
        # store's cached unit index together with the sender (checked against the store found).
        self._store_of: dict[str, uuid.UUID] = {}
        # Each known store number's turn (see `_turn_of`).
        self._turns: dict[str, asyncio.Lock] = {}
        if capacity is None:
            capacity = max(1, 2 * settings.db_pool_size - RESERVED_CONNECTIONS)
        self.slots = asyncio.Semaphore(capacity)
        self._reserve = asyncio.Semaphore(RESERVED_CONNECTIONS)
        self._held_stores: set[uuid.UUID] = set()
        self._held_wake = asyncio.Event()

    async def receive(self, inbound: InboundText) -> Handled:
        """Store, apply and answer one text. Raises only when the text could not be stored."""
        numbers = _numbers(inbound)
        if numbers is None:
            log.warning("text to %r: not a phone number; ignored", inbound.to_number)
            return Handled(None)
        # The store's turn is waited for without a limit, as its lock in Postgres would be (a
        # text held after ADMIT_SECONDS would only queue on that lock to be stored).
        turn = self._turn_of(numbers[0])
        await turn.acquire()
        try:
            async with asyncio.timeout(ADMIT_SECONDS):
                await self.slots.acquire()
        except BaseException as exc:
            turn.release()
            if not isinstance(exc, TimeoutError):
                raise
            log.warning("busy: text from %s stored to apply when there is room", numbers[1])
            return await self._keep(inbound, numbers, status="received", reply=replies.HELD)
        try:
            for _ in range(STALE_RETRIES):
                with contextlib.suppress(StaleUnit):
                    return await self._receive(inbound, numbers)
            return await self._keep(
                inbound, numbers, status="failed", reply=replies.BUSY, note="stale", reserved=False
            )
        except Exception as exc:
            # Nothing of the text's transaction is left: keep the text on its own.
            log.exception("text from %s could not be applied; kept for review", numbers[1])
            return await self._keep(
                inbound,
                numbers,
                status="needs_review",
                reply=replies.APOLOGY,
                note=repr(exc)[:500],
                reserved=False,
            )
        finally:
            self.slots.release()
            turn.release()

    def _turn_of(self, to_number: str) -> asyncio.Lock:
        """A store's texts take their turn here, one at a time, before they take a connection.
        Postgres applies them one at a time anyway (the store's lock); waiting in the process
        is cheap, while a dozen backends queued on one row lock cost Postgres CPU on every
        wake-up and kept their connections from other stores' texts. A number no store was
        found for yet gets a lock of its own (no wait, and nothing kept for it)."""
        if to_number not in self._store_of:
            return asyncio.Lock()
        turn = self._turns.get(to_number)
        if turn is None:
            turn = self._turns[to_number] = asyncio.Lock()
        return turn

    async def apply_held_texts(self) -> None:
        """The app's background task: applies texts stored while the service was busy (or by
        a copy that stopped before applying them, found when this one starts)."""
        async with self.sessions() as session:
            self._held_stores.update((await session.execute(select(Store.id))).scalars())
        self._held_wake.set()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HELD_POLL_SECONDS):  # not wait_for: see the relay
                    await self._held_wake.wait()
            self._held_wake.clear()
            for store_id in list(self._held_stores):
                self._held_stores.discard(store_id)
                try:
                    while await self._apply_one_held(store_id):
                        pass
                except Exception:
                    log.exception("held texts of store %s: retrying later", store_id)
                    self._held_stores.add(store_id)

    # --- the steps -----------------------------------------------------------------------

    async def _receive(self, inbound: InboundText, numbers: tuple[str, str]) -> Handled:
        to_number, from_number = numbers
        async with self.sessions() as session, session.begin():
            # The text's events (received, its changes, the reply) are written in one go.
            defer_events(session)
            at = _utcnow()
            known = self._store_of.get(to_number)
            cached_seq = None if known is None else self.indexes.seq_of(known)
            text = NewInbound(
                from_number=from_number,
                body=inbound.body,
                provider_sid=inbound.message_sid,
                media_urls=inbound.media_urls,
                at=at,
            )
            # Reads the store and the sender, takes the store's lock and stores the text.
            sender = await _resolve(
                session,
                from_number=from_number,
                to_number=to_number,
                history=(at, None, self.settings.sms_flood_per_minute),
                index_at=None if known is None or cached_seq is None else (known, cached_seq),
                record=text,
            )
            if sender is None:
                log.warning("text to %r: no store has that number; ignored", to_number)
                return Handled(None)
            self._store_of[to_number] = sender.store.id
            if sender.stored:
                message = await text.recorded(
                    session,
                    store_id=sender.store.id,
                    to_number=sender.store.sms_number,
                    staff_id=sender.staff.id if sender.staff else None,
                    staff_name=sender.staff.name if sender.staff else None,
                    service=SERVICE,
                )
            else:
                note_store_locked(session, sender.store.id)
                message = await _first_copy(session, sender, inbound.message_sid)
                if message.status != "received":
                    reply = await _stored_reply(session, message)
                    return Handled(reply, message.id, message.status)
            understood = await self._understand(session, sender, message)
            return await self._carry_out(session, sender, message, understood, answer=True)

    async def _understand(
        self, session: AsyncSession, sender: _Sender, message: Message
    ) -> _Understood:
        """What a stored text means to its store, as of when it came (a held text, or a first
        copy still waiting, is read with the sender's texts before it, not after)."""
        body, media, at = message.body, message.media_urls, message.created_at
        staff = sender.staff
        if staff is None or not staff.active:
            return _Understood("reject")
        flood_limit = self.settings.sms_flood_per_minute
        history = _history(sender, at=at, this_id=message.id, limit=flood_limit)
        if history.flooding:
            return _Understood("flood")
        if not body.strip() and not media:
            return _Understood("ignore")
        now = datetime.now(_zone(sender.store.timezone))
        index = await self.indexes.get(
            session, sender.store.id, seq=sender.store.last_event_seq, changed_since=sender.changed
        )
        context = understanding.Context(
            recent_unit_ids=history.recent_unit_ids, now=now, media_count=len(media)
        )
        sender_view = understanding.SenderView(id=str(staff.id), name=staff.name, role=staff.role)
        try:
            interpretation = _interpret(body, index, sender_view, context, history.pending_question)
        except Exception as exc:
            log.exception("the interpreter failed on a text from %s", sender.from_number)
            return _Understood("failed", error=repr(exc)[:500])
        return _Understood("apply", interpretation=interpretation, now=now)

    async def _carry_out(
        self,
        session: AsyncSession,
        sender: _Sender,
        message: Message,
        understood: _Understood,
        *,
        answer: bool,
    ) -> Handled:
        """Apply a stored text as understood, under its store's lock. `answer`: store the
        reply (False for a held text, whose sender was answered when it was stored)."""
        match understood.verdict:
            case "reject":
                # An unregistered phone changes nothing; it hears from us at most once a day.
                return await _hold(
                    session,
                    sender,
                    message,
                    status="rejected",
                    reply=replies.UNREGISTERED if answer else None,
                    kind="unregistered",
                    every=UNREGISTERED_REPLY_EVERY,
                )
            case "flood":
                # Kept for a person to look at, not applied; one notice per burst.
                return await _hold(
                    session,
                    sender,
                    message,
                    status="flooded",
                    reply=replies.FLOODED if answer else None,
                    kind="flood_notice",
                    every=FLOOD_NOTICE_EVERY,
                )
            case "ignore":
                message.status = "ignored"
                return Handled(None, message.id, message.status)
            case "failed":
                return await _settle(
                    session,
                    sender,
                    message,
                    status="needs_review",
                    note=understood.error or "the interpreter failed",
                    reply=replies.APOLOGY if answer else None,
                )
        staff = sender.staff
        assert staff is not None and understood.now is not None
        interpretation = understood.interpretation
        cause = Cause(
            actor=Actor(kind="staff", staff_id=staff.id, name=staff.name),
            source="sms",
            service=SERVICE,
            message_id=message.id,
        )
        reply, status, outcomes, unit_ids = await _apply(
            session, sender, message, interpretation, cause, understood.now
        )
        settled = Settled(
            message,
            status=status,
            unit_ids=unit_ids,
            interpretation={
                **interpretation.model_dump(mode="json"),
                "summary": interpretation.summary(),
                "outcomes": [outcome.as_json() for outcome in outcomes],
            },
        )
        if not answer:
            await settle_inbound(session, settled)
            return Handled(None, message.id, status)
        # The outcome is recorded by the reply's INSERT statement.
        await _reply(session, sender, message, reply, kind="reply", settles=settled)
        return Handled(reply, message.id, status)

    async def _keep(
        self,
        inbound: InboundText,
        numbers: tuple[str, str],
        *,
        status: str,
        reply: str,
        note: str | None = None,
        reserved: bool = True,
    ) -> Handled:
        """Store a text without applying it, and its one reply (raises when it cannot be
        stored). `received` texts are applied later by `apply_held_texts`."""
        to_number, from_number = numbers
        room = self._reserved() if reserved else contextlib.nullcontext()
        async with room, self.sessions() as session, session.begin():
            defer_events(session)
            sender = await _resolve(session, from_number=from_number, to_number=to_number)
            if sender is None:
                return Handled(None)
            await lock_store_events(session, sender.store.id)
            message = await _record(session, sender, inbound, status=status)
            if message is None:
                message = await _first_copy(session, sender, inbound.message_sid)
                stored = await _stored_reply(session, message)
                return Handled(stored, message.id, message.status)
            if note is not None:
                message.interpretation = {"error": note}
            await _reply(session, sender, message, reply, kind="reply")
        if status == "received":
            self._held_stores.add(sender.store.id)
            self._held_wake.set()
        return Handled(reply, message.id, status)

    @contextlib.asynccontextmanager
    async def _reserved(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(RESERVE_SECONDS):
                await self._reserve.acquire()
        except TimeoutError:
            raise Overloaded("no connection came free to store the text") from None
        try:
            yield
        finally:
            self._reserve.release()

    async def _apply_one_held(self, store_id: uuid.UUID) -> bool:
        """Apply the oldest held text of a store, once there is room; False when none is left."""
        message_id = None
        async with self.slots:
            try:
                async with self.sessions() as session, session.begin():
                    defer_events(session)
                    # The store's lock, then the text: the order every text takes them in.
                    await lock_store_events(session, store_id)
                    message = await _oldest_held(session, store_id)
                    if message is None:
                        return False
                    message_id = message.id
                    sender = await _resolve(
                        session,
                        from_number=message.from_number,
                        store_id=store_id,
                        history=(
                            message.created_at,
                            message.id,
                            self.settings.sms_flood_per_minute,
                        ),
                    )
                    assert sender is not None  # the store is locked, so it exists
                    if message.created_at < _utcnow() - HELD_APPLY_WITHIN:
                        note = "held too long to apply safely; review it"
                        await _settle(
                            session, sender, message, status="needs_review", note=note, reply=None
                        )
                        return True
                    understood = await self._understand(session, sender, message)
                    await self._carry_out(session, sender, message, understood, answer=False)
                    return True
            except Exception as exc:
                if message_id is None:
                    raise
                log.exception("held text %s could not be applied; kept for review", message_id)
                await self._give_up(message_id, note=repr(exc)[:500])
                return True

    async def _give_up(self, message_id: uuid.UUID, *, note: str) -> None:
        """A held text that failed to apply goes to a person (it is not retried forever)."""
        async with self.sessions() as session, session.begin():
            message = (
                await session.execute(
                    select(Message).where(Message.id == message_id).with_for_update()
                )
            ).scalar_one()
            if message.status == "received":
                message.status = "needs_review"
                message.interpretation = {"error": note}


async def _settle(
    session: AsyncSession,
    sender: _Sender,
    message: Message,
    *,
    status: str,
    note: str,
    reply: str | None,
) -> Handled:
    """Close a text that could not be applied: stored with why, and its reply (if any)."""
    message.status = status
    message.interpretation = {"error": note}
    if reply is not None:
        await _reply(session, sender, message, reply, kind="reply")
    return Handled(reply, message.id, status)


async def _hold(
    session: AsyncSession,
    sender: _Sender,
    message: Message,
    *,
    status: str,
    reply: str | None,
    kind: str,
    every: timedelta,
) -> Handled:
    """Keep a text without applying it; its sender gets `reply` at most once per `every`."""
    message.status = status
    if reply is None:
        return Handled(None, message.id, status)
    await _serialize_number(session, sender)
    if await _replied_since(session, sender, kind=kind, since=_utcnow() - every):
        return Handled(None, message.id, status)
    await _reply(session, sender, message, reply, kind=kind)
    return Handled(reply, message.id, status)


async def _apply(
    session: AsyncSession,
    sender: _Sender,
    message: Message,
    interpretation: Any,
    cause: Cause,
    now: datetime,
) -> tuple[str, str, list[Outcome], list[uuid.UUID]]:
    """Apply the understood commands: (reply, message status, outcomes, units talked about)."""
    commands = list(interpretation.commands)
    account = [command for command in commands if command.action in ACCOUNT_ACTIONS]
    unit_commands = [command for command in commands if command.action not in ACCOUNT_ACTIONS]
    question = interpretation.question
    unknown = list(interpretation.unknown_numbers)
    if account:
        return await _account(session, sender, account[0].action, cause, now)
    if message.media_urls:
        unit_commands += _photos_command(interpretation, message)
    if unit_commands:
        outcomes = [
            await apply_unit_command(
                session,
                store_id=sender.store.id,
                command=command,
                cause=cause,
                media_urls=message.media_urls,
            )
            for command in unit_commands
        ]
        reply = replies.confirmation(outcomes, unknown)
        if question is not None:
            reply = f"{reply}. {question.text}"
        status = "failed" if all(outcome.refused for outcome in outcomes) else "applied"
        unit_ids = list(dict.fromkeys(o.unit_id for o in outcomes if o.unit_id is not None))
        return reply, status, outcomes, unit_ids
    if question is not None:
        candidates = [_as_uuid(unit_id) for unit_id in question.candidate_unit_ids]
        return question.text, "question", [], [c for c in candidates if c is not None]
    if unknown:
        return replies.unknown(unknown), "needs_review", [], []
    if interpretation.not_understood is not None:
        # Why it changed nothing, in the interpreter's words ("I read a 'not' in that…",
        # "Waiting on what?"): a person may want to look.
        return interpretation.not_understood, "needs_review", [], []
    if interpretation.small_talk and not message.media_urls:
        # Nothing to do and nothing amiss: "thanks", "on my way", a tapback.
        return replies.NOTHING_TO_CHANGE, "ignored", [], []
    # Nothing the interpreter could explain (pictures it could place on no one car, a
    # reaction disputing a reply): a person looks.
    return replies.FOR_REVIEW, "needs_review", [], []


async def _account(
    session: AsyncSession, sender: _Sender, action: str, cause: Cause, now: datetime
) -> tuple[str, str, list[Outcome], list[uuid.UUID]]:
    store_id = sender.store.id
    match action:
        case "opt_out" | "opt_in":
            opted_out = action == "opt_out"
            await set_sms_opt_out(
                session, store_id=store_id, phone=sender.from_number, opted_out=opted_out
            )
            return (replies.OPTED_OUT if opted_out else replies.OPTED_IN), "applied", [], []
        case "undo":
            outcomes = await undo_last_change(
                session, store_id=store_id, from_number=sender.from_number, cause=cause, now=now
            )
            unit_ids = list(dict.fromkeys(o.unit_id for o in outcomes or () if o.unit_id))
            status = "applied" if any(o.changed for o in outcomes or ()) else "failed"
            return replies.undone(outcomes), status, outcomes or [], unit_ids
    return replies.HELP, "applied", [], []


def _photos_command(interpretation: Any, message: Message) -> list[Any]:
    """MMS media go to the one unit the text names (never a guess between several)."""
    if any(command.action == "attach_photos" for command in interpretation.commands):
        return []
    unit = interpretation.photo_unit
    if unit is None:
        return []
    return [
        understanding.AttachPhotos(
            unit_id=unit.unit_id, stock_number=unit.stock_number, media_urls=message.media_urls
        )
    ]


def _interpret(
    body: str,
    index: Any,
    sender: Any,
    context: Any,
    pending: str | None,
) -> Any:
    """Understand a text; a bare stock number answering "which car?" is read together with
    the text that asked it."""
    text = body[:MAX_BODY]
    interpretation = understanding.interpret(text, index=index, sender=sender, context=context)
    # A bare stock number alone reads as "status?"; after "which car?" it is the answer.
    only_asking = all(c.action == "status_query" for c in interpretation.commands)
    if pending and len(text.split()) <= 2 and only_asking:
        retry = understanding.interpret(
            f"{text} {pending}", index=index, sender=sender, context=context
        )
        if retry.commands:
            return retry
    return interpretation


@dataclass(frozen=True, slots=True)
class _History:
    """What the sender's recent texts say about this one."""

    flooding: bool
    # Units their applied texts named in the last two hours, newest first.
    recent_unit_ids: tuple[str, ...]
    # The part of their previous text still waiting for a unit, when it got "which car?".
    pending_question: str | None


def _history(sender: _Sender, *, at: datetime, this_id: uuid.UUID | None, limit: int) -> _History:
    """What the sender's texts of the two hours before `at` (read with the sender) say: the
    flood guard, the recent units and the pending question (`this_id`: the text itself, if
    stored)."""
    earlier = [row for row in sender.recent if row.id != this_id and row.created_at <= at]
    # This text, and the sender's others of the last minute.
    in_last_minute = 1 + sender.in_flood_window
    recent: dict[str, None] = {}
    for row in earlier:
        if row.status == "applied":
            for unit_id in row.unit_ids or ():
                recent.setdefault(str(unit_id), None)
    pending = None
    if earlier and earlier[0].status == "question":
        text_waiting = earlier[0].pending_text
        pending = text_waiting if isinstance(text_waiting, str) and text_waiting.strip() else None
    return _History(
        flooding=in_last_minute > limit,
        recent_unit_ids=tuple(recent)[:10],
        pending_question=pending,
    )


async def _oldest_held(session: AsyncSession, store_id: uuid.UUID) -> Message | None:
    """The store's oldest text stored but not applied yet, locked (another copy skips it)."""
    return (
        await session.execute(
            select(Message)
            .where(
                Message.store_id == store_id,
                Message.direction == "inbound",
                Message.status == "received",
                Message.created_at >= _utcnow() - HELD_LOOKBACK,
            )
            .order_by(Message.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()


async def _reply(
    session: AsyncSession,
    sender: _Sender,
    message: Message,
    body: str,
    *,
    kind: str,
    settles: Settled | None = None,
) -> Message:
    return await record_outbound(
        session,
        store_id=sender.store.id,
        from_number=sender.store.sms_number,
        to_number=sender.from_number,
        body=body,
        staff_id=sender.staff.id if sender.staff else None,
        status="sent",
        kind=kind,
        service=SERVICE,
        reply_to_id=message.id,
        settles=settles,
    )


async def _stored_reply(session: AsyncSession, message: Message) -> str | None:
    reply = await session.execute(
        select(Message.body)
        .where(Message.reply_to_id == message.id, Message.direction == "outbound")
        .order_by(Message.created_at)
        .limit(1)
    )
    return reply.scalar_one_or_none()


async def _replied_since(
    session: AsyncSession, sender: _Sender, *, kind: str, since: datetime
) -> bool:
    """Has one of this number's texts since `since` already had a reply of this kind?"""
    reply = aliased(Message)
    found = await session.execute(
        select(Message.id)
        .join(reply, reply.reply_to_id == Message.id)
        .where(
            Message.store_id == sender.store.id,
            Message.from_number == sender.from_number,
            Message.direction == "inbound",
            Message.created_at >= since,
            reply.kind == kind,
        )
        .limit(1)
    )
    return found.first() is not None


async def _serialize_number(session: AsyncSession, sender: _Sender) -> None:
    """Texts from one number that race each other decide "already replied?" one at a time."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"recon-sms:{sender.store.id}:{sender.from_number}"},
    )


# The store (by its SMS number, or id), the sender among its staff and, for active staff, their
# texts of the window before the text: one round trip. `{record}`: more WITH queries, which
# may store the text and count it `stored` (`_RESOLVE_AND_RECORD`).
_RESOLVE_SQL = """
WITH s AS MATERIALIZED (
    SELECT store.id, store.sms_number, store.timezone, store.last_event_seq,
           CASE WHEN store.id = $7 THEN ARRAY({changed}) END AS changed
    FROM stores store
    WHERE {store}
){record}
SELECT {stored} AS stored, s.id, s.sms_number, s.timezone, s.last_event_seq, s.changed,
       st.id AS staff_id, st.name, st.role, st.active, flood.in_flood_window,
       h.id AS h_id, h.created_at AS h_created_at, h.status AS h_status,
       h.unit_ids AS h_unit_ids, h.pending_text AS h_pending_text
FROM s
LEFT JOIN staff st ON st.store_id = s.id AND st.phone = $2
LEFT JOIN LATERAL (
    SELECT count(*) AS in_flood_window FROM (
        SELECT 1 FROM messages f
        WHERE $3 AND st.active
          AND f.store_id = s.id AND f.from_number = $2 AND f.direction = 'inbound'
          AND f.created_at > $10 AND f.created_at <= $5 AND f.id IS DISTINCT FROM $11
        LIMIT $12
    ) f
) flood ON true
LEFT JOIN LATERAL (
    SELECT m.id, m.created_at, m.status, m.unit_ids,
           CASE WHEN m.status = 'question'
                THEN m.interpretation -> 'question' ->> 'pending_text' END AS pending_text
    FROM messages m
    WHERE $3 AND st.active
      AND m.store_id = s.id AND m.from_number = $2 AND m.direction = 'inbound'
      AND m.created_at >= $4 AND m.created_at <= $5
    ORDER BY m.created_at DESC
    LIMIT $6
) h ON true
ORDER BY h.created_at DESC
"""
_CHANGED = changed_units_sql("store.id", "$8", "store.last_event_seq", "$9::text[]")
_READ_ONLY = {"changed": _CHANGED, "record": "", "stored": "NULL::bigint"}
_RESOLVE_BY_NUMBER = _RESOLVE_SQL.format(store="store.sms_number = $1", **_READ_ONLY)
_RESOLVE_BY_ID = _RESOLVE_SQL.format(store="store.id = $1", **_READ_ONLY)
# The same, and the text stored (`NewInbound`, its values from $13) under the store's lock
# taken in the same statement: what `_record` does after it, in one round trip less. The lock
# is its own scan of the store's row, so the row `s` read keeps the statement's snapshot (a
# row lock that waited returns the row's newest version): the seq the unit index is brought
# up to and the units changed up to it are read together, whatever the lock waited for.
_RECORD = """, locked AS (
    SELECT store.id FROM stores store JOIN s ON store.id = s.id FOR NO KEY UPDATE OF store
), stored AS ({insert})"""
_SENDER = """(
    SELECT locked.id AS store_id, s.sms_number AS to_number,
           (SELECT id FROM staff WHERE store_id = locked.id AND phone = $2) AS staff_id
    FROM locked JOIN s ON s.id = locked.id
) AS sender"""
_RESOLVE_AND_RECORD = _RESOLVE_SQL.format(
    store="store.sms_number = $1",
    changed=_CHANGED,
    record=_RECORD.format(insert=NewInbound.sql(13, sender=_SENDER)),
    stored="(SELECT count(*) FROM stored)",
)


async def _resolve(
    session: AsyncSession,
    *,
    from_number: str,
    to_number: str | None = None,
    store_id: uuid.UUID | None = None,
    history: tuple[datetime, uuid.UUID | None, int] | None = None,
    index_at: tuple[uuid.UUID, int] | None = None,
    record: NewInbound | None = None,
) -> _Sender | None:
    """The store (by its SMS number, or id) and the sender among its staff, read fresh for
    every text; None when no store has that number. `history` (the text's time, its id when
    stored, the flood limit): also read the sender's texts of the window before it.
    `index_at` (the store this number was last, the seq its cached unit index is at): also
    read which units changed since, if it is still that store. `record` (a text to a store's
    SMS number): also take the store's lock and store the text."""
    at, this_id, limit = history or (_utcnow(), None, 0)
    connection = await pg.driver(session)
    if record is not None:
        statement = _RESOLVE_AND_RECORD
    else:
        statement = _RESOLVE_BY_NUMBER if store_id is None else _RESOLVE_BY_ID
    rows = await connection.fetch(
        statement,
        to_number if store_id is None else store_id,
        from_number,
        history is not None,
        at - CONTEXT_WINDOW,
        at,
        min(max(limit + 1, 20), CONTEXT_TEXTS),
        index_at[0] if index_at else None,
        index_at[1] if index_at else 0,
        VIEW_UNCHANGED_TYPES,
        at - FLOOD_WINDOW,
        this_id,
        limit + 1,
        *(record.args() if record is not None else ()),
    )
    if not rows:
        return None
    row = rows[0]
    store = _StoreRow(row["id"], row["sms_number"], row["timezone"], row["last_event_seq"])
    staff = None
    if row["staff_id"] is not None:
        staff = _StaffRow(row["staff_id"], row["name"], row["role"], row["active"])
    recent = tuple(
        _Sent(r["h_id"], r["h_created_at"], r["h_status"], r["h_unit_ids"], r["h_pending_text"])
        for r in rows
        if r["h_id"] is not None
    )
    changed = None
    if index_at is not None and row["changed"] is not None:
        changed = (index_at[1], set(row["changed"]))
    return _Sender(
        store=store,
        staff=staff,
        from_number=from_number,
        recent=recent,
        in_flood_window=row["in_flood_window"] or 0,
        changed=changed,
        stored=None if row["stored"] is None else row["stored"] > 0,
    )


async def _record(
    session: AsyncSession, sender: _Sender, inbound: InboundText, *, status: str
) -> Message | None:
    """Store the text as it came (None: this MessageSid is stored already)."""
    staff = sender.staff
    return await record_inbound(
        session,
        store_id=sender.store.id,
        from_number=sender.from_number,
        to_number=sender.store.sms_number,
        body=inbound.body,
        provider_sid=inbound.message_sid,
        staff_id=staff.id if staff else None,
        staff_name=staff.name if staff else None,
        media_urls=inbound.media_urls,
        status=status,
        service=SERVICE,
    )


async def _first_copy(session: AsyncSession, sender: _Sender, message_sid: str | None) -> Message:
    """The stored text a repeated MessageSid names, locked (its first delivery may still be
    being applied by another request or copy: this waits for it)."""
    return (
        await session.execute(
            select(Message)
            .where(
                Message.store_id == sender.store.id,
                Message.provider_sid == message_sid,
                Message.direction == "inbound",
            )
            .with_for_update()
        )
    ).scalar_one()


def _numbers(inbound: InboundText) -> tuple[str, str] | None:
    """(To, From) as E.164; None when To is no phone number (no store can have it)."""
    to_number = _e164(inbound.to_number)
    if to_number is None:
        return None
    return to_number, _e164(inbound.from_number) or inbound.from_number.strip()[:32]


# The same few numbers text again and again; parsing one costs more than the rest of reading
# the form. Bounded, as the webhook's numbers come from outside.
_e164 = functools.lru_cache(maxsize=4096)(try_e164)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _utcnow() -> datetime:
    return units.now()


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
