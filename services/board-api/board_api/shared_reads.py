"""Identical reads that arrive together share one query, and never a query older than they are.

Fifty screens showing one store's board ask the same question (this token, this store, its
latest event seq) many times a second. Each answer must be as fresh as the request: a change
committed before the request came must show. So a request joins no query that is already out
(it may have begun before that commit); it waits for the next one, which starts as soon as
the one out is back, and answers everyone who came in the meantime. One query at a time per
question, however many ask, and each request is answered by a query that began after it came.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class _Turn(Generic[T]):
    """A question's query out now, and the answer promised to those who came after it left."""

    __slots__ = ("next", "next_query")

    def __init__(self) -> None:
        self.next: asyncio.Future[T] | None = None
        self.next_query: Callable[[], Coroutine[Any, Any, T]] | None = None


class SharedReads(Generic[T]):
    def __init__(self) -> None:
        self._turns: dict[Hashable, _Turn[T]] = {}

    async def read(self, key: Hashable, query: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """`query()`'s answer, from a query that began after this call did. `key` must
        determine the answer entirely (callers with the same key get the same answer), and
        `query` should be bounded in time: everyone with this key waits for it."""
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
            answer: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            self._start(key, turn, query, answer)
        else:
            if turn.next is None:
                turn.next = asyncio.get_running_loop().create_future()
                turn.next_query = query
            answer = turn.next
        # Shielded: a caller that gives up (its client hung up) does not cancel the others'.
        return await asyncio.shield(answer)

    def _start(
        self,
        key: Hashable,
        turn: _Turn[T],
        query: Callable[[], Coroutine[Any, Any, T]],
        answer: asyncio.Future[T],
    ) -> None:
        task = asyncio.ensure_future(query())
        # Its error is seen, even when every caller waiting for it has given up.
        answer.add_done_callback(lambda answer: answer.cancelled() or answer.exception())

        def done(task: asyncio.Future[T]) -> None:
            if task.cancelled():
                answer.cancel()
            elif (error := task.exception()) is not None:
                answer.set_exception(error)
            else:
                answer.set_result(task.result())
            if turn.next is None or turn.next_query is None:
                del self._turns[key]
                return
            waiting, waiting_query = turn.next, turn.next_query
            turn.next = turn.next_query = None
            self._start(key, turn, waiting_query, waiting)

        task.add_done_callback(done)
