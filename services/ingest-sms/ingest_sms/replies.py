"""The words of every reply: one short SMS (plain GSM characters, so 160 fit in a segment)."""

from __future__ import annotations

from collections.abc import Sequence

from recon.domain.sms import Outcome

SEGMENT = 160

HELP = (
    "Recon Board: text a stock number and what changed, e.g. '2231 brakes done', "
    "'7710 waiting on parts', 'where is 2231'. UNDO reverts your last change. STOP opts out."
)
OPTED_OUT = "You won't get Recon Board texts any more. Text START to opt back in."
OPTED_IN = "You're back on Recon Board texts. Text HELP for how to update the board."
UNREGISTERED = (
    "This number isn't registered with this store's Recon Board, so nothing was changed. "
    "Ask your manager to add you."
)
FLOODED = "Too many texts at once: we're holding the rest for review. Slow down and try again."
APOLOGY = (
    "Sorry, something went wrong reading that text. Nothing changed; a manager will review it."
)
BUSY = "That car was being changed at the same moment. Nothing changed; please text again."
HELD = "Got it. The board is busy right now: your text is saved and will be applied in a minute."
NOTHING_TO_CHANGE = "Got it. Nothing to change on the board."
FOR_REVIEW = "Nothing changed yet: a manager will look at your text."
NOTHING_TO_UNDO = "Nothing to undo: no change of yours in the last 15 minutes."


def confirmation(outcomes: Sequence[Outcome], unknown_numbers: Sequence[str] = ()) -> str:
    """Each unit named once with what happened to it, then any numbers that matched nothing."""
    by_unit: dict[str, list[str]] = {}
    for outcome in outcomes:
        by_unit.setdefault(outcome.label, []).append(outcome.summary)
    parts = [f"{label}: {', '.join(summaries)}" for label, summaries in by_unit.items()]
    if unknown_numbers:
        parts.append(unknown(unknown_numbers))
    text = ". ".join(parts)
    if len(text) > SEGMENT and len(by_unit) > 1:
        # Several cars: the stock number alone names each one well enough.
        parts = [
            f"{label.split(' ')[0]}: {', '.join(summaries)}" for label, summaries in by_unit.items()
        ]
        if unknown_numbers:
            parts.append(unknown(unknown_numbers))
        text = ". ".join(parts)
    return text


def unknown(numbers: Sequence[str]) -> str:
    if len(numbers) == 1:
        return f"No car {numbers[0]} on the board"
    return f"No cars {', '.join(numbers)} on the board"


def undone(outcomes: Sequence[Outcome] | None) -> str:
    """What UNDO reverted and, plainly apart, what it could not (`changed` False)."""
    if outcomes is None:
        return NOTHING_TO_UNDO
    reverted = [outcome for outcome in outcomes if outcome.changed]
    kept = [outcome for outcome in outcomes if not outcome.changed]
    if not reverted:
        return f"Can't undo that, nothing changed: {confirmation(kept)}. Fix it on the board."
    if not kept:
        return "Undone. " + confirmation(reverted)
    return f"Undone. {confirmation(reverted)}. Not undone: {confirmation(kept)}"
