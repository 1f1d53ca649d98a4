"""Floor staff who answer the controller's late-dish alerts: a while after a table's
dishes are reported late at the pass, a person carries what still waits there and
presses "served by staff", as a floor manager would tell a server to.

Without them a simulated rush that out-paces the fleet ends with dishes sitting at
the pass for the rest of the run, which no restaurant would let happen; with them
the report counts those dishes apart (``by_staff``), so a fleet too small for the
floor shows as staff walking, not as food left to go cold.
"""

from __future__ import annotations

import asyncio
import logging

from fleet.domain import DishState
from fleet.domain import events as ev
from fleet.errors import OrderError
from fleet.runtime import FleetRuntime

log = logging.getLogger(__name__)


class FloorStaff:
    """Watches ``runtime``'s controller for ``DishesLate`` and helps ``help_after_s``
    later. ``carried`` counts the tables they took dishes to."""

    def __init__(self, runtime: FleetRuntime, help_after_s: float) -> None:
        self.runtime = runtime
        self.help_after_s = help_after_s
        self.carried = 0
        self._cursor = 0
        self._pending: set[asyncio.Task[None]] = set()

    def look(self) -> None:
        """Read the alerts since the last look; send someone for each late table."""
        events, self._cursor = self.runtime.controller.events_since(self._cursor)
        for event in events:
            if event.kind != ev.DISHES_LATE:
                continue
            table = str(event.data.get("table", ""))
            if table:
                task = asyncio.get_running_loop().create_task(self._help(table))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)

    async def _help(self, table: str) -> None:
        await asyncio.sleep(self.help_after_s)
        ctl = self.runtime.controller
        if not any(d.table == table and d.state in (DishState.READY, DishState.ASSIGNED)
                   for d in ctl.book.dishes.values()):
            return  # a robot came for them meanwhile
        try:
            await self.runtime.served_by_staff(table, "carried by staff after the late alert")
        except OrderError as exc:
            log.info("staff found nothing to carry for %s: %s", table, exc)
            return
        self.carried += 1

    def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
