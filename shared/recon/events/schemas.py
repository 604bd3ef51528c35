"""Writes the JSON Schema of the envelope and of every event payload into events/schemas/.

Run `python -m recon.events.schemas` after changing an event model; a test fails when the
committed files drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recon.events.envelope import CloudEvent
from recon.events.types import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent / "schemas"


def generated_schemas() -> dict[str, dict[str, Any]]:
    schemas = {"envelope.json": CloudEvent.model_json_schema()}
    for short_type, model in EVENT_TYPES.items():
        schema = model.model_json_schema(by_alias=True)
        schema["title"] = f"recon.{short_type}"
        schemas[f"{short_type}.json"] = schema
    return schemas


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for stale in SCHEMA_DIR.glob("*.json"):
        stale.unlink()
    for name, schema in generated_schemas().items():
        (SCHEMA_DIR / name).write_text(render(schema))
    print(f"wrote {len(EVENT_TYPES) + 1} schemas to {SCHEMA_DIR}")


if __name__ == "__main__":
    main()
