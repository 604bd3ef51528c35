"""Talking to board-api in tests: admin headers, stores and tokens made through the API, a
live server for streaming, and a small Server-Sent Events reader."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import Store
from recon.devstack.servers import free_port
from tests.conftest import ADMIN_TOKEN
from tests.factories import unique_slug, unique_sms_number

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class ApiStore:
    slug: str
    id: str
    board_token: str
    url: str
    json: dict[str, Any]


async def new_store(client: httpx.AsyncClient, **fields: Any) -> ApiStore:
    slug = unique_slug()
    body = {"name": "Test Motors", "sms_number": unique_sms_number(), **fields}
    response = await client.put(f"/api/v1/stores/{slug}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    data = response.json()
    return ApiStore(
        slug=slug,
        id=data["id"],
        board_token=data["board_token"],
        url=f"/api/v1/stores/{slug}",
        json=data,
    )


async def store_row(sessions: async_sessionmaker[AsyncSession], store: ApiStore) -> Store:
    """The store's database row, for the domain-level factories."""
    async with sessions() as session:
        row = await session.get(Store, store.id)
    assert row is not None
    return row


async def new_token(
    client: httpx.AsyncClient, store: ApiStore, *scopes: str, label: str = "test client"
) -> str:
    response = await client.post(
        f"{store.url}/tokens", json={"scopes": list(scopes), "label": label}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


@contextlib.asynccontextmanager
async def live_server(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """The app under a real uvicorn (streaming needs real sockets), on `port` or a free one.
    Open event streams are cut after a second on the way out, as a restart would cut them."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Sse:
    id: str | None
    data: dict[str, Any]


class SseReader:
    """Reads `data` messages of an open text/event-stream response, skipping comments."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        self._lines = response.aiter_lines()

    async def connected(self, timeout: float = 10) -> None:
        """Wait for the stream's opening comment: from then on it is subscribed."""
        async with asyncio.timeout(timeout):
            async for line in self._lines:
                if line.startswith(":"):
                    return
        raise EOFError("stream closed before it was connected")

    async def next(self, timeout: float = 10) -> Sse:
        async with asyncio.timeout(timeout):
            event_id: str | None = None
            data: list[str] = []
            async for line in self._lines:
                if line == "":
                    if data:
                        return Sse(id=event_id, data=json.loads("\n".join(data)))
                    event_id = None
                    continue
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "id":
                    event_id = value
                elif field == "data":
                    data.append(value)
            raise EOFError("stream closed")

    async def take(self, count: int, timeout: float = 10) -> list[Sse]:
        return [await self.next(timeout) for _ in range(count)]
