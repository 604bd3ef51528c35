"""Field types every board API schema shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from recon.phones import InvalidPhone, to_e164


def _e164(raw: str) -> str:
    try:
        return to_e164(raw)
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from exc


Phone = Annotated[str, AfterValidator(_e164)]
"""A phone number in any common form (`(512) 555-0101` is a US number), stored as E.164."""
