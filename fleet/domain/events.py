"""Events: past-tense facts, written to the store as they happen and shown to people.

Every event carries the time it happened and the ids a person would search
for (robot serial, order and dish ids). ``kind`` is the class name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from fleet.words import Phrase


@dataclass(frozen=True, slots=True)
class Event:
    """One fact. ``kind`` names it (``DishReady``, ``TripAssigned`` ...)."""

    kind: str
    at: float
    robot: str | None = None
    order_id: str | None = None
    dish_id: str | None = None
    trip_id: str | None = None
    text: str = ""
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    words: Phrase | None = field(default=None, compare=False)
    """``text`` as words, for a reader in another language (None: shown as written).
    Not stored: the store keeps the English ``text``, and an event read back from it
    is shown as written."""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "robot": self.robot, "order_id": self.order_id,
                "dish_id": self.dish_id, "trip_id": self.trip_id, "text": self.text,
                "data": dict(self.data)}


class Emit(Protocol):
    """Records an event (``Controller.emit``): handed to a part that only reports, so
    that it needs no controller to do so."""

    def __call__(self, kind: str, now: float, text: str | Phrase, *, robot: str | None = None,
                 order_id: str | None = None, dish_id: str | None = None,
                 trip_id: str | None = None, data: Mapping[str, Any] | None = None,
                 words: Phrase | None = None) -> None: ...


# The kinds in use, so the store, the API and the dashboard agree on names.
ORDER_RECEIVED = "OrderReceived"
ORDER_REJECTED = "OrderRejected"
ORDER_CANCELLED = "OrderCancelled"
DISH_EXPECTED = "DishExpected"
"""The kitchen told when a cooking dish will be on the pass (``data["in_s"]``)."""
DISH_READY = "DishReady"
DISH_ASSIGNED = "DishAssigned"
DISH_LOADED = "DishLoaded"
DISH_AT_TABLE = "DishAtTable"
DISH_SERVED = "DishServed"
DISH_FAILED = "DishFailed"
DISH_NOT_TAKEN = "DishNotTaken"
DISH_BACK_AT_PASS = "DishBackAtPass"
DISH_CANCELLED = "DishCancelled"
DISH_BY_STAFF = "DishServedByStaff"
TRIP_ASSIGNED = "TripAssigned"
TRIP_FINISHED = "TripFinished"
TRIP_ABORTED = "TripAborted"
ROBOT_ARRIVED = "RobotArrived"
ROBOT_MODE_CHANGED = "RobotModeChanged"
ROBOT_CONNECTION_CHANGED = "RobotConnectionChanged"
ROBOT_ERROR_REPORTED = "RobotErrorReported"
BATTERY_LOW = "BatteryLow"
MAP_MISMATCH_DETECTED = "MapMismatchDetected"
"""A robot reports a position on another ``mapId`` than its model's (``data``: expected,
reported): the controller's coordinates mean nothing there, so it is held as faulted."""
DEADLOCK_DETECTED = "DeadlockDetected"
DEADLOCK_RESOLVED = "DeadlockResolved"
TRAFFIC_STALL = "TrafficStall"
ROUTE_FAILED = "RouteFailed"
ROBOT_STALLED = "RobotStalled"
"""A robot with food riding on it made no progress for a while (``data["reason"]``:
what holds it, in plain words, or "")."""
ROBOT_HELD_AT_PASS = "RobotHeldAtPass"
"""A robot loaded at a pass waits there for dishes the kitchen expects soon for its
tables (``data``: dishes, expected_in_s, until_in_s), to take them along."""
ROBOT_HOLD_ENDED = "RobotHoldEnded"
"""Its wait at the pass is over (``data``: dishes, held_s, came: whether they were
ready in time); it leaves with what it has."""
ROBOT_MOVED_ON = "RobotMovedOn"
"""A stalled robot made progress again: its stall is over."""
ROBOT_STRANDED = "RobotStranded"
"""A robot with something on its trays cannot be unloaded and stays out of service
(``data["reason"]``)."""
DISHES_LATE = "DishesLate"
"""Dishes for one table have waited at the pass past the late bound (``data``:
table, dishes, waited_s, reason): once per table until they leave the pass."""
ROBOT_WITHDRAWN = "RobotWithdrawn"
"""The controller took a robot out of dispatch: it kept refusing the orders it was
sent (``data["error"]``); its dishes went to others. The manager's resume puts it
back."""
ROBOT_PHASE_CHANGED = "RobotPhaseChanged"
"""A robot's phase changed (``data``: from, to, after_s in the phase it left, and
whether the change is one ``fleet.controller.phase.TRANSITIONS`` expects)."""
ROBOT_PHASE_OVERDUE = "RobotPhaseOverdue"
"""A robot stayed in a phase past its bound without progress (``data``: phase,
seconds, cause, reason in plain words, and what the controller did about it)."""
ROBOT_UNPLACED = "RobotUnplaced"
"""An online robot could not be placed on the floor for a while (no position, one off
the plan or in a wall, or a cell another robot holds; ``data["reason"]``): it is
left out of traffic and dispatch, and the rest of the site carries on without it."""
ACTION_UNSUPPORTED = "ActionUnsupported"
"""A robot's factsheet does not list an action its model's action profile names
(``data``: action, role): the action is never sent to it, and the stop waits for
evidence (its trays) or a timed dwell instead. Told once per robot and action."""
CONTROLLER_STARTED = "ControllerStarted"
"""Carries the run's wall-clock offset (``data["epoch"]``), so a later run can put
the times this one saved on its own clock (``fleet.controller.restart``)."""
CONTROLLER_RESUMED = "ControllerResumed"
# The floor manager's commands, as facts.
TABLE_BLOCKED = "TableBlocked"
TABLE_UNBLOCKED = "TableUnblocked"
ZONE_BLOCKED = "ZoneBlocked"
ZONE_UNBLOCKED = "ZoneUnblocked"
ORDER_REPRIORITISED = "OrderReprioritised"
ROBOT_SENT_TO_DOCK = "RobotSentToDock"
ROBOT_PAUSED = "RobotPaused"
ROBOT_RESUMED = "RobotResumed"
ALL_STOPPED = "AllStopped"
ALL_RELEASED = "AllReleased"
