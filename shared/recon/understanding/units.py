"""The per-store unit index and finding the units a text names: stock numbers, VINs, descriptions."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from recon.understanding.normalize import PHRASES, Token, fold, is_known_word
from recon.understanding.views import UnitView
from recon.understanding.vocabulary import (
    COLORS,
    COMMON_WORD_MODELS,
    DEALER_WORDS,
    FILLERS,
    MAKE_ALIASES,
    PLACE_LEADS,
    SIMILAR_COLORS,
)
from recon.understanding.work import concepts_of, words_of

_STOCK_PREFIXES = frozenset({"stk", "stock", "stck", "stk#", "stock#", "st#", "stok", "unit"})
_VIN_PREFIXES = frozenset({"vin", "vin#", "vins"})
# Numbers that follow these are repair orders, invoices, codes: never a unit.
_REFERENCE_WORDS = frozenset(
    [
        "offered",
        "offer",
        "paid",
        "pay",
        "payoff",
        "price",
        "priced",
        "asking",
        "otd",
        "msrp",
        "budget",
        "payment",
        "appraised",
        "acv",
        "bid",
        "worth",
        "kbb",
        "ro",
        "ro#",
        "po",
        "po#",
        "inv",
        "invoice",
        "claim",
        "ticket",
        "job",
        "order",
        "part#",
        "pn",
        "p/n",
        "ext",
        "code",
        "dtc",
        "tag",
        "mileage",
        "odometer",
        "odo",
        "quote",
        "quoted",
        "total",
        "estimate",
        "est",
        "ref",
        "confirmation",
        "conf",
        "case",
        "rma",
        "tracking",
    ]
)
_MEASURE_WORDS = frozenset(
    [
        "miles",
        "mile",
        "mi",
        "k",
        "km",
        "bucks",
        "dollars",
        "psi",
        "mm",
        "hrs",
        "hr",
        "hours",
        "hour",
        "min",
        "mins",
        "minutes",
        "days",
        "day",
        "lbs",
        "lb",
        "rpm",
        "%",
        "cc",
        "ft",
    ]
)
_TIME_WORDS = frozenset({"at", "by", "around", "@", "before", "after", "til", "till", "until"})
# Letters that are words of their own ("a 3105", "y 2232"), never the prefix of a stock number.
_NOT_STOCK_LETTERS = frozenset(
    {
        "a",
        "i",
        "y",
        "o",
        "e",
        "u",
        "n",
        "x",
        "w",
        "at",
        "to",
        "in",
        "on",
        "of",
        "or",
        "is",
        "it",
        "by",
        "de",
        "la",
        "el",
        "al",
        "no",
        "so",
        "up",
        "we",
        "me",
        "my",
        "an",
        "as",
        "do",
        "go",
        "if",
        "us",
    }
)
# Words voice-to-text writes for a digit said at the start of a stock number: "for 4 10" (4410).
_SPOKEN_DIGITS = {"for": "4", "four": "4"}
_ARTICLES = frozenset({"the", "that", "this", "ur", "your", "el", "la", "da", "those", "our"})
# Everyday-word models that do name the car after "the": "the charger is done", "the pilot to
# inspection" (but "the edge" or "the one" stay words).
_ARTICLE_MODELS = frozenset(
    [
        "charger", "pilot", "soul", "escape", "journey", "ranger", "compass", "fusion",
        "traverse", "terrain", "canyon", "transit", "leaf", "atlas", "golf", "legacy", "ascent",
        "passport", "encore", "mirage", "kicks", "liberty", "patriot", "venue",
    ]
)  # fmt: skip
_GENERIC_MODEL_WORDS = frozenset({"grand", "model", "new", "super", "town", "santa", "range"})
_UNIT_SHAPE_RE = re.compile(r"^[a-z]{0,3}\d+[a-z]{0,3}$")
_HYPHENATED_STOCK_RE = re.compile(r"^(?:[a-z]{1,3}-\d+|\d+-[a-z]{1,3})$")
# Engine trouble codes: P0420 anywhere; body/chassis/network codes only after "code", since a
# store's stock numbers may carry those letters too.
_DTC_RE = re.compile(r"^p[0-3]\d{3}$")
_YEAR_RE = re.compile(r"^(19[89]\d|20[0-3]\d)$")
# A model year typed short, right before a make or model: "22 silverado" (2022), "'19 civic".
_SHORT_YEAR_RE = re.compile(r"^(?:[0-3]\d|[89]\d)$")

COLOR_WORDS: dict[str, str] = {
    variant: base for base, variants in COLORS.items() for variant in variants
}
MAKE_WORDS: dict[tuple[str, ...], str] = {
    tuple(variant.split()): make for make, variants in MAKE_ALIASES.items() for variant in variants
}


@dataclass(frozen=True, slots=True)
class Mention:
    """Words of a clause that name a unit, and the units they could mean."""

    start: int  # token index
    end: int  # exclusive
    text: str  # as typed
    unit_ids: tuple[str, ...]  # one: resolved; several: ask; none: no such unit
    kind: str  # stock | vin | description
    near_match: bool = False  # only resembles the description: always ask, never apply
    description: str | None = None  # "white Silverado", for the question back

    @property
    def resolved(self) -> str | None:
        if len(self.unit_ids) == 1 and not self.near_match:
            return self.unit_ids[0]
        return None


def _squash(text: str) -> str:
    return re.sub(r"[\s\-]", "", fold(text))


def _stock_key(stock_number: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(stock_number))


def _stock_core(key: str) -> str | None:
    core = key.strip("abcdefghijklmnopqrstuvwxyz")
    return core if core.isdigit() and core != key else None


def _unit_colors(color: str | None) -> frozenset[str]:
    if not color:
        return frozenset()
    found: set[str] = set()
    for word in re.split(r"[\s\-/]+", fold(color)):
        for variant, base in COLOR_WORDS.items():
            if " " not in variant and len(variant) >= 3 and word.startswith(variant):
                found.add(base)
    return frozenset(found)


def _model_variants(model: str, make: str | None) -> set[tuple[str, ...]]:
    """Ways a model is typed: "F-150" as "f-150", "f150", "f 150"; "Silverado 1500" as
    "silverado"; a numeric model ("Ram 1500") only with its make."""
    low = fold(model).strip()
    words = low.split()
    if not words:
        return set()
    pieces = re.split(r"[\s\-]+", low)
    variants: set[tuple[str, ...]] = {tuple(words), tuple(pieces), ("".join(pieces),)}
    first = words[0]
    if len(words) > 1 and first.isalpha() and len(first) >= 4 and first not in _GENERIC_MODEL_WORDS:
        variants.add((first,))
    if all(piece.isdigit() for piece in pieces):
        make_words = tuple(fold(make).split()) if make else ()
        variants = {make_words + variant for variant in variants} if make_words else set()
        if make_words:
            variants.add(("".join(make_words + tuple(pieces)),))
    return variants


class UnitIndex:
    """Lookups over one store's active units, built once and shared by many interpret() calls."""

    def __init__(self, units: Iterable[UnitView]) -> None:
        self.units: dict[str, UnitView] = {unit.id: unit for unit in units}
        stock: defaultdict[str, set[str]] = defaultdict(set)
        core: defaultdict[str, set[str]] = defaultdict(set)
        vin: defaultdict[str, set[str]] = defaultdict(set)
        models: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)
        makes: defaultdict[str, set[str]] = defaultdict(set)
        self.colors: dict[str, frozenset[str]] = {}
        self.trims: dict[str, frozenset[str]] = {}
        vendors: set[str] = set()
        open_concepts: defaultdict[str, set[str]] = defaultdict(set)
        core_lengths: list[int] = []
        for unit in self.units.values():
            key = _stock_key(unit.stock_number)
            stock[key].add(unit.id)
            unit_core = _stock_core(key)
            if unit_core:
                core[unit_core].add(unit.id)
            core_lengths.append(len(unit_core or key))
            unit_vin = _stock_key(unit.vin)
            if unit_vin:
                vin[unit_vin].add(unit.id)
                vin[unit_vin[-8:]].add(unit.id)
                vin[unit_vin[-6:]].add(unit.id)
            if unit.model:
                for variant in _model_variants(unit.model, unit.make):
                    models[variant].add(unit.id)
            if unit.make:
                makes[_make_key(unit.make)].add(unit.id)
            self.colors[unit.id] = _unit_colors(unit.exterior_color)
            self.trims[unit.id] = frozenset(re.split(r"[\s\-/]+", fold(unit.trim or ""))) - {""}
            for item in unit.open_work:
                for concept in concepts_of(words_of(item.name)):
                    open_concepts[concept].add(unit.id)
            for item in unit.work_items:
                if item.vendor:
                    vendors.add(fold(item.vendor))
                    vendors.update(fold(item.vendor).split())
        self._stock = {key: tuple(sorted(ids)) for key, ids in stock.items()}
        self._core = {key: tuple(sorted(ids)) for key, ids in core.items()}
        self._vin = {key: tuple(sorted(ids)) for key, ids in vin.items()}
        self._models = {key: frozenset(ids) for key, ids in models.items()}
        self._makes = {key: frozenset(ids) for key, ids in makes.items()}
        self._max_model_words = max((len(key) for key in self._models), default=1)
        # Stock numbers are never shorter than this many digits, so "2 tires" or "at 9" never
        # look like one; three at least, whatever the store uses.
        self.min_digits = max(3, min(core_lengths, default=4))
        self.vendor_words: frozenset[str] = frozenset(vendors)
        self._open_concepts = {key: frozenset(ids) for key, ids in open_concepts.items()}
        self._fuzzy_models: tuple[str, ...] = tuple(
            sorted(
                key[0]
                for key in self._models
                if len(key) == 1
                and key[0].isalpha()
                and len(key[0]) >= 5
                and key[0] not in COMMON_WORD_MODELS
            )
        )
        self._fuzzy_cache: dict[str, str | None] = {}
        # Words a description can start with; any other word is skipped without a lookup.
        self._description_starts: frozenset[str] = frozenset(
            {key[0] for key in self._models}
            | {key[0] for key in MAKE_WORDS}
            | set(COLOR_WORDS)
            | _ARTICLES
        )

    @classmethod
    def build(cls, units: Iterable[UnitView]) -> UnitIndex:
        return cls(units)

    def unit(self, unit_id: str) -> UnitView:
        return self.units[unit_id]

    def with_open_concepts(self, concepts: frozenset[str]) -> set[str]:
        """Units with an open work item of every one of `concepts` ("brakes": front or rear)."""
        if not concepts:
            return set()
        sets = [self._open_concepts.get(concept, frozenset()) for concept in concepts]
        return set(frozenset.intersection(*sets))

    # ------------------------------------------------------------------ finding mentions

    def find_mentions(self, tokens: list[Token]) -> tuple[list[Mention], frozenset[int]]:
        """Mentions of units in `tokens`, and the tokens that are other numbers (times, money,
        phone numbers, repair orders) so nothing else reads them."""
        taken: set[int] = set()
        mentions = self._find_descriptions(tokens, taken)
        ignored: set[int] = set()
        mentions.extend(self._find_numbers(tokens, taken, ignored))
        mentions.sort(key=lambda mention: mention.start)
        return _pair_descriptions(mentions), frozenset(ignored)

    def _find_numbers(
        self, tokens: list[Token], taken: set[int], ignored: set[int]
    ) -> list[Mention]:
        mentions: list[Mention] = []
        lows = [token.low for token in tokens]
        position = 0
        while position < len(tokens):
            if position in taken:
                position += 1
                continue
            if tokens[position].kind in ("money", "time", "phone"):
                ignored.add(position)
                position += 1
                continue
            forced, target = self._prefix_run(lows, position, taken)
            if target >= len(tokens) or target in taken:
                position = target
                continue
            spoken = self._spoken_run(tokens, target, taken)
            if spoken is not None:
                end, ids = spoken
                text = " ".join(token.text for token in tokens[target:end])
                mentions.append(Mention(position, end, text, ids, "stock"))
                taken.update(range(position, end))
                position = end
                continue
            split = self._split_stock(tokens, target, taken)
            if split is not None:
                mentions.append(
                    Mention(
                        position,
                        target + 2,
                        tokens[target].text + tokens[target + 1].text,
                        self._stock[split],
                        "stock",
                    )
                )
                taken.update(range(position, target + 2))
                position = target + 2
                continue
            key = self._candidate_key(tokens, target, forced=forced is not None)
            if key is None:
                if tokens[target].kind == "word" and _DTC_RE.match(tokens[target].low):
                    ignored.add(target)
                position = target + 1
                continue
            mention = self._lookup_number(tokens, position, target, key, forced)
            if mention is None:
                ignored.add(target)
            else:
                mentions.append(mention)
                taken.update(range(mention.start, mention.end))
            position = target + 1
        return mentions

    def _split_stock(self, tokens: list[Token], position: int, taken: set[int]) -> str | None:
        """A stock number typed in two pieces that is exactly one of the store's: "P 5521" (the
        letter prefix, not 5521), "22 31" read out by voice-to-text. Never a word such as "a"."""
        if position + 1 >= len(tokens) or position + 1 in taken:
            return None
        first, second = tokens[position], tokens[position + 1]
        if first.kind != "word" or second.kind != "word" or not second.low.isdigit():
            return None
        if first.low.isalpha():
            if len(first.low) > 2 or first.low in _NOT_STOCK_LETTERS:
                return None
        elif not (first.low.isdigit() and len(first.low) == 2 and len(second.low) == 2):
            return None
        key = first.low + second.low
        return key if key in self._stock else None

    def _spoken_run(
        self, tokens: list[Token], position: int, taken: set[int]
    ) -> tuple[int, tuple[str, ...]] | None:
        """Voice-to-text digits with spaces: "2 2 4 0" (2240), or "for 4 10" opening the text
        (forty-four ten: 4410). Three pieces or more, of one or two digits each, that spell one
        stock number of the store and only one; two pieces are `_split_stock`'s."""
        pieces: list[str] = []
        end = position
        if position == 0 and end < len(tokens) and tokens[end].low in _SPOKEN_DIGITS:
            pieces.append(_SPOKEN_DIGITS[tokens[end].low])
            end += 1
        while (
            end < len(tokens)
            and end not in taken
            and tokens[end].kind == "word"
            and tokens[end].low.isdigit()
            and len(tokens[end].low) <= 2
        ):
            pieces.append(tokens[end].low)
            end += 1
        if len(pieces) < 3 or (pieces and not tokens[end - 1].low.isdigit()):
            return None
        key = "".join(pieces)
        ids = self._stock.get(key) or self._core.get(key)
        if not ids or len(ids) != 1:
            return None
        return end, ids

    @staticmethod
    def _prefix_run(lows: list[str], position: int, taken: set[int]) -> tuple[str | None, int]:
        """Words that announce a stock number or VIN: "stk", "stock#", "#", "vin", "last 6"."""
        forced: str | None = None
        while position < len(lows) and position not in taken:
            low = lows[position]
            following = lows[position + 1] if position + 1 < len(lows) else ""
            if low == "#" and position > 0 and lows[position - 1] in _REFERENCE_WORDS:
                break  # "RO#88213": the number of a repair order, not a stock number
            if low in _STOCK_PREFIXES or low == "#":
                forced = forced or "stock"
            elif low in _VIN_PREFIXES:
                forced = "vin"
            elif low == "last" and following in ("6", "8", "six", "eight"):
                forced = "vin"
                position += 1
            elif forced and low in ("of", "ending", "in", "is", "number", "no", "num", "nbr"):
                pass
            else:
                break
            position += 1
        return forced, position

    def _candidate_key(self, tokens: list[Token], position: int, *, forced: bool) -> str | None:
        token = tokens[position]
        if token.kind != "word":
            return None
        low = token.low
        if _HYPHENATED_STOCK_RE.match(low):
            low = low.replace("-", "")
        if not low.isalnum():
            return None
        digits = sum(ch.isdigit() for ch in low)
        if digits == 0:
            return None
        if forced:
            return low
        previous = tokens[position - 1].low if position > 0 else ""
        if previous == "#" and position > 1:
            previous = tokens[position - 2].low  # "RO#88213" tokenizes as "ro", "#", "88213"
        following = tokens[position + 1].low if position + 1 < len(tokens) else ""
        if previous in _REFERENCE_WORDS or following in _MEASURE_WORDS:
            # "2231 ro 5521 done": a repair order, even when a stock number reads the same.
            return None
        if low in self._stock:
            return low
        if _DTC_RE.match(low):
            return None
        if len(low) == 17:
            return low
        if low.isdigit() and len(low) >= 9:
            return None  # a phone or account number
        if previous in _TIME_WORDS and low.isdigit() and _is_clock_time(low):
            return None
        if _UNIT_SHAPE_RE.match(low) and digits >= self.min_digits:
            return low
        if len(low) in (6, 8) and digits >= 4:
            return low
        return None

    def _lookup_number(
        self, tokens: list[Token], start: int, position: int, key: str, forced: str | None
    ) -> Mention | None:
        ids: set[str] = set()
        kind = "stock"
        exact = forced != "vin" and key in self._stock
        if exact:
            # An exact stock number wins: "5521" is 5521 even though P5521 exists.
            ids.update(self._stock[key])
        else:
            if forced != "vin" and key.isdigit():
                ids.update(self._core.get(key, ()))
            if len(key) in (6, 8, 17):
                vin_ids = self._vin.get(key, ())
                if vin_ids and not ids:
                    kind = "vin"
                ids.update(vin_ids)
        if not ids and not forced and _YEAR_RE.match(key):
            return None  # a model year with nothing after it; not worth a "no such unit"
        return Mention(start, position + 1, tokens[position].text, tuple(sorted(ids)), kind)

    def _find_descriptions(self, tokens: list[Token], taken: set[int]) -> list[Mention]:
        mentions: list[Mention] = []
        lows = [token.low for token in tokens]
        position = 0
        while position < len(tokens):
            low = lows[position]
            if (
                low not in self._description_starts
                and not _YEAR_RE.match(low)
                and not _SHORT_YEAR_RE.match(low)
                and (len(low) < 5 or is_known_word(low) or not low.isalpha())
            ):
                position += 1
                continue
            mention = self._description_at(tokens, lows, position)
            if mention is None:
                position += 1
                continue
            mentions.append(mention)
            taken.update(range(mention.start, mention.end))
            position = mention.end
        return mentions

    def _description_at(self, tokens: list[Token], lows: list[str], start: int) -> Mention | None:
        position = start
        colors: set[str] = set()
        year: int | None = None
        make: str | None = None
        if lows[position] in _ARTICLES:
            position += 1
        while position < len(lows):
            low = lows[position]
            if self._model_at(lows, position):
                break  # "ram 1500": the make is part of the model's name
            if low in COLOR_WORDS:
                colors.add(COLOR_WORDS[low])
                position += 1
                continue
            if _YEAR_RE.match(low) and tokens[position].kind == "word":
                year = int(low)
                position += 1
                continue
            if (
                year is None
                and _SHORT_YEAR_RE.match(low)
                and tokens[position].kind == "word"
                and (self._model_at(lows, position + 1) or self._make_at(lows, position + 1))
            ):
                year = int(low) + (2000 if int(low) < 80 else 1900)
                position += 1
                continue
            make_hit = self._make_at(lows, position)
            if make_hit and make is None:
                make, length = make_hit
                position += length
                continue
            break
        model_hit = self._model_at(lows, position)
        model_ids: frozenset[str] | None = None
        model_word: str | None = None
        if model_hit:
            model_ids, length, model_word = model_hit
            position += length
        if make is None and model_ids is None:
            return None
        if model_ids is None and _is_dealer(lows, start, position, described=bool(colors or year)):
            return None
        qualified = (
            bool(colors or year or make)
            or (lows[start] in _ARTICLES and model_word in _ARTICLE_MODELS)
            or _leads_the_text(lows, start, position, model_word)
        )
        if model_word in COMMON_WORD_MODELS and not qualified:
            return None
        base = set(model_ids) if model_ids is not None else set(self._makes.get(make or "", ()))
        if make is not None and model_ids is not None:
            base &= self._makes.get(make, frozenset())
        # A trim right after the model narrows it down: "the silverado ltz".
        while position < len(lows) and base:
            narrowed = {unit_id for unit_id in base if lows[position] in self.trims[unit_id]}
            if not narrowed or lows[position] in _ARTICLES:
                break
            base = narrowed
            position += 1
        if model_ids is not None and position < len(lows) and lows[position] in COLOR_WORDS:
            # Spanish puts the colour after the model: "la equinox negra".
            colors.add(COLOR_WORDS[lows[position]])
            position += 1
        text = " ".join(token.text for token in tokens[start:position])
        description = " ".join(
            token.text for token in tokens[start:position] if token.low not in _ARTICLES
        )
        strict = {
            unit_id
            for unit_id in base
            if (year is None or self.units[unit_id].year == year) and colors <= self.colors[unit_id]
        }
        if strict:
            return Mention(
                start, position, text, tuple(sorted(strict)), "description", description=description
            )
        similar = {
            unit_id
            for unit_id in base
            if (year is None or self.units[unit_id].year == year)
            and all(self.colors[unit_id] & _similar(color) for color in colors)
        }
        near = similar or base
        return Mention(
            start,
            position,
            text,
            tuple(sorted(near)),
            "description",
            near_match=True,
            description=description,
        )

    def _make_at(self, lows: list[str], position: int) -> tuple[str, int] | None:
        for length in (2, 1):
            key = tuple(lows[position : position + length])
            if len(key) == length and key in MAKE_WORDS:
                make = MAKE_WORDS[key]
                if make in self._makes:
                    return make, length
        return None

    def _model_at(self, lows: list[str], position: int) -> tuple[frozenset[str], int, str] | None:
        for length in range(min(self._max_model_words, len(lows) - position), 0, -1):
            key = tuple(lows[position : position + length])
            if key in self._models:
                return self._models[key], length, " ".join(key)
        if position < len(lows):
            typo_of = self._model_typo(lows[position])
            if typo_of is not None:
                return self._models[(typo_of,)], 1, typo_of
        return None

    def _model_typo(self, low: str) -> str | None:
        if len(low) < 5 or not low.isalpha() or is_known_word(low):
            return None
        if low in self._fuzzy_cache:
            return self._fuzzy_cache[low]
        limit = 2 if len(low) >= 8 else 1
        found = process.extract(
            low, self._fuzzy_models, scorer=OSA.distance, score_cutoff=limit, limit=2
        )
        candidates = [choice for choice, _, _ in found if choice[0] == low[0]]
        result = candidates[0] if len(candidates) == 1 else None
        if len(self._fuzzy_cache) < 4096:
            self._fuzzy_cache[low] = result
        return result


def _pair_descriptions(mentions: list[Mention]) -> list[Mention]:
    """A description right beside a stock number is the same car: "silverado 7712 to pics".

    When they agree, the number settles which of the description's cars is meant; when they do
    not ("the accord 2232"), neither is applied: the text asks, listing both.
    """
    if len(mentions) < 2:
        return mentions
    paired: list[Mention] = []
    position = 0
    while position < len(mentions):
        first = mentions[position]
        second = mentions[position + 1] if position + 1 < len(mentions) else None
        if (
            second is None
            or first.end != second.start
            or (first.kind == "description") == (second.kind == "description")
        ):
            paired.append(first)
            position += 1
            continue
        number, description = (second, first) if first.kind == "description" else (first, second)
        start, end = first.start, second.end
        text = f"{first.text} {second.text}"
        if not number.unit_ids:
            # "the camry 2299": the number names nothing; the description alone is not enough.
            paired.extend([first, second])
            if description.unit_ids:
                paired[-2 if first is description else -1] = Mention(
                    description.start,
                    description.end,
                    description.text,
                    description.unit_ids,
                    "description",
                    near_match=True,
                    description=description.description,
                )
        elif set(number.unit_ids) <= set(description.unit_ids):
            paired.append(Mention(start, end, text, number.unit_ids, number.kind))
        else:
            both = tuple(sorted(set(number.unit_ids) | set(description.unit_ids)))
            paired.append(
                Mention(start, end, text, both, number.kind, near_match=True, description=text)
            )
        position += 2
    return paired


def _leads_the_text(lows: list[str], start: int, end: int, model_word: str | None) -> bool:
    """ "charger tires done", "the edge is done", "pilot to shop": a model that is also a word
    names the car when the text starts with it and goes straight on to say what happened to
    it, as texts about a car do. "edge trimmer in the shop", "pilot light out", "soul food"
    and keywords such as "note" stay words."""
    if start != 0 or model_word is None or is_known_word(model_word):
        return False
    if end < len(lows) and lows[end] == "of":
        return False  # "edge of the bumper"
    rest = [low for low in lows[end:] if low not in FILLERS]
    if not rest:
        return False
    if _is_keyword(rest[0]):
        return True
    return len(rest) > 1 and bool(concepts_of(rest[:1])) and _is_keyword(rest[1])


def _is_dealer(lows: list[str], start: int, end: int, *, described: bool) -> bool:
    """ "took 4600 to tesla for the recall", "at the ford dealer", "back from honda": a make
    standing for its dealer, a place the car is taken to or comes from. Naming a car by it would
    change the car the text is about, or another. A make with its model, colour or year, or
    after an article ("keys to the tesla"), still names a car."""
    if end < len(lows) and lows[end] in DEALER_WORDS:
        return True
    return (
        not described
        and start > 0
        and lows[start] not in _ARTICLES
        and lows[start - 1] in PLACE_LEADS
    )


def _is_keyword(low: str) -> bool:
    return PHRASES.get((low,), "").startswith(("!", "@"))


def _make_key(make: str) -> str:
    low = fold(make)
    for canonical, variants in MAKE_ALIASES.items():
        if low == canonical or low in variants:
            return canonical
    return low


def _similar(color: str) -> frozenset[str]:
    return SIMILAR_COLORS.get(color, frozenset()) | {color}


def _is_clock_time(digits: str) -> bool:
    if len(digits) not in (3, 4):
        return False
    hours, minutes = int(digits[:-2]), int(digits[-2:])
    return 1 <= hours <= 12 and minutes < 60
