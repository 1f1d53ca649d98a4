"""State ingestion: what one report from a robot changes in the controller.

A VDA 5050 state says where the robot is, what it carries, which order (and
update) it holds and how far along it is, its battery, errors and map. Each is
checked against what the controller believed and acted on: a robot placed in
traffic (or placed again when it was moved or restarted), its trays matched to
the dishes it should carry, its leg acknowledged or resent, its progress passed
to traffic and to the trip. Kept out of ``core`` so the controller reads as its
inputs and their common tail; ``Controller.on_state`` finds the robot and adds
that tail (dispatch, legs to start, releases).

``take_state`` coordinates the controller's parts, so ``core`` hands it those it
touches in ``IngestParts`` (traffic, trip work through ``TripProgress``, the restart
being settled) and the controller's own steps as callables (place a robot in
traffic, set its mode), never itself; the helpers take only what they use (the
traffic manager, an ``Emit``, what is believed aboard), so each reads, and could be
tested, on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fleet.controller.commands import Command
from fleet.controller.legs import cell_of_node
from fleet.controller.robots import RobotRecord, on_other_map
from fleet.controller.sending import note_errors
from fleet.controller.trays import match_loads
from fleet.domain import Dish, DishState, StopKind
from fleet.domain import events as ev
from fleet.domain.events import Emit
from fleet.vda import ConnectionState, RobotState
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.controller.restart import RestartRecovery
    from fleet.floor import FloorPlan
    from fleet.traffic import TrafficManager

log = logging.getLogger(__name__)


class TripProgress(Protocol):
    """What a report asks of trip work (``TripWork``): a robot placed again starts its
    stop anew, one that moved is not stalled, and its progress may end the stop."""

    @property
    def pending(self) -> set[str]: ...

    def moved(self, rec: RobotRecord, now: float) -> None: ...

    def on_progress(self, rec: RobotRecord, state: RobotState, now: float) -> list[Command]: ...


@dataclass(frozen=True, slots=True)
class IngestParts:
    """What ``take_state`` reads and asks, handed down by ``core``."""

    plan: FloorPlan
    traffic: TrafficManager
    dish: Callable[[str], Dish]
    trips: TripProgress
    emit: Emit
    join_traffic: Callable[[RobotRecord, float], None]
    """Places a robot in traffic (``Controller.join_traffic``)."""
    set_mode: Callable[[RobotRecord, float], None]
    """Reads the robot's mode from its report, and what follows from it."""
    recovery: Callable[[], RestartRecovery | None]
    """The restart being settled, if any: it ends while the controller runs."""


def take_state(parts: IngestParts, rec: RobotRecord, state: RobotState,
               now: float) -> list[Command]:
    """Everything one report of a known robot changes: its record, its place in
    traffic, its leg's progress and the trip's. The commands it calls for, without
    the common tail (dispatch, legs to start, releases) the controller adds."""
    recovery = parts.recovery()
    rec.state = state
    rec.last_state_at = now
    rec.stale = False
    if rec.connection is not ConnectionState.ONLINE:
        rec.connection = ConnectionState.ONLINE
    rec.battery = state.battery.charge
    rec.charging = state.battery.charging
    if (low := rec.battery_crossed()) is not None:
        parts.emit(ev.BATTERY_LOW, now, low, robot=rec.serial,
                   data={"percent": round(rec.battery, 1)})
    if state.loads is not None:
        held = recovery.aboard(rec.serial) if recovery is not None else []
        _read_trays(rec, state, _aboard(rec, held, parts.dish))
        if not rec.loads:  # emptied, at the dish return or by hand: nothing to take back
            rec.aboard, rec.aboard_dishes, rec.stranded = (), (), ""
    _check_map(parts.emit, rec, state, now)
    cell = cell_of_node(state.last_node_id) if state.last_node_id else None
    if cell is None and state.position is not None:
        cell = parts.plan.cell_of(state.position.x, state.position.y)
    if cell is not None:
        rec.cell = cell
    commands: list[Command] = []
    if recovery is not None:
        commands += recovery.on_state(rec, state, now)
    if (not rec.in_traffic and rec.cell is not None
            and not (recovery is not None and recovery.holding(rec.serial))):
        parts.join_traffic(rec, now)
    elif (rec.in_traffic and cell is not None and not state.busy
            and ((cell != parts.traffic.position(rec.serial)
                  and (rec.leg is None or state.order_id != rec.leg.order_id
                       or parts.traffic.leg_done(rec.serial)))
                 or _forgot_its_leg(parts.traffic, rec, state))):
        # Back from a restart (its order forgotten) or pushed by staff while away:
        # traffic must plan from where it really is; its current stop is planned
        # again from there, at once (resending the old leg would start it from a
        # node behind it, which a vehicle refuses as unreachable).
        log.warning("%s reports %s (order %r) but traffic had it at %s on %s: placing "
                    "it again", rec.serial, cell, state.order_id,
                    parts.traffic.position(rec.serial),
                    rec.leg.order_id if rec.leg is not None else "no leg")
        parts.traffic.remove_robot(rec.serial)
        rec.in_traffic = False
        rec.leg = None
        if rec.trip is not None:
            rec.goal_since = None
            parts.trips.pending.add(rec.serial)
        parts.join_traffic(rec, now)
    parts.set_mode(rec, now)
    leg = rec.leg
    if rec.unconfirmed:
        rec.confirm(state)
    commands += note_errors(parts.emit, rec, state, now) if state.errors else []
    if leg is not None and state.order_id == leg.order_id:
        leg.taken = True
        if state.order_update_id == leg.update_id:
            leg.acknowledged = True
            leg.refused = None
            leg.refused_now = False
            leg.refusals = 0
        elif state.order_update_id > leg.update_id:
            # The vehicle holds a later update of our order than we sent (sent by a
            # controller that crashed before recording it): ours would read as
            # stale. Resend numbered after its own, from its decision point.
            leg.acknowledged = False
            leg.refused = leg.refused or "orderUpdateError"
            leg.refused_now = True
        index = state.last_node_sequence_id // 2
        # A robot that has just taken a new order may still report the last node of
        # the previous one: trust the sequence id only where the node agrees.
        if (leg.reached < index < len(leg.cells)
                and cell_of_node(state.last_node_id) == leg.cells[index]):
            released = parts.traffic.released(rec.serial)
            if index > released:
                log.error("%s reports node %s beyond its release (%d > %d)", rec.serial,
                          state.last_node_id, index, released)
                index = released
            leg.reached = index
            rec.progress_at = now
            parts.trips.moved(rec, now)
            parts.traffic.reached(rec.serial, index, now=now)
    if leg is not None and rec.trip is not None:
        commands += parts.trips.on_progress(rec, state, now)
    return commands


def _read_trays(rec: RobotRecord, state: RobotState, aboard: list[tuple[str, str]]) -> None:
    """``rec.loads`` from the reported loads, matched to what it is believed to
    carry (``aboard``; see ``trays``: by tray position, else load id, else count)."""
    assert state.loads is not None
    matched = match_loads(state.loads, rec.slots, aboard)
    rec.loads = matched.trays
    if matched.surplus != rec.surplus_loads:
        rec.surplus_loads = matched.surplus
        if matched.surplus:
            log.warning("%s reports %d loads on its %d trays: %d matched to no tray and "
                        "ignored", rec.serial, len(state.loads), rec.trays, matched.surplus)


def _aboard(rec: RobotRecord, held: list[tuple[str, str]],
            dish: Callable[[str], Dish]) -> list[tuple[str, str]]:
    """(tray, dish) the controller believes the robot carries or is about to be
    loaded with, in the order they leave it: its trip's dishes table by table, then
    what it brings back; after a restart, ``held`` (the dishes restart recovery
    holds for it); else the trays an ended trip left loaded. ``dish`` looks a dish
    up by id."""
    trip = rec.trip
    if trip is None:
        return held or [(tray, "") for tray in rec.aboard]
    serving: list[tuple[str, str]] = []
    returning: list[tuple[str, str]] = []
    for stop in trip.stops:
        if stop.kind is StopKind.SERVE:
            serving += [(tray, d) for tray, d in zip(stop.trays, stop.dishes, strict=False)
                        if dish(d).state is DishState.ASSIGNED or dish(d).state.on_robot]
        elif stop.kind in (StopKind.COLLECT, StopKind.UNLOAD):
            returning += [(tray, "") for tray in stop.trays]
    return serving + returning


def _forgot_its_leg(traffic: TrafficManager, rec: RobotRecord, state: RobotState) -> bool:
    """The vehicle had taken its leg (some update of it) and now, idle, holds
    another order or none: it restarted, or was reset by hand, mid-leg. Or it
    holds the leg's latest update but stands idle short of the base it was
    given: the order was cancelled under it (at its own panel, or by a cancel
    meant for an order before)."""
    leg = rec.leg
    if leg is None or not leg.taken or traffic.leg_done(rec.serial):
        return False
    if state.order_id != leg.order_id:
        return True
    return (state.order_update_id == leg.update_id
            and state.last_node_sequence_id // 2 < leg.sent_base
            and not rec.cancel_sent and not rec.calling_off)


def _check_map(emit: Emit, rec: RobotRecord, state: RobotState, now: float) -> None:
    """A robot on another map than its model's ``map_id`` is told once per map it
    reports (an event, so an alert; ``set_mode`` holds it as faulted), and the
    all-clear is logged when it reports the expected map again."""
    expected = rec.model.map_id
    if not on_other_map(state, expected):
        if rec.off_map is not None and state.position is not None:
            log.info("%s is back on map %r", rec.serial, expected)
            rec.off_map = None
        return
    assert state.position is not None
    reported = state.position.map_id
    if reported == rec.off_map:
        return
    rec.off_map = reported
    log.error("%s reports map %r but its robot model says map_id %r", rec.serial,
              reported, expected)
    emit(ev.MAP_MISMATCH_DETECTED, now, Phrase.of(
        "{robot} is on map {reported}, not on its model's map {expected}", robot=rec.serial,
        reported=repr(reported), expected=repr(expected)), robot=rec.serial,
             data={"expected": expected, "reported": reported})
