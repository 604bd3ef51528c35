"""Canonical words: a clause's tokens as keywords, stages, units, dates and plain words.

Each token becomes a keyword ("!done"), a stage ("@detail"), a unit ("#u"), a date ("~d") or a
plain folded word, with typos corrected; units joined by "and" form one group, and a clause
naming several units with their own words is cut into one segment per unit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from recon.understanding.dates import DateSpan
from recon.understanding.normalize import MAX_PHRASE_WORDS, PHRASES, Token, correct
from recon.understanding.units import Mention
from recon.understanding.vocabulary import (
    AUX_QUESTION_STARTERS,
    DONE_SLIPS,
    FILLERS,
    POSITION_WORDS,
    QUESTION_STARTERS,
    QUESTION_SUBJECTS,
    SYMBOLS,
)
from recon.understanding.work import concepts_of, names_only_work

UNIT = "#u"
DATE = "~d"
CONNECTORS = frozenset({"and", ",", "y", "n", "plus", "&"})
# Words that hold a report back: "not", "starting", "next". They scope to their own part.
HEDGES = frozenset({"!not", "!underway", "!declined"})
_PLACE_WORDS = frozenset({"!to", "the", "in", "out", "at", "around"})
_GREETINGS = frozenset({"hey", "hi", "yo", "ok", "okay", "so", "and", "also", "um", "hello"})


@dataclass(slots=True)
class CTok:
    canon: str
    start: int  # first source token
    end: int  # one past the last source token
    mentions: tuple[int, ...] = ()  # for UNIT: indices into the clause's mentions
    value: date | None = None  # for DATE


def canonicalize(
    tokens: list[Token],
    mentions: list[Mention],
    dates: list[DateSpan],
    ignored: frozenset[int],
) -> list[CTok]:
    mention_at = {mention.start: number for number, mention in enumerate(mentions)}
    date_at = {span.start: span for span in dates}
    blocked: set[int] = set(ignored)
    for mention in mentions:
        blocked.update(range(mention.start, mention.end))
    for span in dates:
        blocked.update(range(span.start, span.end))
    lows = [
        token.low if position not in blocked else "\x00" for position, token in enumerate(tokens)
    ]

    out: list[CTok] = []
    position = 0
    while position < len(tokens):
        if position in mention_at:
            mention = mentions[mention_at[position]]
            out.append(CTok(UNIT, mention.start, mention.end, mentions=(mention_at[position],)))
            position = mention.end
            continue
        if position in date_at:
            span = date_at[position]
            out.append(CTok(DATE, span.start, span.end, value=span.value))
            position = span.end
            continue
        if position in blocked:
            position += 1
            continue
        token = tokens[position]
        if token.kind == "sym":
            canonical = SYMBOLS.get(token.text, "")
            if canonical:
                out.append(CTok(canonical, position, position + 1))
            position += 1
            continue
        length, canonical = _phrase_at(lows, position)
        if canonical.startswith("@") and _names_a_part(lows, position, length):
            length, canonical = 0, ""
        if length == 0:
            length, canonical = 1, _word(token.low)
        for part in canonical.split():
            out.append(CTok(part, position, position + length))
        position += length
    return _running_late(_in_context(out, tokens))


# Words between "running" and "late" in the sender's own lateness: "running 10 min late".
_LATE_GAP = frozenset({"a", "little", "bit", "few", "min", "mins", "minute", "minutes", "hr"})


def _running_late(ctoks: list[CTok]) -> list[CTok]:
    """ "running 10 min late", "running a bit behind": the sender's lateness, small talk like
    "running late" (the gap of a number and minutes is more than a phrase can list)."""
    for position, ctok in enumerate(ctoks):
        if ctok.canon != "running":
            continue
        end = position + 1
        while end < len(ctoks) and (ctoks[end].canon in _LATE_GAP or ctoks[end].canon.isdigit()):
            end += 1
        if end > position + 1 and end < len(ctoks) and ctoks[end].canon in ("late", "behind"):
            for late in ctoks[position : end + 1]:
                late.canon = "!thanks"
    return ctoks


def _phrase_at(lows: list[str], position: int) -> tuple[int, str]:
    for length in range(min(MAX_PHRASE_WORDS, len(lows) - position), 0, -1):
        canonical = PHRASES.get(tuple(lows[position : position + length]))
        if canonical is not None:
            return length, canonical
    return 0, ""


def _names_a_part(lows: list[str], position: int, length: int) -> bool:
    """ "did the front brakes": a stage phrase ending in a position word ("the front") that goes
    on to name a part is where the part is, not a stage."""
    end = position + length
    return (
        lows[end - 1] in POSITION_WORDS
        and end < len(lows)
        and bool(concepts_of(lows[end : end + 2]) or lows[end] in POSITION_WORDS)
    )


def word_canon(token: Token) -> str:
    """One token's keyword or folded word, read alone (no phrases, no neighbours)."""
    if token.kind == "sym":
        return SYMBOLS.get(token.text, "")
    return PHRASES.get((token.low,)) or _word(token.low)


def _word(low: str) -> str:
    if low.endswith(("'ll", "’ll")):
        return "!will"
    corrected = correct(low)
    if corrected is None:
        return low
    return PHRASES.get((corrected,), corrected)


def _in_context(ctoks: list[CTok], tokens: list[Token]) -> list[CTok]:
    """Words whose meaning depends on their neighbour: "2 pics" (to), "a fotos" (to),
    "back glass" (a part, not a return)."""
    for position, ctok in enumerate(ctoks):
        following = ctoks[position + 1].canon if position + 1 < len(ctoks) else ""
        if ctok.canon in ("2", "4", "a", "para", "pa", "al") and following.startswith("@"):
            ctok.canon = "!to"
        elif (
            ctok.canon == "!fixed"
            and tokens[ctok.start].low in POSITION_WORDS
            and concepts_of([following])
        ):
            ctok.canon = tokens[ctok.start].low  # "rr brakes": rear, not remove-and-replace
        elif ctok.canon == "!back" and _person_back(ctoks, position, tokens):
            ctok.canon = "back"  # "back at 3", "be back in 10": a person, not a car
        elif ctok.canon == "!back" and following and concepts_of([following]):
            ctok.canon = "back"
        elif ctok.canon == "!back" and position > 0 and ctoks[position - 1].canon in _PLACE_WORDS:
            ctok.canon = "back"  # "to the back", "out back": a place, not a return
        elif ctok.canon == "!shot" and position > 0 and ctoks[position - 1].canon == "!move":
            ctok.canon = "!done"
        elif (
            ctok.canon in DONE_SLIPS and position == len(ctoks) - 1 and _after_car(ctoks, position)
        ):
            ctok.canon = "!done"  # "2232 is dome": the whole report, a slip for "done"
    return ctoks


def _after_car(ctoks: list[CTok], position: int) -> bool:
    """Whether a car (and at most "is") stands right before `position`: "2232 is", "2232"."""
    before = position - 1
    if before >= 0 and ctoks[before].canon in ("is", "are", "r"):
        before -= 1
    return before >= 0 and ctoks[before].canon == UNIT


_TIME_LEADS = frozenset({"at", "by", "around", "in", "before", "after"})
_TIME_NOUNS = frozenset({"noon", "lunch", "few", "bit", "sec", "min", "mins", "minutes", "hour"})


def _person_back(ctoks: list[CTok], position: int, tokens: list[Token]) -> bool:
    """ "back at 3", "back in 10 min", "back by noon": a time of day follows, not a vendor."""
    if position + 1 >= len(ctoks) or ctoks[position + 1].canon not in _TIME_LEADS:
        return False
    after = ctoks[position + 1].end
    if after >= len(tokens):
        return False
    token = tokens[after]
    if token.kind == "time" or token.low in _TIME_NOUNS:
        return True
    return token.low.isdigit() and len(token.low) <= 4 and _clockish(token.low)


def _clockish(digits: str) -> bool:
    if len(digits) <= 2:
        return int(digits) <= 60
    hours, minutes = int(digits[:-2]), int(digits[-2:])
    return 1 <= hours <= 12 and minutes < 60


def group_units(ctoks: list[CTok]) -> list[CTok]:
    """Units joined by "and", "&", "," are one group: "2231 2232 and 2240 to detail"."""
    grouped: list[CTok] = []
    pending_connectors: list[CTok] = []
    for position, ctok in enumerate(ctoks):
        if ctok.canon in CONNECTORS and grouped and grouped[-1].canon == UNIT:
            pending_connectors.append(ctok)
            continue
        following = ctoks[position + 1].canon if position + 1 < len(ctoks) else ""
        if (
            ctok.canon == UNIT
            and grouped
            and grouped[-1].canon == UNIT
            # "done with 4600, 5101 next": a hedge right after a unit is its own, not the group's.
            and following not in HEDGES
        ):
            last = grouped[-1]
            grouped[-1] = CTok(UNIT, last.start, ctok.end, mentions=last.mentions + ctok.mentions)
            pending_connectors.clear()
            continue
        grouped.extend(pending_connectors)
        pending_connectors.clear()
        grouped.append(ctok)
    grouped.extend(pending_connectors)
    return grouped


def segments(ctoks: list[CTok]) -> list[list[CTok]]:
    """One clause naming several units with their own words becomes one segment per unit:
    "2231 done 2232 to pics", "brakes done on 2231, tires done on 2232"."""
    groups = [position for position, ctok in enumerate(ctoks) if ctok.canon == UNIT]
    if len(groups) <= 1:
        return [ctoks]
    meaningful = [p for p, c in enumerate(ctoks) if c.canon not in FILLERS or c.canon == UNIT]
    if meaningful and meaningful[0] == groups[0]:
        cuts = [0, *groups[1:], len(ctoks)]
        return _share_final_verb([ctoks[a:b] for a, b in itertools.pairwise(cuts)])
    if meaningful and meaningful[-1] == groups[-1]:
        cuts = [0, *(g + 1 for g in groups[:-1]), len(ctoks)]
        return [ctoks[a:b] for a, b in itertools.pairwise(cuts)]
    prefix = ctoks[: groups[0]]
    cuts = [*groups, len(ctoks)]
    pieces = [ctoks[a:b] for a, b in itertools.pairwise(cuts)]
    if any(c.canon in _SCOPED_LEADS for c in prefix) and any(
        c.canon in _SCOPE_ENDS for c in pieces[0]
    ):
        # "starting 4101 now, 2231 done", "i was gonna do 5101 but 4600 is done": a leading
        # "not", "starting" or "gonna" ends at the comma or the "but".
        return [prefix + pieces[0], *pieces[1:]]
    return [prefix + piece for piece in pieces]


# Words before the first car that hold back only what they lead (hedges and promises), and the
# words that end what they lead.
_SCOPED_LEADS = HEDGES | {"!will"}
_SCOPE_ENDS = frozenset({",", "but", "pero"})

_FINAL_VERBS = frozenset({"!done", "!fixed"})


def _share_final_verb(pieces: list[list[CTok]]) -> list[list[CTok]]:
    """ "2231 brakes, 4101 alignment done": the closing "done" is said of every car whose
    piece names only its work."""
    last = pieces[-1]
    if not last or last[-1].canon not in _FINAL_VERBS:
        return pieces
    verb = last[-1]
    shared = []
    for piece in pieces[:-1]:
        while piece and piece[-1].canon == ",":
            piece = piece[:-1]
        words = [c.canon for c in piece if c.canon != UNIT]
        if names_only_work(words):
            piece = [*piece, verb]
        shared.append(piece)
    return [*shared, last]


def is_question(tokens: list[Token], ctoks: list[CTok], ended_with_mark: bool) -> bool:
    if ended_with_mark or _asks_after_comma(tokens, ctoks):
        return True
    for position, ctok in enumerate(ctoks):
        if ctok.canon in ("!polite", "!someone"):
            return False
        if ctok.canon == UNIT:
            return False
        low = tokens[ctok.start].low
        if low in _GREETINGS:
            continue
        if low in AUX_QUESTION_STARTERS:
            following = ctoks[position + 1] if position + 1 < len(ctoks) else None
            # "did the parts for 4410B come in yet": asking, even with no "?".
            return (
                following is not None
                and (following.canon == UNIT or tokens[following.start].low in QUESTION_SUBJECTS)
            ) or tokens[-1].low == "yet"
        return low in QUESTION_STARTERS or ctok.canon == "!status"
    return False


_WH_WORDS = frozenset({"when", "whens", "when's", "where", "how", "what"})


def _asks_after_comma(tokens: list[Token], ctoks: list[CTok]) -> bool:
    """ "customer wants the tacoma, when will it be back": a question word and its verb after a
    comma ask about the car even with no "?" (the "will" is no promise to record)."""
    for position in range(len(ctoks) - 2):
        if ctoks[position].canon != ",":
            continue
        wh, verb = tokens[ctoks[position + 1].start].low, tokens[ctoks[position + 2].start].low
        if wh in _WH_WORDS and (verb in AUX_QUESTION_STARTERS or verb in ("will", "'ll")):
            return True
    return False
