"""What the webhook refuses or holds back: floods, malformed forms, and delivery callbacks."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest_sms.main import create_app
from recon.db.models import Message, Staff
from recon.devstack.text import SMS_PATH, text_form
from recon.domain import units
from recon.domain.messages import record_outbound
from tests import conftest
from tests.factories import make_staff, make_store, make_unit
from tests.ingest.conftest import Phone, ingest_settings, messages_of
from tests.platform.test_services import serving

Sessions = async_sessionmaker[AsyncSession]
STATUS_PATH = "/webhooks/twilio/status"


class TestFloodGuard:
    async def test_texts_over_the_limit_are_kept_not_applied_with_one_notice(
        self, servers: conftest.TestServers, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        porter = await make_staff(sessions, store, role="porter")
        cars = [
            await make_unit(sessions, store, stage="detail", stock_number=str(3000 + n))
            for n in range(5)
        ]
        app = create_app(ingest_settings(servers, RECON_SMS_FLOOD_PER_MINUTE=3))
        async with serving(app) as client:
            phone = Phone(client)
            replies = [
                await phone.text(
                    from_number=porter.phone,
                    to_number=store.sms_number,
                    body=f"{car.stock_number} to the front line",
                )
                for car in cars
            ]

        assert all(reply and "frontline" in reply for reply in replies[:3])
        assert replies[3] is not None and "Too many texts" in replies[3]
        assert replies[4] is None
        texts = await messages_of(sessions, store.id, direction="inbound")
        assert [t.status for t in texts] == ["applied"] * 3 + ["flooded"] * 2
        async with sessions() as session:
            stages = [
                (await units.get_unit(session, store_id=store.id, ref=car.id)).stage for car in cars
            ]
        assert stages == ["frontline"] * 3 + ["detail"] * 2


class TestDeliveryStatus:
    async def outbound(self, sessions: Sessions, store_id: object, staff: Staff, sid: str) -> None:
        async with sessions() as session, session.begin():
            await record_outbound(
                session,
                store_id=store_id,  # type: ignore[arg-type]
                from_number="+15125550000",
                to_number=staff.phone,
                body="2231 is ready for detail",
                staff_id=staff.id,
                status="queued",
                kind="handoff",
                service="tests",
                provider_sid=sid,
            )

    async def test_callback_updates_status_and_error_code(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        await self.outbound(sessions, store.id, detailer, "SMout1")

        response = await phone.post(
            STATUS_PATH,
            {"MessageSid": "SMout1", "MessageStatus": "undelivered", "ErrorCode": "30003"},
        )

        assert response.status_code == 204
        (sent,) = await messages_of(sessions, store.id, direction="outbound")
        assert (sent.status, sent.error_code) == ("undelivered", "30003")

    async def test_callbacks_out_of_order_never_move_a_text_back(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        await self.outbound(sessions, store.id, detailer, "SMorder")

        seen = []
        for status in ("delivered", "sent", "sending", "read", "partially_delivered"):
            response = await phone.post(
                STATUS_PATH, {"MessageSid": "SMorder", "MessageStatus": status}
            )
            assert response.status_code == 204, response.text
            (sent,) = await messages_of(sessions, store.id, direction="outbound")
            seen.append(sent.status)
        assert seen == ["delivered", "delivered", "delivered", "read", "read"]

    async def test_a_status_twilio_added_later_is_taken(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        await self.outbound(sessions, store.id, detailer, "SMnew")

        taken = await phone.post(
            STATUS_PATH, {"MessageSid": "SMnew", "MessageStatus": "partially_delivered"}
        )
        garbage = await phone.post(
            STATUS_PATH, {"MessageSid": "SMnew", "MessageStatus": "<script>"}
        )

        assert (taken.status_code, garbage.status_code) == (204, 400), taken.text
        (sent,) = await messages_of(sessions, store.id, direction="outbound")
        assert sent.status == "partially_delivered"

    async def test_unsubscribed_error_opts_the_staff_member_out(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        await self.outbound(sessions, store.id, detailer, "SMout2")

        await phone.post(
            STATUS_PATH, {"MessageSid": "SMout2", "MessageStatus": "failed", "ErrorCode": "21610"}
        )

        async with sessions() as session:
            flag = await session.scalar(select(Staff.sms_opt_out).where(Staff.id == detailer.id))
        assert flag is True

    async def test_unsigned_callback_is_refused(self, phone: Phone, sessions: Sessions) -> None:
        store = await make_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        await self.outbound(sessions, store.id, detailer, "SMout3")

        response = await phone.post(
            STATUS_PATH, {"MessageSid": "SMout3", "MessageStatus": "delivered"}, signature=None
        )

        assert response.status_code == 403
        (sent,) = await messages_of(sessions, store.id, direction="outbound")
        assert sent.status == "queued"


FIELDS = ["From", "To", "Body", "MessageSid", "NumMedia", "MediaUrl0", "MediaUrl7", "Junk"]


class TestAnyForm:
    @hypothesis_settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        form=st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=40), max_size=8),
        signed=st.booleans(),
    )
    async def test_no_form_crashes_the_webhook(
        self, phone: Phone, form: dict[str, str], signed: bool
    ) -> None:
        response = await phone.post(SMS_PATH, form, signature="sign" if signed else None)
        assert response.status_code in (200, 400, 403)
        if not signed:
            assert response.status_code == 403

    async def test_garbage_bodies_are_4xx(self, phone: Phone) -> None:
        for content, kind in [
            (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
            (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
            (b'{"From": "+1"}', "application/json"),
        ]:
            response = await phone.client.post(
                SMS_PATH, content=content, headers={"content-type": kind}
            )
            assert 400 <= response.status_code < 500

    @pytest.mark.parametrize("body", ["", "   ", "🚗🚗🚗", "DROP TABLE units; --", "x" * 5000])
    async def test_odd_texts_from_staff_are_answered(
        self, phone: Phone, sessions: Sessions, body: str
    ) -> None:
        store = await make_store(sessions)
        tech = await make_staff(sessions, store)
        form = text_form(from_number=tech.phone, to_number=store.sms_number, body=body)
        response = await phone.post(SMS_PATH, form)
        assert response.status_code == 200
        async with sessions() as session:
            statuses = list(
                await session.scalars(
                    select(Message.status).where(
                        Message.store_id == store.id, Message.direction == "inbound"
                    )
                )
            )
        assert len(statuses) == 1 and statuses[0] != "received"
