"""Commands reach each robot in the order the core made them, whoever sends them:
a state's pump, the ticker and the fleet API run side by side, and a caller still
sending to a slow robot must not let a later caller's order update for another robot
go first. Before the per-robot outboxes, an 8-hour, 30-robot day logged thousands of
"update N is older than N+1" refusals."""

from __future__ import annotations

import asyncio

from e2e import small_room
from linkcontract import QuietLink
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.clock import run
from fleet.controller.commands import SendOrder
from fleet.runtime import FleetRuntime
from fleet.store import MemoryStore
from fleet.vda import Order


class RecordingLink(QuietLink):
    """Records what it is sent; a ``gate`` holds every send until it is set."""

    def __init__(self, serial: str, received: list[tuple[str, int]],
                 gate: asyncio.Event | None = None) -> None:
        super().__init__(serial)
        self.received, self.gate = received, gate

    async def send_order(self, order: Order) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.received.append((self.serial, order.order_update_id))


def update(serial: str, n: int) -> SendOrder:
    return SendOrder(serial, Order(f"{serial}-leg", n, (), ()))


def test_a_later_callers_update_never_overtakes_an_earlier_one_for_the_same_robot() -> None:
    received: list[tuple[str, int]] = []

    async def main() -> None:
        gate = asyncio.Event()
        slow, quick = RecordingLink("S", received, gate), RecordingLink("Q", received)
        ctl = build_controller(small_room(), {"S": MODEL, "Q": MODEL}, store=MemoryStore(),
                               run_id="t")
        runtime = FleetRuntime(ctl, [slow, quick])
        # A state's pump: S's send hangs on the link, Q's update 1 is behind it.
        first = asyncio.create_task(runtime.execute([update("S", 1), update("Q", 1)]))
        await asyncio.sleep(0)
        # The ticker, a moment later: Q's update 2, made after update 1.
        second = asyncio.create_task(runtime.execute([update("Q", 2)]))
        await asyncio.sleep(0.5)
        gate.set()
        await asyncio.gather(first, second)

    run(main(), clock="virtual")
    q = [n for serial, n in received if serial == "Q"]
    assert q == [1, 2], received
    assert sorted(received) == [("Q", 1), ("Q", 2), ("S", 1)]
