"""The controller's state as the fleet API shows it: one view per robot and order,
the header figures, and the floor drawn as text.

Pure and read-only: each function reads what the controller's port
(``fleet.controller.port``) answers and builds a message; it never changes what
it reads. The service calls these to find what changed, so they are
deterministic (same controller state, same message) and cheap enough to call for
every robot twice a second.

Times: the controller counts seconds on its event loop's clock; the API speaks
site time, Unix seconds in production. ``epoch`` is the difference (site time =
``epoch`` + controller time), measured once when the site starts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from fleet.api.messages import (
    DishView,
    FloorView,
    OrderView,
    PlaceView,
    RobotView,
    Summary,
    TripView,
    ZoneView,
)
from fleet.api.words import words_view
from fleet.controller.port import FleetPort, RobotSight
from fleet.domain import DishState, Order, Priority, RobotMode
from fleet.floor import FloorPlan
from fleet.floor.model import BoolGrid, Cell

WAIT_WINDOW_S = 15 * 60.0
"""The header's mean wait is over dishes that reached their table this long ago or less."""

_FAULTED = (RobotMode.FAULT, RobotMode.ESTOPPED, RobotMode.MANUAL)


def _metres(plan: FloorPlan, cells: tuple[Cell, ...]) -> list[tuple[float, float]]:
    return [_round_xy(plan.anchor_of(c)) for c in cells]


def _round_xy(xy: tuple[float, float]) -> tuple[float, float]:
    return (round(xy[0], 3), round(xy[1], 3))


def robot_view(rec: RobotSight, plan: FloorPlan, now: float, *, epoch: float = 0.0,
               ) -> RobotView:
    state = rec.state
    x = y = theta = None
    if state is not None and state.position is not None:
        x, y = _round_xy((state.position.x, state.position.y))
        theta = round(state.position.theta, 3)
    elif rec.cell is not None:
        x, y = _round_xy(plan.anchor_of(rec.cell))
    trip = None
    if rec.trip is not None:
        t = rec.trip
        trip = TripView(trip_id=t.trip_id, kind=t.kind.value, stops=[s.place for s in t.stops],
                        next_stop=t.next_stop, dishes=list(t.dishes))
    doing, waiting = rec.doing, rec.waiting
    errors = ([f"{e.level.value} {e.error_type}: {e.description}".rstrip(": ")
               for e in state.errors] if state is not None else [])
    return RobotView(
        serial=rec.serial, manufacturer=rec.manufacturer, model=rec.model,
        mode=rec.mode.value, online=rec.mode is not RobotMode.OFFLINE, x=x, y=y, theta=theta,
        battery=round(rec.battery, 1), charging=rec.charging, trays=rec.trays,
        loads=[rec.loads[k] for k in sorted(rec.loads)], trip=trip,
        doing="" if doing is None else str(doing), waiting="" if waiting is None else str(waiting),
        doing_words=words_view(doing), waiting_words=words_view(waiting),
        route=_metres(plan, rec.route), horizon=_metres(plan, rec.horizon),
        paused_by_manager=rec.paused_by_manager, errors=errors,
        at=epoch + now)


def _at(epoch: float, t: float | None) -> float | None:
    return None if t is None else epoch + t


def order_view(order: Order, *, epoch: float = 0.0) -> OrderView:
    return OrderView(
        order_id=order.order_id, table=order.table,
        priority="high" if order.priority is Priority.HIGH else "normal", note=order.note,
        party=order.party, created_at=epoch + order.created_at, open=order.open,
        dishes=[DishView(dish_id=d.dish_id, name=d.name, state=d.state.value, trays=d.trays,
                         robot=d.robot, ready_at=_at(epoch, d.ready_at),
                         at_table_at=_at(epoch, d.at_table_at),
                         served_at=_at(epoch, d.served_at), reason=d.reason)
                for d in order.dishes])


def summary(fleet: FleetPort, *, site: str, name: str, now: float, speed: float,
            deadlocks_broken: int, epoch: float = 0.0) -> Summary:
    modes = list(fleet.modes().values())
    waiting = fleet.waiting_dishes()
    on_robots = 0
    waits: list[float] = []
    open_orders = 0
    for order in fleet.orders():
        if order.open:
            open_orders += 1
        for d in order.dishes:
            if d.state.on_robot:
                on_robots += 1
            # A dish staff carried counts with when they did: its guest waited too.
            reached = d.served_at if d.state is DishState.BY_STAFF else d.at_table_at
            if (reached is not None and d.ready_at is not None
                    and now - reached <= WAIT_WINDOW_S):
                waits.append(reached - d.ready_at)
    oldest = min((d.ready_at for d in waiting if d.ready_at is not None), default=None)
    return Summary(
        site=site, name=name, now=epoch + now, speed=speed, robots=len(modes),
        active=sum(m is RobotMode.WORKING for m in modes),
        idle=sum(m is RobotMode.IDLE for m in modes),
        charging=sum(m is RobotMode.CHARGING for m in modes),
        paused=sum(m is RobotMode.PAUSED for m in modes),
        faulted=sum(m in _FAULTED for m in modes),
        offline=sum(m is RobotMode.OFFLINE for m in modes),
        dishes_waiting=sum(d.state is DishState.READY for d in waiting),
        dishes_on_robots=on_robots,
        oldest_wait_s=None if oldest is None else round(max(0.0, now - oldest), 1),
        mean_wait_15min_s=round(math.fsum(waits) / len(waits), 1) if waits else None,
        served_15min=len(waits), open_orders=open_orders,
        blocked_tables=dict(fleet.blocked_tables), blocked_zones=dict(fleet.blocked_zones),
        stopped_all=fleet.stopped_all, deadlocks_broken=deadlocks_broken)


def mask_rows(mask: BoolGrid) -> list[str]:
    """A cell mask as text, one string per row: '#' inside, '.' outside."""
    return ["".join("#" if v else "." for v in row) for row in mask.tolist()]


def blocked_areas(fleet: FleetPort) -> dict[str, frozenset[Cell]]:
    """Each zone the manager blocked, with its cells."""
    return {name: fleet.blocked_zone_cells(name) for name in sorted(fleet.blocked_zones)}


def floor_view(plan: FloorPlan, blocked: Mapping[str, frozenset[Cell]] | None = None,
               ) -> FloorView:
    """The plan drawn as text; ``blocked`` (zone -> cells) adds the manager's blocked
    areas as zones of kind "blocked"."""
    rows, cols = plan.shape
    grid = ["".join("#" if plan.blocked[r, c] else "." if plan.passable[r, c] else " "
                    for c in range(cols)) for r in range(rows)]
    places = [PlaceView(name=p.name, kind=p.kind.value, spots=[_round_xy(s) for s in p.spots],
                        outline=[_round_xy(o) for o in p.outline], seats=p.seats)
              for p in sorted(plan.places.values(), key=lambda p: (p.kind.value, p.name))]
    zones = [ZoneView(name=z.name, kind=z.kind.value, rows=mask_rows(z.mask))
             for z in plan.zones]
    for name, cells in (blocked or {}).items():
        mask = np.zeros((rows, cols), dtype=bool)
        for r, c in cells:
            mask[r, c] = True
        zones.append(ZoneView(name=name, kind="blocked", rows=mask_rows(mask)))
    return FloorView(name=plan.name, resolution=plan.resolution,
                     origin=(float(plan.origin[0]), float(plan.origin[1])), rows=rows, cols=cols,
                     grid=grid, places=places, zones=zones)
