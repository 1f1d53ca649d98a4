"""Orders from the POS and the dishes in them.

A dish is what one tray carries to one table. Its lifecycle is the one a floor
manager talks about; ``FAILED`` and ``CANCELLED`` always carry a reason.

    RECEIVED -> READY -> ASSIGNED -> LOADED -> ON_THE_WAY -> AT_TABLE -> SERVED
        any state before SERVED -> CANCELLED (by the POS or the manager)
        any state before SERVED -> FAILED (guest absent, robot fault, unreachable table)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class DishState(StrEnum):
    RECEIVED = "received"
    READY = "ready"
    ASSIGNED = "assigned"
    LOADED = "loaded"
    ON_THE_WAY = "on_the_way"
    AT_TABLE = "at_table"
    SERVED = "served"
    CANCELLED = "cancelled"
    FAILED = "failed"
    BY_STAFF = "by_staff"
    """Carried to the table by a person: the guest has it, but no robot served it
    (a table robots cannot reach, a fleet short of robots at the rush)."""

    @property
    def final(self) -> bool:
        return self in (DishState.SERVED, DishState.CANCELLED, DishState.FAILED,
                        DishState.BY_STAFF)

    @property
    def on_robot(self) -> bool:
        return self in (DishState.LOADED, DishState.ON_THE_WAY, DishState.AT_TABLE)


_NEXT: dict[DishState, frozenset[DishState]] = {
    # ON_THE_WAY -> READY: brought back to the pass untaken, to go out again.
    DishState.RECEIVED: frozenset({DishState.READY}),
    DishState.READY: frozenset({DishState.ASSIGNED}),
    DishState.ASSIGNED: frozenset({DishState.LOADED, DishState.READY}),
    DishState.LOADED: frozenset({DishState.ON_THE_WAY, DishState.AT_TABLE}),
    DishState.ON_THE_WAY: frozenset({DishState.AT_TABLE, DishState.READY}),
    DishState.AT_TABLE: frozenset({DishState.SERVED, DishState.ON_THE_WAY}),
}


class Priority(IntEnum):
    NORMAL = 0
    HIGH = 1
    """Re-fires, allergies, a VIP table: served before normal dishes."""


@dataclass(slots=True)
class Dish:
    """One tray's worth of food for one table. Mutable: the order book owns it."""

    dish_id: str
    order_id: str
    table: str
    name: str = "dish"
    trays: int = 1
    priority: Priority = Priority.NORMAL
    created_at: float = 0.0
    ready_at: float | None = None
    expected_at: float | None = None
    """When the kitchen expects it on the pass (its display knows the cook time), while
    it is cooking; None when not told. Dispatch may hold a robot about to leave for
    its table a few seconds for it (``fleet.controller.passhold``)."""
    at_table_at: float | None = None
    """When the robot presented it at the table: the end of the wait guests feel."""
    served_at: float | None = None
    """When the guest took it off the tray."""
    state: DishState = DishState.RECEIVED
    reason: str = ""
    trip_id: str | None = None
    robot: str | None = None
    tray: str | None = None
    attempts: int = 0
    """Trips it was put on."""
    pass_place: str | None = None
    """The pass it is picked up at (the order book sets it; None before that)."""
    brought_back: int = 0
    """Times it came back to the pass untaken (a guest away at the table's one visit on
    its trip): it goes out once more while warm, then fails."""

    def move(self, new: DishState, *, reason: str = "") -> None:
        """Change state, refusing transitions the lifecycle does not have."""
        if new in (DishState.CANCELLED, DishState.FAILED):
            if self.state.final:
                raise ValueError(f"dish {self.dish_id} is already {self.state}")
            self.state, self.reason = new, reason
            return
        if new is DishState.BY_STAFF:
            if self.state not in (DishState.READY, DishState.ASSIGNED):
                raise ValueError(f"dish {self.dish_id} is {self.state}: staff take dishes "
                                 "from the pass, before a robot has loaded them")
            self.state, self.reason = new, reason
            return
        if new not in _NEXT.get(self.state, frozenset()):
            raise ValueError(f"dish {self.dish_id}: cannot go from {self.state} to {new}")
        self.state = new
        if reason:
            self.reason = reason


@dataclass(slots=True)
class Order:
    """A POS order: one table, one or more dishes. Idempotent by ``order_id``."""

    order_id: str
    table: str
    dishes: list[Dish] = field(default_factory=list)
    priority: Priority = Priority.NORMAL
    note: str = ""
    created_at: float = 0.0
    party: int = 0

    @property
    def open(self) -> bool:
        return any(not d.state.final for d in self.dishes)
