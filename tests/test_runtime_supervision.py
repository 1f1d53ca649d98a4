"""A bug the controller hits on one robot's report must not stop a real site: the
runtime of ``fleet run`` (strict=False) logs it, counts it and serves the next
report; simulations and tests (strict) stop where the bug is (issue 17, finding 5)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from e2e import small_room
from linkcontract import QuietLink
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.clock import run
from fleet.controller.core import Controller
from fleet.link import LinkEvent, StateReceived
from fleet.runtime import FleetRuntime
from fleet.store import MemoryStore
from fleet.vda import Position, RobotState


class ScriptedLink(QuietLink):
    """Robot "A": reports ``count`` states, one a simulated second, then stays quiet."""

    def __init__(self, count: int) -> None:
        super().__init__("A")
        self.count = count
        self.all_taken = asyncio.Event()
        """Set once the runtime has taken the last report (and asked for more)."""

    async def events(self) -> AsyncIterator[LinkEvent]:
        for i in range(self.count):
            await asyncio.sleep(1.0)
            yield StateReceived(RobotState("A", float(i), position=Position(1.0, 1.0)))
        self.all_taken.set()
        await asyncio.Event().wait()


def faulty(ctl: Controller, handled: list[float]) -> None:
    """Its first report raises, as a bug would; the rest are handled as usual."""
    original = ctl.on_state

    def on_state(state: RobotState, now: float) -> Any:
        handled.append(now)
        if len(handled) == 1:
            raise RuntimeError("a bug on this report")
        return original(state, now)

    ctl.on_state = on_state  # type: ignore[method-assign]


def serve(strict: bool) -> tuple[FleetRuntime, list[float]]:
    ctl = build_controller(small_room(), {"A": MODEL}, store=MemoryStore(), run_id="t")
    handled: list[float] = []
    faulty(ctl, handled)
    link = ScriptedLink(3)
    runtime = FleetRuntime(ctl, [link], strict=strict)

    async def main() -> None:
        task = asyncio.create_task(runtime.run())
        taken = asyncio.create_task(link.all_taken.wait())
        try:
            async with asyncio.timeout(60.0):
                await asyncio.wait({task, taken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            taken.cancel()
            runtime.stop()
            await task

    run(main(), clock="virtual")
    return runtime, handled


def test_a_real_site_logs_the_bug_and_serves_the_next_report() -> None:
    runtime, handled = serve(strict=False)
    assert len(handled) == 3 and runtime.handler_failures == 1
    assert runtime.controller.robots["A"].state is not None, "later reports were taken"


def test_a_simulation_stops_where_the_bug_is() -> None:
    with pytest.raises(ExceptionGroup) as caught:
        serve(strict=True)
    assert caught.group_contains(RuntimeError, match="a bug on this report")
