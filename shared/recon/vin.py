"""Vehicle identification numbers: 17 characters without I, O or Q, and the check digit in
position 9 computed with the transliteration and weights of 49 CFR 565.15."""

from __future__ import annotations

import operator
import random
import re

VIN_LENGTH = 17
CHECK_DIGIT_POSITION = 9  # 1-based, as the regulation counts

# 49 CFR 565.15(c): letters map to digits (I, O and Q are never used, so they have none).
TRANSLITERATION: dict[str, int] = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_CHARACTERS = frozenset(TRANSLITERATION)
WELL_FORMED = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def normalise_vin(raw: str) -> str:
    """What people type or export ("1gcuy ddedkz123456 ") as the VIN it names."""
    return "".join(raw.split()).upper()


def check_digit(vin: str) -> str:
    """The check digit a VIN of 17 valid characters must carry (its own 9th is ignored)."""
    total = sum(map(operator.mul, map(TRANSLITERATION.__getitem__, vin), WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_problems(vin: str) -> list[str]:
    """Every reason the (normalised) VIN is not valid; empty when it is."""
    if WELL_FORMED.fullmatch(vin):  # the common case, checked in one step
        return [] if vin[CHECK_DIGIT_POSITION - 1] == check_digit(vin) else [_mistyped(vin)]
    if not vin:
        return ["vin is missing"]
    problems = []
    if len(vin) != VIN_LENGTH:
        problems.append(f"vin must be {VIN_LENGTH} characters, not {len(vin)}")
    forbidden = sorted({char for char in vin if char in "IOQ"})
    if forbidden:
        problems.append(f"vin must not contain {', '.join(forbidden)} (I, O and Q are never used)")
    other = sorted({char for char in vin if char not in VIN_CHARACTERS and char not in "IOQ"})
    if other:
        problems.append(f"vin has characters that are not letters or digits: {''.join(other)!r}")
    return problems


def _mistyped(vin: str) -> str:
    return (
        f"vin check digit (position {CHECK_DIGIT_POSITION}) is {vin[CHECK_DIGIT_POSITION - 1]}, "
        f"but the other characters make it {check_digit(vin)}: a character is mistyped"
    )


def is_valid_vin(vin: str) -> bool:
    return not vin_problems(vin)


def random_vin(rng: random.Random | None = None) -> str:
    """A made-up VIN that passes the check digit (for demo data and tests)."""
    chooser = rng or random.Random()
    chars = [chooser.choice(_SORTED_CHARACTERS) for _ in range(VIN_LENGTH)]
    chars[CHECK_DIGIT_POSITION - 1] = check_digit("".join(chars))
    return "".join(chars)


_SORTED_CHARACTERS = sorted(VIN_CHARACTERS)
