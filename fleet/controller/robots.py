"""The controller's record of each robot, and how a state report sets its mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from fleet.controller.commands import SendInstantActions
from fleet.controller.legs import Leg
from fleet.controller.passhold import PassHold
from fleet.dispatch.snapshots import tray_slot
from fleet.domain import RobotMode, RobotModel, Trip
from fleet.floor.model import Cell
from fleet.link import PREDEFINED_ACTIONS, Capabilities
from fleet.vda import Action, ConnectionState, ErrorLevel, EStop, RobotState
from fleet.words import Phrase

_OPPOSITES = {"startPause": "stopPause", "stopPause": "startPause"}


class Instant(Protocol):
    """Makes an instant action for a robot and remembers it on its record until its
    state lists it (``Controller.instant``): handed to a part that must stop or pause
    a robot, so that it needs no controller to do so."""

    def __call__(self, rec: RobotRecord, action_type: str, now: float) -> SendInstantActions: ...


@dataclass(slots=True)
class RobotRecord:
    serial: str
    model: RobotModel
    capabilities: Capabilities | None = None
    unsupported_told: frozenset[str] = frozenset()
    """Action types of its profile its factsheet lacks, as last told to the manager."""
    mode: RobotMode = RobotMode.OFFLINE
    cell: Cell | None = None
    battery: float = 100.0
    charging: bool = False
    loads: dict[str, str] = field(default_factory=dict)
    """tray slot -> dish id (else the vehicle's load id, else ""), as its tray sensors
    report, matched to what it carries (``fleet.controller.trays``)."""
    surplus_loads: int = 0
    """Loads in its last report that found no tray (told once per change)."""
    state: RobotState | None = None
    last_state_at: float = float("-inf")
    connection: ConnectionState = ConnectionState.OFFLINE
    trip: Trip | None = None
    leg: Leg | None = None
    legs_sent: int = 0
    previous_order: str | None = None
    """The order id of the leg before the current one (a vehicle may still be
    finishing it when the next arrives)."""
    goal_since: float | None = None
    """When the robot began the work at its goal (for the guest timeout)."""
    errors_seen: set[tuple[str, str]] = field(default_factory=set)
    """(type, description) of the errors in its last report: new ones are events."""
    unconfirmed: dict[str, tuple[Action, float]] = field(default_factory=dict)
    """Instant actions sent and not yet seen in a state report, with when they were sent."""
    cancels: dict[str, str] = field(default_factory=dict)
    """Unconfirmed cancelOrder action ids, with the order each was sent to cancel."""
    cancel_sent: bool = False
    cancel_at_goal: bool = False
    """Its dishes for the table ahead were cancelled after the table was released:
    cancel the work there on arrival."""
    calling_off: bool = False
    """Its leg was cut short of a table nothing is left for."""
    paused_by_manager: bool = False
    off_duty: str | None = None
    """The dock the manager sent it to: it takes no trip until resumed."""
    rerouting: bool = False
    """Its leg was cut short of a newly closed area: start the stop again on arrival."""
    progress_at: float = 0.0
    """Last time its trip moved on (a node reached, a leg or stop begun)."""
    failures: int = 0
    """Legs in a row that could not be planned (for backing off)."""
    retry_at: float | None = None
    withdrawn: str = ""
    """Why the controller took it out of dispatch (it kept refusing its orders); ""
    while it serves. The manager's resume puts it back."""
    unplaced_since: float | None = None
    """Since when it is online but not in traffic (None once placed, or offline)."""
    unplaced_told: bool = False
    queued_for: tuple[str, int, str] | None = None
    """(trip, stop index, place) of the stop it waits for a free spot at, since
    ``queued_since``: a spot that frees goes to whoever has waited longest, not to
    whoever asks first after it frees."""
    queued_since: float = 0.0
    """When to try again to route the next leg (it could not be planned)."""
    note: str = ""
    """Plain words for the manager: what it is doing or waiting for."""
    note_words: Phrase | None = None
    """``note`` as words for another language; read only while it still says what
    ``note`` says (a note set without words is shown as written)."""
    stale: bool = False
    in_traffic: bool = False
    battery_warned: bool = False
    """A low-battery warning was given this discharge (re-armed once charged again)."""
    off_map: str | None = None
    """The other ``mapId`` it reports (and was reported for), while it reports one."""
    aboard: tuple[str, ...] = ()
    """Trays a trip that ended early left something on, as the controller last knew:
    for a robot that cannot sense its trays, the only record that it must be unloaded."""
    aboard_dishes: tuple[str, ...] = ()
    """The dishes on those trays, to say what it brings back."""
    stalled_at: float | None = None
    """When it was reported stalled with food aboard; None once it moves again."""
    stranded: str = ""
    """Why it cannot be unloaded, as last told to the manager ("" when it can)."""
    pass_hold: PassHold | None = None
    """Its wait at a pass for a dish expected soon (``fleet.controller.passhold``);
    kept once over, so that a trip waits once."""

    @property
    def on_duty(self) -> bool:
        """Placed, in a mode that takes trips, and not held out by the manager or by
        the controller (``withdrawn``): may be given work once free."""
        return (self.mode.available and self.in_traffic and not self.paused_by_manager
                and self.off_duty is None and not self.withdrawn)

    @property
    def senses_trays(self) -> bool:
        return self.state is not None and self.state.loads is not None

    def to_unload(self) -> tuple[str, ...]:
        """Trays to empty before it serves again: what its sensors report, or, when it
        cannot sense them, what an ended trip left there (``aboard``)."""
        if self.senses_trays:
            return tuple(sorted(self.loads))
        return self.aboard

    def dishes_to_unload(self) -> int:
        """How many dishes (or loads) those trays hold; a dish may fill two trays."""
        if self.senses_trays:
            return len(set(self.loads.values())) if all(self.loads.values()) else len(self.loads)
        return len(set(self.aboard_dishes)) or len(self.aboard)

    @property
    def trays(self) -> int:
        return self.capabilities.trays if self.capabilities else self.model.trays

    @property
    def supported_actions(self) -> frozenset[str]:
        """The actions its vehicle takes: its factsheet's; without one, the standard
        ones and those its model's action profile names (the config's word)."""
        if self.capabilities is not None:
            return self.capabilities.supported_actions
        return PREDEFINED_ACTIONS | self.model.actions.types()

    @property
    def can_charge(self) -> bool:
        """Its model charges on contact (``charge = ""``), or its vehicle takes the
        charge action its profile names."""
        kind = self.model.actions.charge
        return not kind or kind in self.supported_actions

    @property
    def slots(self) -> tuple[str, ...]:
        """Its trays' names, as sent in pick and drop actions (``lhd``)."""
        return tuple(tray_slot(i) for i in range(self.trays))

    @property
    def loaded(self) -> bool:
        return bool(self.loads)

    def supersede(self, action_type: str) -> None:
        """The latest word wins: a startPause still unconfirmed is not sent again after
        a stopPause (nor the reverse), or its resend would undo what came after."""
        opposite = _OPPOSITES.get(action_type)
        if opposite is None:
            return
        for action_id, (action, _) in list(self.unconfirmed.items()):
            if action.action_type == opposite:
                del self.unconfirmed[action_id]

    def confirm(self, state: RobotState) -> None:
        """Instant actions the state lists are confirmed. A cancelOrder is also over
        once the vehicle no longer works on the order it was sent to cancel: its
        action state may be gone with that order, and sending it again would cancel
        the order that came after (a robot stopped mid-aisle for good)."""
        for action_state in state.action_states:
            self.unconfirmed.pop(action_state.action_id, None)
        for action_id, order_id in list(self.cancels.items()):
            if (action_id not in self.unconfirmed or state.order_id != order_id
                    or not state.busy):
                self.unconfirmed.pop(action_id, None)
                del self.cancels[action_id]

    def battery_crossed(self) -> Phrase | None:
        """Words for the manager the first time the battery is below the model's low
        mark; None otherwise, and again once it has charged 5 % above the mark."""
        low = self.model.low_percent
        if not self.battery_warned and self.battery < low and not self.charging:
            self.battery_warned = True
            return Phrase.of("{robot} battery low: {percent} % (below {low} %)",
                             robot=self.serial, percent=f"{self.battery:.0f}", low=f"{low:.0f}")
        if self.battery_warned and self.battery >= low + 5.0:
            self.battery_warned = False
        return None


def on_other_map(state: RobotState, map_id: str) -> bool:
    """Whether the robot says it is localised on another map than ``map_id`` (a robot
    that reports no position says nothing of its map)."""
    return state.position is not None and state.position.map_id != map_id


def mode_from_state(state: RobotState, *, stale: bool, connection: ConnectionState,
                    busy: bool, map_id: str) -> RobotMode:
    """The one place that turns a report into what the robot is available for.
    ``map_id`` is its model's: a robot on another map is a fault, as the nodes the
    controller sends name a map (and coordinates) it is not on."""
    if connection is not ConnectionState.ONLINE or stale:
        return RobotMode.OFFLINE
    if not state.operating_mode.controllable:
        return RobotMode.MANUAL
    if state.e_stop is not EStop.NONE:
        return RobotMode.ESTOPPED
    if any(e.level is ErrorLevel.FATAL for e in state.errors) or on_other_map(state, map_id):
        return RobotMode.FAULT
    if state.paused:
        return RobotMode.PAUSED
    if busy:
        return RobotMode.WORKING
    if state.battery.charging:
        return RobotMode.CHARGING
    return RobotMode.IDLE
