"""Events: the CloudEvents envelope and one typed payload per event type."""

from recon.events.envelope import (
    STREAM_NAME,
    CloudEvent,
    build_event,
    store_subjects,
    subject_for,
)
from recon.events.types import EVENT_TYPES, Actor, EventData

__all__ = [
    "EVENT_TYPES",
    "STREAM_NAME",
    "Actor",
    "CloudEvent",
    "EventData",
    "build_event",
    "store_subjects",
    "subject_for",
]
