"""What the POS (or the kitchen display) says to the controller, as values.

The controller runtime implements ``Pos`` in process; the fleet API over MQTT
will implement it for real tills. The simulated kitchen talks only to ``Pos``,
so it drives either without knowing which.

Dish ids are derived, not sent: dish ``i`` (0-based) of order ``o`` is
``f"{o}/{i + 1}"``, so the POS and the controller name a dish the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fleet.domain.orders import Priority


@dataclass(frozen=True, slots=True)
class DishRequest:
    """One dish as the POS orders it.

    ``pass_place`` names the pass it will be picked up at (a food-court stall's
    pass); None means the site's only pass.
    """

    name: str
    trays: int = 1
    pass_place: str | None = None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order for one table. Submitting the same ``order_id`` twice is refused."""

    order_id: str
    table: str
    dishes: tuple[DishRequest, ...]
    priority: Priority = Priority.NORMAL
    note: str = ""
    party: int = 0


EXPECT_READY_MAX_S = 7200.0
"""The longest a kitchen may say a dish still needs (two hours): more is a clock or a
unit gone wrong (milliseconds sent as seconds), refused rather than believed."""


def dish_id(order_id: str, index: int) -> str:
    """The id of dish ``index`` (0-based) of an order."""
    return f"{order_id}/{index + 1}"


class Pos(Protocol):
    """The point-of-sale seam: how orders, ready dishes and bussing calls arrive."""

    async def submit(self, request: OrderRequest) -> None:
        """Accept an order; raises ``fleet.errors.OrderError`` saying why it is refused."""

    async def mark_ready(self, order_id: str, dish_index: int) -> None:
        """The kitchen put dish ``dish_index`` (0-based) of the order on the pass."""

    async def expect_ready(self, order_id: str, dish_index: int, in_s: float) -> None:
        """The kitchen expects dish ``dish_index`` (0-based) on the pass in ``in_s``
        seconds (a dish fired with a cook time); told again, the latest estimate
        stands. Raises ``fleet.errors.OrderError`` for an unknown dish or a time out
        of bounds."""

    async def cancel(self, order_id: str, reason: str) -> None:
        """Cancel what of the order is not served yet."""

    async def request_bussing(self, table: str) -> None:
        """Someone asked for dirty dishes to be collected from ``table``."""
