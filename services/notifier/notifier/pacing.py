"""Pacing per sending number: carriers throttle (and flag) a long code sending faster than
about one text a second, so each number gets its own queue of time slots."""

from __future__ import annotations

import asyncio


class Pacer:
    def __init__(self, rate_per_second: float) -> None:
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._next_slot: dict[str, float] = {}

    async def wait(self, number: str) -> None:
        """Return when `number` may send its next text (at once when pacing is off)."""
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot.get(number, 0.0))
        self._next_slot[number] = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)
