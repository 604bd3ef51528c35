"""What a domain change can refuse, as exceptions the edges turn into replies or 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """A change the rules refuse; the message is written for the person who asked."""


class NotFound(DomainError):
    pass


class StaleUnit(DomainError):
    """Someone else changed the unit first (its version moved on)."""

    def __init__(self, *, stock_number: str, expected: int | None, actual: int | None) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"unit {stock_number} changed since version {expected}; "
            f"reload it (now version {actual}) and try again"
            if actual is not None
            else f"unit {stock_number} was changed by someone else at the same time; try again"
        )


class InvalidInput(DomainError):
    """The request itself is incomplete (an empty note, a work item without a name)."""


class InvalidChange(DomainError):
    """The change does not fit the unit's state (e.g. done for a stage it has not reached)."""


class AlreadyPast(InvalidChange):
    """A "done" for a stage the unit has already left: nothing changes."""

    def __init__(self, *, stock_number: str, stage: str, current: str) -> None:
        self.stage = stage
        self.current = current
        super().__init__(f"{stock_number} is already past {stage}: it is in {current}")
