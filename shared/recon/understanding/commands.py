"""What a text was understood to mean: commands, a question back, or an explanation.

Stored as JSON on the message and shown on the board, so every model here is plain pydantic.
Commands are listed in the order they should be applied (work items before the "done" that
depends on them being open).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from recon.domain.stages import BlockerKind, Stage


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def changes_unit(self) -> bool:
        return False

    def describe(self) -> str:
        raise NotImplementedError


class _UnitCommand(_Command):
    unit_id: str
    stock_number: str

    @property
    def changes_unit(self) -> bool:
        return True


class Move(_UnitCommand):
    action: Literal["move"] = "move"
    to_stage: Stage

    def describe(self) -> str:
        return f"{self.stock_number}: to {self.to_stage.value}"


class Done(_UnitCommand):
    """The sender finished `stage`; the domain picks the next stage and refuses to go backwards."""

    action: Literal["done"] = "done"
    stage: Stage

    def describe(self) -> str:
        return f"{self.stock_number}: {self.stage.value} done"


class OpenWork(_UnitCommand):
    action: Literal["open_work"] = "open_work"
    items: list[str]
    vendor: str | None = None
    approved: bool = False

    def describe(self) -> str:
        verb = "approved" if self.approved else "needs"
        return f"{self.stock_number}: {verb} {', '.join(self.items)}"


class CompleteWork(_UnitCommand):
    action: Literal["complete_work"] = "complete_work"
    item: str
    # The open work item this completes; None records a new item as done.
    work_item_id: str | None = None

    def describe(self) -> str:
        return f"{self.stock_number}: {self.item} done"


class Block(_UnitCommand):
    action: Literal["block"] = "block"
    kind: BlockerKind
    # None keeps the unit's current note (a text that only moves the ETA).
    note: str | None = None
    eta: date | None = None

    def describe(self) -> str:
        if self.kind is BlockerKind.OTHER:
            what = f"on hold ({self.note})" if self.note and self.note != "on hold" else "on hold"
        else:
            what = f"waiting on {self.note or self.kind.value}"
        eta = f" ETA {self.eta.month}/{self.eta.day}" if self.eta else ""
        return f"{self.stock_number}: {what}{eta}"


class Unblock(_UnitCommand):
    action: Literal["unblock"] = "unblock"
    # None clears whatever blocker the unit has.
    kind: BlockerKind | None = None

    def describe(self) -> str:
        if self.kind is BlockerKind.PARTS:
            return f"{self.stock_number}: parts in"
        if self.kind is BlockerKind.APPROVAL:
            return f"{self.stock_number}: approved"
        return f"{self.stock_number}: off hold"


class SendToVendor(_UnitCommand):
    """Moves the unit to sublet and opens `work` assigned to `vendor`."""

    action: Literal["send_to_vendor"] = "send_to_vendor"
    vendor: str | None = None
    work: list[str] = Field(default_factory=list)

    def describe(self) -> str:
        work = f" for {', '.join(self.work)}" if self.work else ""
        return f"{self.stock_number}: to {self.vendor or 'sublet'}{work}"


class SubletReturn(_UnitCommand):
    action: Literal["sublet_return"] = "sublet_return"
    from_vendor: str | None = None

    def describe(self) -> str:
        return f"{self.stock_number}: back from {self.from_vendor or 'sublet'}"


class Note(_UnitCommand):
    action: Literal["note"] = "note"
    body: str

    def describe(self) -> str:
        return f"{self.stock_number}: note added"


class WeOwe(_UnitCommand):
    action: Literal["we_owe"] = "we_owe"
    item: str

    def describe(self) -> str:
        return f"{self.stock_number}: we owe {self.item}"


class Ack(_UnitCommand):
    action: Literal["ack"] = "ack"

    def describe(self) -> str:
        return f"{self.stock_number}: acknowledged"


class StatusQuery(_UnitCommand):
    action: Literal["status_query"] = "status_query"

    @property
    def changes_unit(self) -> bool:
        return False

    def describe(self) -> str:
        return f"{self.stock_number}: status asked"


class AttachPhotos(_UnitCommand):
    """Added by the webhook when the text carries media; interpret() never emits it."""

    action: Literal["attach_photos"] = "attach_photos"
    media_urls: list[str] = Field(default_factory=list)

    def describe(self) -> str:
        return f"{self.stock_number}: {len(self.media_urls)} photo(s)"


class OptOut(_Command):
    action: Literal["opt_out"] = "opt_out"

    def describe(self) -> str:
        return "opt out"


class OptIn(_Command):
    action: Literal["opt_in"] = "opt_in"

    def describe(self) -> str:
        return "opt in"


class Help(_Command):
    action: Literal["help"] = "help"

    def describe(self) -> str:
        return "help"


class Undo(_Command):
    action: Literal["undo"] = "undo"

    def describe(self) -> str:
        return "undo last change"


Command = Annotated[
    Move
    | Done
    | OpenWork
    | CompleteWork
    | Block
    | Unblock
    | SendToVendor
    | SubletReturn
    | Note
    | WeOwe
    | Ack
    | StatusQuery
    | AttachPhotos
    | OptOut
    | OptIn
    | Help
    | Undo,
    Field(discriminator="action"),
]

UnitCommand = (
    Move
    | Done
    | OpenWork
    | CompleteWork
    | Block
    | Unblock
    | SendToVendor
    | SubletReturn
    | Note
    | WeOwe
    | Ack
    | StatusQuery
    | AttachPhotos
)

QuestionReason = Literal["ambiguous_unit", "which_unit", "ambiguous_work_item", "no_such_unit"]


class Question(BaseModel):
    """Ask the sender back instead of guessing; nothing in the text was applied for this part."""

    model_config = ConfigDict(frozen=True)

    text: str
    candidate_unit_ids: list[str] = Field(default_factory=list)
    reason: QuestionReason
    # The part of the text still waiting for a unit, so a reply that is only a stock number
    # can be re-read as "<stock> <pending_text>".
    pending_text: str | None = None


class UnitRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    unit_id: str
    stock_number: str


class Interpretation(BaseModel):
    commands: list[Command] = Field(default_factory=list)
    question: Question | None = None
    not_understood: str | None = None
    # Nothing to do and nothing amiss: small talk ("thanks", "on my way") or a phone's
    # reaction to an earlier text that does not dispute it ("Liked …", not "Disliked …").
    small_talk: bool = False
    unknown_numbers: list[str] = Field(default_factory=list)
    # Every unit the text named or was resolved to, in order: where MMS photos attach.
    units: list[UnitRef] = Field(default_factory=list)

    @property
    def changes_units(self) -> bool:
        return any(command.changes_unit for command in self.commands)

    @property
    def photo_unit(self) -> UnitRef | None:
        """The unit an MMS photo attaches to: only when the text names exactly one."""
        return self.units[0] if len(self.units) == 1 else None

    def summary(self) -> str:
        """One line for the board: what the text was understood to mean."""
        parts = [command.describe() for command in self.commands]
        if self.unknown_numbers:
            parts.append("no unit " + ", ".join(self.unknown_numbers))
        if self.question:
            parts.append("asked: " + self.question.text)
        if self.not_understood and not parts:
            parts.append("not understood: " + self.not_understood)
        return "; ".join(parts) if parts else "nothing to change"
