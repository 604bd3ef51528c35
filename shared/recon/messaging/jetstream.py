"""Connecting to NATS and keeping the RECON stream configured."""

from __future__ import annotations

import logging

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from recon.events import STREAM_NAME

log = logging.getLogger(__name__)

# Long enough for a relay that lost its lock mid-batch to be de-duplicated by Msg-Id.
DUPLICATE_WINDOW_SECONDS = 10 * 60
RETENTION_SECONDS = 14 * 24 * 3600


async def connect(url: str, *, name: str) -> NATS:
    """A connection that keeps reconnecting forever: NATS restarts are routine."""
    return await nats.connect(
        servers=[server.strip() for server in url.split(",")],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
    )


def stream_config(replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=STREAM_NAME,
        subjects=["recon.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=RETENTION_SECONDS,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, *, replicas: int = 1) -> None:
    """Create the RECON stream, or bring an existing one to this configuration. Safe to race."""
    config = stream_config(replicas)
    try:
        await js.stream_info(STREAM_NAME)
    except NotFoundError:
        try:
            await js.add_stream(config)
            log.info("created JetStream stream %s", STREAM_NAME)
            return
        except Exception:  # another copy created it between our two calls
            await js.stream_info(STREAM_NAME)
    await js.update_stream(config)
