"""One inbound text, from the webhook's fields to its reply.

The text is stored first, in its own transaction, so nothing a sender wrote is ever lost.
It is then understood and applied in a second transaction that locks the stored message:
that lock and the message's status make a repeated MessageSid (Twilio retrying, two copies of
this service) answer with the stored reply instead of applying the text twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from ingest_sms import replies
from ingest_sms.unit_index import UnitIndexCache
from recon import understanding
from recon.db.models import Message, Staff, Store
from recon.domain import units
from recon.domain.errors import StaleUnit
from recon.domain.event_log import Cause
from recon.domain.messages import record_inbound, record_outbound
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
UNREGISTERED_REPLY_EVERY = timedelta(hours=24)
FLOOD_WINDOW = timedelta(minutes=1)
FLOOD_NOTICE_EVERY = timedelta(minutes=10)


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
class _Sender:
    store: Store
    staff: Staff | None
    from_number: str


class InterpretationFailed(Exception):
    """The understanding module raised: the text goes to a person instead."""


class SmsIngest:
    """The per-process part of the service: sessions, settings and the unit-index cache."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self.indexes = UnitIndexCache()

    async def receive(self, inbound: InboundText) -> Handled:
        stored = await self._store(inbound)
        if stored is None:
            log.warning("text to %r: no store has that number; ignored", inbound.to_number)
            return Handled(None)
        sender, message_id = stored
        for _ in range(STALE_RETRIES):
            try:
                async with self.sessions() as session, session.begin():
                    return await self._process(session, sender, message_id)
            except StaleUnit:
                continue
            except Exception as exc:
                log.exception("text %s could not be handled; kept for review", message_id)
                return await self._needs_review(sender, message_id, exc)
        return await self._settle(
            sender, message_id, status="failed", reply=replies.BUSY, note="stale"
        )

    # --- the steps -----------------------------------------------------------------------

    async def _store(self, inbound: InboundText) -> tuple[_Sender, uuid.UUID] | None:
        """Keep the text before anything else (None: no store has the To number). The store
        comes from To, the staff member from From within that store; a repeated MessageSid
        finds the first copy."""
        to_number = try_e164(inbound.to_number)
        if to_number is None:
            return None
        from_number = try_e164(inbound.from_number) or inbound.from_number.strip()[:32]
        try:
            async with self.sessions() as session, session.begin():
                sender = await _resolve(session, to_number, from_number)
                if sender is None:
                    return None
                staff = sender.staff
                message = await record_inbound(
                    session,
                    store_id=sender.store.id,
                    from_number=sender.from_number,
                    to_number=sender.store.sms_number,
                    body=inbound.body,
                    provider_sid=inbound.message_sid,
                    staff_id=staff.id if staff else None,
                    staff_name=staff.name if staff else None,
                    media_urls=inbound.media_urls,
                    service=SERVICE,
                )
                return sender, message.id
        except IntegrityError:
            async with self.sessions() as session:
                sender = await _resolve(session, to_number, from_number)
                assert sender is not None
                existing = await session.execute(
                    select(Message.id).where(
                        Message.store_id == sender.store.id,
                        Message.provider_sid == inbound.message_sid,
                        Message.direction == "inbound",
                    )
                )
                return sender, existing.scalar_one()

    async def _process(
        self, session: AsyncSession, sender: _Sender, message_id: uuid.UUID
    ) -> Handled:
        message = (
            await session.execute(select(Message).where(Message.id == message_id).with_for_update())
        ).scalar_one()
        if message.status != "received":
            return Handled(await _stored_reply(session, message), message.id, message.status)
        staff = sender.staff
        if staff is None or not staff.active:
            return await self._reject(session, sender, message)
        history = await _history(session, sender, message, self.settings.sms_flood_per_minute)
        if history.flooding:
            return await self._flooded(session, sender, message)
        if not message.body.strip() and not message.media_urls:
            message.status = "ignored"
            return Handled(None, message.id, message.status)
        store_zone = _zone(sender.store.timezone)
        now = datetime.now(store_zone)
        index = await self.indexes.get(session, sender.store.id)
        context = understanding.Context(recent_unit_ids=history.recent_unit_ids, now=now)
        sender_view = understanding.SenderView(id=str(staff.id), name=staff.name, role=staff.role)
        try:
            interpretation = _interpret(
                message.body, index, sender_view, context, history.pending_question
            )
        except Exception as exc:
            raise InterpretationFailed(repr(exc)) from exc
        cause = Cause(
            actor=Actor(kind="staff", staff_id=staff.id, name=staff.name),
            source="sms",
            service=SERVICE,
            message_id=message.id,
        )
        reply, status, outcomes, unit_ids = await _apply(
            session, sender, message, interpretation, cause, now
        )
        message.status = status
        message.unit_ids = unit_ids
        message.interpretation = {
            **interpretation.model_dump(mode="json"),
            "summary": interpretation.summary(),
            "outcomes": [outcome.as_json() for outcome in outcomes],
        }
        await _reply(session, sender, message, reply, kind="reply")
        return Handled(reply, message.id, status)

    async def _reject(self, session: AsyncSession, sender: _Sender, message: Message) -> Handled:
        """An unregistered phone changes nothing; it hears from us at most once a day."""
        return await _hold(
            session,
            sender,
            message,
            status="rejected",
            reply=replies.UNREGISTERED,
            kind="unregistered",
            every=UNREGISTERED_REPLY_EVERY,
        )

    async def _flooded(self, session: AsyncSession, sender: _Sender, message: Message) -> Handled:
        """Kept for a person to look at, not applied; one notice per burst."""
        return await _hold(
            session,
            sender,
            message,
            status="flooded",
            reply=replies.FLOODED,
            kind="flood_notice",
            every=FLOOD_NOTICE_EVERY,
        )

    async def _needs_review(
        self, sender: _Sender, message_id: uuid.UUID, exc: Exception
    ) -> Handled:
        note = repr(exc.__cause__ or exc)[:500]
        try:
            return await self._settle(
                sender, message_id, status="needs_review", reply=replies.APOLOGY, note=note
            )
        except Exception:
            log.exception("could not mark text %s for review", message_id)
            return Handled(replies.APOLOGY, message_id, None)

    async def _settle(
        self, sender: _Sender, message_id: uuid.UUID, *, status: str, reply: str, note: str
    ) -> Handled:
        """Close a text that could not be applied: stored with why, and one reply."""
        async with self.sessions() as session, session.begin():
            message = (
                await session.execute(
                    select(Message).where(Message.id == message_id).with_for_update()
                )
            ).scalar_one()
            if message.status != "received":
                return Handled(await _stored_reply(session, message), message.id, message.status)
            message.status = status
            message.interpretation = {"error": note}
            await _reply(session, sender, message, reply, kind="reply")
            return Handled(reply, message.id, status)


async def _hold(
    session: AsyncSession,
    sender: _Sender,
    message: Message,
    *,
    status: str,
    reply: str,
    kind: str,
    every: timedelta,
) -> Handled:
    """Keep a text without applying it; its sender gets `reply` at most once per `every`."""
    message.status = status
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
    return replies.NOT_UNDERSTOOD, "needs_review", [], []


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
            status = "applied" if outcomes else "failed"
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


async def _history(
    session: AsyncSession, sender: _Sender, message: Message, flood_limit: int
) -> _History:
    """One indexed read of the sender's texts of the last two hours answers the flood guard,
    the recent units and the pending question."""
    rows = (
        await session.execute(
            select(
                Message.id,
                Message.created_at,
                Message.status,
                Message.unit_ids,
                Message.interpretation["question"]["pending_text"].astext,
            )
            .where(
                Message.store_id == sender.store.id,
                Message.from_number == sender.from_number,
                Message.direction == "inbound",
                Message.created_at >= message.created_at - CONTEXT_WINDOW,
                Message.created_at <= message.created_at,
            )
            .order_by(Message.created_at.desc())
            .limit(max(flood_limit + 1, 20))
        )
    ).all()
    in_last_minute = sum(1 for row in rows if row.created_at > message.created_at - FLOOD_WINDOW)
    earlier = [row for row in rows if row.id != message.id]
    recent: dict[str, None] = {}
    for row in earlier:
        if row.status == "applied":
            for unit_id in row.unit_ids or ():
                recent.setdefault(str(unit_id), None)
    pending = None
    if earlier and earlier[0].status == "question":
        text_waiting = earlier[0][4]
        pending = text_waiting if isinstance(text_waiting, str) and text_waiting.strip() else None
    return _History(
        flooding=in_last_minute > flood_limit,
        recent_unit_ids=tuple(recent)[:10],
        pending_question=pending,
    )


async def _reply(
    session: AsyncSession, sender: _Sender, message: Message, body: str, *, kind: str
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


async def _resolve(session: AsyncSession, to_number: str, from_number: str) -> _Sender | None:
    row = (
        await session.execute(
            select(Store, Staff)
            .outerjoin(Staff, (Staff.store_id == Store.id) & (Staff.phone == from_number))
            .where(Store.sms_number == to_number)
        )
    ).first()
    if row is None:
        return None
    store, staff = row
    return _Sender(store=store, staff=staff, from_number=from_number)


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
