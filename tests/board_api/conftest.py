"""board-api under test: one app per test module (with its lifespan: pool, NATS, relay, hub),
reached through httpx; stores are made through the API itself so each test has its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from board_api.main import create_app
from recon.settings import Settings
from tests.board_api.helpers import ApiStore, new_store
from tests.platform.test_services import serving


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings)) as client:
        yield client


@pytest.fixture
async def store(client: httpx.AsyncClient) -> ApiStore:
    return await new_store(client)
