"""The committed JSON Schemas are exactly what the event models generate."""

from recon.events.schemas import SCHEMA_DIR, generated_schemas, render
from recon.events.types import EVENT_TYPES


def test_every_design_event_type_has_a_model() -> None:
    design_types = {
        "unit.created",
        "unit.updated",
        "unit.removed",
        "unit.stage_changed",
        "unit.blocked",
        "unit.unblocked",
        "work_item.opened",
        "work_item.done",
        "note.added",
        "we_owe.added",
        "we_owe.done",
        "unit.acknowledged",
        "message.received",
        "message.sent",
        "message.status",
    }
    assert set(EVENT_TYPES) == design_types


def test_committed_schemas_match_the_models() -> None:
    expected = generated_schemas()
    committed = {path.name: path.read_text() for path in SCHEMA_DIR.glob("*.json")}
    assert set(committed) == set(expected), "run `make schemas` and commit the result"
    for name, schema in expected.items():
        assert committed[name] == render(schema), f"{name} drifted: run `make schemas`"
