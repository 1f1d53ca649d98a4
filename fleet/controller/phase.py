"""A robot's phase: where it is in its lifecycle, what ends it, and how long it may last.

The controller keeps a robot's facts in ``RobotRecord`` (its mode, trip, leg, the
spot it queues for, the plans that failed ...). Read alone, those fields let a
robot sit for minutes in a state nobody named: waiting for a spot in a one-lane
aisle, or sent to step aside to a cell it could not reach, while every counter
said all was well. ``phase_of`` reads them in one place into one ``Phase``;
``TRANSITIONS`` says which changes are expected, and ``RULES`` says, for each
phase, what ends it, who must act for it to end, and how long it may last
without progress before the controller steps in or tells a person
(``fleet.controller.watchdog``).

The phase is derived, not stored: the record's fields stay the single source of
truth, so a phase can never disagree with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from fleet.controller.robots import RobotRecord
from fleet.domain import RobotMode
from fleet.words import N_, Phrase

if TYPE_CHECKING:
    from fleet.controller.view import FleetView


class Phase(StrEnum):
    OFFLINE = "offline"
    """No link, or its reports stopped."""
    UNPLACED = "unplaced"
    """Online, but not yet placed on the floor (traffic does not know where it is)."""
    HELD = "held"
    """A person or the vehicle holds it: e-stop, fault, manual mode, paused, sent off
    duty, or withdrawn by the controller; it takes no trip."""
    IDLE = "idle"
    """On duty with no trip."""
    CHARGING = "charging"
    """On duty with no trip, charging."""
    STRANDED = "stranded"
    """No trip, something on its trays, and no way to unload it."""
    SETTLING = "settling"
    """Has a trip; its next leg is about to start (its previous move still ending)."""
    DRIVING = "driving"
    """On a leg, released to move on."""
    YIELDING = "yielding"
    """On a leg, waiting for another robot to clear its way."""
    QUEUED = "queued"
    """Its next stop's every spot is taken: waiting its turn for one."""
    NO_ROUTE = "no route"
    """Its next leg could not be planned: trying again, backing off."""
    AT_STOP = "at stop"
    """At a stop's spot, doing the stop's work (loading, serving, collecting, unloading),
    or loaded at the pass and waiting there, bounded, for a dish expected soon
    (``fleet.controller.passhold``)."""


class Cause(StrEnum):
    """Who must act for the phase to end."""

    NOBODY = "nobody"
    """It ends by itself (or never needs to)."""
    ROBOT = "robot"
    """The vehicle: driving, reporting, reconnecting."""
    FLOOR = "floor"
    """Other robots: they must move, or free a spot."""
    PEOPLE = "people"
    """A guest or staff: taking dishes, loading, unloading."""
    MANAGER = "manager"
    """The floor manager (a pause, an e-stop, a robot off duty)."""


@dataclass(frozen=True, slots=True)
class Rule:
    exits: str
    """What ends the phase, in plain words (for the docs and the operations guide)."""
    cause: Cause
    bound_s: float | None
    """Longest time in the phase without progress before the watchdog acts; None
    when the phase may last (an idle robot, a person's hold)."""


QUEUE_BOUND_S = 45.0
"""A queue this old gets its holders asked again and a robot waiting in others' way
sent to hold aside: a line of robots in an aisle stood 150 s at a generated food
court's table."""
NO_ROUTE_BOUND_S = 30.0
"""A leg that fails this long (about four tries) is rethought: a step aside goes
somewhere else."""

AT_STOP_BOUND_S = 240.0
"""A stop's work (staff loading or unloading, a guest, the vehicle's own actions) not
over in this long is told to a person: a vehicle that never finishes an action, or
stops after a failed one, held its stop and the dishes on it without a word."""

RULES: dict[Phase, Rule] = {
    Phase.OFFLINE: Rule("a fresh state report", Cause.ROBOT, None),
    Phase.UNPLACED: Rule("a position on the plan, in a cell no other robot holds",
                         Cause.ROBOT, None),
    Phase.HELD: Rule("the person or the vehicle releases it", Cause.MANAGER, None),
    Phase.IDLE: Rule("a trip", Cause.NOBODY, None),
    Phase.CHARGING: Rule("a trip, or charged", Cause.NOBODY, None),
    Phase.STRANDED: Rule("staff unload it, or a way to unload opens", Cause.PEOPLE, None),
    Phase.SETTLING: Rule("its previous move ends and the next leg starts", Cause.ROBOT, 60.0),
    Phase.DRIVING: Rule("arrival at the leg's goal", Cause.ROBOT, 60.0),
    Phase.YIELDING: Rule("the robot in its way moves on", Cause.FLOOR, 60.0),
    Phase.QUEUED: Rule("a spot of the place frees and it is its turn", Cause.FLOOR,
                       QUEUE_BOUND_S),
    Phase.NO_ROUTE: Rule("a plan succeeds", Cause.FLOOR, NO_ROUTE_BOUND_S),
    Phase.AT_STOP: Rule("the stop's work is done, or the guest timeout", Cause.PEOPLE,
                        AT_STOP_BOUND_S),
}

_ANY = frozenset(Phase)
_WORK = frozenset({Phase.SETTLING, Phase.DRIVING, Phase.YIELDING, Phase.QUEUED,
                   Phase.NO_ROUTE, Phase.AT_STOP})
"""The phases of a robot with a trip."""
_FREE = frozenset({Phase.IDLE, Phase.CHARGING, Phase.STRANDED})
_OUTSIDE = frozenset({Phase.OFFLINE, Phase.UNPLACED, Phase.HELD})
"""A link, the vehicle or a person can take a robot out of any phase, and a robot
comes back into whatever its trip (kept, or given away) says."""

_CHANGES: dict[Phase, frozenset[Phase]] = {
    Phase.OFFLINE: _ANY,
    Phase.UNPLACED: _ANY,
    Phase.HELD: _ANY,
    # A trip may start, or be handed to it, with the robot already on the stop's spot,
    # and one input may carry it through several work phases.
    Phase.IDLE: _OUTSIDE | _WORK | {Phase.CHARGING, Phase.STRANDED},
    Phase.CHARGING: _OUTSIDE | _WORK | {Phase.IDLE},
    Phase.STRANDED: _OUTSIDE | _WORK | {Phase.IDLE},
    # A trip ends (or is aborted, or given away) from any of its phases.
    **{p: _OUTSIDE | _FREE | _WORK for p in _WORK},
}
TRANSITIONS: dict[Phase, frozenset[Phase]] = {p: to - {p} for p, to in _CHANGES.items()}
"""Changes the controller expects, as its watchdog sees them once a second (a robot
can go through several phases in that time: an arrival, the stop's work done at
once and the next leg started read as one change). Not expected, so reported: a charging robot
found stranded, or a stranded one charging, without a trip between (what is aboard
is the first business of a robot that leaves the charger)."""


WORDS: dict[Phase, str] = {
    Phase.OFFLINE: N_("offline"), Phase.UNPLACED: N_("unplaced"), Phase.HELD: N_("held"),
    Phase.IDLE: N_("idle"), Phase.CHARGING: N_("charging"), Phase.STRANDED: N_("stranded"),
    Phase.SETTLING: N_("settling"), Phase.DRIVING: N_("driving"),
    Phase.YIELDING: N_("yielding"), Phase.QUEUED: N_("queued"),
    Phase.NO_ROUTE: N_("no route"), Phase.AT_STOP: N_("at stop"),
}
"""Each phase's name as the manager reads it (the English is the value itself)."""


def phase_words(phase: Phase) -> Phrase:
    return Phrase.of(WORDS[phase])


def phase_of(view: FleetView, rec: RobotRecord) -> Phase:
    """The one reading of a robot's record into its phase. The order is the order of
    precedence: a link or a person outranks traffic, traffic outranks the trip."""
    mode = rec.mode
    if mode is RobotMode.OFFLINE:
        return Phase.OFFLINE
    if (mode in (RobotMode.ESTOPPED, RobotMode.FAULT, RobotMode.MANUAL, RobotMode.PAUSED)
            or rec.paused_by_manager):
        return Phase.HELD
    if not rec.in_traffic:
        return Phase.UNPLACED
    if view.traffic.waiting_for(rec.serial) is not None or view.traffic.aside(rec.serial):
        return Phase.YIELDING
    trip = rec.trip
    if trip is None:
        if rec.stranded:
            return Phase.STRANDED
        if rec.withdrawn or rec.off_duty is not None:
            return Phase.HELD
        return Phase.CHARGING if rec.charging else Phase.IDLE
    if rec.goal_since is not None:
        return Phase.AT_STOP
    if rec.queued_for is not None:
        return Phase.QUEUED
    if rec.failures > 0:
        return Phase.NO_ROUTE
    if rec.leg is not None and not view.traffic.leg_done(rec.serial):
        return Phase.DRIVING
    return Phase.SETTLING


def expected(before: Phase, after: Phase) -> bool:
    return after in TRANSITIONS[before]
