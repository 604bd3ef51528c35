"""Text cleanup: folding, splitting into lines and clauses, tokens, and typo correction."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from recon.domain.stages import Stage
from recon.understanding.vocabulary import (
    COLORS,
    EXTRA_PHRASES,
    FILLERS,
    KEYWORDS,
    MAKE_ALIASES,
    PROTECTED_WORDS,
    STAGE_WORDS,
    WORK_CONCEPTS,
)

# An SMS body is at most 1600 characters; anything longer is not a text a person typed.
MAX_TEXT_CHARS = 1600
MAX_LINES = 30


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as typed
    low: str  # folded: lowercase, no accents
    start: int  # offsets into the clause text
    end: int
    kind: str  # word | sym | money | time | phone


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    is_question: bool  # ended with "?"
    line: int  # which line of the text it came from


_TOKEN_RE = re.compile(
    r"""
    (?P<money>\$\s?\d[\d,]*(?:\.\d+)?k?\b|\b\d[\d,]*(?:\.\d+)?\s?(?:bucks|dollars)\b)
  | (?P<phone>(?:\+?1[\s.-]?)?\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}\b)
  | (?P<time>\b\d{1,2}:\d{2}(?:\s?[ap]\.?m\b\.?)?|\b\d{1,4}\s?[ap]\.?m\b\.?)
  | (?P<word>\w+(?:['’/.&-]\w+)*)
  | (?P<sym>[^\w\s])
    """,
    re.VERBOSE | re.IGNORECASE,
)

# A clause ends at . ! ? ; followed by a space or the end, but not inside "a.m." or "p.m.".
_CLAUSE_END_RE = re.compile(r"(?<!\.[a-zA-Z])([.!?;]+)(?=\s|$)")
_SLASH_KEEP = frozenset({"a/c", "w/o", "b/o", "r/r", "w/s", "n/a", "s/n"})
_STOCKISH_RE = re.compile(r"^[a-z]{0,3}\d{3,}[a-z]{0,3}$")


def fold(text: str) -> str:
    """Lowercase without accents, so "Mañana" and "manana" read the same."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean(text: str) -> str:
    """Compatibility forms folded (full-width digits, ligatures), length capped."""
    return unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 2])[:MAX_TEXT_CHARS]


def split_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line][:MAX_LINES]


def split_clauses(line: str, line_number: int) -> list[Clause]:
    clauses: list[Clause] = []
    start = 0
    for match in _CLAUSE_END_RE.finditer(line):
        piece = line[start : match.start()].strip()
        if piece:
            clauses.append(Clause(piece, "?" in match.group(1), line_number))
        elif "?" in match.group(1) and clauses:
            # "2231 ??" - the marks belong to the clause before.
            clauses[-1] = Clause(clauses[-1].text, True, line_number)
        start = match.end()
    rest = line[start:].strip()
    if rest:
        clauses.append(Clause(rest, False, line_number))
    return clauses


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "sym"
        raw = match.group()
        if kind == "sym" and unicodedata.category(raw) in ("Mn", "Cf", "Sk"):
            continue  # variation selectors, zero-width joiners, skin tones
        if kind == "word" and "/" in raw:
            tokens.extend(_split_slashed(raw, match.start()))
            continue
        if kind == "word" and ("-" in raw or "." in raw):
            tokens.extend(_split_joined(raw, match.start()))
            continue
        if kind == "word":
            tokens.extend(_split_glued(raw, match.start()))
            continue
        tokens.append(Token(raw, fold(raw), match.start(), match.end(), kind))
    return _join_spoken_numbers(_join_prefix_slash(tokens), text)


_ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORDS = frozenset(_ONES) | frozenset(_TEENS) | frozenset(_TENS) | frozenset(_SCALES)


def _join_spoken_numbers(tokens: list[Token], text: str) -> list[Token]:
    """Voice-to-text writes stock numbers out: "twenty two thirty one" (2231), "forty one oh
    one" (4101), "fifty two hundred" (5200), "two two three one". A run of two or more number
    words that makes four digits or more becomes one number token; "two tires" stays words."""
    if _NUMBER_WORDS.isdisjoint(token.low for token in tokens):
        return tokens
    joined: list[Token] = []
    position = 0
    while position < len(tokens):
        end = position
        while end < len(tokens) and (
            tokens[end].low in _NUMBER_WORDS
            or (
                tokens[end].low == "oh"
                and end > position
                and end + 1 < len(tokens)
                and tokens[end + 1].low in _ONES
            )
        ):
            end += 1
        digits = (
            _spoken_digits([t.low for t in tokens[position:end]]) if end - position > 1 else None
        )
        if digits is None or len(digits) < 4:
            joined.append(tokens[position])
            position += 1
            continue
        first, last = tokens[position], tokens[end - 1]
        joined.append(Token(text[first.start : last.end], digits, first.start, last.end, "word"))
        position = end
    return joined


def _spoken_digits(words: list[str]) -> str | None:
    if any(word in _SCALES for word in words):
        # "fifty two hundred", "five thousand one hundred two": said as an amount.
        total = current = 0
        previous = ""
        for word in words:
            if word in _ONES and previous in _ONES:
                # "four five hundred": digit by digit before the scale, 45 hundred (4500).
                current = current * 10 + _ONES[word]
            elif word in _SCALES:
                current = (current or 1) * _SCALES[word]
                if word == "thousand":
                    total, current = total + current, 0
            elif word == "oh":
                return None
            else:
                current += _ONES.get(word, 0) + _TEENS.get(word, 0) + _TENS.get(word, 0)
            previous = word
        return str(total + current)
    # Said in pairs or digit by digit: "twenty two | thirty one", "forty one | oh one", "two
    # two three one"; a pair is a tens word and a one, a teen, or "oh" and a one.
    groups: list[str] = []
    position = 0
    while position < len(words):
        word = words[position]
        following = words[position + 1] if position + 1 < len(words) else ""
        if word in _TENS:
            if following in _ONES and following != "zero":
                groups.append(str(_TENS[word] + _ONES[following]))
                position += 2
                continue
            groups.append(str(_TENS[word]))
        elif word in _TEENS:
            groups.append(str(_TEENS[word]))
        elif word == "oh" and following in _ONES:
            groups.append(f"0{_ONES[following]}")
            position += 2
            continue
        elif word in _ONES:
            groups.append(str(_ONES[word]))
        else:
            return None
        position += 1
    return "".join(groups)


# A number typed against a word with no space: "2231done", "done2232", "stk2232", "4300parts".
_GLUED_TAIL_RE = re.compile(r"^(?P<head>[a-z]{0,3}\d{3,})(?P<tail>[a-z]{2,})$")
_GLUED_HEAD_RE = re.compile(r"^(?P<head>[a-z]{2,})(?P<tail>\d{3,}[a-z]{0,3})$")
# Words that announce a stock number and may be typed against it ("stk2232").
GLUE_PREFIXES = frozenset({"stk", "stock", "stck", "vin", "unit"})
# "battery's in", "car's done": the word itself, then "is".
_CONTRACTION_RE = re.compile(r"^(?P<stem>[a-z]{3,})['’]s$")


def _split_glued(raw: str, offset: int) -> list[Token]:
    """Split a word glued to a number only when the letters are a word the rules know: "2231ab"
    or "p0420" stay whole, "2231done" is "2231" + "done"."""
    low = fold(raw)
    whole = [Token(raw, low, offset, offset + len(raw), "word")]
    contraction = _CONTRACTION_RE.match(low)
    if contraction and not is_known_word(low) and is_known_word(contraction["stem"]):
        cut = len(contraction["stem"])
        return [
            Token(raw[:cut], low[:cut], offset, offset + cut, "word"),
            Token(raw[cut:], "is", offset + cut, offset + len(raw), "word"),
        ]
    if low.isalpha() and len(low) > 6 and not is_known_word(low):
        return _split_glued_verb(raw, low, offset) or whole
    if low.isalpha() or low.isdigit() or not low.isalnum():
        return whole
    match = _GLUED_TAIL_RE.match(low)
    if match and _glue_word(match["tail"]):
        cut = match.end("head")
    else:
        match = _GLUED_HEAD_RE.match(low)
        if not match or not (match["head"] in GLUE_PREFIXES or _glue_word(match["head"])):
            return whole
        cut = match.end("head")
    return [
        Token(raw[:cut], low[:cut], offset, offset + cut, "word"),
        Token(raw[cut:], low[cut:], offset + cut, offset + len(raw), "word"),
    ]


# Report verbs typed against the work with no space: "brakesdone", "axlefixed".
_GLUED_VERBS = ("done", "fixed", "finished", "complete", "installed", "replaced", "listo")


def _split_glued_verb(raw: str, low: str, offset: int) -> list[Token] | None:
    """ "brakesdone" is "brakes" + "done" when the letters before the verb are a known word."""
    for verb in _GLUED_VERBS:
        cut = len(low) - len(verb)
        if low.endswith(verb) and cut >= 3 and is_known_word(low[:cut]):
            return [
                Token(raw[:cut], low[:cut], offset, offset + cut, "word"),
                Token(raw[cut:], verb, offset + cut, offset + len(raw), "word"),
            ]
    return None


_JOINER_RE = re.compile(r"[-.]")


def _split_joined(raw: str, offset: int) -> list[Token]:
    """ "2231-done", "2231.done", "brakes-done", "tie-rods": words joined by a hyphen or a dot
    when every piece is a stock-like number or a word the rules know. "F-150", "CR-V", "a.m.",
    "5w-30", "4410-B" and "12.10" stay whole."""
    pieces = _JOINER_RE.split(raw)
    if (
        len(pieces) < 2
        or sum(piece.isdigit() for piece in pieces) > 1  # "555-1234", "2231-2232": one thing
        or not all(_joinable(fold(piece)) for piece in pieces)
    ):
        return _split_glued(raw, offset)
    tokens: list[Token] = []
    position = offset
    for piece in pieces:
        tokens.append(Token(piece, fold(piece), position, position + len(piece), "word"))
        position += len(piece) + 1
    return tokens


def _joinable(low: str) -> bool:
    if len(low) < 3:
        return False
    if low.isdigit():
        return True
    return low.isalpha() and (is_known_word(low) or correct(low) is not None)


def _glue_word(low: str) -> bool:
    return (low in KNOWN_WORDS and low not in _NOT_GLUE_WORDS) or correct(low) is not None


# Letters that follow numbers on their own: ordinals, units of measure, tire sizes.
_NOT_GLUE_WORDS = frozenset({"st", "nd", "rd", "th", "k", "mi", "am", "pm", "hr", "hrs", "min"})


def _split_slashed(raw: str, offset: int) -> list[Token]:
    """Split slashed words: "w/detail" is "w/" + "detail", "pads/rotors" is two; dates stay."""
    low = fold(raw)
    if low in _SLASH_KEEP or any(ch.isdigit() for ch in low):
        parts = low.split("/")
        if len(parts) > 1 and all(_STOCKISH_RE.match(part) for part in parts):
            # "2232/3088 done": two stock numbers, not a date or a tire size.
            numbers: list[Token] = []
            position = offset
            for number, part in enumerate(raw.split("/")):
                if number:
                    numbers.append(Token("/", "/", position - 1, position, "sym"))
                numbers.append(Token(part, fold(part), position, position + len(part), "word"))
                position += len(part) + 1
            return numbers
        return [Token(raw, low, offset, offset + len(raw), "word")]
    pieces: list[Token] = []
    position = offset
    parts = raw.split("/")
    for number, part in enumerate(parts):
        if number == 0 and fold(part) in ("w", "u") and len(parts) > 1:
            pieces.append(
                Token(part + "/", fold(part) + "/", position, position + len(part) + 1, "word")
            )
        else:
            if number > 0 and pieces and pieces[-1].low not in ("w/", "u/"):
                pieces.append(Token("/", "/", position - 1, position, "sym"))
            if part:
                pieces.append(Token(part, fold(part), position, position + len(part), "word"))
        position += len(part) + 1
    return pieces


def _join_prefix_slash(tokens: list[Token]) -> list[Token]:
    """A bare "w" or "u" followed by "/" is the shorthand "w/" ("with") or "u/"."""
    joined: list[Token] = []
    skip = False
    for position, token in enumerate(tokens):
        if skip:
            skip = False
            continue
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        if (
            token.low in ("w", "u")
            and following is not None
            and following.text == "/"
            and following.start == token.end
        ):
            joined.append(
                Token(token.text + "/", token.low + "/", token.start, following.end, "word")
            )
            skip = True
            continue
        joined.append(token)
    return joined


def _phrase_table() -> dict[tuple[str, ...], str]:
    table: dict[tuple[str, ...], str] = {}
    for canonical, variants in KEYWORDS.items():
        for variant in variants:
            table[tuple(variant.split())] = canonical
    for stage, variants in STAGE_WORDS.items():
        for variant in variants:
            table[tuple(variant.split())] = f"@{stage.value}"
    for phrase, canonical in EXTRA_PHRASES.items():
        table[tuple(phrase.split())] = canonical
    return table


PHRASES: dict[tuple[str, ...], str] = _phrase_table()
MAX_PHRASE_WORDS = max(len(key) for key in PHRASES)


def _known_words() -> frozenset[str]:
    words: set[str] = set(FILLERS)
    for key in PHRASES:
        words.update(key)
    for variants in WORK_CONCEPTS.values():
        for variant in variants:
            words.update(variant.split())
    for variants in COLORS.values():
        words.update(variants)
    for variants in MAKE_ALIASES.values():
        for variant in variants:
            words.update(variant.split())
    return frozenset(words)


KNOWN_WORDS = _known_words()

# Typo targets: single vocabulary words long enough that one or two letters off is still
# clearly them. Short words ("lot", "in") are never corrected.
_FUZZY_TARGETS: tuple[str, ...] = tuple(
    sorted(
        {key[0] for key in PHRASES if len(key) == 1 and len(key[0]) >= 4 and key[0].isalpha()}
        | {
            word
            for variants in WORK_CONCEPTS.values()
            for variant in variants
            for word in variant.split()
            if len(word) >= 5 and word.isalpha()
        }
        | {
            "tomorrow",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        }
    )
)


def is_known_word(low: str) -> bool:
    return low in KNOWN_WORDS or low in PROTECTED_WORDS


@lru_cache(maxsize=8192)
def correct(low: str) -> str | None:
    """The vocabulary word `low` is a typo of, or None.

    Only for unknown alphabetic words of 4+ letters, keeping the first letter (people rarely
    mistype it), at most one edit (two from 8 letters), and only when one word is closest.
    """
    if len(low) < 4 or len(low) > 20 or not low.isalpha() or is_known_word(low):
        return None
    limit = 2 if len(low) >= 8 else 1
    found = process.extract(low, _FUZZY_TARGETS, scorer=OSA.distance, score_cutoff=limit, limit=4)
    candidates = [choice for choice, _, _ in found if choice[0] == low[0]]
    if len(low) == 4:
        # A four-letter word one letter off is as often another word ("spot" is not "shot"):
        # only two letters swapped ("doen") is taken for a typo.
        candidates = [choice for choice in candidates if sorted(choice) == sorted(low)]
    if not candidates:
        return None
    best = min(OSA.distance(low, choice) for choice in candidates)
    closest = [choice for choice in candidates if OSA.distance(low, choice) == best]
    # "phots" is as close to "photo" as to "photos": fine, when they mean the same thing.
    meanings = {_meaning(choice) for choice in closest}
    if len(meanings) > 1:
        # "inspectd" is one letter from "inspect" and from "inspected": the last letter typed
        # is rarely the wrong one, so the word that ends the same way is meant.
        closest = [choice for choice in closest if choice[-1] == low[-1]]
        meanings = {_meaning(choice) for choice in closest}
    return closest[0] if len(meanings) == 1 else None


# A work word means its concept: "batterie" is as close to "bateria" as to "battery", and both
# are the battery.
_WORD_CONCEPTS: dict[str, str] = {
    variant: concept
    for concept, variants in WORK_CONCEPTS.items()
    for variant in variants
    if " " not in variant
}


def _meaning(word: str) -> str:
    return PHRASES.get((word,)) or _WORD_CONCEPTS.get(word, word)


def stage_of(canonical: str) -> Stage | None:
    if canonical.startswith("@"):
        return Stage(canonical[1:])
    return None
