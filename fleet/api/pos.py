"""The point of sale over the fleet API: ``fleet.intake.Pos`` for a till that talks
to the controller through MQTT rather than in process.

The simulated kitchen drives a site through this exactly as through the
in-process runtime, so a simulation exercises the API a real till would use. A
refusal raises ``OrderError`` with the controller's reason; no answer raises
``NoReplyError`` (both ``FleetError``).
"""

from __future__ import annotations

from fleet.api.client import FleetClient
from fleet.api.messages import (
    CancelOrder,
    Command,
    DishSpec,
    MarkReady,
    RequestBussing,
    SubmitOrder,
)
from fleet.domain import Priority
from fleet.errors import OrderError
from fleet.intake import OrderRequest


class ApiPos:
    def __init__(self, client: FleetClient, *, timeout_s: float = 5.0) -> None:
        self.client = client
        self.timeout_s = timeout_s

    async def _ask(self, command: Command) -> None:
        reply = await self.client.request(command, timeout=self.timeout_s, role="pos")
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

    async def cancel(self, order_id: str, reason: str) -> None:
        await self._ask(CancelOrder(order_id=order_id, reason=reason[:200]))

    async def request_bussing(self, table: str) -> None:
        await self._ask(RequestBussing(table=table))
