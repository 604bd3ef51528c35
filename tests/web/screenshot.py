"""Renders the README's screenshot, docs/board.png: the demo store (`seed_demo`, as `make run`
seeds it) with a few texts, on board-api under uvicorn, in headless Debian chromium.

    .venv/bin/python -m tests.web.screenshot [docs/board.png]
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright
from sqlalchemy import select

from board_api.main import create_app
from recon.db.migrate import upgrade
from recon.db.models import Staff, Store, Unit
from recon.db.session import create_engine, create_sessionmaker
from recon.devstack.demo import seed_demo
from recon.devstack.run import DEMO_SMS_NUMBER
from recon.devstack.servers import EmbeddedNats, EmbeddedPostgres, free_port
from recon.settings import Settings
from tests.board_api.helpers import live_server
from tests.conftest import ROOT
from tests.web.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    text_moving_unit,
    text_needing_review,
)

SIZE = {"width": 1680, "height": 1050}


async def shoot(settings: Settings, out: Path) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    sessions = create_sessionmaker(engine)
    demo = await seed_demo(sessions, sms_number=DEMO_SMS_NUMBER)
    async with sessions() as session:
        store = await session.scalar(select(Store).where(Store.slug == demo.slug))
        staff = {s.name: s for s in await session.scalars(select(Staff))}
        mechanical = (
            await session.scalars(
                select(Unit).where(Unit.stage == "mechanical").order_by(Unit.stock_number)
            )
        ).first()
    assert store is not None and mechanical is not None
    await text_moving_unit(
        sessions,
        store,
        staff["Marco Diaz"],
        unit_id=mechanical.id,
        body=f"{mechanical.stock_number} brakes done",
        to_stage="detail",
    )
    await text_needing_review(sessions, store, staff["Dre Walker"], body="moved the gray one")
    await engine.dispose()
    async with live_server(create_app(settings), free_port()) as url, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport=SIZE)
        await page.goto(f"{url}/board/{demo.board_token}")
        await page.wait_for_selector("#live.on")
        await page.screenshot(path=str(out))
        await browser.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "board.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="recon-screenshot-"))
    postgres = EmbeddedPostgres(workdir / "postgres", durable=False).start()
    nats = EmbeddedNats(workdir / "nats").start()
    try:
        upgrade(postgres.url())
        settings = Settings.model_validate(
            {
                "DATABASE_URL": postgres.url(),
                "NATS_URL": nats.url,
                "RECON_ADMIN_TOKEN": "screenshot-admin-token-" + "x" * 16,
                "RECON_ENV": "test",
            }
        )
        asyncio.run(shoot(settings, out))
        print(f"written {out}")
    finally:
        nats.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
