"""Every table of Recon Board as a typed SQLAlchemy model. Each row carries its store's id."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from recon.domain.stages import DEFAULT_STAGE_TARGETS_HOURS


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=new_id)


def _store_id() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)


def _created_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[uuid.UUID] = _id()
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sms_number: Mapped[str] = mapped_column(String(20), unique=True)
    timezone: Mapped[str] = mapped_column(
        String(64), default="America/Chicago", server_default="America/Chicago"
    )
    holding_cost_per_day: Mapped[Decimal] = mapped_column(
        Numeric(10, 2), default=Decimal(35), server_default="35"
    )
    stage_targets_hours: Mapped[dict[str, Any]] = mapped_column(
        default=lambda: dict(DEFAULT_STAGE_TARGETS_HOURS)
    )
    stage_labels: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    board_token: Mapped[str] = mapped_column(String(64), unique=True)
    # None is "no quiet hours", so an explicit None is stored as NULL (evaluates_none); the
    # defaults apply only to a store created without saying.
    quiet_hours_start: Mapped[time | None] = mapped_column(
        Time().evaluates_none(), default=time(20, 0)
    )
    quiet_hours_end: Mapped[time | None] = mapped_column(
        Time().evaluates_none(), default=time(7, 0)
    )
    digest_time: Mapped[time] = mapped_column(Time, default=time(7, 30))
    inventory_feed_url: Mapped[str | None] = mapped_column(Text)
    inventory_feed_interval_minutes: Mapped[int] = mapped_column(
        Integer, default=60, server_default="60"
    )
    # When the feed is next due; a puller claims it by moving this forward (several copies of
    # inventory-sync may run, and only one fetches a feed per interval).
    inventory_feed_next_at: Mapped[datetime | None]
    # Per-store event sequence: bumped under the store row's lock by every writer, so the
    # events of one store are numbered in commit order (what SSE resume relies on).
    last_event_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("store_id", "phone", name="uq_staff_store_phone"),)

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    phone_invalid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    label: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = _created_at()
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("store_id", "vin", name="uq_units_store_vin"),
        # A stock number names one car on the board; a removed unit may share it with its successor.
        Index(
            "uq_units_store_active_stock",
            "store_id",
            text("lower(stock_number)"),
            unique=True,
            postgresql_where=text("removed_at IS NULL"),
        ),
        Index("ix_units_store_stage", "store_id", "stage"),
    )

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    vin: Mapped[str] = mapped_column(String(17))
    stock_number: Mapped[str] = mapped_column(String(32))
    year: Mapped[int | None] = mapped_column(Integer)
    make: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64))
    trim: Mapped[str | None] = mapped_column(String(64))
    exterior_color: Mapped[str | None] = mapped_column(String(64))
    mileage: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    stage: Mapped[str] = mapped_column(String(16), default="intake", server_default="intake")
    stage_entered_at: Mapped[datetime] = mapped_column(server_default=func.now())
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    removed_at: Mapped[datetime | None]
    blocker_kind: Mapped[str | None] = mapped_column(String(16))
    blocker_note: Mapped[str | None] = mapped_column(Text)
    blocker_since: Mapped[datetime | None]
    blocker_eta: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    work_items: Mapped[list[WorkItem]] = relationship(
        order_by="WorkItem.opened_at", lazy="raise", back_populates="unit"
    )
    notes: Mapped[list[Note]] = relationship(order_by="Note.created_at", lazy="raise")
    we_owe: Mapped[list[WeOweItem]] = relationship(order_by="WeOweItem.created_at", lazy="raise")
    acks: Mapped[list[Ack]] = relationship(order_by="Ack.at", lazy="raise")
    photos: Mapped[list[UnitPhoto]] = relationship(order_by="UnitPhoto.created_at", lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class WorkItem(Base):
    __tablename__ = "work_items"

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    vendor: Mapped[str | None] = mapped_column(String(200))
    approved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opened_at: Mapped[datetime] = mapped_column(server_default=func.now())
    done_at: Mapped[datetime | None]
    opened_by: Mapped[str | None] = mapped_column(String(200))
    done_by: Mapped[str | None] = mapped_column(String(200))

    unit: Mapped[Unit] = relationship(back_populates="work_items", lazy="raise")


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    author_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = _created_at()


class WeOweItem(Base):
    __tablename__ = "we_owe_items"

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    created_at: Mapped[datetime] = _created_at()
    done_at: Mapped[datetime | None]


class Ack(Base):
    __tablename__ = "acks"

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    by: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class UnitPhoto(Base):
    __tablename__ = "unit_photos"

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = _created_at()


class UnitEvent(Base):
    """The audit trail and the source of every metric: one row per event, numbered per store."""

    __tablename__ = "unit_events"
    __table_args__ = (
        UniqueConstraint("store_id", "seq", name="uq_unit_events_store_seq"),
        Index("ix_unit_events_unit_seq", "unit_id", "seq"),
        Index("ix_unit_events_store_type_time", "store_id", "type", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(48))
    source: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    created_at: Mapped[datetime] = _created_at()


class Outbox(Base):
    """Events committed but not yet acknowledged by JetStream; the relay drains it in id order."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID]
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = _created_at()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index(
            "uq_messages_inbound_sid",
            "store_id",
            "provider_sid",
            unique=True,
            postgresql_where=text("direction = 'inbound'"),
        ),
        Index("ix_messages_store_created", "store_id", "created_at", "id"),
        Index("ix_messages_store_from", "store_id", "from_number", "created_at"),
        Index("ix_messages_provider_sid", "provider_sid"),
        # The reply to a text (a repeated MessageSid is answered with it).
        Index(
            "ix_messages_reply_to",
            "reply_to_id",
            postgresql_where=text("reply_to_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    direction: Mapped[str] = mapped_column(String(8))
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(32))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(16))
    media_urls: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    interpretation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    reply_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"))
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), default=list, server_default="{}"
    )
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class InventorySync(Base):
    __tablename__ = "inventory_syncs"
    __table_args__ = (Index("ix_inventory_syncs_store_started", "store_id", "started_at", "id"),)

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    source: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    removed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejected: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    error: Mapped[str | None] = mapped_column(Text)


class NotificationRule(Base):
    __tablename__ = "notification_rules"

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    event_type: Mapped[str] = mapped_column(String(48))
    stage: Mapped[str | None] = mapped_column(String(16))
    blocker_kind: Mapped[str | None] = mapped_column(String(16))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    staff_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = _created_at()


class Notification(Base):
    """One intended text to one person about one event: written before sending, so a crash
    mid-send neither loses nor repeats it."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "staff_id", "kind", name="uq_notifications_event_staff"),
        Index("ix_notifications_due", "status", "send_after"),
        Index("ix_notifications_message_id", "message_id"),
    )

    id: Mapped[uuid.UUID] = _id()
    store_id: Mapped[uuid.UUID] = _store_id()
    event_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    send_after: Mapped[datetime] = mapped_column(server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id"))
    error_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = _created_at()
    sent_at: Mapped[datetime | None]


class ConsumedEvent(Base):
    """Which durable consumer has already handled which event: handlers run once per event."""

    __tablename__ = "consumed_events"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    processed_at: Mapped[datetime] = _created_at()
