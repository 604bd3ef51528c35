"""Phone numbers as E.164, parsed with `phonenumbers` (US numbers may be typed locally)."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """`(512) 555-0101`, `512.555.0101`, `+1 512 555 0101` → `+15125550101`."""
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhone(f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def try_e164(raw: str | None, *, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form, or None for anything that is not a phone number (webhook input)."""
    if not raw:
        return None
    try:
        return to_e164(raw, region=region)
    except InvalidPhone:
        return None
