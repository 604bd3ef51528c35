"""Reading rules: one segment's canonical words -> intents, not yet tied to a unit.

The words are joined into a string and read by ordered regular-expression rules; each rule
consumes what it used, so later rules only see what is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from recon.domain.stages import BlockerKind, Stage
from recon.understanding.canonical import CONNECTORS, DATE, HEDGES, UNIT, CTok
from recon.understanding.normalize import (
    Token,
    stage_of,
)
from recon.understanding.units import COLOR_WORDS, MAKE_WORDS
from recon.understanding.vocabulary import (
    DEALER_WORDS,
    FILLERS,
    PEOPLE_WORDS,
    VENDOR_WORDS,
)
from recon.understanding.work import (
    concepts_of,
    content_of,
    looks_like_work,
    names_only_work,
    same_job,
    split_boundaries,
)

_ITEM_EDGE_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "some",
        "also",
        "too",
        "asap",
        "pls",
        "please",
        "on",
        "for",
        "to",
        "of",
        "in",
        "at",
        "with",
        "yet",
        "as",
        "well",
        "it",
        "from",
        "and",
        ",",
        "y",
        ":",
        "-",
        "has",
        "have",
        "is",
        "are",
        "got",
        "just",
        "then",
    ]
)
# Words after which a list of work stops: "brakes 2.5 hrs labor", "compressor quoted $900",
# "alignment per customer".
_ITEM_STOP = frozenset(
    {"hrs", "hr", "hours", "hour", "labor", "quoted", "quote", "total", "est", "per"}
)


@dataclass(slots=True)
class Intent:
    """Something the text asks for, not yet tied to a unit."""

    action: str
    stage: Stage | None = None
    items: list[str] = field(default_factory=list)
    item_words: list[list[str]] = field(default_factory=list)
    approved: bool = False
    vendor: str | None = None
    kind: BlockerKind | None = None
    note: str | None = None
    note_words: list[str] = field(default_factory=list)
    eta: date | None = None
    body: str | None = None
    awaiting_items: bool = False  # "needs:" with the list on the following lines
    findings: bool = False  # awaiting an inspection's findings: only parts and jobs continue
    reminder: bool = False  # "still needs X": X may already be open, and is then not new
    # "shocks in": installed, said by the shop; arrived, said by the parts department.
    put_in: bool = False
    # "shocks are in": for a car waiting on that very part, the part has arrived.
    is_in: bool = False
    delayed: bool = False  # "can't get to it till monday": held by whoever sent it
    loose: bool = False  # a move read from a stage word alone, with no "to" or verb
    known_vendor: bool = False  # "back from maaco": from a vendor, not "back from gas station"
    # "go ahead on front brakes": an approval of named work, whose unblock only clears a car
    # that waits on approval (one that does not has no hold to lift).
    approves_work: bool = False
    # "didn't come in today": the day is when the part did not come, not when it will.
    not_arrived: bool = False
    # A promise that says no state the car will reach ("will shoot 4500 after lunch", "gonna
    # do that later"): the sender's plan, kept only beside other news in the same text.
    plan: bool = False


@dataclass(slots=True)
class SegmentReading:
    intents: list[Intent]
    mentions: list[int]  # indices into the clause's mentions
    negated: bool = False
    underway: bool = False  # "almost done", "about to detail": not finished, nothing to change
    correction: bool = False  # "oops meant 2240": takes back an earlier text, applies nothing
    thanks: bool = False
    acked: bool = False
    has_content: bool = False  # words left over that meant nothing to the rules
    describes_car: bool = False  # a colour or "one" left over: "sold the white one"
    # "6001 delivered" with no part named: a car handed to its buyer, when sales says it.
    delivered: bool = False
    # "came in", "here" with nothing named: something arrived (for the parts counter, the parts).
    arrived: bool = False
    # Photos named as a thing ("photo of 2279", "here's a pic", a pic word beside attached
    # media): what the text sends, not a move to the photos stage.
    photos: bool = False
    # "alignment too": work named and nothing said of it (done? needed?).
    work_only: str | None = None
    # "heading to maaco to grab 4900": where the sender is going to fetch or drop the car; it
    # has not moved yet, so nothing changes. `errand_outside`: the place is outside the store.
    errand: str | None = None
    errand_outside: bool = False
    # "picked up the mustang for tint" with nothing else read: the work the sender collected
    # the car for (none named: an empty list), when a vendor says it.
    collected: list[str] | None = None
    # "2231 pads monday" with nothing else read: a part and a day, which the parts counter means
    # as the day the part is due (from anyone else it is explained back).
    part_due: Intent | None = None


# ---------------------------------------------------------------------------- reading rules

_W = r"(?<!\S)(?:[^\s!@#~,:]\S*)"  # one plain word, starting where a word starts
_WS = rf"(?:{_W}(?: {_W})*)"
_WL = rf"(?:(?:{_W}|,|!bad)(?: (?:{_W}|,|!bad))*)"
_STAGE = r"@(?P<stage>[a-z]+)"


# Literal words at least one of which a rule's text must contain: most rules are skipped
# without running the expression at all.
_NEEDLES: dict[re.Pattern[str], frozenset[str]] = {}


def _re(pattern: str, *needles: str) -> re.Pattern[str]:
    compiled = re.compile(pattern)
    if needles:
        _NEEDLES[compiled] = frozenset(needles)
    return compiled


_R_PROMISE_SPLIT = _re(r"(?:^|, )(?P<promise>(?:[^,]* )?!will(?: [^,]*)?)", "!will")
# "back tomorrow", "ready friday": a return or a finish that has not happened yet.
_R_PROMISED_RETURN = _re(
    r"(?:^|, )(?P<promise>(?:[^,]* )?!(?:back|ready) ~d(?: [^,]*)?)", "!back", "!ready"
)
_R_APPROVAL_PENDING = _re(
    rf"!waiting (?:on |for )?(?P<who>(?:{_W} )*?)(?:!to )?!approved(?: (?P<what>{_WS}))?",
    "!approved",
)
_R_APPROVE = _re(
    rf"(?:(?P<before>{_WS})(?: ,)? )?(?P<verb>!approved|!goahead)(?: ,)?(?: (?:on|with|for|ok))?"
    rf"(?: (?P<after>{_WL}))?(?: ,)?(?: !not (?P<neg>{_WS}))?",
    "!approved",
    "!goahead",
)
_R_NEEDS_STAGE = _re(rf"!needs (?:a |an |the )?{_STAGE}", "!needs")
_R_SUBLET_SEND = _re(rf"!to @sublet for (?P<work>{_WL})", "@sublet")
_R_SEND = _re(
    rf"(?:(?P<verb>!send|!move|!drop) )?(?:off )?(?:!to|at) "
    rf"(?P<vendor>(?!for\b){_W}(?: (?!for\b){_W})*)(?: for (?P<work>{_WL}))?(?= ,| !| @| ~|$)",
    "!to",
    "at",
)
# The work before the vendor: "send 4003 out for pdr to dent pros".
_R_SEND_WORK_FIRST = _re(
    rf"(?P<verb>!send|!move|!drop) (?:out )?for (?P<work>{_WL}) !to "
    rf"(?P<vendor>(?!for\b){_W}(?: (?!for\b){_W})*)(?= ,| !| @| ~|$)",
    "!to",
)
# Spanish "a": "mandé el 2240 a safelite".
_R_SEND_ES = _re(
    rf"(?P<verb>!send|!move|!drop) (?:(?:el|la|the) )?(?:a|al) (?P<vendor>{_W}(?: {_W})*)(?= ,| !| @| ~|$)",
    "a",
    "al",
)
_R_READY_FOR = _re(rf"!ready (?:for |!to |to )?{_STAGE}", "!ready")
_R_LOT_READY = _re(r"@frontline !ready", "!ready")
_R_STAGE_DONE = _re(rf"{_STAGE} (?:is )?(?:!done|!ready|!fixed)", "@")
# Photos "up" (on the website) are photos done: "pics up for 5103", "4003 photos r up".
_R_PHOTOS_UP = _re(r"@(?P<stage>photos) (?:is |are |r |were )?(?:up|taken)\b", "@photos")
# An inspection result listed straight after it: "4800 insp done: tires, brakes, wipers".
_R_INSPECTION_LIST = _re(
    rf"(?:@inspection (?:is )?(?:!done|!ready)|!inspected) (?:with |w/ )?(?P<items>{_WL})$",
    "!inspected",
    "@",
)
_R_DONE_STAGE = _re(rf"(?:!done|!fixed) (?:with |w/ |on |de |con |in (?:the )?)?{_STAGE}", "@")
_R_MOVE = _re(
    rf"(?:(?:!move|!send|!drop|!back|!ready) )*(?:!to|in|at|on|into|with|w/)(?: the)? {_STAGE}", "@"
)
# "need 5103 on the line by saturday": a deadline asked for, not a move made.
_R_MOVE_DEADLINE = _re(_R_MOVE.pattern + r" by ~d", "@")
_R_RETURN = _re(
    rf"(?:(?:!got|!drop|!move|!send) )?!back(?: from (?P<vendor>{_WS}))?"
    rf"|!pickedup (?:up )?from (?P<picked_from>{_WS})",
    "!back",
    "!pickedup",
)
_R_PARTS_IN = _re(
    r"!parts (?:(?:for|on|del|de|para) )?(?:is |are |r )?(?:!arrived|in)\b"
    r"|!arrived (?:the |las |los )?!parts"
    r"|!got (?:the |my |our |all |las )?!parts",
    "!parts",
)
_R_ITEM_ARRIVED = _re(
    # Spanish puts the verb first: "ya llegaron los shocks de la 4300".
    rf"^(?:ya )?!arrived (?:the |los |las |el |la )?(?P<after>{_WS})"
    rf"|(?P<what>{_WS}) (?:is |are )?!arrived",
    "!arrived",
)
# "got the compressor for 4002", "4002 got compressor": received ("got it in" is installed).
_R_GOT_ITEM = _re(
    rf"!got (?:the |a |an |all |my |our )?(?P<what>{_WS})(?<! in)(?<! on)(?= ,| !| @| ~|$)", "!got"
)
# On its way: "4002 compressor in transit", "the axle is on the way" (a part must be named).
_R_SHIPPED = _re(rf"(?P<what>{_WS}) (?:is |are )?!shipped", "!shipped")
# A part's new date: "tahoe shocks pushed to friday", "water pump for 4410b coming tmrw".
_R_ITEM_DATE = _re(
    rf"(?P<what>{_WS}) (?:is |are )?(?:!coming|!move !to|!move) ~d", "!coming", "!move"
)
# A vendor or tech who cannot get to the car yet: "can't get to it till monday".
_R_DELAYED = _re(r"!delayed", "!delayed")
_R_APPROVAL_BLOCK = _re(
    rf"(?:!hold )?(?:!waiting|!hold|!needs)(?: on| for)?(?: !approver)? !approval"
    rf"(?: (?:for|on) (?P<what>{_WS}))?|!waiting (?:on |for )?!approver",
    "!approval",
    "!approver",
)
# The work before "approval": "2231 needs alignment approval $129".
_R_ITEM_APPROVAL = _re(rf"(?:!needs|!waiting(?: on| for)?) (?P<what>{_WS}) !approval", "!approval")
_R_WAITING = _re(
    rf"(?:!hold )?!waiting(?: on| for| 4)?(?P<what>(?: (?:!parts|{_W}))*)(?: !ordered)?", "!waiting"
)
_R_ORDERED = _re(
    rf"(?:(?P<before>{_WS}) )?(?:!parts )?!ordered(?: (?:for|a|an|the))?(?: (?P<after>{_WS}))?",
    "!ordered",
)
# "pump eta friday", "pump eta is friday now": the part's new day.
_R_ITEM_ETA = _re(rf"(?P<what>{_WS}|!parts) !eta (?:is |now |is now |now is )?~d", "!eta")
# A part that has not come: "compressor wont be here till monday", "parts not here yet".
_R_NOT_YET = _re(
    rf"(?:(?P<what>{_WS}|!parts) )?(?:is |are )?!notyet(?: (?:!eta|by|on))?", "!notyet"
)
_R_NEEDS_PARTS = _re(r"(?:!needs|!hold) (?:for |on )?(?:the |some )?!parts", "!needs", "!hold")
_R_INSPECTED = _re(r"!inspected", "!inspected")
_R_ITEM_BAD = _re(rf"(?P<items>{_WS}) (?:!bad|!shot)(?: !needsrep)?", "!bad", "!shot")
_R_SHOT = _re(r"!shot", "!shot")
_R_PICKUP = _re(r"!pickup", "!pickup")
# "customer wants 6120 to get a tint", "took 4900 to maaco to get painted": what the car is to
# get is wanted, not done.
_R_TO_GET = _re(
    rf"(?:!needs )?!to !request(?: (?P<items>{_WL}))?(?: (?P<verb>!done|!fixed))?", "!request"
)
_R_NEEDS = _re(rf"!needs(?P<items>(?: (?:{_W}|,|!bad))*)(?: (?:!done|!fixed))?", "!needs")
_R_NEEDS_AFTER = _re(rf"(?P<items>{_WS}) !needsrep", "!needsrep")
_R_ADD = _re(rf"!add (?P<items>{_WL})", "!add")
# "done with the alignment", "done w brakes", "finished the alignment on 4101".
# "done with the alignment", "✅ brakes" (with no "with", only the name of the work itself).
_R_COMPLETE_DONE_WITH = _re(
    rf"!done (?P<with>(?:with|w/|w|on) (?:the )?|the )?(?P<items>{_WS})", "!done"
)
_R_COMPLETE_AFTER = _re(rf"(?P<items>{_WS}) (?:!done|!fixed|!ready)", "!done", "!fixed", "!ready")
# A comma list of parts and jobs before the verb: "4700 oil, brakes, wipers done" (taken only
# when every piece is known work, so "smells like smoke, ozoned it" stays two clauses).
_R_COMPLETE_LIST = _re(rf"(?P<items>{_W}(?: {_W})* , {_WL}) (?:!done|!fixed)", "!done", "!fixed")
_R_COMPLETE_IN = _re(
    rf"(?P<items>{_WS}) (?:in|on)(?: (?:for|de|para))?(?= ,| !| @| ~| and |$)", "in", "on"
)
_R_COMPLETE_BEFORE = _re(rf"!fixed (?P<items>{_WS})", "!fixed")
# "5200 new battery in and done": the part put in, then the car itself reported done (a repair
# verb instead, "tires on and balanced", is the same job).
_R_IN_THEN_DONE = _re(
    rf"(?P<items>{_WS}) (?:in|on) (?:and|,|&|y) (?=!done|!ready)", "!done", "!ready"
)
_PUT_IN_RULES = (_R_IN_THEN_DONE, _R_COMPLETE_IN)
_R_BARE_DONE = _re(r"!done|!ready|!fixed", "!done", "!ready", "!fixed")
_R_ETA = _re(r"!eta ~d", "!eta")
_R_HOLD = _re(r"!hold", "!hold")
_R_UNHOLD = _re(r"!unhold", "!unhold")


class _Reader:
    """The canonical string of one segment, with the rules that consume it."""

    def __init__(self, ctoks: list[CTok], tokens: list[Token], clause_text: str) -> None:
        self.ctoks = ctoks
        self.tokens = tokens
        self.clause_text = clause_text
        self.alive = [c.canon not in (UNIT, "", "!polite") for c in ctoks]
        self.text = ""
        self.present: set[str] = set()
        self.photos_left = False  # a photo word left beside attached media
        self._starts: list[int] = []
        self._owners: list[int] = []
        self._rebuild()

    def _rebuild(self) -> None:
        parts: list[str] = []
        self._starts = []
        self._owners = []
        offset = 0
        for position, ctok in enumerate(self.ctoks):
            if not self.alive[position]:
                continue
            self._starts.append(offset)
            self._owners.append(position)
            parts.append(ctok.canon)
            offset += len(ctok.canon) + 1
        self.text = " ".join(parts)
        self.present = set(parts)
        if any(part.startswith("@") for part in parts):
            self.present.add("@")

    def find(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        needles = _NEEDLES.get(pattern)
        if needles is not None and self.present.isdisjoint(needles):
            return None
        return pattern.search(self.text)

    def owners(self, start: int, end: int) -> list[int]:
        return [
            owner
            for offset, owner in zip(self._starts, self._owners, strict=True)
            if start <= offset < end
        ]

    def group(self, match: re.Match[str], name: str) -> list[CTok]:
        if match.group(name) is None:
            return []
        return [self.ctoks[p] for p in self.owners(match.start(name), match.end(name))]

    def consume(self, match: re.Match[str]) -> None:
        for owner in self.owners(match.start(), match.end()):
            self.alive[owner] = False
        self._rebuild()

    def has(self, canon: str) -> bool:
        return canon in self.present

    def display(self, ctoks: list[CTok]) -> str:
        """The words as typed, from the first to the last of `ctoks`."""
        if not ctoks:
            return ""
        first = self.tokens[min(c.start for c in ctoks)]
        last = self.tokens[max(c.end for c in ctoks) - 1]
        return self.clause_text[first.start : last.end]

    def first_date(self) -> date | None:
        for ctok in self.ctoks:
            if ctok.canon == DATE:
                return ctok.value
        return None

    def leftover_content(self) -> bool:
        return any(
            alive
            and not c.canon.startswith(("!", "@", "~", "#"))
            and c.canon not in FILLERS
            and not c.canon.isdigit()
            for alive, c in zip(self.alive, self.ctoks, strict=True)
        )


def read_segment(
    ctoks: list[CTok],
    tokens: list[Token],
    clause_text: str,
    *,
    vendor_words: frozenset[str],
    media: bool = False,
) -> SegmentReading:
    """`media`: the text came with photos attached (MMS)."""
    mentions = [m for c in ctoks if c.canon == UNIT for m in c.mentions]
    reader = _Reader(ctoks, tokens, clause_text)
    intents: list[Intent] = []
    reading = SegmentReading(intents, mentions)

    _photo_nouns(reader, media)
    promise = _promise(reader, intents)
    _approval(reader, intents)
    if reader.has("!correction"):
        reading.correction = True
        intents.clear()
        return reading
    _symptom_negations(reader)
    _options_answered(reader)
    hedged = [canon for canon in HEDGES if reader.has(canon)]
    if hedged and not _drop_negated_parts(reader):
        if "!underway" in hedged:
            reading.underway = True
        else:
            reading.negated = True
        intents.clear()
        return reading
    if _errand(reader, reading):
        intents.clear()
        return reading
    _send(reader, intents, vendor_words)
    _moves_and_stage_done(reader, intents)
    _returns(reader, intents, vendor_words)
    _parts_in(reader, intents)
    _blockers(reader, intents, vendor_words)
    _inspected(reader, intents)
    _needs(reader, intents)
    _photos_and_pickup(reader, intents)
    _completions(reader, intents)
    _also_item(reader, intents)
    _leftover_keywords(reader, intents, media)
    if ctoks and ctoks[0].canon == "!request":
        # "get 5102 inspected today": asks for the work; where the car goes still moves it.
        kept = [i for i in intents if i.action not in ("done", "complete_work")]
        if len(kept) < len(intents):
            intents[:] = kept
            reader.alive[0] = True
            ctoks[0].canon = "get"  # left over, so the text is explained back
            reader._rebuild()
    reading.photos = reader.has(_PHOTO_NOUN) or reader.photos_left
    reading.thanks = reader.has("!thanks") or reader.has("!omw")
    # "saw 4003" acknowledges it; "saw a leak on 4003" is news about it, not an ack.
    reading.acked = reader.has("!ack") or (
        reader.has("!saw")
        and all(
            c.canon in ("!saw", "!thanks", ",") or c.canon in FILLERS
            for alive, c in zip(reader.alive, reader.ctoks, strict=True)
            if alive
        )
    )
    if reading.acked and not intents:
        intents.append(Intent("ack"))
    if reader.has("!status") and not intents:
        intents.append(Intent("status_query"))
    reading.arrived = not intents and reader.has("!arrived") and not reader.leftover_content()
    reading.delivered = not intents and any(
        alive and c.canon == "!arrived" and reader.tokens[c.start].low in _DELIVERED
        for alive, c in zip(reader.alive, reader.ctoks, strict=True)
    )
    reading.collected = None if intents else _collected(reader)
    reading.part_due = None if intents else _part_due(reader)
    reading.has_content = reader.leftover_content()
    reading.work_only = None if intents else _work_only(reader)
    if promise is not None and reading.has_content:
        # "4900 paint needs to cure overnight, ready tmrw": the words no rule read say why; the
        # note keeps them with the promise.
        promise.body = reader.display(ctoks).strip(" ,.")
    reading.describes_car = any(
        alive and (c.canon in COLOR_WORDS or c.canon == "one")
        for alive, c in zip(reader.alive, reader.ctoks, strict=True)
    )
    return reading


# ---------------------------------------------------------------------------- rule groups

_DELIVERED = frozenset({"delivered", "delivery"})

# "picked up the mustang for tint": the car collected, and what for (no "from": not a return).
_R_COLLECTED = _re(rf"!pickedup(?: for (?P<work>{_WL}))?$", "!pickedup")
# Only a pickup that has happened: "can pick up", "ready to be picked up" are still to come.
_COLLECTED_VERBS = frozenset({"picked", "grabbed"})


def _work_only(reader: _Reader) -> str | None:
    """The work a segment names, as typed, when it names nothing else: "alignment too"."""
    left = [c for alive, c in zip(reader.alive, reader.ctoks, strict=True) if alive]
    if not left or not names_only_work([c.canon for c in left]):
        return None
    return reader.display(_trim(left)).lower() or None


def _part_due(reader: _Reader) -> Intent | None:
    """A part's name and a day, and nothing else: "pads monday", "2231 axle tmrw"."""
    left = [c for alive, c in zip(reader.alive, reader.ctoks, strict=True) if alive]
    if len(left) < 2 or left[-1].canon != DATE:
        return None
    words = left[:-1]
    if not names_only_work([c.canon for c in words]):
        return None
    return _parts_block(reader, _trim(words), left[-1].value)


def _collected(reader: _Reader) -> list[str] | None:
    """The work a car was "picked up" for, when the text reports only that pickup."""
    match = reader.find(_R_COLLECTED)
    if match is None:
        return None
    owners = reader.owners(match.start(), match.end())
    verb = reader.ctoks[owners[0]]
    before = [c for p, c in enumerate(reader.ctoks[: owners[0]]) if reader.alive[p]]
    if reader.tokens[verb.start].low not in _COLLECTED_VERBS or any(
        c.canon not in FILLERS for c in before
    ):
        return None
    return [display for display, _ in _items(reader, reader.group(match, "work"))]


# A photo word read as the photos it names: no rule reads it as a stage.
_PHOTO_NOUN = "!photo"
# Singular photo words after which an English "a" is an article ("here's a pic"), not the
# Spanish "to" of "4600 a fotos".
_SINGULAR_PHOTO = frozenset({"pic", "photo", "picture", "pict", "foto", "phto"})
# Phrases of the photos stage that name a place or an event, never the pictures themselves.
_PHOTO_PLACES = frozenset({"booth", "shoot", "studio"})
# Words before a stage word that make it where the car goes: "to pics", "ready for pics".
_STAGE_LEADS = frozenset({"!to", "in", "at", "on", "into", "with", "w/", "for", "!ready"})
# Words after a photo word that make it the pictures: "photo of 2279", "pics for 4410".
_PHOTO_OF = frozenset({"of", "for", "attached", "attaching", "attach", "below", "above"})


# What a car does wrong, after a "not": "ac not blowing cold", "wont start", "heat not working".
# Only verbs that describe the car: "not getting done" or "not moving to detail" stay negations.
_SYMPTOM_VERBS = frozenset(
    {
        "blowing", "blow", "working", "work", "works", "starting", "start", "starts", "cranking",
        "crank", "cranks", "cooling", "cool", "heating", "heat", "charging", "charge", "shifting",
        "shift", "idling", "idle", "locking", "lock", "unlocking", "unlock", "latching", "latch",
        "opening", "open", "closing", "close", "engaging", "engage", "firing", "reading", "read",
        "sealing", "seal", "holding", "hold", "turning", "turn", "spinning", "spin", "pairing",
        "connecting", "connect", "responding", "functioning", "lighting", "running", "run",
        "runs", "releasing", "retracting", "staying", "stay",
    }
)  # fmt: skip


def _symptom_negations(reader: _Reader) -> None:
    """A "not" before a symptom describes the car ("4002 ac not blowing cold needs compressor"):
    it negates no report, so it no longer holds the rest of the text back."""
    alive = [p for p, a in enumerate(reader.alive) if a]
    changed = False
    for index, position in enumerate(alive[:-1]):
        ctok = reader.ctoks[position]
        following = reader.ctoks[alive[index + 1]]
        if (
            ctok.canon == "!not"
            and not following.canon.startswith(("!", "@", "~", "#"))
            and reader.tokens[following.start].low in _SYMPTOM_VERBS
        ):
            ctok.canon = "not"
            changed = True
    if changed:
        reader._rebuild()


_YES_WORDS = frozenset({"yes", "si", "yep", "yup"})


def _options_answered(reader: _Reader) -> None:
    """ "customer pay no, internal yes": a "no" closing a part that a later part answers with
    "yes" picks between options; it negates nothing."""
    alive = [p for p, a in enumerate(reader.alive) if a]
    changed = False
    for index, position in enumerate(alive[:-1]):
        ctok = reader.ctoks[position]
        if (
            ctok.canon == "!not"
            and reader.tokens[ctok.start].low == "no"
            and reader.ctoks[alive[index + 1]].canon == ","
            and any(reader.tokens[reader.ctoks[p].start].low in _YES_WORDS for p in alive[index:])
        ):
            ctok.canon = "no"
            changed = True
    if changed:
        reader._rebuild()


def _drop_negated_parts(reader: _Reader) -> bool:
    """ "2231 brakes NOT done, alignment done": a "not" holds for its own comma-part only, when
    another part reports work by name ("alignment done", "still waiting on tie rods"). Otherwise
    ("5521 not sold, deal fell through") the whole segment stays negated."""
    parts: list[list[int]] = [[]]
    with_unit: list[bool] = [False]  # whether the part names a car ("4003 and 4500 uploaded")
    for position, ctok in enumerate(reader.ctoks):
        if ctok.canon == UNIT:
            with_unit[-1] = True
        if not reader.alive[position]:
            continue
        if ctok.canon == ",":
            parts.append([])
            with_unit.append(False)
        parts[-1].append(position)
    if len(parts) < 2:
        return False
    kept = [p for p in parts if not any(reader.ctoks[i].canon in HEDGES for i in p)]
    kept_canons = [reader.ctoks[i].canon for part in kept for i in part]
    # "going to finish the rest after lunch, 4003 and 4500 are uploaded": a car reported done.
    reports_a_car = any(
        with_unit[n] and any(reader.ctoks[i].canon == "!done" for i in part)
        for n, part in enumerate(parts)
        if part in kept
    )
    if not kept or not (concepts_of(kept_canons) or "!waiting" in kept_canons or reports_a_car):
        return False
    for part in parts:
        if part not in kept:
            for position in part:
                reader.alive[position] = False
    reader._rebuild()
    return True


def _photo_nouns(reader: _Reader, media: bool) -> None:
    """ "photo of 2279", "pic of the damage on 2279", "here's a pic 2279", "took pics of 4410":
    photo words naming pictures, not the photos stage. So is "2279 2 pics" sent with two
    pictures. An explicit stage move ("2279 to photos", "ready for pics") stays a move."""
    alive = [p for p, a in enumerate(reader.alive) if a]
    changed = False
    for index, position in enumerate(alive):
        ctok = reader.ctoks[position]
        if ctok.canon != "@photos":
            continue
        words = [t.low for t in reader.tokens[ctok.start : ctok.end]]
        if _PHOTO_PLACES.intersection(words):
            continue
        before = [reader.ctoks[p] for p in alive[:index]]
        after = reader.ctoks[alive[index + 1]].canon if index + 1 < len(alive) else ""
        lead = before[-1] if before else None
        lead_low = reader.tokens[lead.start].low if lead is not None else ""
        noun = False
        if lead is not None and lead.canon == "!to" and lead_low in ("a", "2", "4"):
            # "a pic": an article. "2 pics" with pictures attached: how many were sent.
            article = lead_low == "a" and words[-1] in _SINGULAR_PHOTO
            count = lead_low != "a" and media and _no_move_before(before[:-1])
            if article or count:
                lead.canon = lead_low
                noun = True
        if not noun and after in _PHOTO_OF:
            stage_lead = next((c.canon for c in reversed(before) if c.canon != "the"), "")
            noun = stage_lead not in _STAGE_LEADS
        if noun:
            ctok.canon = _PHOTO_NOUN
            changed = True
            if after in ("of", "for"):
                _consume_caption(reader, alive[index + 1])
    if changed:
        reader._rebuild()


# Words a caption may hold besides plain ones: "pics of 4410 water pump leak".
_CAPTION_KEYWORDS = frozenset({"!bad", "!needsrep"})


def _consume_caption(reader: _Reader, of_position: int) -> None:
    """What a photo shows ("pic of the dent on 2240") describes the picture: it opens or
    completes no work. A caption that runs into a report ("pic of 2231 brakes done") is left
    for the rules to read."""
    caption = [of_position]
    for position in range(of_position + 1, len(reader.ctoks)):
        canon = reader.ctoks[position].canon
        if canon == UNIT or not reader.alive[position]:
            continue
        if canon == ",":
            break
        if canon.startswith(("!", "@", "~", "#")) and canon not in _CAPTION_KEYWORDS:
            return
        caption.append(position)
    for position in caption:
        reader.alive[position] = False


def _no_move_before(before: list[CTok]) -> bool:
    return not any(c.canon in ("!move", "!send", "!drop", "!ready", "!back") for c in before)


def _failed_stage(reader: _Reader) -> bool:
    """ "7712 failed inspection": the car did not pass that stage; it is not being sent there."""
    alive = [c for keep, c in zip(reader.alive, reader.ctoks, strict=True) if keep]
    return any(
        before.canon == "!bad" and stage.canon.startswith("@") for before, stage in pairwise(alive)
    )


# What a promise says the car will be or where it will be: "will be done by 3pm", "will drop
# 4900 back tomorrow". Without one of them a promise is a plan to do work ("will shoot 4500").
_FORECAST_WORDS = frozenset(
    {"!done", "!ready", "!back", "!fixed", "!inspected", "!arrived", "!drop", "!pickedup", "!eta"}
)


def _promise(reader: _Reader, intents: list[Intent]) -> Intent | None:
    """A promise ("will drop it back tomorrow") is recorded as a note, never a change."""
    match = reader.find(_R_PROMISE_SPLIT) or reader.find(_R_PROMISED_RETURN)
    if match is None:
        return None
    ctoks = reader.group(match, "promise")
    body = reader.display(ctoks).strip(" ,.")
    # The unit is not part of the promise's words, but the note reads better with them.
    if ctoks and len(ctoks) == sum(reader.alive):
        body = reader.clause_text.strip()
    words = {c.canon for c in ctoks}
    note = Intent("note", body=body, plan=not words & _FORECAST_WORDS)
    intents.append(note)
    for owner in reader.owners(match.start("promise"), match.end("promise")):
        reader.alive[owner] = False
    reader._rebuild()
    return note


# "heading to maaco to grab 4900", "going to the shop to get 2231": the sender goes (no car
# between the verb and the place) to a place, to do something there.
_R_ERRAND = _re(
    r"(?:!move|!omw)(?: (?:out|over|down|up))? !to (?:the )?"
    rf"(?P<place>(?:{_W}|@[a-z]+)(?: (?:{_W}|@[a-z]+))*?) (?P<purpose>!to) (?!@)\S",
    "!move",
    "!omw",
)


def _errand(reader: _Reader, reading: SegmentReading) -> bool:
    """The sender on the way somewhere to fetch or drop a car: a plan, nothing has moved. A
    car named before the purpose ("took 4900 to maaco to get painted") is the one that went."""
    match = reader.find(_R_ERRAND)
    if match is None:
        return False
    purpose = reader.owners(match.start("purpose"), match.end("purpose"))[0]
    if any(c.canon == UNIT for c in reader.ctoks[:purpose]):
        return False
    place = reader.group(match, "place")
    reading.errand = reader.display(place)
    reading.errand_outside = not any(c.canon.startswith("@") for c in place)
    return True


def _approval(reader: _Reader, intents: list[Intent]) -> None:
    """An approval with its items: "approved", "go ahead on X", "approved X, not Y"."""
    pending = reader.find(_R_APPROVAL_PENDING)
    if pending:  # "waiting on rick to approve tie rods" is not an approval yet
        what = _trim(reader.group(pending, "what"))
        intents.append(
            Intent(
                "block",
                kind=BlockerKind.APPROVAL,
                note=reader.display(what) or None,
                note_words=[c.canon for c in what],
                eta=reader.first_date(),
            )
        )
        reader.consume(pending)
        return
    items: list[tuple[str, list[str]]] = []
    found = False
    while match := reader.find(_R_APPROVE):
        found = True
        for name in ("before", "after"):
            for display, words in _items(reader, reader.group(match, name)):
                if looks_like_work(words, strict=True):
                    items.append((display, words))
        reader.consume(match)
    if not found:
        return
    if items:
        intents.append(
            Intent(
                "open_work",
                items=[display for display, _ in items],
                item_words=[words for _, words in items],
                approved=True,
            )
        )
    intents.append(Intent("unblock", kind=BlockerKind.APPROVAL, approves_work=bool(items)))


# Places on the dealer's own grounds: a phrase ending in one is a spot, not a vendor.
_PLACE_NOUNS = frozenset({"lot", "yard", "building", "bay", "spot", "row", "parking", "overflow"})


def _is_vendor(ctoks: list[CTok], vendor_words: frozenset[str]) -> bool:
    """A body shop, the glass guy, a vendor the store works with ("dent pros"), or a make's
    dealer ("to tesla", "the ford dealer"): a make the units left as a plain word is a place."""
    canons = {c.canon for c in ctoks}
    return (
        bool(canons & (VENDOR_WORDS | DEALER_WORDS | vendor_words))
        or " ".join(c.canon for c in ctoks) in vendor_words
        or any((canon,) in MAKE_WORDS for canon in canons)
    )


def _send(reader: _Reader, intents: list[Intent], vendor_words: frozenset[str]) -> None:
    sublet = reader.find(_R_SUBLET_SEND)
    if sublet:
        work = _items(reader, reader.group(sublet, "work"))
        intents.append(Intent("send_to_vendor", items=[d for d, _ in work]))
        reader.consume(sublet)
        return
    match = reader.find(_R_SEND_WORK_FIRST) or reader.find(_R_SEND) or reader.find(_R_SEND_ES)
    if match is None:
        return
    work_group = match.group("work") if "work" in match.re.groupindex else None
    vendor_ctoks = _trim(reader.group(match, "vendor"))
    if not vendor_ctoks:
        return
    if vendor_ctoks[-1].canon in _PLACE_NOUNS:
        return  # "it was at the body shop lot": where the car stands, not who works on it
    vendorish = _is_vendor(vendor_ctoks, vendor_words)
    work = _items(reader, reader.group(match, "work")) if work_group else []
    if not vendorish and not (work and match.group("verb")):
        return
    intents.append(
        Intent(
            "send_to_vendor",
            vendor=reader.display(vendor_ctoks),
            items=[display for display, _ in work],
        )
    )
    reader.consume(match)


def _moves_and_stage_done(reader: _Reader, intents: list[Intent]) -> None:
    if match := reader.find(_R_INSPECTION_LIST):
        pieces = _items(reader, reader.group(match, "items"))
        if pieces and all(concepts_of(words) for _, words in pieces):
            intents.append(
                Intent(
                    "open_work",
                    items=[display for display, _ in pieces],
                    item_words=[words for _, words in pieces],
                )
            )
            intents.append(Intent("done", stage=Stage.INSPECTION))
            reader.consume(match)
    for pattern in (_R_READY_FOR, _R_LOT_READY):
        while match := reader.find(pattern):
            stage = Stage.FRONTLINE if pattern is _R_LOT_READY else _stage(match)
            intents.append(Intent("move", stage=stage))
            reader.consume(match)
    for pattern in (_R_STAGE_DONE, _R_DONE_STAGE, _R_PHOTOS_UP):
        while match := reader.find(pattern):
            intents.append(Intent("done", stage=_stage(match)))
            reader.consume(match)
    while match := reader.find(_R_NEEDS_STAGE):
        intents.append(Intent("note", body=reader.clause_text.strip()))
        reader.consume(match)
    while match := reader.find(_R_MOVE_DEADLINE):
        intents.append(Intent("note", body=reader.clause_text.strip()))
        reader.consume(match)
    while match := reader.find(_R_MOVE):
        intents.append(Intent("move", stage=_stage(match)))
        reader.consume(match)


def _returns(reader: _Reader, intents: list[Intent], vendor_words: frozenset[str]) -> None:
    match = reader.find(_R_RETURN)
    if match is None:
        return
    vendor = _trim(reader.group(match, "vendor") or reader.group(match, "picked_from"))
    intents.append(
        Intent(
            "sublet_return",
            vendor=reader.display(vendor) or None,
            known_vendor=_is_vendor(vendor, vendor_words),
        )
    )
    reader.consume(match)


def _parts_in(reader: _Reader, intents: list[Intent]) -> None:
    match = reader.find(_R_PARTS_IN)
    if match is None:
        match = reader.find(_R_ITEM_ARRIVED) or reader.find(_R_GOT_ITEM)
        if match is None:
            return
        words = [c.canon for c in reader.group(match, "what") or reader.group(match, "after")]
        if not concepts_of(words):
            return
    if any(
        c.canon == "wrong" for c in reader.ctoks[: reader.owners(match.start(), match.end())[-1]]
    ):
        # "wrong glass came in for 6130": the right part is still awaited.
        intents.append(_parts_block(reader, [], reader.first_date()))
    else:
        intents.append(Intent("unblock", kind=BlockerKind.PARTS))
    reader.consume(match)


def _blockers(reader: _Reader, intents: list[Intent], vendor_words: frozenset[str]) -> None:
    eta = reader.first_date()
    if match := reader.find(_R_APPROVAL_BLOCK) or reader.find(_R_ITEM_APPROVAL):
        what = _trim(reader.group(match, "what"))
        intents.append(
            Intent(
                "block",
                kind=BlockerKind.APPROVAL,
                note=reader.display(what) or None,
                note_words=[c.canon for c in what],
                eta=eta,
            )
        )
        reader.consume(match)
        return
    if match := reader.find(_R_NEEDS_PARTS):
        intents.append(Intent("block", kind=BlockerKind.PARTS, note="parts", eta=eta))
        reader.consume(match)
        return
    if (match := reader.find(_R_WAITING)) and not _person_waits(reader, match):
        what = _trim(reader.group(match, "what"))
        intents.append(_waiting_on(reader, what, eta, vendor_words))
        reader.consume(match)
        _consume_all(reader, ("!ordered", "!hold", "!eta"))
        return
    if match := reader.find(_R_ORDERED):
        what = _trim(reader.group(match, "before")) or _trim(reader.group(match, "after"))
        if what and not concepts_of([c.canon for c in what]):
            what = []
        intents.append(_parts_block(reader, what, eta))
        reader.consume(match)
        _consume_all(reader, ("!hold", "!eta"))
        return
    if match := reader.find(_R_NOT_YET):
        what = _trim(reader.group(match, "what"))
        block = _parts_block(reader, what if concepts_of(_canons(what)) else [], eta)
        block.not_arrived = True
        intents.append(block)
        reader.consume(match)
        _consume_all(reader, ("!eta",))
        return
    if (match := reader.find(_R_SHIPPED)) and concepts_of(match.group("what").split()):
        intents.append(_parts_block(reader, _trim(reader.group(match, "what")), eta))
        reader.consume(match)
        _consume_all(reader, ("!eta",))
        return
    if match := reader.find(_R_DELAYED):
        intents.append(Intent("block", eta=eta, delayed=True))
        reader.consume(match)
        _consume_all(reader, ("!eta",))
        return
    if (match := reader.find(_R_ITEM_DATE)) and concepts_of(match.group("what").split()):
        intents.append(_parts_block(reader, _trim(reader.group(match, "what")), eta))
        reader.consume(match)
        return
    if (match := reader.find(_R_ITEM_ETA)) and (
        match.group("what") == "!parts" or concepts_of(match.group("what").split())
    ):
        what = _trim(reader.group(match, "what"))
        intents.append(_parts_block(reader, what, eta))
        reader.consume(match)


def _person_waits(reader: _Reader, match: re.Match[str]) -> bool:
    """ "customer waiting", "he's waiting": a person waits, not the car on a part."""
    if reader.group(match, "what"):
        return False
    first = reader.owners(match.start(), match.end())[0]
    before = [c for p, c in enumerate(reader.ctoks[:first]) if reader.alive[p]]
    return bool(before) and before[-1].canon in PEOPLE_WORDS


def _waiting_on(
    reader: _Reader, what: list[CTok], eta: date | None, vendor_words: frozenset[str]
) -> Intent:
    canons = [c.canon for c in what]
    if set(canons) & (VENDOR_WORDS | vendor_words) and "!parts" not in canons:
        return Intent("block", kind=BlockerKind.VENDOR, note=reader.display(what) or None, eta=eta)
    if "!parts" in canons or concepts_of(canons):
        return _parts_block(reader, what, eta)
    if not what:
        return Intent("block", eta=eta)  # "still waiting": on what the car already waits for
    return Intent("block", kind=BlockerKind.OTHER, note=reader.display(what), eta=eta)


def _parts_block(reader: _Reader, what: list[CTok], eta: date | None) -> Intent:
    """The part's own words make the note ("water pump"); a bare "parts" says just that."""
    named = [c for c in what if c.canon != "!parts"]
    note = reader.display(_trim(named)) if named else "parts"
    return Intent(
        "block",
        kind=BlockerKind.PARTS,
        note=note or "parts",
        note_words=[c.canon for c in named],
        eta=eta,
    )


def _inspected(reader: _Reader, intents: list[Intent]) -> None:
    while match := reader.find(_R_INSPECTED):
        intents.append(Intent("done", stage=Stage.INSPECTION))
        reader.consume(match)


def _photos_and_pickup(reader: _Reader, intents: list[Intent]) -> None:
    """A bare "shot 4500" is a photographer's done; "ready for pickup" a vendor's."""
    while match := reader.find(_R_SHOT):
        intents.append(Intent("done", stage=Stage.PHOTOS))
        reader.consume(match)
    while match := reader.find(_R_PICKUP):
        intents.append(Intent("done"))  # a vendor's "ready for pickup" is their work done
        reader.consume(match)
    _consume_all(reader, ("!nothing",))


def _needs(reader: _Reader, intents: list[Intent]) -> None:
    if match := reader.find(_R_TO_GET):
        items = reader.group(match, "items")
        if _open(reader, intents, items) or (not items and match.group("verb")):
            reader.consume(match)
    while match := reader.find(_R_NEEDS):
        items = reader.group(match, "items")
        trigger = reader.ctoks[reader.owners(match.start(), match.start() + 1)[0]]
        if _is_personal_need(reader, trigger, items):
            break  # left unread, so the text is explained back rather than applied
        if not items:
            intents.append(Intent("open_work", awaiting_items=True))
        elif not _open(reader, intents, items):
            break  # not work ("needs it for a customer"): left unread and explained back
        elif _after_still(reader, trigger):
            intents[-1].reminder = True
        reader.consume(match)
    for pattern in (_R_NEEDS_AFTER, _R_ADD):
        while match := reader.find(pattern):
            _open(reader, intents, reader.group(match, "items"))
            reader.consume(match)
    # "front tires are bald", "brakes shot": after "needs", whose lists keep such adjectives.
    if (match := reader.find(_R_ITEM_BAD)) and concepts_of(match.group("items").split()):
        _open(reader, intents, reader.group(match, "items"))
        reader.consume(match)


def _names_work(words: list[str], *, whole: bool) -> bool:
    """Whether `words` name known work; `whole`: and nothing else ("keys in the box" is not)."""
    return names_only_work(words) if whole else bool(concepts_of(words))


def _after_still(reader: _Reader, trigger: CTok) -> bool:
    position = reader.ctoks.index(trigger)
    return position > 0 and reader.ctoks[position - 1].canon in ("still", "todavia")


_ANY_PERSON = frozenset({"anyone", "anybody", "someone", "somebody", "everyone", "nobody"})


def _is_personal_need(reader: _Reader, trigger: CTok, items: list[CTok]) -> bool:
    """A person asking for something is not work: "need keys for 2232", "need more towels"."""
    low = reader.tokens[trigger.start].low
    position = reader.ctoks.index(trigger)
    if position > 0 and reader.tokens[reader.ctoks[position - 1].start].low in _ANY_PERSON:
        return True  # "if anyone needs a jump": whoever it is, not a car
    if low != "need":
        return False
    before = [c for c in reader.ctoks[: reader.ctoks.index(trigger)] if c.canon != "!polite"]
    if any(c.canon == UNIT for c in before):
        return False
    if items and items[-1].canon in ("for", "on"):
        return True
    names_a_unit = any(c.canon == UNIT for c in reader.ctoks)
    return not names_a_unit and not concepts_of([c.canon for c in items])


_R_DOUBLE_DONE = _re(r"(?:!fixed|!done) (?:and |, |y |& )(?=!fixed|!done)", "!fixed", "!done")


def _completions(reader: _Reader, intents: list[Intent]) -> None:
    # "mounted and balanced 4 tires": two verbs of one job.
    while match := reader.find(_R_DOUBLE_DONE):
        reader.consume(match)
    if (match := reader.find(_R_COMPLETE_DONE_WITH)) and _names_work(
        match.group("items").split(), whole=match.group("with") is None
    ):
        for display, words in _items(reader, reader.group(match, "items")):
            intents.append(Intent("complete_work", items=[display], item_words=[words]))
        reader.consume(match)
    if match := reader.find(_R_COMPLETE_LIST):
        pieces = _items(reader, reader.group(match, "items"))
        if len(pieces) > 1 and all(concepts_of(words) for _, words in pieces):
            for display, words in pieces:
                intents.append(Intent("complete_work", items=[display], item_words=[words]))
            reader.consume(match)
    for pattern in (_R_IN_THEN_DONE, _R_COMPLETE_AFTER, _R_COMPLETE_BEFORE, _R_COMPLETE_IN):
        while match := reader.find(pattern):
            pieces = _items(reader, reader.group(match, "items"))
            work = [(d, w) for d, w in pieces if content_of(w) and looks_like_work(w)]
            if pattern in _PUT_IN_RULES and not any(concepts_of(w) for _, w in work):
                break
            if not work:
                if (
                    pattern is _R_COMPLETE_AFTER
                    and match.group(0).endswith("!fixed")
                    and reader.text[match.end() :].strip()
                ):
                    break  # "ya cambie los frenos": the repair verb names the work after it
                if pattern is _R_COMPLETE_AFTER:
                    intents.append(Intent("done"))
                reader.consume(match)
                continue
            for display, words in work:
                intents.append(
                    Intent(
                        "complete_work",
                        items=[display],
                        item_words=[words],
                        put_in=pattern in _PUT_IN_RULES,
                        is_in=pattern is _R_COMPLETE_IN and _said_is_in(reader, match),
                    )
                )
            reader.consume(match)


_IS_WORDS = frozenset({"is", "are", "r", "were", "was"})


def _said_is_in(reader: _Reader, match: re.Match[str]) -> bool:
    """ "shocks are in" (not "shocks in"): the words right before "in" say the part *is* in."""
    owners = reader.owners(match.start("items"), match.end("items"))
    return bool(owners) and reader.ctoks[owners[-1]].canon in _IS_WORDS


# "tie rods done, alignment too": one more item with the same news as the one before.
_R_ALSO_ITEM = _re(rf"(?:^|, )(?P<items>{_WS}) (?:too|also|tambien)$", "too", "also", "tambien")


def _also_item(reader: _Reader, intents: list[Intent]) -> None:
    if not intents or intents[-1].action != "complete_work":
        return
    match = reader.find(_R_ALSO_ITEM)
    if match is None:
        return
    pieces = _items(reader, reader.group(match, "items"))
    if not pieces or not all(names_only_work(words) for _, words in pieces):
        return
    for display, words in pieces:
        intents.append(Intent("complete_work", items=[display], item_words=[words]))
    reader.consume(match)


def _leftover_keywords(reader: _Reader, intents: list[Intent], media: bool) -> None:
    if match := reader.find(_R_BARE_DONE):
        left = {c.canon for a, c in zip(reader.alive, reader.ctoks, strict=True) if a}
        # "rr brakes done": a repair verb left over beside the work it did is not the stage.
        if not (
            left & {"!done", "!ready"} == set()
            and any(i.action == "complete_work" for i in intents)
        ):
            intents.append(Intent("done"))
        reader.consume(match)
        _consume_all(reader, ("!done", "!ready", "!fixed"))
    stages = {
        Stage(c.canon[1:])
        for alive, c in zip(reader.alive, reader.ctoks, strict=True)
        if alive and c.canon.startswith("@")
    }
    if stages == {Stage.PHOTOS} and media:
        # "2279 pics 📸" sent with the pictures: the pictures are the news, not a move.
        reader.photos_left = True
    elif (
        len(stages) == 1
        and not any(i.action in ("move", "done", "send_to_vendor") for i in intents)
        and not _failed_stage(reader)
    ):
        intents.append(Intent("move", stage=stages.pop(), loose=True))
    if len(stages) <= 1:
        _consume_all(reader, tuple(f"@{stage.value}" for stage in Stage))
    hold = reader.find(_R_HOLD)
    if (match := reader.find(_R_ETA)) and not hold:
        intents.append(Intent("block", eta=reader.first_date()))
        reader.consume(match)
    if match := reader.find(_R_UNHOLD):
        intents.append(Intent("unblock"))
        reader.consume(match)
    if match := reader.find(_R_HOLD):
        # "3099 hold till tomorrow": the date is when the hold ends, not a part's ETA.
        intents.append(
            Intent("block", kind=BlockerKind.OTHER, note="on hold", eta=reader.first_date())
        )
        reader.consume(match)
        _consume_all(reader, ("!eta",))


# ---------------------------------------------------------------------------- helpers


def _canons(ctoks: list[CTok]) -> list[str]:
    return [c.canon for c in ctoks]


def _stage(match: re.Match[str]) -> Stage:
    stage = stage_of("@" + match.group("stage"))
    assert stage is not None
    return stage


def _consume_all(reader: _Reader, canons: tuple[str, ...]) -> None:
    changed = False
    for position, ctok in enumerate(reader.ctoks):
        if reader.alive[position] and ctok.canon in canons:
            reader.alive[position] = False
            changed = True
    if changed:
        reader._rebuild()


def _trim(ctoks: list[CTok]) -> list[CTok]:
    """Without the little words at either end: "the water pump for" -> "water pump"."""
    start, end = 0, len(ctoks)
    while start < end and (
        ctoks[start].canon in _ITEM_EDGE_WORDS or ctoks[start].canon == "!polite"
    ):
        start += 1
    while end > start and ctoks[end - 1].canon in _ITEM_EDGE_WORDS:
        end -= 1
    return ctoks[start:end]


def _open(reader: _Reader, intents: list[Intent], ctoks: list[CTok]) -> bool:
    pieces = [(d, w) for d, w in _items(reader, ctoks) if looks_like_work(w)]
    if pieces:
        intents.append(
            Intent(
                "open_work",
                items=[display for display, _ in pieces],
                item_words=[words for _, words in pieces],
            )
        )
    return bool(pieces)


def _items(reader: _Reader, ctoks: list[CTok]) -> list[tuple[str, list[str]]]:
    """Split a list of work into items: on "and", commas and "+", between two different jobs
    with nothing between ("4 tires alignment"), never inside one job ("pads and rotors")."""
    pieces: list[list[CTok]] = [[]]
    for ctok in ctoks:
        if ctok.canon in CONNECTORS:
            pieces.append([])
        elif ctok.canon != UNIT:
            pieces[-1].append(ctok)
    cut_pieces: list[list[CTok]] = []
    for piece in pieces:
        stop = next((p for p, c in enumerate(piece) if c.canon in _ITEM_STOP), None)
        if stop is not None:
            piece = piece[: stop - 1 if stop and _is_number(piece[stop - 1].canon) else stop]
        piece = _trim(piece)
        if not piece:
            continue
        words = [c.canon for c in piece]
        start = 0
        for cut in split_boundaries(words):
            cut_pieces.append(piece[start:cut])
            start = cut
        cut_pieces.append(piece[start:])
    merged: list[list[CTok]] = []
    for piece in cut_pieces:
        if merged and same_job([c.canon for c in merged[-1]], [c.canon for c in piece]):
            merged[-1] = merged[-1] + piece
        else:
            merged.append(piece)
    out: list[tuple[str, list[str]]] = []
    for piece in merged:
        piece = _trim(piece)
        if piece:
            out.append((reader.display(piece).lower().strip(" ,.:;-"), [c.canon for c in piece]))
    return out


def _is_number(canon: str) -> bool:
    return canon.replace(".", "", 1).isdigit()
