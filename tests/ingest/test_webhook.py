"""Texting the board through the signed webhook: stored, understood, applied, answered."""

from __future__ import annotations

import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest_sms import inbound, replies
from recon.db.models import Staff, Store, Unit, UnitPhoto
from recon.devstack.text import SMS_PATH, text_form
from recon.domain import units
from recon.messaging.jetstream import connect
from recon.settings import Settings
from tests.eventing import wait_for_events
from tests.factories import make_staff, make_store, make_unit
from tests.ingest.conftest import Phone, messages_of

Sessions = async_sessionmaker[AsyncSession]


async def stage_of(sessions: Sessions, unit: Unit) -> str:
    async with sessions() as session:
        return (await units.get_unit(session, store_id=unit.store_id, ref=unit.id)).stage


@pytest.fixture
async def nats(settings: Settings):  # type: ignore[no-untyped-def]
    client = await connect(settings.nats_url, name="test-ingest")
    yield client
    await client.close()


async def detail_car(sessions: Sessions) -> tuple[Store, Staff, Unit]:
    store = await make_store(sessions)
    detailer = await make_staff(sessions, store, role="detailer", name="Luis")
    unit = await make_unit(
        sessions, store, stage="detail", stock_number="2231", year=2019, model="Accord"
    )
    return store, detailer, unit


class TestAppliedText:
    async def test_done_moves_the_car_publishes_and_replies(
        self, phone: Phone, sessions: Sessions, nats: NATS
    ) -> None:
        store, detailer, unit = await detail_car(sessions)

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231 done"
        )

        assert reply is not None and "2231 2019 Accord" in reply and "photos" in reply
        assert await stage_of(sessions, unit) == "photos"
        text, answer = await messages_of(sessions, store.id)
        assert (text.direction, text.status, text.staff_id) == ("inbound", "applied", detailer.id)
        assert text.unit_ids == [unit.id]
        assert text.interpretation is not None
        assert text.interpretation["commands"][0]["action"] == "done"
        assert (answer.direction, answer.kind, answer.reply_to_id) == ("outbound", "reply", text.id)
        assert answer.body == reply and answer.to_number == detailer.phone
        events = await wait_for_events(nats, store.slug, 4)
        types = [event.type for event in events]
        assert "recon.unit.stage_changed" in types
        assert "recon.message.received" in types and "recon.message.sent" in types
        moved = [e.data for e in events if e.data.get("message_id") == str(text.id)]
        assert [(m["to_stage"], m["reason"]) for m in moved if "to_stage" in m] == [
            ("photos", "done")
        ]

    async def test_done_for_a_stage_already_left_changes_nothing(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        unit = await make_unit(sessions, store, stage="frontline", stock_number="2231")

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231 done"
        )

        assert reply is not None and "already in frontline" in reply
        assert await stage_of(sessions, unit) == "frontline"

    async def test_a_status_question_is_answered_and_changes_nothing(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, detailer, unit = await detail_car(sessions)

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="where is 2231?"
        )

        assert reply is not None and "2231" in reply and "detail" in reply
        async with sessions() as session:
            after = await units.get_unit(session, store_id=store.id, ref=unit.id)
        assert after.version == unit.version

    async def test_a_number_that_matches_nothing_is_named_back(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, detailer, _ = await detail_car(sessions)

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="9876 done"
        )

        assert reply is not None and "9876" in reply
        (text, _answer) = await messages_of(sessions, store.id)
        assert text.status == "needs_review"

    async def test_a_text_that_changes_nothing_is_told_why(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, detailer, unit = await detail_car(sessions)

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231 not done yet"
        )

        # The interpreter's own reason.
        assert reply is not None and "nothing changed" in reply
        async with sessions() as session:
            after = await units.get_unit(session, store_id=store.id, ref=unit.id)
        assert (after.stage, after.version) == ("detail", unit.version)
        (text, _answer) = await messages_of(sessions, store.id)
        assert text.status == "needs_review"

    @pytest.mark.parametrize("body", ["thanks!", "on my way", "lol", "Liked “2231 done”"])
    async def test_small_talk_is_answered_briefly_and_kept_out_of_review(
        self, phone: Phone, sessions: Sessions, body: str
    ) -> None:
        store, detailer, unit = await detail_car(sessions)

        reply = await phone.text(from_number=detailer.phone, to_number=store.sms_number, body=body)

        assert reply == replies.NOTHING_TO_CHANGE
        (text, _answer) = await messages_of(sessions, store.id)
        assert text.status == "ignored"
        assert await stage_of(sessions, unit) == "detail"

    @pytest.mark.parametrize(
        ("body", "media"),
        [("thanks", ("https://api.twilio.com/media/ME9",)), ("Disliked “2231 done”", ())],
        ids=["a picture placed on no car", "a reaction disputing a reply"],
    )
    async def test_what_looks_like_small_talk_but_is_not_goes_to_review(
        self, phone: Phone, sessions: Sessions, body: str, media: tuple[str, ...]
    ) -> None:
        store, detailer, _ = await detail_car(sessions)

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body=body, media=media
        )

        assert reply == replies.FOR_REVIEW
        (text, _answer) = await messages_of(sessions, store.id)
        assert text.status == "needs_review"

    async def test_a_text_nobody_could_read_goes_to_review(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, detailer, _ = await detail_car(sessions)

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="the thing w the stuff"
        )

        assert reply is not None and "didn't understand" in reply
        (text, _answer) = await messages_of(sessions, store.id)
        assert text.status == "needs_review"

    async def test_mms_photos_are_kept_and_attached_to_the_named_car(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, detailer, unit = await detail_car(sessions)
        media = ("https://api.twilio.com/media/ME1", "https://api.twilio.com/media/ME2")

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231 done", media=media
        )

        assert reply is not None and "2 photos" in reply
        text = (await messages_of(sessions, store.id, direction="inbound"))[0]
        assert text.media_urls == list(media)
        async with sessions() as session:
            photos = (
                await session.execute(select(UnitPhoto).where(UnitPhoto.unit_id == unit.id))
            ).scalars()
            assert sorted(photo.url for photo in photos) == list(media)


class TestAskingBack:
    async def test_done_naming_no_car_asks_and_a_bare_stock_number_answers(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, detailer, unit = await detail_car(sessions)

        question = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="done"
        )
        assert question is not None and "?" in question
        assert await stage_of(sessions, unit) == "detail"

        answer = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231"
        )

        assert answer is not None and "2231" in answer and "photos" in answer
        assert await stage_of(sessions, unit) == "photos"
        statuses = [m.status for m in await messages_of(sessions, store.id, direction="inbound")]
        assert statuses == ["question", "applied"]


class TestRepeatedMessageSid:
    async def test_is_answered_again_and_applied_once(
        self, phone: Phone, sessions: Sessions, nats: NATS
    ) -> None:
        store, detailer, unit = await detail_car(sessions)
        first = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231 done", sid="SMdup1"
        )
        again = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231 done", sid="SMdup1"
        )

        assert again == first
        assert await stage_of(sessions, unit) == "photos"
        assert [m.direction for m in await messages_of(sessions, store.id)] == [
            "inbound",
            "outbound",
        ]
        events = await wait_for_events(nats, store.slug, 5)
        by_text = [e.type for e in events if e.data.get("source") == "sms"]
        assert by_text == ["recon.unit.stage_changed"]


class TestSignature:
    @pytest.mark.parametrize("signature", [None, "", "bm90IHRoZSBzaWduYXR1cmU="])
    async def test_bad_or_missing_signature_is_403_and_stores_nothing(
        self, phone: Phone, sessions: Sessions, signature: str | None
    ) -> None:
        store, detailer, unit = await detail_car(sessions)
        form = text_form(from_number=detailer.phone, to_number=store.sms_number, body="2231 done")

        response = await phone.post(SMS_PATH, form, signature=signature)

        assert response.status_code == 403
        assert await messages_of(sessions, store.id) == []
        assert await stage_of(sessions, unit) == "detail"

    async def test_signed_for_another_url_is_refused(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        from recon.devstack.text import sign

        store, detailer, _ = await detail_car(sessions)
        form = text_form(from_number=detailer.phone, to_number=store.sms_number, body="2231 done")
        forwarded = sign(
            auth_token="twilio-test-auth-token", url="http://test" + SMS_PATH, params=form
        )

        response = await phone.post(SMS_PATH, form, signature=forwarded)

        assert response.status_code == 403
        assert await messages_of(sessions, store.id) == []


class TestWhoIsTexting:
    async def test_unknown_to_number_gets_empty_twiml(self, phone: Phone) -> None:
        reply = await phone.text(from_number="+15125550000", to_number="+19995550000", body="hi")
        assert reply is None

    async def test_unregistered_phone_changes_nothing_and_hears_once_a_day(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, _, unit = await detail_car(sessions)
        stranger = "+17375550999"

        first = await phone.text(from_number=stranger, to_number=store.sms_number, body="2231 done")
        second = await phone.text(
            from_number=stranger, to_number=store.sms_number, body="2231 done"
        )

        assert first is not None and "isn't registered" in first
        assert second is None
        assert await stage_of(sessions, unit) == "detail"
        texts = await messages_of(sessions, store.id, direction="inbound")
        assert [t.status for t in texts] == ["rejected", "rejected"]
        assert len(await messages_of(sessions, store.id, direction="outbound")) == 1

    async def test_staff_of_another_store_is_unregistered_here(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, _, unit = await detail_car(sessions)
        other_store = await make_store(sessions)
        elsewhere = await make_staff(sessions, other_store, role="detailer")

        reply = await phone.text(
            from_number=elsewhere.phone, to_number=store.sms_number, body="2231 done"
        )

        assert reply is not None and "isn't registered" in reply
        assert await stage_of(sessions, unit) == "detail"


class TestKeywords:
    async def test_stop_opts_out_and_start_opts_back_in(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store, detailer, _ = await detail_car(sessions)

        stopped = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="STOP"
        )
        assert stopped is not None and "START" in stopped
        assert await opted_out(sessions, detailer) is True

        await phone.text(from_number=detailer.phone, to_number=store.sms_number, body="start")
        assert await opted_out(sessions, detailer) is False

    async def test_help_explains_texting_and_stop(self, phone: Phone, sessions: Sessions) -> None:
        store, detailer, _ = await detail_car(sessions)
        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="HELP"
        )
        assert reply is not None and "STOP" in reply and "stock number" in reply

    async def test_undo_reverts_the_last_change(self, phone: Phone, sessions: Sessions) -> None:
        store, detailer, unit = await detail_car(sessions)
        await phone.text(from_number=detailer.phone, to_number=store.sms_number, body="2231 done")
        assert await stage_of(sessions, unit) == "photos"

        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="UNDO"
        )

        assert reply is not None and "Undone" in reply and "detail" in reply
        assert await stage_of(sessions, unit) == "detail"
        again = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="undo"
        )
        assert again is not None and "Nothing to undo" in again
        assert await stage_of(sessions, unit) == "detail"


async def opted_out(sessions: Sessions, staff: Staff) -> bool:
    async with sessions() as session:
        return bool(
            (await session.execute(select(Staff.sms_opt_out).where(Staff.id == staff.id))).scalar()
        )


class TestInterpreterCrash:
    async def test_text_kept_for_review_and_sender_gets_an_apology(
        self, phone: Phone, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store, detailer, unit = await detail_car(sessions)

        def crash(*_: object, **__: object) -> None:
            raise RuntimeError("the interpreter broke")

        monkeypatch.setattr(inbound.understanding, "interpret", crash)
        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231 done"
        )

        assert reply is not None and reply.startswith("Sorry")
        text, answer = await messages_of(sessions, store.id)
        assert text.status == "needs_review"
        assert (
            text.interpretation is not None and "interpreter broke" in text.interpretation["error"]
        )
        assert answer.reply_to_id == text.id and answer.body == reply
        assert await stage_of(sessions, unit) == "detail"
