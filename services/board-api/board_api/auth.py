"""Who is calling: the admin token, a store's API token (hashed, scoped) or its read-only board
token, and what each may reach. Another store's resources answer 404, never data."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

import asyncpg
from fastapi import HTTPException, Request
from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from board_api.shared_reads import SharedReads
from recon.db.models import ApiToken, Store
from recon.domain.event_log import Cause
from recon.events import Actor
from recon.settings import Settings
from recon.tokens import hash_token

SERVICE = "board-api"
TOKEN_PREFIX = "rbt_"
# A token's last use is recorded at most this often, so busy readers never queue on its row.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    INVENTORY = "inventory"


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_board_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. `store_id` is None only for the admin."""

    kind: Literal["admin", "token", "board"]
    store_id: uuid.UUID | None = None
    scopes: frozenset[str] = frozenset()
    label: str = "admin"
    token_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    def may(self, scope: Scope) -> bool:
        return self.is_admin or scope in self.scopes

    @property
    def actor(self) -> Actor:
        return Actor(kind="api", name=self.label)

    def cause(self) -> Cause:
        return Cause(actor=self.actor, source="api", service=SERVICE)


ADMIN = Principal(kind="admin")


@dataclass(frozen=True, slots=True)
class StoreAccess:
    """A store the caller may use, and who the caller is (the actor of any change)."""

    store: Store
    principal: Principal

    def cause(self) -> Cause:
        return self.principal.cause()


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def presented_token(request: Request) -> str | None:
    """The bearer token, or the board token in `?board_token=` (EventSource and the board's
    links cannot send headers)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise unauthorized("Authorization must be 'Bearer <token>'")
        return value.strip()
    return request.query_params.get("board_token") or None


def is_admin_token(token: str, settings: Settings) -> bool:
    return hmac.compare_digest(token.encode(), settings.admin_token.get_secret_value().encode())


async def resolve_principal(session: AsyncSession, token: str, settings: Settings) -> Principal:
    """Any caller, for routes without a store in the path (the store list)."""
    if is_admin_token(token, settings):
        return ADMIN
    api_token = await _live_token(session, token)
    if api_token is not None:
        return _token_principal(api_token)
    store_id = await session.scalar(select(Store.id).where(Store.board_token == token))
    if store_id is not None:
        return _board_principal(store_id)
    raise unauthorized("unknown or revoked token")


# Built once: they run on every store request, and building them each time showed in profiles.
_STORE = select(Store).where(Store.slug == bindparam("slug"))
_STORE_AND_TOKEN = (
    select(Store, ApiToken)
    .outerjoin(
        ApiToken,
        and_(
            ApiToken.store_id == Store.id,
            ApiToken.token_hash == bindparam("token_hash"),
            ApiToken.revoked_at.is_(None),
        ),
    )
    .where(Store.slug == bindparam("slug"))
)


async def authorize_store(
    session: AsyncSession,
    *,
    slug: str,
    token: str | None,
    settings: Settings,
    scope: Scope | None,
    board: bool,
) -> StoreAccess:
    """The store `slug` if the caller may use it for `scope` (None: only the admin may):
    one query on the happy path.

    `board` says whether the store's read-only board token is enough (the read routes the
    web board and its live stream use).
    """
    if token is None:
        raise unauthorized("send 'Authorization: Bearer <token>'")
    if is_admin_token(token, settings):
        store = await session.scalar(_STORE, {"slug": slug})
        if store is None:
            raise HTTPException(404, f"no store {slug!r}")
        return StoreAccess(store=store, principal=ADMIN)

    row = (
        await session.execute(_STORE_AND_TOKEN, {"slug": slug, "token_hash": hash_token(token)})
    ).first()
    if row is None or (row[1] is None and not _is_board_token(row[0], token)):
        # A token of another store sees the same answer as for a store that does not exist.
        if await _token_known(session, token):
            raise HTTPException(404, f"no store {slug!r}")
        raise unauthorized("unknown or revoked token")
    store, api_token = row
    if api_token is None:
        if not board or scope != Scope.READ:
            raise HTTPException(403, "the board link is read-only; use an API token with scopes")
        return StoreAccess(store=store, principal=_board_principal(store.id))
    principal = _token_principal(api_token)
    if scope is None:
        raise HTTPException(403, "this needs the admin token")
    if not principal.may(scope):
        raise HTTPException(403, f"this token lacks the {scope.value!r} scope")
    await _note_use(session, api_token)
    return StoreAccess(store=store, principal=principal)


# `authorize_store`'s happy path for read routes, as one plain statement (no ORM, no
# transaction): the unit list and the live stream are the hottest routes there are.
_READ_SQL = """
SELECT s.*, t.id AS token_id, t.label AS token_label, t.scopes AS token_scopes,
       t.last_used_at AS token_last_used_at
  FROM stores s
  LEFT JOIN api_tokens t
    ON t.store_id = s.id AND t.token_hash = $2 AND t.revoked_at IS NULL
 WHERE s.slug = $1
"""
_STORE_COLUMNS = tuple((column.key, column.name) for column in Store.__table__.columns)


async def authorize_read(
    reads: asyncpg.Pool, *, slug: str, token: str | None, settings: Settings
) -> StoreAccess | None:
    """What `authorize_store(scope=READ, board=True)` grants, in one round trip shared by the
    identical requests that came together (`SharedReads`); None when the caller is refused or
    its token's last use is due to be recorded: `authorize_store` then decides (and words
    every refusal) in a session of its own. The store it returns is not attached to a session
    and may be shared by several requests: it is for reading."""
    if token is None:
        return None
    token_hash = hash_token(token)
    try:
        return await _READS.read(
            (slug, token_hash),
            lambda: _read_access(
                reads, slug=slug, token=token, token_hash=token_hash, settings=settings
            ),
        )
    except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError, TimeoutError):
        # A connection Postgres dropped (a restart), or one gone silent: the session path
        # retries. Bounded, since every request with this token for this store waits on it.
        return None


_READS: SharedReads[StoreAccess | None] = SharedReads()
READ_TIMEOUT_SECONDS = 2.0


async def _read_access(
    reads: asyncpg.Pool, *, slug: str, token: str, token_hash: str, settings: Settings
) -> StoreAccess | None:
    record = await reads.fetchrow(_READ_SQL, slug, token_hash, timeout=READ_TIMEOUT_SECONDS)
    if record is None:
        return None
    store = Store(**{key: record[name] for key, name in _STORE_COLUMNS})
    if is_admin_token(token, settings):
        return StoreAccess(store=store, principal=ADMIN)
    if record["token_id"] is None:
        if not _is_board_token(store, token):
            return None
        return StoreAccess(store=store, principal=_board_principal(store.id))
    api_token = ApiToken(
        id=record["token_id"],
        store_id=store.id,
        label=record["token_label"],
        scopes=record["token_scopes"],
        last_used_at=record["token_last_used_at"],
    )
    principal = _token_principal(api_token)
    if not principal.may(Scope.READ) or _use_due(api_token):
        return None
    return StoreAccess(store=store, principal=principal)


def _board_principal(store_id: uuid.UUID) -> Principal:
    return Principal(kind="board", store_id=store_id, scopes=frozenset({"read"}), label="board")


def _is_board_token(store: Store, token: str) -> bool:
    return hmac.compare_digest(store.board_token.encode(), token.encode())


def _token_principal(api_token: ApiToken) -> Principal:
    return Principal(
        kind="token",
        store_id=api_token.store_id,
        scopes=frozenset(api_token.scopes),
        label=api_token.label,
        token_id=api_token.id,
    )


async def _live_token(session: AsyncSession, token: str) -> ApiToken | None:
    return await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )


async def _token_known(session: AsyncSession, token: str) -> bool:
    known = select(
        or_(
            exists().where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)),
            exists().where(Store.board_token == token),
        )
    )
    return bool(await session.scalar(known))


def _use_due(api_token: ApiToken) -> bool:
    last = api_token.last_used_at
    return last is None or datetime.now(UTC) - last >= LAST_USED_RESOLUTION


async def _note_use(session: AsyncSession, api_token: ApiToken) -> None:
    """Record the token's last use, coarsely (at most every few minutes)."""
    if not _use_due(api_token):
        return
    await session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == api_token.id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at < func.now() - LAST_USED_RESOLUTION,
            ),
        )
        .values(last_used_at=func.now()),
        execution_options={"synchronize_session": False},
    )
