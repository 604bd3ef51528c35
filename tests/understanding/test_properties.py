"""No text, however strange, crashes interpret() or makes it slow."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon.understanding import Interpretation, interpret

from .fixtures import STORE_INDEX, STORE_UNITS, make_context, make_sender

ROLES = ["technician", "detailer", "photographer", "porter", "sales", "used_car_manager", "vendor"]
WORDS = [
    "done", "to", "detail", "pics", "needs", "brakes", "waiting", "on", "parts", "eta", "friday",
    "back", "from", "body", "shop", "approved", "go", "ahead", "note:", "we", "owe", "the", "white",
    "silverado", "not", "will", "✅", "👍", "?", ",", "and", "send", "for", "stk", "#", "vin", "12/10",
    "$400", "at", "3pm", "inspected", "listo", "esperando", "partes", "\n", "STOP", "2019",
]  # fmt: skip
STOCKS = [unit.stock_number for unit in STORE_UNITS]
# Well under a millisecond is normal and a 1,600-character text takes tens of milliseconds;
# the bound is loose so a busy CI machine never fails it, yet it catches runaway backtracking.
SLOW_SECONDS = 1.0

texty = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from(STOCKS), st.text(max_size=8)),
    max_size=40,
).map(" ".join)


def _run(text: str, role: str, recent: list[str]) -> Interpretation:
    started = time.perf_counter()
    result = interpret(
        text, index=STORE_INDEX, sender=make_sender(role), context=make_context(*recent)
    )
    assert time.perf_counter() - started < SLOW_SECONDS, len(text)
    return result


def _well_formed(result: Interpretation) -> None:
    Interpretation.model_validate_json(result.model_dump_json())
    assert result.summary()
    if result.question is not None:
        assert set(result.question.candidate_unit_ids) <= {u.id for u in STORE_UNITS}
    for command in result.commands:
        unit_id = getattr(command, "unit_id", None)
        assert unit_id is None or unit_id in STORE_INDEX.units


class TestNoTextBreaksInterpret:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=st.text(max_size=400), role=st.sampled_from(ROLES))
    def test_arbitrary_unicode(self, text: str, role: str) -> None:
        _well_formed(_run(text, role, []))

    @settings(max_examples=300, deadline=None)
    @given(
        text=texty,
        role=st.sampled_from(ROLES),
        recent=st.lists(st.sampled_from(STOCKS), max_size=3, unique=True),
    )
    def test_text_made_of_real_words_numbers_and_junk(
        self, text: str, role: str, recent: list[str]
    ) -> None:
        _well_formed(_run(text, role, recent))

    @settings(max_examples=20, deadline=None)
    @given(
        piece=st.text(min_size=1, max_size=20).filter(str.strip),
        repeat=st.integers(min_value=50, max_value=400),
    )
    def test_long_texts_stay_fast(self, piece: str, repeat: int) -> None:
        _well_formed(_run((piece + " 2231 done\n") * repeat, "technician", []))

    @settings(max_examples=100, deadline=None)
    @given(
        text=st.text(alphabet=st.characters(categories=["So", "Sk", "Mn", "Cf", "Zs"]), max_size=60)
    )
    def test_emoji_and_invisible_characters(self, text: str) -> None:
        _well_formed(_run(text, "sales", ["2231"]))

    @settings(max_examples=200, deadline=None)
    @given(text=texty, role=st.sampled_from(ROLES))
    def test_the_same_text_always_means_the_same(self, text: str, role: str) -> None:
        assert _run(text, role, []) == _run(text, role, [])
