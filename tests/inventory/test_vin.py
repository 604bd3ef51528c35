"""VIN validation: length, forbidden letters and the 49 CFR 565 check digit."""

from __future__ import annotations

import pytest

from recon.vin import check_digit, is_valid_vin, normalise_vin, vin_problems
from tests.factories import random_vin
from tests.inventory.helpers import wrong_check_digit

# Real VINs with their published check digits (one of them is an X).
REAL_VINS = ["1M8GDM9AXKP042788", "1HGCM82633A004352", "11111111111111111"]


class TestCheckDigit:
    @pytest.mark.parametrize("vin", REAL_VINS)
    def test_real_vins_are_valid(self, vin: str) -> None:
        assert vin_problems(vin) == []
        assert check_digit(vin) == vin[8]

    def test_a_mistyped_character_breaks_the_check_digit(self) -> None:
        problems = vin_problems("1HGCM82633A004353")
        assert len(problems) == 1
        assert "check digit" in problems[0] and "is 3" in problems[0]

    def test_random_factory_vins_are_valid(self) -> None:
        assert all(is_valid_vin(random_vin()) for _ in range(200))

    def test_wrong_check_digit_helper_is_invalid(self) -> None:
        assert not is_valid_vin(wrong_check_digit(random_vin()))


class TestShape:
    def test_length_is_reported(self) -> None:
        assert vin_problems("1HGCM82633A00435") == ["vin must be 17 characters, not 16"]

    @pytest.mark.parametrize("letter", ["I", "O", "Q"])
    def test_i_o_and_q_are_never_used(self, letter: str) -> None:
        problems = vin_problems("1HGCM8263" + letter + "A004352")
        assert problems == [f"vin must not contain {letter} (I, O and Q are never used)"]

    def test_punctuation_is_reported(self) -> None:
        assert "not letters or digits" in vin_problems("1HGCM82633A00435-")[0]

    def test_missing(self) -> None:
        assert vin_problems("") == ["vin is missing"]

    def test_normalising_removes_spaces_and_uppercases(self) -> None:
        assert normalise_vin(" 1hgcm82633a 004352 ") == "1HGCM82633A004352"
