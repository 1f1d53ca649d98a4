"""A dispatch round: the waiting dishes, the bussing calls and the free robots put
to the policy, and the trips it plans begun.

Once an input asks for dispatch (a dish ready, a robot freed, a bussing call),
``core`` runs a round: robots with leftovers go and unload first; the rest, and
empty robots about to reach a pass, are offered the dishes a table has room for
(``tableroom``), bussing as the dish returns have room, and housekeeping (a home
to wait at, a charger) for whoever is left. Split from ``tripwork`` so that what a
round puts to the policy reads apart from how a trip then goes: a round only reads
the fleet and begins trips through trip work (``TripWork.begin``), which owns them.
Before the policy sees the waiting dishes, those a robot about to leave their pass
for their table can still take ride along (``ridealong``), if the policy batches.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from fleet.controller.ridealong import ride_along
from fleet.controller.robots import RobotRecord
from fleet.controller.tableroom import plan_within_room, shared_spots, table_room
from fleet.dispatch import (
    DishView,
    RobotView,
    TripPlan,
    housekeeping,
    plan_bussing,
    plan_unloading,
)
from fleet.domain import StopKind, TripKind
from fleet.floor import PlaceKind

if TYPE_CHECKING:
    from fleet.controller.tripwork import TripWork

RETURN_QUEUE = 2
"""Robots per dish-return spot that may be bound there at once (one unloading, one
next); more bussing waits for room. Serving trips are never held back."""


class Dispatcher:
    """Runs dispatch rounds over trip work and the parts ``core`` handed it."""

    def __init__(self, work: TripWork) -> None:
        self.work = work
        self.parts = work.parts
        self._pass_cells = {c: p.name for p in self.parts.plan.places_of(PlaceKind.PASS)
                            for c in p.cells}
        """Each pass spot's place: a robot standing on one loads there."""
        self._shared_spots = shared_spots(self.parts.plan)

    def _robot_view(self, rec: RobotRecord, now: float) -> RobotView:
        assert rec.cell is not None
        return RobotView(serial=rec.serial, model=rec.model, mode=rec.mode, cell=rec.cell,
                         free_at=now, battery=rec.battery, trays_free=rec.trays - len(rec.loads),
                         at_pass=self._pass_cells.get(rec.cell), can_charge=rec.can_charge,
                         travel=self.parts.times[rec.model.name])

    def dispatch(self, now: float) -> None:
        """One round (see the module docstring): each trip planned is begun through
        trip work, which owns it from then on."""
        parts = self.parts
        self._send_to_unload(now)
        if parts.policy.rides_along:
            ride_along(self.work, now)
        idle = [r for r in self.work.idle_robots() if not r.loaded and not r.to_unload()]
        coming = self._coming_to_pass(now)
        if not idle and not coming:
            return
        busy_tables = table_room(parts.plan, (r.trip for r in parts.robots.values() if r.trip),
                                 self._shared_spots)
        closed = parts.closures().closed_tables()  # blocked by the manager: their dishes wait
        dishes = [DishView(dish_id=d.dish_id, order_id=d.order_id, table=d.table, trays=d.trays,
                           ready_at=d.ready_at or now, priority=d.priority,
                           pass_place=parts.book.dish_pass[d.dish_id])
                  for d in parts.book.waiting()
                  if busy_tables.get(d.table, 1) > 0 and d.table not in closed]
        views = [self._robot_view(r, now) for r in idle]
        # Each robot's view carries its own model's times; these serve what is not one
        # robot's (a dish's own way from its pass to its table).
        times = parts.times[(idle[0] if idle else parts.robots[coming[0].serial]).model.name]
        plans: list[TripPlan] = []
        if dishes:
            plans = plan_within_room(lambda d, r: list(parts.policy.plan(now, d, r, times)),
                                     dishes, self._can_load(views) + coming, busy_tables,
                                     self._shared_spots)
        taken = {p.robot for p in plans}
        asked = [b for b in self.work.bussing_requests if b[0] not in closed]
        if asked:
            free = [v for v in views if v.serial not in taken]
            bussing = plan_bussing(now, asked, free, times, parts.plan,
                                   max_trips=self._room_at_dish_returns())
            served_tables = {p.stops[0].place for p in bussing}
            self.work.bussing_requests = [b for b in self.work.bussing_requests
                                          if b[0] not in served_tables]
            plans += bussing
            taken |= {p.robot for p in bussing}
        rest = [v for v in views if v.serial not in taken]
        if rest:
            occupied = self.work.claimed_cells() | parts.closures().closed_cells()
            # Trips planned this round are not begun yet: their first stops are bound too
            # (a robot sent to park at the pass a moment after another was sent to load
            # there made three for two spots).
            bound = self.work.bound_places() + Counter(
                p.stops[0].place for p in plans if p.stops and p.stops[0].cell is None)
            plans += housekeeping(now, rest, times, parts.plan, occupied=occupied, bound=bound)
        for plan in plans:
            self.work.begin(plan, now)

    def _room_at_dish_returns(self) -> int:
        """Bussing trips the dish returns can take now: ``RETURN_QUEUE`` robots a spot,
        less the robots already bound to unload there. At the end of a service every
        table wants bussing at once; sent all together, the robots only queue at one
        spot, standing in the aisles for minutes."""
        plan = self.parts.plan
        returns = {p.name for p in plan.places_of(PlaceKind.DISH_RETURN)}
        spots = sum(len(plan.place(name).cells) for name in returns)
        bound = sum(1 for r in self.parts.robots.values() if r.trip is not None and any(
            s.kind is StopKind.UNLOAD and s.place in returns
            for s in r.trip.stops[r.trip.next_stop:]))
        return max(0, RETURN_QUEUE * spots - bound)

    def _send_to_unload(self, now: float) -> None:
        """Robots left with something on their trays by a trip that ended early go and
        unload before anything else: until emptied they can serve nobody. One that
        cannot get anywhere to unload is reported, once per reason."""
        for rec in self.work.idle_robots():
            trays = rec.to_unload()
            if not trays:
                continue
            dishes = rec.aboard_dishes if not rec.senses_trays else tuple(
                sorted({d for d in rec.loads.values() if d}))
            plan = plan_unloading(now, self._robot_view(rec, now), trays,
                                  self.parts.times[rec.model.name], self.parts.plan, dishes=dishes)
            if isinstance(plan, str):
                self.work.strand(rec, now, plan)
                continue
            self.work.begin(plan, now)

    def _coming_to_pass(self, now: float) -> list[RobotView]:
        """Empty robots driving to wait at a pass, as they will be on arrival: a dish
        may be held for one a few seconds away rather than sent with a robot that
        must first cross the floor (the policy never starts a trip on them)."""
        out: list[RobotView] = []
        for rec in sorted(self.parts.robots.values(), key=lambda r: r.serial):
            trip, leg, cell = rec.trip, rec.leg, rec.cell
            if (trip is None or trip.kind is not TripKind.PARK or leg is None or cell is None
                    or rec.loaded or not rec.in_traffic or not rec.mode.available
                    or rec.paused_by_manager or rec.off_duty is not None):
                continue
            at_pass = self._pass_cells.get(leg.cells[-1])
            if at_pass is None or not leg.ends_at_goal:
                continue
            # Never free now, even on the spot (its trip is not over): a policy may hold
            # a dish for it but cannot start a trip on it.
            eta = max(1.0, self.parts.times[rec.model.name].from_cell(cell, at_pass))
            out.append(RobotView(serial=rec.serial, model=rec.model, mode=rec.mode,
                                 cell=leg.cells[-1], free_at=now + eta, battery=rec.battery,
                                 trays_free=rec.trays, at_pass=at_pass,
                                 travel=self.parts.times[rec.model.name]))
        return out

    def _can_load(self, views: list[RobotView]) -> list[RobotView]:
        """Robots that can go and load now: those at a pass, and as many others as
        pass spots are free (a queue in the aisle in front of the pass blocks it).
        A spot is free as ``start_stop`` will find it: nobody in its footprint, and
        not owed to a robot already bound for that pass without a route yet."""
        plan = self.parts.plan
        free_spots = sum(self.work.room_at(p.name) for p in plan.places_of(PlaceKind.PASS))
        at_pass = [v for v in views if v.at_pass is not None]
        away = [v for v in views if v.at_pass is None]
        times = self.parts.times
        passes = self.parts.plan.places_of(PlaceKind.PASS)
        away.sort(key=lambda v: min(times[v.model.name].from_cell(v.cell, p.name) for p in passes))
        return at_pass + away[:free_spots]
