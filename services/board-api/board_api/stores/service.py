"""Creating, updating and listing stores, and rotating their board token."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from board_api.auth import Principal, new_board_token
from board_api.pagination import decode_cursor, encode_cursor, split_page
from board_api.stores import schemas
from recon.db.models import Store
from recon.domain.errors import InvalidInput
from recon.domain.stages import DEFAULT_STAGE_TARGETS_HOURS
from recon.settings import Settings


def store_out(store: Store, settings: Settings) -> schemas.Store:
    return schemas.Store.model_validate(
        {
            **{
                field: getattr(store, field)
                for field in schemas.Store.model_fields
                if hasattr(store, field)
            },
            "holding_cost_per_day": float(store.holding_cost_per_day),
            "board_url": f"{settings.board_base_url.rstrip('/')}/board/{store.board_token}",
        }
    )


def _check_slug(slug: str) -> None:
    if not schemas.SLUG_PATTERN.match(slug):
        raise InvalidInput(
            f"{slug!r} is not a usable slug: lowercase letters, digits and inner hyphens, "
            "at most 64 characters (e.g. 'acme-motors')"
        )


async def put_store(
    session: AsyncSession, *, slug: str, data: schemas.StoreUpdate
) -> tuple[Store, bool]:
    """Create the store `slug` or update it; True when it was created. Repeating a PUT
    changes nothing more."""
    _check_slug(slug)
    store = await session.scalar(select(Store).where(Store.slug == slug).with_for_update())
    taken = await session.scalar(
        select(Store.slug).where(Store.sms_number == data.sms_number, Store.slug != slug)
    )
    if taken is not None:
        raise HTTPException(409, f"{data.sms_number} is already the number of store {taken!r}")
    created = store is None
    if store is None:
        store = Store(slug=slug, board_token=new_board_token())
        store.stage_targets_hours = dict(DEFAULT_STAGE_TARGETS_HOURS)
        store.stage_labels = {}
        session.add(store)
    for field, value in _changes(data).items():
        setattr(store, field, value)
    try:
        await session.flush()
    except IntegrityError as exc:  # another request created the store or took the number
        raise HTTPException(409, f"store {slug!r} was changed at the same time; retry") from exc
    await session.refresh(store)
    return store, created


def _changes(data: schemas.StoreUpdate) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for field in data.model_fields_set:
        value = getattr(data, field)
        if value is None and field not in (
            "quiet_hours_start",
            "quiet_hours_end",
            "inventory_feed_url",
        ):
            continue  # null for a required setting means "keep it"
        changes[field] = value
    if data.stage_targets_hours is not None:
        changes["stage_targets_hours"] = {
            **DEFAULT_STAGE_TARGETS_HOURS,
            **{str(stage): hours for stage, hours in data.stage_targets_hours.items()},
        }
    if data.stage_labels is not None:
        changes["stage_labels"] = {str(stage): label for stage, label in data.stage_labels.items()}
    if data.inventory_feed_url is not None:
        changes["inventory_feed_url"] = str(data.inventory_feed_url)
    return changes


async def list_stores(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[Store], str | None]:
    """Every store for the admin; a store's own token sees only its store."""
    query = select(Store).order_by(Store.slug).limit(limit + 1)
    if not principal.is_admin:
        query = query.where(Store.id == principal.store_id)
    if cursor is not None:
        (after,) = decode_cursor(cursor, arity=1)
        query = query.where(Store.slug > str(after))
    stores, more = split_page((await session.scalars(query)).all(), limit)
    return stores, encode_cursor(stores[-1].slug) if more else None


async def rotate_board_token(session: AsyncSession, store: Store) -> Store:
    """A new board link; the old one stops working at once."""
    store.board_token = new_board_token()
    await session.flush()
    await session.refresh(store)
    return store
