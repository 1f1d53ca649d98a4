"""The point of sale over the fleet API: ``fleet.intake.Pos`` for a till that talks
to the controller through MQTT rather than in process.

The simulated kitchen drives a site through this exactly as through the
in-process runtime, so a simulation exercises the API a real till would use. A
refusal raises ``OrderError`` with the controller's reason; no answer raises
``NoReplyError`` (both ``FleetError``).

A request that gets no answer (the broker restarting, the controller starting)
is sent again, ``retries`` times, as a till should: submitting is idempotent by
order id, and marking ready, cancelling or calling for bussing twice changes
nothing the second time (a table's bussing call stands until a robot goes).
"""

from __future__ import annotations

import asyncio
import logging

from fleet.api.client import FleetClient
from fleet.api.messages import (
    CancelOrder,
    ClientCommand,
    DishSpec,
    ExpectReady,
    MarkReady,
    RequestBussing,
    SubmitOrder,
)
from fleet.api.updates import NoReplyError
from fleet.domain import Priority
from fleet.errors import OrderError
from fleet.intake import OrderRequest

log = logging.getLogger(__name__)


class ApiPos:
    def __init__(self, client: FleetClient, *, timeout_s: float = 5.0, retries: int = 2) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.retries = retries
        self.resent = 0
        """Requests sent again after no answer."""

    async def _ask(self, command: ClientCommand) -> None:
        tries = 1 + self.retries
        for attempt in range(tries):
            try:
                reply = await self.client.request(command, timeout=self.timeout_s, role="pos")
                break
            except NoReplyError:
                if attempt + 1 == tries:
                    raise
                self.resent += 1
                log.info("no answer to %s; sending it again", type(command).__name__)
                await asyncio.sleep(self.timeout_s / 5)  # a broker may be coming back
        if not reply.ok:
            error = reply.error
            why = f"{error.message} ({error.code})" if error is not None else "refused"
            raise OrderError(why)

    async def submit(self, request: OrderRequest) -> None:
        await self._ask(SubmitOrder(
            order_id=request.order_id, table=request.table,
            dishes=[DishSpec(name=d.name, trays=d.trays, pass_place=d.pass_place)
                    for d in request.dishes],
            priority="high" if request.priority is Priority.HIGH else "normal",
            note=request.note, party=request.party))

    async def mark_ready(self, order_id: str, dish_index: int) -> None:
        await self._ask(MarkReady(order_id=order_id, dishes=[dish_index + 1]))

    async def expect_ready(self, order_id: str, dish_index: int, in_s: float) -> None:
        await self._ask(ExpectReady(order_id=order_id, dishes=[dish_index + 1],
                                    in_s=round(in_s, 1)))

    async def cancel(self, order_id: str, reason: str) -> None:
        await self._ask(CancelOrder(order_id=order_id, reason=reason[:200]))

    async def request_bussing(self, table: str) -> None:
        await self._ask(RequestBussing(table=table))
