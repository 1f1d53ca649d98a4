"""Sending legs to robots: releasing more of a route as traffic allows, noticing a
vehicle's refusal, and sending again in the form the vehicle can take.

Kept apart from ``core`` because these are the VDA 5050 order-update rules
(stitching nodes, update ids, a vehicle holding a newer update than we recorded),
which read best on their own. ``note_errors`` and ``end_stale_order`` take only
what they use (an ``Emit``; the plan and an ``Instant``); ``resend`` and
``release`` move traffic, the trip and the robot record together, so ``core`` hands
them those in ``SendParts`` (with the trip's abort as a callable), never itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleet.controller.commands import Command, SendOrder
from fleet.controller.legs import Leg, horizon_cut, leg_order
from fleet.controller.robots import Instant, RobotRecord
from fleet.domain import events as ev
from fleet.domain.events import Emit
from fleet.vda import ActionStatus, ErrorLevel, RobotError, RobotState
from fleet.words import N_, Phrase, text

if TYPE_CHECKING:
    from fleet.floor import FloorPlan
    from fleet.traffic import TrafficManager


@dataclass(frozen=True, slots=True)
class SendParts:
    """What ``resend`` and ``release`` work on, handed down by ``core``: the plan and
    traffic a leg's nodes come from, the robot records they update, and what they
    ask of others (an instant action, an event, a trip given up when its leg is
    refused too often)."""

    plan: FloorPlan
    traffic: TrafficManager
    robots: Mapping[str, RobotRecord]
    instant: Instant
    emit: Emit
    abort_trip: Callable[[RobotRecord, float, str], None]
    """Gives a robot's trip up (``TripWork.abort``)."""


MAX_REFUSALS = 3
REFUSALS = frozenset({"orderError", "validationError", "orderUpdateError", "noRouteError"})
"""Errors with which a vehicle refuses an order it was sent (VDA 5050 6.6.2, 6.10.6);
besides these, any FATAL error whose ``errorReferences`` name the order refuses it."""

LEVEL_WORDS: dict[ErrorLevel, str] = {ErrorLevel.WARNING: N_("WARNING"),
                                      ErrorLevel.FATAL: N_("FATAL")}
"""A robot's error level in the events log (the English is the level as VDA 5050 says it)."""


def refuses(error: RobotError, order_id: str) -> bool:
    """Whether ``error`` refuses the order ``order_id``: a refusal type about this
    order or about none in particular, or a FATAL error naming this order."""
    named = error.references.get("orderId")
    if error.error_type in REFUSALS:
        return named in (None, order_id)
    return named == order_id and error.level is ErrorLevel.FATAL


def superseded(error: RobotError, leg: Leg) -> bool:
    """The refusal names an update of the leg older than the last one sent: it is
    about a message since replaced (a resend built from a state that was already
    late, at a sped-up site or on a slow link), so nothing to repair or count."""
    named = error.references.get("orderUpdateId")
    return (error.references.get("orderId") == leg.order_id and named is not None
            and named.isdigit() and int(named) < leg.update_id)


IN_PROGRESS = frozenset({ActionStatus.INITIALIZING, ActionStatus.RUNNING, ActionStatus.PAUSED})


def waits_on_horizon(state: RobotState) -> bool:
    """Busy in the spec's sense only because it holds unreleased nodes: it stands at
    the end of its base, waiting for an update. For an order the controller has
    moved on from, that update never comes, and the vehicle refuses every new order
    as still busy (a floor frozen for an hour)."""
    return (bool(state.node_states) and not any(n.released for n in state.node_states)
            and not any(a.status in IN_PROGRESS for a in state.action_states))


def end_stale_order(plan: FloorPlan, instant: Instant, rec: RobotRecord, leg: Leg,
                    now: float) -> list[Command]:
    """Before ``leg`` goes out as a new order: a vehicle still holding the horizon of
    our previous leg is sent the update that ends it where it stands, on the same
    topic just ahead of the new order; a cancelOrder when that order's nodes are
    not ours to name. Another master's order is not ours to update: the vehicle
    refuses the new order, and the resend cancels that one (``resend``)."""
    state = rec.state
    if (state is None or state.order_id in ("", leg.order_id)
            or state.order_id != rec.previous_order or not waits_on_horizon(state)):
        return []
    cut = horizon_cut(plan, rec.model, state)
    if cut is None:
        return [instant(rec, "cancelOrder", now)]
    return [SendOrder(rec.serial, cut)]


def note_errors(emit: Emit, rec: RobotRecord, state: RobotState, now: float) -> list[Command]:
    """Tell people about each new error, and note a refusal of the current leg's
    order: the resend on the next tick repairs it (see ``resend``)."""
    seen = {(e.error_type, e.description) for e in state.errors}
    leg = rec.leg
    for error in state.errors:
        if (error.error_type, error.description) not in rec.errors_seen:
            emit(ev.ROBOT_ERROR_REPORTED, now, Phrase.of(
                "{robot}: {level} {error}", robot=rec.serial,
                level=Phrase.of(LEVEL_WORDS[error.level]), error=text(
                    f"{error.error_type}: {error.description}")), robot=rec.serial)
        if (leg is not None and not leg.acknowledged and refuses(error, leg.order_id)
                and not superseded(error, leg)):
            leg.refused = f"{error.error_type}: {error.description}".rstrip(": ")
            leg.refused_now = leg.refused_now or (
                (error.error_type, error.description) not in rec.errors_seen)
    rec.errors_seen = seen
    return []


def resend(parts: SendParts, rec: RobotRecord, now: float) -> list[Command]:
    """The current leg's last message is not in the vehicle's state: send it again,
    in the form the vehicle can take. A vehicle that never took this leg gets it
    as a new order from its first node; one that took part of it gets an update
    from its own decision point, numbered after what it holds. A vehicle busy
    with another order is told to cancel it first. A leg refused more than
    ``MAX_REFUSALS`` times is given up, and its trip's dishes go to others."""
    leg, state = rec.leg, rec.state
    assert leg is not None
    commands: list[Command] = []
    leg.sent_at = now
    finishing = (state is not None and state.busy and state.order_id != leg.order_id
                 and state.order_id == rec.previous_order and not waits_on_horizon(state))
    if leg.refused is not None and not finishing:
        # Refused for cause (busy with someone else's order, garbled, stale):
        # counted. Busy finishing our own last leg is only a matter of time.
        leg.refusals += 1
        if leg.refusals > MAX_REFUSALS:
            why = f"refused its order {leg.refusals - 1} times ({leg.refused})"
            parts.abort_trip(rec, now, f"{rec.serial} {why}")
            # Its dishes go to others; sending them to it again would only be refused
            # again, a new trip every few seconds. Out of dispatch until the manager
            # has looked.
            rec.withdrawn = why
            parts.emit(ev.ROBOT_WITHDRAWN, now, Phrase.of(
                "{robot} taken out of dispatch: {why}; resume it once fixed",
                robot=rec.serial, why=text(why)), robot=rec.serial,
                data={"error": leg.refused})
            leg.acknowledged = True  # given up: nothing more to resend
            leg.refused = None
            if state is None or state.order_id != leg.order_id:
                # It never took the leg, so it drives none of it: stop it where it is.
                parts.traffic.stop(rec.serial, now=now, at=leg.reached)
            return []
    leg.refused = None
    leg.refused_now = False
    if state is not None and state.order_id == leg.order_id:
        # Taken in part: continue from where the vehicle stands in it.
        base = [n.sequence_id // 2 for n in state.node_states if n.released]
        held = base[-1] if base else state.last_node_sequence_id // 2
        leg.sent_base = min(held, len(leg.cells) - 1)
        leg.update_id = max(leg.update_id, state.order_update_id + 1)
        released = max(leg.sent_base, parts.traffic.released(rec.serial))
        commands.append(SendOrder(rec.serial, leg_order(parts.plan, rec.model, leg, released)))
        leg.sent_base = released
        return commands
    stale = end_stale_order(parts.plan, parts.instant, rec, leg, now)
    if stale:
        commands += stale
    elif state is not None and state.busy and not finishing:
        commands.append(parts.instant(rec, "cancelOrder", now))
    # Never taken: the leg again as a new order from its first node, base as released.
    # Its update id stays: numbering it from 0 again, when the vehicle had in fact
    # taken the leg and its updates (a state still on its way), made every later
    # update "older" than what it held, refused until the robot left dispatch.
    leg.sent_base = -1
    released = parts.traffic.released(rec.serial)
    commands.append(SendOrder(rec.serial, leg_order(parts.plan, rec.model, leg, released)))
    leg.sent_base = released
    return commands


def release(parts: SendParts, now: float) -> list[Command]:
    released = parts.traffic.release(now=now)
    commands: list[Command] = []
    for serial, base in released.items():
        index = base
        rec = parts.robots[serial]
        leg = rec.leg
        if leg is None or leg.refused is not None:
            continue  # a refused leg is repaired by the next tick's resend first
        first = leg.sent_base < 0
        if parts.traffic.version(serial)[1] != leg.version:
            route = parts.traffic.route_of(serial)
            leg.replace_cells(route.cells, route.version)
            leg.sent_base = min(leg.sent_base, route.kept - 1)
            index = max(index, leg.sent_base)
        elif index <= leg.sent_base:
            continue
        if leg.sent_base >= 0:
            leg.update_id += 1
        else:
            commands += end_stale_order(parts.plan, parts.instant, rec, leg, now)
        max_nodes = rec.capabilities.max_nodes_per_order if rec.capabilities else None
        order = leg_order(parts.plan, rec.model, leg, index, max_nodes=max_nodes)
        leg.sent_base = index
        if leg.acknowledged or first:
            # Unacknowledged since now; a resend is due from then. A leg's first order
            # counts too: timed from 0, it went out twice, the second a tick later.
            leg.sent_at = now
        leg.acknowledged = False
        commands.append(SendOrder(serial, order))
    return commands
