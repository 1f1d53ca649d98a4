"""A ``FleetSource`` in memory, fed by hand: for tests, benchmarks and trying the
dashboard without a controller.

Updates given to ``feed`` come out of ``updates()`` in order; ``close`` ends the
stream. Every command is recorded in ``requests`` and answered by ``answer``
(by default: accepted, with the command's name as the result), so a test can
assert exactly what the dashboard sent and script refusals. Requests that only
read (``recentEvents``, ``dishHistory``) change nothing on the floor: they are
recorded apart, in ``reads``; ``recentEvents`` is answered from ``stored``, the
events the controller's store holds, and ``dishHistory`` by ``answer``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable

from fleet.api.messages import ClientCommand, DishHistory, EventView, RecentEvents, Reply
from fleet.api.updates import Update


def accept(command: ClientCommand) -> Reply:
    """The default answer: done."""
    return Reply(request_id=None, ok=True, result=f"{type(command).__name__} done")


class ScriptedSource:
    def __init__(self, updates: Iterable[Update] = (), *,
                 answer: Callable[[ClientCommand], Reply] = accept,
                 stored: Iterable[EventView] = ()) -> None:
        self._pending: list[Update | None] = list(updates)
        self.fed = len(self._pending)
        """Updates fed so far (a test waits until the dashboard applied them all)."""
        self._queue: asyncio.Queue[Update | None] | None = None
        self.answer = answer
        self.requests: list[ClientCommand] = []
        self.stored = list(stored)
        self.reads: list[ClientCommand] = []

    def feed(self, *updates: Update) -> None:
        """Queue updates for the dashboard (callable before or while it runs, from
        the event loop's thread)."""
        self.fed += len(updates)
        if self._queue is None:
            self._pending.extend(updates)
        else:
            for u in updates:
                self._queue.put_nowait(u)

    def close(self) -> None:
        """End the stream of updates (the dashboard shows it is disconnected)."""
        if self._queue is None:
            self._pending.append(None)
        else:
            self._queue.put_nowait(None)

    async def updates(self) -> AsyncIterator[Update]:
        self._queue = asyncio.Queue()
        for u in self._pending:
            self._queue.put_nowait(u)
        self._pending = []
        while True:
            update = await self._queue.get()
            if update is None:
                return
            yield update

    async def request(self, command: ClientCommand, *, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        if isinstance(command, RecentEvents):
            self.reads.append(command)
            events = [e for e in self.stored if e.kind not in command.leave_out][-command.limit:]
            return Reply(request_id=None, ok=True, result=f"the last {len(events)} event(s)",
                         events=events)
        if isinstance(command, DishHistory):
            self.reads.append(command)
            return self.answer(command)
        self.requests.append(command)
        return self.answer(command)
