"""interpret(): one staff text, the store's units, the sender and recent context -> Interpretation.

Pure and cheap: no I/O, no clock reads (the context carries "now"). When the text could mean
more than one car, or names no car and nothing open on the one the sender was just talking
about, it asks back instead of guessing: changing the wrong car is worse than changing none.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from recon.domain.stages import BlockerKind, StaffRole, Stage, stage_for_done
from recon.understanding.canonical import (
    HEDGES,
    UNIT,
    CTok,
    canonicalize,
    group_units,
    is_question,
    segments,
    word_canon,
)
from recon.understanding.commands import (
    Ack,
    Block,
    Command,
    CompleteWork,
    Done,
    Help,
    Interpretation,
    Move,
    Note,
    OpenWork,
    OptIn,
    OptOut,
    Question,
    QuestionReason,
    SendToVendor,
    StatusQuery,
    SubletReturn,
    Unblock,
    Undo,
    UnitRef,
    WeOwe,
)
from recon.understanding.dates import find_dates
from recon.understanding.grammar import Intent, SegmentReading, read_segment
from recon.understanding.normalize import (
    Clause,
    Token,
    clean,
    fold,
    split_clauses,
    split_lines,
    tokenize,
)
from recon.understanding.units import Mention, UnitIndex
from recon.understanding.views import Context, SenderView, UnitView
from recon.understanding.vocabulary import (
    FILLERS,
    HELP_WORDS,
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    UNDO_EXTRA_WORDS,
    UNDO_PHRASES,
)
from recon.understanding.work import (
    concepts_of,
    content_of,
    match_open_item,
    vendor_items,
    words_of,
)

# Roles whose bare 👍 or "got it" acknowledges the car they were just told about.
ACK_ROLES = frozenset(
    {StaffRole.SALES, StaffRole.USED_CAR_MANAGER, StaffRole.SERVICE_MANAGER, StaffRole.ADMIN}
)

# Roles whose "axle in" is the part arrived: they hear of parts, they do not fit them.
_RECEIVING_ROLES = frozenset(
    {StaffRole.PARTS, StaffRole.SERVICE_ADVISOR, StaffRole.SALES, StaffRole.USED_CAR_MANAGER}
)

# At most this many cars are listed in a question back; more is not a useful choice.
_MAX_LISTED = 6

# Roles whose "6001 delivered" is the car handed to its buyer: sold.
SALES_ROLES = frozenset({StaffRole.SALES, StaffRole.USED_CAR_MANAGER, StaffRole.ADMIN})

# Application order within one unit: work items before the "done" that reads them.
_PRIORITY = {
    "complete_work": 0,
    "open_work": 1,
    "unblock": 2,
    "block": 3,
    "sublet_return": 4,
    "done": 5,
    "send_to_vendor": 6,
    "move": 7,
    "note": 8,
    "we_owe": 8,
    "ack": 9,
    "status_query": 9,
}
_NOTE_RE = re.compile(
    r"^(?P<pre>.*?)\b(?:notes?|nota|fyi)\b\s*[:\-–—]*\s*(?P<body>.*)$", re.I | re.S
)
_WE_OWE_RE = re.compile(
    r"^(?P<pre>.*?)\b(?:(?:we\s*-?\s*)?owe|due\s+bill|(?:le\s+)?debemos)\b(?:\s+on\b)?\s*[:\-–—]*\s*"
    r"(?P<body>.*)$",
    re.I | re.S,
)
# iMessage and Android reactions relayed as texts: 'Liked "2231 done"', 'Reacted 👍 to "…"',
# 'Removed a like from "…"', 'Loved an image'.
_TAPBACK_RE = re.compile(
    r"^\s*(?:(?:liked|loved|disliked|laughed at|emphasi[sz]ed|questioned|reacted \S{1,12} to)"
    r"|removed an? \w+(?: \w+)? from)"
    r"\s+(?:[\"“”'‘’].*[\"“”'‘’]|an? (?:image|photo|picture|video|movie|attachment|gif|sticker))"
    r"\s*$",
    re.I | re.S,
)
# Reactions that dispute what they react to: a person should look.
_DISPUTING_TAPBACK_RE = re.compile(r"^\s*(?:disliked|questioned|reacted (?:👎|❓|❔|\?))", re.I)
_ALSO_WORDS = frozenset({"too", "also", "tambien", "aswell"})
_WHO_WORDS = frozenset({"who", "who's", "whos", "whose", "who’s"})
_BODY_EDGE = frozenset({"on", "for", "to", "of", ",", ":", "-", "in", "at", "about"})
_ARTICLE_RE = re.compile(r"^(?:a|an|the|some)\s+", re.I)
_SPLIT_ITEMS_RE = re.compile(r"\s*(?:,|&|\+|\band\b|\by\b)\s*", re.I)


def interpret(
    text: str, *, index: UnitIndex, sender: SenderView, context: Context
) -> Interpretation:
    text = clean(text)
    keyword = _compliance_keyword(text)
    if keyword is not None:
        return Interpretation(commands=[keyword])
    if _TAPBACK_RE.match(text):
        # A phone's reaction to an earlier text ("Liked “2231 done”") repeats it: not new news.
        return Interpretation(small_talk=not _DISPUTING_TAPBACK_RE.match(text))
    assembly = _Assembly(index, sender, context)
    for line_number, line in enumerate(split_lines(text)):
        line = _without_fyi_before_report(line)
        if assembly.special_line(line, line_number):
            continue
        for clause in _join_trailing_units(split_clauses(line, line_number)):
            assembly.clause(clause)
    return assembly.finish()


_FYI_RE = re.compile(r"^\s*f\.?y\.?i\b\.?\s*[:\-–—,]*\s*", re.I)


def _without_fyi_before_report(line: str) -> str:
    """ "FYI 2231 done": a leading FYI only flags the news; when the rest reports work finished,
    or known work a car needs ("fyi 5102 needs a windshield"), it is read as that report, not
    kept as a note ("fyi 5102 has a recall open" stays one)."""
    match = _FYI_RE.match(line)
    if match is None:
        return line
    rest = line[match.end() :]
    canons = [word_canon(token) for token in tokenize(rest)]
    if not set(canons) & HEDGES and (
        "!done" in canons or ("!needs" in canons and concepts_of(canons))
    ):
        return rest
    return line


# A clause that is only stock numbers: "SOLD!! 4500" splits into "SOLD" and "4500".
_UNITS_ONLY_RE = re.compile(
    r"^[\s#]*(?:(?:stk|stock)\s*#?\s*)?[a-z]{0,3}-?\d{3,}[a-z]{0,3}"
    r"(?:[\s,&+]+(?:and\s+|y\s+)?#?\s*[a-z]{0,3}-?\d{3,}[a-z]{0,3})*[\s!.]*$",
    re.I,
)
_HAS_NUMBER_RE = re.compile(r"\d{3,}")


def _join_trailing_units(clauses: list[Clause]) -> list[Clause]:
    """ "SOLD!! 4500": the stock numbers after an exclamation belong to the words before."""
    joined: list[Clause] = []
    for clause in clauses:
        if (
            joined
            and _UNITS_ONLY_RE.match(clause.text)
            and not _HAS_NUMBER_RE.search(joined[-1].text)
            and not joined[-1].is_question
        ):
            previous = joined[-1]
            joined[-1] = Clause(f"{previous.text} {clause.text}", clause.is_question, previous.line)
            continue
        joined.append(clause)
    return joined


def _compliance_keyword(text: str) -> Command | None:
    """STOP/START/HELP/UNDO count only as the whole message (carrier rules)."""
    words = re.sub(r"[^\w\s]", " ", fold(text)).split()
    phrase = " ".join(words)
    if phrase in OPT_OUT_WORDS:
        return OptOut()
    if phrase in OPT_IN_WORDS:
        return OptIn()
    if phrase in HELP_WORDS:
        return Help()
    if phrase in UNDO_PHRASES or (
        "undo" in words and len(words) <= 4 and set(words) - {"undo"} <= UNDO_EXTRA_WORDS
    ):
        return Undo()
    return None


@dataclass(slots=True)
class _Emitted:
    unit_order: int
    priority: int
    sequence: int
    command: Command


@dataclass(slots=True)
class _Assembly:
    index: UnitIndex
    sender: SenderView
    context: Context
    emitted: list[_Emitted] = field(default_factory=list)
    question: Question | None = None
    unknown: list[str] = field(default_factory=list)
    missing_descriptions: list[str] = field(default_factory=list)
    unit_order: dict[str, int] = field(default_factory=dict)
    carry: list[str] | None = None  # units of the clause before, for "2231 inspected. needs X"
    asked_for_clause: bool = False  # the clause before was ambiguous: its follow-ups wait too
    list_target: Intent | None = None  # "needs:" then one item per line
    bare_units: list[str] = field(default_factory=list)
    awaiting: list[tuple[UnitView, Intent]] = field(default_factory=list)
    negated: bool = False
    underway: bool = False  # "almost done": the work goes on, nothing changed
    errand: str | None = None  # "heading to maaco to grab 4900": the reply, nothing changed
    vague_wait: str | None = None  # the car of a "waiting" on nothing named
    correction: bool = False  # "oops meant 2240": nothing applied, UNDO suggested
    frontline_done: str | None = None  # a bare "done" about a car on the front line
    unparsed: bool = False
    photo_units: list[str] = field(default_factory=list)  # named as what the photos show
    photos_unplaced: bool = False  # photos named, no car named
    quiet: bool = False  # "thanks", a 👍 with nothing to acknowledge
    plans: list[Command] = field(default_factory=list)  # notes of a plan ("will shoot 4500")
    still_waiting: UnitView | None = None  # "no parts yet" for a car already waiting on parts
    last_intents: list[Intent] = field(default_factory=list)  # for "4500 too"

    # ------------------------------------------------------------------ lines and clauses

    def special_line(self, line: str, line_number: int) -> bool:
        """Notes and we-owes take the rest of the line as free text."""
        for pattern, action in ((_WE_OWE_RE, "we_owe"), (_NOTE_RE, "note")):
            match = pattern.match(line)
            if match is None:
                continue
            pre_tokens = tokenize(match.group("pre"))
            pre_mentions, _ = self.index.find_mentions(pre_tokens)
            told_before = False
            if action == "we_owe" and _only_chatter(pre_tokens, pre_mentions):
                pre_tokens, pre_mentions = [], []  # "i think we owe 2231 a detail"
            if not self._only_units(pre_tokens, pre_mentions):
                if not (action == "we_owe" and any(m.unit_ids for m in pre_mentions)):
                    continue
                # "sold 4301, we owe mats": the news first, then what is owed on the same car.
                told_before = True
            if told_before:
                for clause in split_clauses(match.group("pre"), line_number):
                    self.clause(clause)
                body = match.group("body").strip(" .,:-–—")
                mentions = [m for m in pre_mentions if m.unit_ids]
            elif pre_mentions:
                # "2231 note: swapped plates with 2232": the text is kept whole, on 2231 only.
                body, mentions = match.group("body").strip(" .,:-–—"), pre_mentions
            else:
                body, edge_mentions, inner_mentions = self._body(match.group("body"))
                # Units inside the free text are its subject only when none stands at an end.
                mentions = edge_mentions or [m for m in inner_mentions if m.unit_ids]
            if not body:
                continue
            if action == "note":
                intents = [Intent("note", body=body)]
            else:
                parts = [
                    _ARTICLE_RE.sub("", part.strip(" .")) for part in _SPLIT_ITEMS_RE.split(body)
                ]
                intents = [Intent("we_owe", body=part) for part in parts if part]
            reading = SegmentReading(intents, list(range(len(mentions))))
            self._bind(reading, mentions, Clause(line, False, line_number))
            return True
        return False

    def _only_units(self, tokens: list[Token], mentions: list[Mention]) -> bool:
        covered = {p for m in mentions for p in range(m.start, m.end)}
        return all(
            p in covered or t.low in FILLERS or t.kind == "sym" for p, t in enumerate(tokens)
        )

    def _body(self, body: str) -> tuple[str, list[Mention], list[Mention]]:
        """The free text of a note, without the units named at its start or end."""
        tokens = tokenize(body)
        mentions, _ = self.index.find_mentions(tokens)
        start, end = 0, len(tokens)
        kept: list[Mention] = []
        changed = True
        while changed and start < end:
            changed = False
            for mention in mentions:
                if mention.start == start and mention.unit_ids:
                    start, changed = mention.end, True
                    kept.append(mention)
                elif mention.end == end and mention.unit_ids:
                    end, changed = mention.start, True
                    kept.append(mention)
            while start < end and tokens[start].low in _BODY_EDGE:
                start, changed = start + 1, True
            while end > start and tokens[end - 1].low in _BODY_EDGE:
                end, changed = end - 1, True
        if start >= end:
            return "", kept, []
        inner = [m for m in mentions if m not in kept and m.start >= start and m.end <= end]
        return body[tokens[start].start : tokens[end - 1].end].strip(), kept, inner

    def clause(self, clause: Clause) -> None:
        tokens = tokenize(clause.text)
        if not tokens:
            return
        mentions, ignored = self.index.find_mentions(tokens)
        blocked = set(ignored)
        for mention in mentions:
            blocked.update(range(mention.start, mention.end))
        dates = find_dates(
            [t.low for t in tokens], self.context.now.date(), skip=frozenset(blocked)
        )
        ctoks = group_units(canonicalize(tokens, mentions, dates, ignored))
        if self._continues_list(ctoks, clause):
            return
        question_form = is_question(tokens, ctoks, clause.is_question)
        if question_form and tokens[0].low in _WHO_WORDS:
            # "who has the keys to 4003?": about a person, not the car's status.
            self.unparsed = True
            return
        for segment in segments(ctoks):
            if question_form:
                reading = SegmentReading(
                    [Intent("status_query")],
                    [m for c in segment if c.canon == UNIT for m in c.mentions],
                )
            else:
                reading = read_segment(
                    segment,
                    tokens,
                    clause.text,
                    vendor_words=self.index.vendor_words,
                    media=self.context.media_count > 0,
                )
                if (
                    not reading.intents
                    and not reading.has_content
                    and self.last_intents
                    and any(c.canon in _ALSO_WORDS for c in segment)
                ):
                    # "7715 parked at photo, 4500 too": the same news for the next car.
                    reading.intents = [dataclasses.replace(i) for i in self.last_intents]
            self._bind(reading, mentions, clause)

    def _continues_list(self, ctoks: list[CTok], clause: Clause) -> bool:
        """A line of plain words right after "needs:" is one more item of that list."""
        if self.list_target is None:
            return False
        if any(c.canon[:1] in "!@#~" for c in ctoks):
            self.list_target = None
            return False
        words = [c.canon for c in ctoks if c.canon not in (",", "and")]
        if not words:
            return False
        intent = self.list_target
        if intent.findings and not concepts_of(words):
            # After "inspected" only a part or job continues the list: "customer says it
            # pulls" is a new thought.
            self.list_target = None
            return False
        intent.items.append(clause.text.strip(" -*•.,").lower())
        intent.item_words.append(words)
        return True

    # ------------------------------------------------------------------ binding to units

    def _bind(self, reading: SegmentReading, mentions: list[Mention], clause: Clause) -> None:
        if reading.delivered and self.sender.role in SALES_ROLES:
            reading.intents.append(Intent("move", stage=Stage.SOLD))
        elif reading.arrived and self.sender.role == StaffRole.PARTS:
            # The parts counter's bare "came in" is the car's parts ("4300 came in"); with no car
            # named it fits only the sender's last car if that one waits on parts, else it asks.
            reading.intents.append(Intent("unblock", kind=BlockerKind.PARTS))
        elif reading.part_due is not None and self.sender.role == StaffRole.PARTS:
            reading.intents.append(reading.part_due)  # "2231 pads monday": due monday
        elif reading.collected is not None and self.sender.role == StaffRole.VENDOR:
            # A vendor who "picked up the mustang for tint" has the car now, for that work.
            reading.intents.append(
                Intent("send_to_vendor", vendor=self.sender.name, items=reading.collected)
            )
        named = [self._narrowed(mentions[i], reading) for i in reading.mentions]
        resolved: list[str] = []
        for mention in named:
            if mention.resolved and mention.resolved not in resolved:
                resolved.append(mention.resolved)
        ambiguous = [m for m in named if m.resolved is None and m.unit_ids]
        for mention in named:
            if not mention.unit_ids:
                if mention.kind == "description":
                    self.missing_descriptions.append(mention.text)
                elif self._quoted_on(mention.text, resolved):
                    continue  # "approved 3077 1850": the $1,850 on 3077's approval, no car
                elif mention.text not in self.unknown:
                    self.unknown.append(mention.text)
        for unit_id in resolved:
            self.unit_order.setdefault(unit_id, len(self.unit_order))
        if reading.thanks and not reading.intents:
            self.quiet = True
        if reading.errand is not None:
            stock = self.index.unit(resolved[0]).stock_number if resolved else None
            self.errand = self.errand or _errand_reply(
                reading.errand, reading.errand_outside, stock
            )
            self.carry = resolved or self.carry
            return
        if reading.negated or reading.underway or reading.correction:
            self.negated = self.negated or reading.negated
            self.underway = self.underway or reading.underway
            self.correction = self.correction or reading.correction
            self.carry = resolved or self.carry
            return
        if ambiguous:
            self._ask_ambiguous(ambiguous[0], clause)
        if named:
            self.carry = resolved or None
            self.asked_for_clause = bool(ambiguous) and not resolved
            targets = resolved
        elif self.carry:
            targets = self.carry
        elif self.asked_for_clause:
            return  # part of the question already asked about this text
        else:
            from_context = self._from_context(reading, clause)
            if from_context is None:
                return
            targets = from_context
        intents = reading.intents
        if not intents:
            if reading.photos:
                # "photo of 2279": the photos' car, where MMS media attach; nothing to change.
                self.photo_units.extend(u for u in targets if u not in self.photo_units)
            elif reading.has_content:
                self.unparsed = True
            elif resolved:
                self.bare_units.extend(u for u in resolved if u not in self.bare_units)
            return
        self.last_intents = intents
        for unit_id in targets:
            unit = self.index.unit(unit_id)
            for intent in intents:
                self._emit(intent, unit)
                if intent.action == "open_work" and intent.awaiting_items:
                    self.list_target = intent
        if len(targets) == 1 and _inspected_without_findings(intents):
            # "3051 inspected" then the findings one per line: "front brakes", "2 tires".
            findings = Intent("open_work", awaiting_items=True, findings=True)
            self.awaiting.append((self.index.unit(targets[0]), findings))
            self.list_target = findings

    def _quoted_on(self, number: str, unit_ids: list[str]) -> bool:
        """Whether `number` is an amount the blocker of one of `unit_ids` quotes."""
        return any(
            number in _amounts(self.index.unit(unit_id).blocker_note) for unit_id in unit_ids
        )

    def _narrowed(self, mention: Mention, reading: SegmentReading) -> Mention:
        """A description that fits several cars, of which only one has what the text is about
        open: "jeep water pump came in" (one Jeep waits on a water pump), a vendor's "done with
        the silverado" (one Silverado has their work). A near match still always asks."""
        if (
            mention.kind != "description"
            or mention.near_match
            or len(mention.unit_ids) < 2
            or not reading.intents
            or reading.negated
        ):
            return mention
        fitting = [
            unit_id
            for unit_id in mention.unit_ids
            if all(self._fits(intent, self.index.unit(unit_id)) for intent in reading.intents)
        ]
        if len(fitting) != 1:
            return mention
        return dataclasses.replace(mention, unit_ids=(fitting[0],))

    def _fits(self, intent: Intent, unit: UnitView) -> bool:
        if intent.action in ("status_query", "ack"):
            return False  # about any of them alike: the question lists them
        if (
            self.sender.role == StaffRole.VENDOR
            and intent.action in ("done", "complete_work")
            and vendor_items(unit, self.sender.name)
        ):
            return True
        return self._refers(intent, unit)

    def _from_context(self, reading: SegmentReading, clause: Clause) -> list[str] | None:
        """No unit named: the sender's most recent unit, only if the text is about something
        open on it; otherwise ask which car."""
        intents = reading.intents
        recent = [u for u in self.context.recent_unit_ids if u in self.index.units]
        if not intents:
            if reading.photos:
                # Photos go only to a car the text names: never to a guess from context.
                self.photos_unplaced = True
                return None
            if reading.acked and recent and self.sender.role in ACK_ROLES:
                return recent[:1]
            if reading.acked or reading.thanks:
                self.quiet = True
            elif reading.work_only and recent:
                # "alignment too" after texting about 2231: about 2231, but done or needed?
                self._ask_about_work(reading.work_only, recent[0])
            elif reading.has_content:
                self.unparsed = True
            return None
        if (
            all(intent.loose for intent in intents)
            and reading.has_content
            and not reading.describes_car
        ):
            # "shop is slammed today": a stage word among other words, no car, no "to": not a
            # move. A bare "sold!" is, and asks which car.
            self.unparsed = True
            return None
        actions = {intent.action for intent in intents}
        if actions == {"status_query"}:
            if recent:
                return recent[:1]
            self.unparsed = True
            return None
        if actions == {"ack"}:
            if recent and self.sender.role in ACK_ROLES:
                return recent[:1]
            self.quiet = True
            return None
        fitting = [u for u in recent if all(self._refers(i, self.index.unit(u)) for i in intents)]
        if recent and fitting and fitting[0] == recent[0]:
            return recent[:1]
        if not recent:
            # "alignment done" with no car: list the cars that have that open, to pick from.
            having = self._cars_with_open(intents)
            if having:
                listed = ", ".join(self.index.unit(u).label for u in having)
                self._ask(
                    f"Which car: {listed}? Reply with the stock number.",
                    having,
                    "which_unit",
                    clause.text,
                )
                return None
        self._ask(
            "Which car? Reply with the stock number" + _suggest(self.index, fitting or recent[:1]),
            fitting or recent[:1],
            "which_unit",
            clause.text,
        )
        return None

    def _cars_with_open(self, intents: list[Intent]) -> list[str]:
        """The few cars with open work matching every item of a completion, or none."""
        if not intents or any(i.action != "complete_work" for i in intents):
            return []
        candidates: set[str] | None = None
        for intent in intents:
            for words in intent.item_words:
                having = self.index.with_open_concepts(concepts_of(words))
                candidates = having if candidates is None else candidates & having
        if not candidates or len(candidates) > _MAX_LISTED:
            return []
        units = [self.index.unit(u) for u in sorted(candidates)]
        return [u.id for u in units if all(self._refers(i, u) for i in intents)]

    def _refers(self, intent: Intent, unit: UnitView) -> bool:
        """Whether a unit-less text is about something open on `unit`."""
        match intent.action:
            case "complete_work":
                return all(
                    match_open_item(words, unit, vendor=self.sender.name).item is not None
                    for words in intent.item_words
                )
            case "unblock":
                if intent.kind is None:
                    return unit.blocker_kind is not None
                return unit.blocker_kind == intent.kind.value
            case "open_work":
                return intent.approved and unit.blocker_kind == BlockerKind.APPROVAL.value
            case "block":
                if (
                    self.sender.role == StaffRole.PARTS
                    and intent.kind == BlockerKind.PARTS
                    and intent.note_words
                    and match_open_item(intent.note_words, unit).item is not None
                ):
                    # The parts counter's "compressor backordered til monday" after texting
                    # about 4002: the part of 4002's open compressor job.
                    return True
                if unit.blocker_kind is None:
                    return False
                if intent.kind is None or not intent.note_words:
                    return intent.kind is None or unit.blocker_kind == intent.kind.value
                on_item = match_open_item(intent.note_words, unit).item is not None
                on_note = bool(set(intent.note_words) & set(words_of(unit.blocker_note or "")))
                return on_item or on_note
            case "sublet_return":
                return unit.stage == Stage.SUBLET.value
            case "status_query" | "ack":
                return True
        return False

    # ------------------------------------------------------------------ commands

    def _emit(self, intent: Intent, unit: UnitView) -> None:
        base = {"unit_id": unit.id, "stock_number": unit.stock_number}
        self.unit_order.setdefault(unit.id, len(self.unit_order))
        match intent.action:
            case "done":
                self._emit_done(intent, unit)
            case "move":
                assert intent.stage is not None
                self._add(Move(**base, to_stage=intent.stage))
            case "open_work":
                if intent.awaiting_items:
                    self.awaiting.append((unit, intent))  # items follow on the next lines
                elif intent.items:
                    items = intent.items
                    if intent.reminder:
                        # "still needs the alignment": an item already open is not opened again.
                        items = [
                            item
                            for item, words in zip(items, intent.item_words, strict=True)
                            if match_open_item(words, unit).item is None
                        ]
                    if intent.approved:
                        items = _approved_names(items, intent.item_words, unit)
                    if items:
                        self._add(OpenWork(**base, items=items, approved=intent.approved))
            case "complete_work" if intent.put_in and (
                self.sender.role in _RECEIVING_ROLES
                or (intent.is_in and _awaits_part(unit, intent.item_words))
            ):
                # The parts counter and the office receive parts, they do not install them; and
                # "shocks are in" said of a car waiting on its shocks is the shocks arrived.
                self._add(Unblock(**base, kind=BlockerKind.PARTS))
            case "complete_work":
                for item, words in zip(intent.items, intent.item_words, strict=True):
                    self._emit_completion(unit, item, words)
            case "block" if (
                intent.kind is None
                and intent.eta is None
                and not intent.delayed
                and unit.blocker_kind is None
            ):
                # A bare "waiting" ("4301 pending delivery") on a car that waits on nothing yet:
                # on what is anyone's guess, so it is explained back rather than made parts.
                self.vague_wait = self.vague_wait or unit.stock_number
            case "block":
                kind = intent.kind or self._delay_kind(intent, unit) or _current_kind(unit)
                eta = intent.eta
                if intent.not_arrived and eta is not None and eta <= self.context.now.date():
                    eta = None  # "didn't come in today": no new day to expect it
                if (
                    kind == BlockerKind.PARTS
                    and not intent.note_words
                    and eta is None
                    and unit.blocker_kind == BlockerKind.PARTS.value
                ):
                    # "no parts yet for 4300" on a car already waiting on parts: it stays as it
                    # is (its note names the part); the reply says so.
                    self.still_waiting = self.still_waiting or unit
                    return
                self._add(Block(**base, kind=kind, note=intent.note, eta=eta))
            case "unblock" if (
                intent.approves_work and unit.blocker_kind != BlockerKind.APPROVAL.value
            ):
                pass  # "ok to do tires on 4800": the tires are approved; 4800 waits on nothing
            case "unblock":
                self._add(Unblock(**base, kind=intent.kind))
            case "send_to_vendor":
                self._add(SendToVendor(**base, vendor=intent.vendor, work=intent.items))
            case "sublet_return" if unit.stage != Stage.SUBLET.value and not intent.known_vendor:
                # "4301 came back, deal unwound", "2232 back from gas station": not out with a
                # vendor, so not a return.
                self.unparsed = True
            case "sublet_return":
                self._add(SubletReturn(**base, from_vendor=intent.vendor))
            case "note":
                note = Note(**base, body=intent.body or "")
                if intent.plan:
                    self.plans.append(note)
                self._add(note)
            case "we_owe":
                self._add(WeOwe(**base, item=intent.body or ""))
            case "ack":
                self._add(Ack(**base))
            case "status_query":
                self._add(StatusQuery(**base))

    def _delay_kind(self, intent: Intent, unit: UnitView) -> BlockerKind | None:
        """Who holds up a car that "can't be got to": a vendor's own delay is a vendor hold."""
        if not intent.delayed:
            return None
        if self.sender.role == StaffRole.VENDOR:
            return BlockerKind.VENDOR
        return BlockerKind(unit.blocker_kind) if unit.blocker_kind else BlockerKind.OTHER

    def _emit_done(self, intent: Intent, unit: UnitView) -> None:
        base = {"unit_id": unit.id, "stock_number": unit.stock_number}
        if intent.stage is not None:
            self._add(Done(**base, stage=intent.stage))
            return
        if self.sender.role == StaffRole.VENDOR:
            # A vendor's "done" is their own work on the car; it stays in sublet until back.
            mine = vendor_items(unit, self.sender.name)
            if mine:
                for item in mine:
                    self._add(CompleteWork(**base, item=item.name, work_item_id=item.id))
                return
            if unit.stage != Stage.SUBLET.value:
                # Not out with any vendor and none of their work on it: likely the wrong number.
                self._ask(
                    f"{unit.label} has no work open for {self.sender.name}. Which car did you "
                    "finish? Reply with the stock number.",
                    [unit.id],
                    "which_unit",
                    None,
                )
                return
        if (
            self.sender.role == StaffRole.USED_CAR_MANAGER
            and unit.blocker_kind == BlockerKind.APPROVAL.value
        ):
            # The manager does no work on the car: their "✅" on a car that waits on their
            # approval is the approval, not a finished stage.
            self._add(Unblock(**base, kind=BlockerKind.APPROVAL))
            return
        stage = stage_for_done(self.sender.role, unit.stage)
        if stage == Stage.FRONTLINE:
            # The front line's "done" is a sale: "4301 ready" or "all set" never sells a car,
            # only "sold" does.
            self.frontline_done = self.frontline_done or unit.stock_number
            return
        self._add(Done(**base, stage=stage))

    def _emit_completion(self, unit: UnitView, item: str, words: list[str]) -> None:
        found = match_open_item(words, unit, vendor=self.sender.name)
        if found.tied:
            names = " or ".join(work.name for work in found.tied[:3])
            self._ask(
                f"Which one on {unit.label}: {names}? Reply e.g. "
                f'"{unit.stock_number} {found.tied[0].name} done".',
                [unit.id],
                "ambiguous_work_item",
                None,
            )
            return
        self._add(
            CompleteWork(
                unit_id=unit.id,
                stock_number=unit.stock_number,
                item=found.item.name if found.item else item,
                work_item_id=found.item.id if found.item else None,
            )
        )

    def _add(self, command: Command) -> None:
        unit_id = getattr(command, "unit_id", "")
        self.emitted.append(
            _Emitted(
                self.unit_order.get(unit_id, 0),
                _PRIORITY.get(command.action, 9),
                len(self.emitted),
                command,
            )
        )

    # ------------------------------------------------------------------ questions

    def _ask_ambiguous(self, mention: Mention, clause: Clause) -> None:
        units = [self.index.unit(u) for u in mention.unit_ids]
        listed = ", ".join(unit.label for unit in units[:6])
        more = f" (+{len(units) - 6} more)" if len(units) > 6 else ""
        if mention.kind == "description" and mention.near_match:
            lead = f'No exact match for "{mention.description}". Which one: '
        elif mention.kind == "description":
            lead = f"Which {mention.description}: "
        else:
            lead = f"{mention.text} matches more than one car: "
        self._ask(
            f"{lead}{listed}{more}? Reply with the stock number.",
            list(mention.unit_ids),
            "ambiguous_unit",
            clause.text,
        )

    def _ask_about_work(self, work: str, unit_id: str) -> None:
        """Work named with nothing said of it: done, or needed? Asked, never guessed."""
        unit = self.index.unit(unit_id)
        stock = unit.stock_number
        self._ask(
            f'What about the {work} on {unit.label}? Reply e.g. "{stock} {work} done" or '
            f'"{stock} needs {work}".',
            [unit.id],
            "ambiguous_work_item",
            None,
        )

    def _ask(
        self, text: str, candidates: list[str], reason: QuestionReason, pending: str | None
    ) -> None:
        if self.question is None:
            self.question = Question(
                text=text, candidate_unit_ids=candidates, reason=reason, pending_text=pending
            )

    # ------------------------------------------------------------------ result

    def finish(self) -> Interpretation:
        if self.plans and all(e.command in self.plans for e in self.emitted):
            # "will shoot 4500 after lunch" and nothing else: a plan, like "about to shoot 4500";
            # nothing is recorded until it is done. Beside other news it stays as a note.
            self.emitted.clear()
            self.underway = True
        for unit, intent in self.awaiting:
            if intent.items:
                self._add(
                    OpenWork(unit_id=unit.id, stock_number=unit.stock_number, items=intent.items)
                )
        if self.bare_units and self.context.media_count and len(self.bare_units) == 1:
            # "4003" sent with pictures: the pictures' car (they attach to it), not a question.
            self.photo_units.extend(u for u in self.bare_units if u not in self.photo_units)
            self.bare_units = []
        if not self.emitted and self.question is None and self.bare_units and not self.unparsed:
            for unit_id in self.bare_units:
                unit = self.index.unit(unit_id)
                self._add(StatusQuery(unit_id=unit.id, stock_number=unit.stock_number))
        ordered = sorted(self.emitted, key=lambda e: (e.unit_order, e.priority, e.sequence))
        commands: list[Command] = []
        for emitted in ordered:
            if emitted.command not in commands:
                commands.append(emitted.command)
        units = [
            UnitRef(unit_id=u, stock_number=self.index.unit(u).stock_number)
            for u in sorted(self.unit_order, key=self.unit_order.__getitem__)
        ]
        not_understood = None if commands or self.question else self._explanation()
        nothing_asked = not commands and self.question is None and not_understood is None
        return Interpretation(
            commands=commands,
            question=self.question,
            not_understood=not_understood,
            small_talk=nothing_asked and self.quiet and not self.unparsed,
            unknown_numbers=self.unknown,
            units=units,
        )

    def _explanation(self) -> str | None:
        if self.unknown:
            numbers = ", ".join(self.unknown)
            return f"I couldn't find stock {numbers}. Check the number and text it again."
        if self.missing_descriptions:
            return f'I couldn\'t find "{self.missing_descriptions[0]}". Text the stock number.'
        if self.negated:
            return (
                'I read a "not" in that, so nothing changed. Text what was done, '
                'e.g. "2231 brakes done".'
            )
        if self.still_waiting:
            unit = self.still_waiting
            note = f" ({unit.blocker_note})" if unit.blocker_note else ""
            return (
                f"{unit.stock_number} is already waiting on parts{note}, so nothing changed. "
                f'Text e.g. "{unit.stock_number} parts eta friday" for a new date, or '
                f'"{unit.stock_number} parts in" when they come.'
            )
        if self.frontline_done:
            return (
                f"{self.frontline_done} is already on the front line, so nothing changed. If it "
                f'sold, text "{self.frontline_done} sold".'
            )
        if self.correction:
            return (
                "Nothing changed. To take back your last change text UNDO, then send it again "
                'with the right stock number, e.g. "2240 done".'
            )
        if self.vague_wait:
            return (
                f'Waiting on what? Text e.g. "{self.vague_wait} waiting on parts eta friday" or '
                f'"{self.vague_wait} waiting on approval".'
            )
        if self.errand:
            return self.errand
        if self.underway:
            return (
                "Sounds like that isn't finished yet, so nothing changed. Text e.g. "
                '"2231 done" when it is.'
            )
        if self.photo_units and not self.unparsed:
            if self.context.media_count:
                return None  # the photos themselves are the news: they attach to the car
            stock = self.index.unit(self.photo_units[0]).stock_number
            return (
                "No photo came with that text, so nothing changed. To move a car to photos, "
                f'text e.g. "{stock} to photos".'
            )
        if self.photos_unplaced and not self.unparsed:
            return (
                "Which car are the photos for? Send them again with the stock number, "
                'e.g. "2231 pic of the dent".'
            )
        if self.quiet and not self.unparsed:
            return None
        return (
            "Sorry, I didn't understand. Text the stock number and what happened, e.g. "
            '"2231 brakes done" or "2231 to detail". Text HELP for more.'
        )


def _only_chatter(tokens: list[Token], mentions: list[Mention]) -> bool:
    """A few plain words and no car or keyword: "i think", "pretty sure", "oh and"."""
    return (
        not mentions
        and 0 < len(tokens) <= 3
        and all(word_canon(t) == "!ack" or not word_canon(t).startswith(("!", "@")) for t in tokens)
    )


def _inspected_without_findings(intents: list[Intent]) -> bool:
    return any(i.action == "done" and i.stage == Stage.INSPECTION for i in intents) and not any(
        i.action == "open_work" for i in intents
    )


def _errand_reply(place: str, outside: bool, stock: str | None) -> str:
    """Nothing changed for an errand; say what to text once the car has moved."""
    lead = f"Sounds like you're on your way to {place}, so nothing changed yet."
    if not outside:
        return f"{lead} Once {stock or 'the car'} has moved, text where it went."
    car = f"{stock} " if stock else ""
    who = "Text" if stock else "Text the stock number with"
    return (
        f'{lead} {who} "{car}to {place}" once it\'s dropped off, or "{car}back from {place}" '
        "once it's back."
    )


_AMOUNT_RE = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d\d)?")


def _amounts(note: str | None) -> frozenset[str]:
    """The dollar amounts a note quotes, as digits: "reseal $1,850" -> {"1850"}."""
    return frozenset(m.group(1).replace(",", "") for m in _AMOUNT_RE.finditer(note or ""))


def _approved_names(items: list[str], item_words: list[list[str]], unit: UnitView) -> list[str]:
    """Approved work already open on the car is that item, by its own name ("approved the timing
    cover" is the open "timing cover reseal"), so it is approved rather than opened twice."""
    names: list[str] = []
    for item, words in zip(items, item_words, strict=True):
        found = match_open_item(words, unit).item
        # Only when the words approved are the open item's own ("tie rods" of "tie rod ends"):
        # "ac recharge" is not the open "A/C compressor", though both are A/C work.
        same = found is not None and _stems(content_of(words)) <= _stems(words_of(found.name))
        name = found.name if found is not None and same else item
        if name not in names:
            names.append(name)
    return names


def _stems(words: Iterable[str]) -> set[str]:
    """Words without punctuation or a plural "s": "A/C" is "ac", "rods" is "rod"."""
    stems = set()
    for word in words:
        stem = re.sub(r"[^a-z0-9]", "", word.lower())
        stems.add(stem[:-1] if len(stem) > 3 and stem.endswith("s") else stem)
    return stems


def _awaits_part(unit: UnitView, item_words: list[list[str]]) -> bool:
    """Whether `unit` waits on parts whose note names the part of every one of `item_words`."""
    if unit.blocker_kind != BlockerKind.PARTS.value or not unit.blocker_note:
        return False
    note = words_of(unit.blocker_note)
    note_concepts = concepts_of(note)
    return all(
        concepts_of(words) & note_concepts or (not concepts_of(words) and set(words) & set(note))
        for words in item_words
    )


def _current_kind(unit: UnitView) -> BlockerKind:
    if unit.blocker_kind:
        return BlockerKind(unit.blocker_kind)
    return BlockerKind.PARTS


def _suggest(index: UnitIndex, unit_ids: list[str]) -> str:
    if not unit_ids:
        return ', e.g. "2231 done".'
    return f" ({index.unit(unit_ids[0]).label} is the last car you texted about)."
