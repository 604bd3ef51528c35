"""Texts that must not change the wrong thing: photos sent by MMS are not a move to the photos
stage, and UNDO says plainly what it reverted and what it could not."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest_sms import replies
from recon.db.models import Staff, Store, Unit, UnitPhoto, WorkItem
from recon.domain import units
from recon.domain.sms import Outcome
from tests.factories import API_CAUSE, make_staff, make_store, make_unit
from tests.ingest.conftest import Phone, messages_of

Sessions = async_sessionmaker[AsyncSession]

MEDIA = ("https://api.twilio.com/media/ME1", "https://api.twilio.com/media/ME2")


async def blocked_jeep(sessions: Sessions) -> tuple[Store, Staff, Unit]:
    """A technician and 2279, in mechanical and waiting on parts (as in the demo store)."""
    store = await make_store(sessions)
    tech = await make_staff(sessions, store, role="technician", name="Marco")
    unit = await make_unit(
        sessions,
        store,
        stage="mechanical",
        stock_number="2279",
        year=2019,
        make="Jeep",
        model="Grand Cherokee",
    )
    async with sessions() as session, session.begin():
        row = await units.get_unit(session, store_id=store.id, ref=unit.id)
        await units.block_unit(
            session,
            row,
            kind="parts",
            note="brake pads on order",
            eta=date(2030, 1, 4),
            cause=API_CAUSE,
        )
    return store, tech, unit


async def current(sessions: Sessions, unit: Unit) -> Unit:
    async with sessions() as session:
        return await units.get_unit(session, store_id=unit.store_id, ref=unit.id)


async def photo_urls(sessions: Sessions, unit: Unit) -> list[str]:
    async with sessions() as session:
        rows = await session.execute(select(UnitPhoto.url).where(UnitPhoto.unit_id == unit.id))
        return sorted(rows.scalars())


class TestPhotosByMms:
    @pytest.mark.parametrize(
        "body",
        ["photo of 2279", "pic of the damage on 2279", "here's a pic 2279", "2279 pics"],
    )
    async def test_photos_of_a_car_attach_and_leave_its_stage_alone(
        self, phone: Phone, sessions: Sessions, body: str
    ) -> None:
        store, tech, unit = await blocked_jeep(sessions)

        reply = await phone.text(
            from_number=tech.phone, to_number=store.sms_number, body=body, media=MEDIA
        )

        assert reply == "2279 2019 Grand Cherokee: 2 photos added"
        after = await current(sessions, unit)
        assert (after.stage, after.blocker_kind, after.blocker_note) == (
            "mechanical",
            "parts",
            "brake pads on order",
        )
        assert after.version == unit.version + 1  # the block above; nothing since
        assert await photo_urls(sessions, unit) == list(MEDIA)
        text = (await messages_of(sessions, store.id, direction="inbound"))[0]
        assert text.status == "applied" and text.unit_ids == [unit.id]
        assert text.interpretation is not None and text.interpretation["commands"] == []

    async def test_a_clear_move_with_photos_moves_and_attaches(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, tech, unit = await blocked_jeep(sessions)

        reply = await phone.text(
            from_number=tech.phone, to_number=store.sms_number, body="2279 to photos", media=MEDIA
        )

        assert reply is not None and "moved to photos" in reply and "2 photos added" in reply
        assert (await current(sessions, unit)).stage == "photos"
        assert await photo_urls(sessions, unit) == list(MEDIA)

    async def test_photo_of_a_car_with_no_picture_changes_nothing(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, tech, unit = await blocked_jeep(sessions)

        reply = await phone.text(
            from_number=tech.phone, to_number=store.sms_number, body="photo of 2279"
        )

        assert reply is not None and "moved" not in reply
        assert (await current(sessions, unit)).stage == "mechanical"
        text = (await messages_of(sessions, store.id, direction="inbound"))[0]
        assert text.status == "needs_review" and text.interpretation is not None
        assert "No photo came" in text.interpretation["not_understood"]


async def work_items(sessions: Sessions, unit: Unit) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(WorkItem.name, WorkItem.status).where(WorkItem.unit_id == unit.id)
        )
        return sorted((name, status) for name, status in rows.all())


async def statuses(sessions: Sessions, store: Store) -> dict[str, str]:
    return {m.body: m.status for m in await messages_of(sessions, store.id, direction="inbound")}


class TestUndo:
    async def test_a_second_undo_reaching_only_work_says_it_cannot_and_marks_nothing(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, tech, unit = await blocked_jeep(sessions)

        async def text(body: str) -> str | None:
            return await phone.text(from_number=tech.phone, to_number=store.sms_number, body=body)

        await text("2279 water pump done")
        await text("2279 to detail")
        first = await text("UNDO")
        assert first == "Undone. 2279 2019 Grand Cherokee: back in mechanical"
        assert (await current(sessions, unit)).stage == "mechanical"

        second = await text("undo")

        assert second == (
            "Can't undo that, nothing changed: 2279 2019 Grand Cherokee: water pump stays done. "
            "Fix it on the board."
        )
        assert await work_items(sessions, unit) == [("water pump", "done")]
        assert (await current(sessions, unit)).stage == "mechanical"
        texts = await messages_of(sessions, store.id, direction="inbound")
        by_body = {m.body: m.status for m in texts}
        assert by_body["2279 water pump done"] == "applied"  # not "undone": nothing was
        assert by_body["2279 to detail"] == "undone"
        assert [m.status for m in texts if m.body.lower() == "undo"] == ["applied", "failed"]
        # Asked again, the same plain answer: still nothing it can revert.
        assert await text("undo") == second

    async def test_undo_of_a_text_with_a_move_and_finished_work_names_both_parts(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, tech, unit = await blocked_jeep(sessions)
        await phone.text(
            from_number=tech.phone,
            to_number=store.sms_number,
            body="2279 water pump done, moving to detail",
        )
        assert (await current(sessions, unit)).stage == "detail"

        reply = await phone.text(from_number=tech.phone, to_number=store.sms_number, body="UNDO")

        assert reply == (
            "Undone. 2279 2019 Grand Cherokee: back in mechanical. "
            "Not undone: 2279 2019 Grand Cherokee: water pump stays done"
        )
        assert (await current(sessions, unit)).stage == "mechanical"
        assert (await statuses(sessions, store))["2279 water pump done, moving to detail"] == (
            "undone"
        )

    async def test_undo_leaves_a_car_someone_moved_since_where_it_is(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, tech, unit = await blocked_jeep(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        await phone.text(from_number=tech.phone, to_number=store.sms_number, body="2279 to detail")
        await phone.text(from_number=detailer.phone, to_number=store.sms_number, body="2279 done")
        assert (await current(sessions, unit)).stage == "photos"

        reply = await phone.text(from_number=tech.phone, to_number=store.sms_number, body="undo")

        assert reply is not None and reply.startswith("Can't undo that")
        assert "in photos now" in reply
        assert (await current(sessions, unit)).stage == "photos"
        assert (await statuses(sessions, store))["2279 to detail"] == "applied"

    async def test_undo_of_a_new_eta_puts_back_the_blocker_the_car_had(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, tech, unit = await blocked_jeep(sessions)
        await phone.text(
            from_number=tech.phone, to_number=store.sms_number, body="2279 still waiting eta fri"
        )
        moved = await current(sessions, unit)
        assert (moved.blocker_kind, moved.blocker_note) == ("parts", "brake pads on order")
        assert moved.blocker_eta != date(2030, 1, 4)

        reply = await phone.text(from_number=tech.phone, to_number=store.sms_number, body="undo")

        assert reply == (
            "Undone. 2279 2019 Grand Cherokee: waiting on parts (brake pads on order) again"
        )
        after = await current(sessions, unit)
        assert (after.blocker_kind, after.blocker_note, after.blocker_eta) == (
            "parts",
            "brake pads on order",
            date(2030, 1, 4),
        )

    async def test_undo_of_parts_in_blocks_the_car_again_as_it_was(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, tech, unit = await blocked_jeep(sessions)
        await phone.text(from_number=tech.phone, to_number=store.sms_number, body="2279 parts in")
        assert (await current(sessions, unit)).blocker_kind is None

        reply = await phone.text(from_number=tech.phone, to_number=store.sms_number, body="undo")

        assert reply == (
            "Undone. 2279 2019 Grand Cherokee: waiting on parts (brake pads on order) again"
        )
        after = await current(sessions, unit)
        assert (after.blocker_kind, after.blocker_note, after.blocker_eta) == (
            "parts",
            "brake pads on order",
            date(2030, 1, 4),
        )


class TestUndoWording:
    """The reply to UNDO, from the outcomes alone: what was reverted, what was not."""

    def test_each_kind_of_reply(self) -> None:
        jeep = "2279 2019 Grand Cherokee"
        back = Outcome(None, jeep, "undo", True, "back in mechanical")
        note = Outcome(None, jeep, "undo", False, "the note stays")
        assert replies.undone(None).startswith("Nothing to undo")
        assert replies.undone([back]) == f"Undone. {jeep}: back in mechanical"
        assert replies.undone([note]) == (
            f"Can't undo that, nothing changed: {jeep}: the note stays. Fix it on the board."
        )
        assert replies.undone([back, note]) == (
            f"Undone. {jeep}: back in mechanical. Not undone: {jeep}: the note stays"
        )
