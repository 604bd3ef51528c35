"""Publishing a batch: JetStream's answer to each message says whether it is stored."""

from __future__ import annotations

import uuid

from recon.messaging.jetstream import connect, ensure_stream
from recon.messaging.publishing import BatchPublisher, Outgoing
from recon.settings import Settings


async def test_a_repeat_counts_as_stored_and_a_subject_no_stream_takes_does_not(
    settings: Settings,
) -> None:
    nc = await connect(settings.nats_url, name="test-publishing")
    try:
        await ensure_stream(nc.jetstream())
        publisher = BatchPublisher(nc)
        subject = f"recon.publishing-{uuid.uuid4().hex[:8]}.note.added"
        event_id = str(uuid.uuid4())
        stored = await publisher.publish(
            [
                Outgoing(subject, b"{}", event_id),
                Outgoing(subject, b"{}", event_id),  # de-duplicated: stored once, acked twice
                Outgoing(f"elsewhere.{uuid.uuid4().hex}", b"{}", str(uuid.uuid4())),
            ],
            timeout=10,
        )
        assert stored == [True, True, False]
        # The next batch is answered on its own.
        again = await publisher.publish([Outgoing(subject, b"{}", str(uuid.uuid4()))], timeout=10)
        assert again == [True]
    finally:
        await nc.close()
