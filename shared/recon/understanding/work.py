"""Work items by meaning: which concepts a phrase names, and which open item a text completes."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from recon.understanding.normalize import fold
from recon.understanding.views import UnitView, WorkItemView
from recon.understanding.vocabulary import (
    FILLERS,
    NOT_WORK_WORDS,
    POSITION_WORDS,
    WORK_CONCEPTS,
)

CONCEPT_PHRASES: dict[tuple[str, ...], str] = {
    tuple(variant.split()): concept
    for concept, variants in WORK_CONCEPTS.items()
    for variant in variants
}
_MAX_CONCEPT_WORDS = max(len(key) for key in CONCEPT_PHRASES)
_WORD_RE = re.compile(r"[a-z0-9][a-z0-9/&'-]*")
# Body panels name where the work is ("door dent", "hood pdr"), so they never split an item.
_LOCATION_CONCEPTS = frozenset({"paint"})
# Concepts that name what is done to the part before them: "coolant flush", "brake fluid".
_OPERATION_CONCEPTS = frozenset({"fluids"})
# Concepts that name the dash light of the system before them: "engine light", "tpms light".
_WARNING_CONCEPTS = frozenset({"lights"})
_LIGHT = frozenset({"light", "lights"})  # the bare word: "wipers headlights" stays two items


def words_of(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


def concept_spans(words: list[str]) -> list[tuple[int, int, str]]:
    """Longest-match concept phrases in `words`: (start, end, concept)."""
    spans: list[tuple[int, int, str]] = []
    position = 0
    while position < len(words):
        for length in range(min(_MAX_CONCEPT_WORDS, len(words) - position), 0, -1):
            concept = CONCEPT_PHRASES.get(tuple(words[position : position + length]))
            if concept:
                spans.append((position, position + length, concept))
                position += length
                break
        else:
            position += 1
    return spans


def concepts_of(words: list[str]) -> frozenset[str]:
    return frozenset(concept for _, _, concept in concept_spans(words))


def names_only_work(words: list[str]) -> bool:
    """Known work and nothing else beside little words: "front brakes", "4 tires" (but not
    "keys in the box" or "customer complaint")."""
    spans = concept_spans(words)
    covered = {p for start, end, _ in spans for p in range(start, end)}
    return bool(spans) and all(
        p in covered or w in FILLERS or w in POSITION_WORDS or w.isdigit()
        for p, w in enumerate(words)
    )


def positions_of(words: list[str]) -> frozenset[str]:
    return frozenset(POSITION_WORDS[word] for word in words if word in POSITION_WORDS)


def content_of(words: list[str]) -> frozenset[str]:
    return frozenset(
        word
        for word in words
        if word not in FILLERS and word not in POSITION_WORDS and not word.isdigit()
    )


def looks_like_work(words: list[str], *, strict: bool = False) -> bool:
    """Whether a phrase from "needs X" names work: a known part or job, or a few plain words.

    `strict` (approvals, where a name such as "rick" may stand before "approved") wants a
    known concept.
    """
    content = content_of(words)
    if not content or any(word in NOT_WORK_WORDS for word in words):
        return False
    if concepts_of(words):
        return True
    if strict:
        return False
    return len(content) <= 4 and all(word.replace("-", "").isalpha() for word in content)


def split_boundaries(words: list[str]) -> list[int]:
    """Where one item ends and the next starts inside a piece with no "and" between:
    "4 tires alignment" -> [2], "oil change wiper blades" -> [2]."""
    spans = concept_spans(words)
    cuts: list[int] = []
    for (_, first_end, first), (second_start, _, second) in itertools.pairwise(spans):
        if first == second or first in _LOCATION_CONCEPTS or second in _OPERATION_CONCEPTS:
            continue
        between = words[first_end:second_start]
        if second in _WARNING_CONCEPTS and not between and words[second_start] in _LIGHT:
            continue
        if all(word.isdigit() or word in POSITION_WORDS or word == "new" for word in between):
            cuts.append(first_end)
    return cuts


def same_job(previous: list[str], following: list[str]) -> bool:
    """One job or two: "rear pads" + "rotors" is one brake job, "front/rear brakes" are two."""
    if not following:
        return False
    if all(word in POSITION_WORDS or word in FILLERS for word in following):
        return True
    first, second = concepts_of(previous), concepts_of(following)
    if not first or first != second:
        return False
    return not positions_of(following) and not any(word.isdigit() for word in following)


@dataclass(frozen=True, slots=True)
class WorkMatch:
    item: WorkItemView | None
    tied: tuple[WorkItemView, ...] = ()


def match_open_item(words: list[str], unit: UnitView, *, vendor: str | None = None) -> WorkMatch:
    """The open work item on `unit` that `words` means, by shared concepts and words.

    A position word must agree ("front brakes done" never completes "rear brakes"); several
    equally good matches come back as `tied` so the caller asks instead of picking.
    """
    text_concepts = concepts_of(words)
    text_words = content_of(words)
    text_positions = positions_of(words)
    scored: list[tuple[int, WorkItemView]] = []
    for item in unit.open_work:
        item_words = words_of(item.name)
        item_positions = positions_of(item_words)
        if text_positions and item_positions and not text_positions & item_positions:
            continue
        score = 2 * len(text_concepts & concepts_of(item_words)) + len(
            text_words & content_of(item_words)
        )
        if score:
            scored.append((score, item))
    if not scored:
        return WorkMatch(None)
    best = max(score for score, _ in scored)
    tied = [item for score, item in scored if score == best]
    if len(tied) > 1 and vendor:
        mine = [item for item in tied if item.vendor and vendor_matches(item.vendor, vendor)]
        if len(mine) == 1:
            return WorkMatch(mine[0])
    if len(tied) == 1:
        return WorkMatch(tied[0])
    return WorkMatch(None, tuple(tied))


def vendor_matches(item_vendor: str, sender_name: str) -> bool:
    return bool(set(words_of(item_vendor)) & set(words_of(sender_name)))


def vendor_items(unit: UnitView, sender_name: str) -> tuple[WorkItemView, ...]:
    return tuple(
        item for item in unit.open_work if item.vendor and vendor_matches(item.vendor, sender_name)
    )
