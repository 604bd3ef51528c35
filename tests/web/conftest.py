"""Browser tests of the board: one board-api (real uvicorn) and one chromium per module, a
fresh page per test. Without chromium (`make test` installs Debian's) they skip, saying why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from board_api.main import create_app
from recon.devstack.servers import free_port
from recon.settings import Settings
from tests.board_api.helpers import live_server
from tests.web.helpers import CHROMIUM, CHROMIUM_ARGS

try:
    from playwright.async_api import Browser, Page, async_playwright, expect

    # How long a page may take to show what a test waits for; roomy for a loaded 2-core CI box.
    expect.set_options(timeout=10_000)
except ImportError:  # pragma: no cover - the dev extras install it
    async_playwright = None


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if async_playwright is None:
        pytest.skip("the playwright package is not installed (make install adds it)")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing and could not be installed (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture(scope="module")
async def base_url(settings: Settings) -> AsyncIterator[str]:
    async with live_server(create_app(settings), free_port()) as url:
        yield url


@pytest.fixture
async def api(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1600, "height": 1000})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert not errors, f"the page's script failed: {errors}"
