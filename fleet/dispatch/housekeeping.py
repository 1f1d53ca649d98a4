"""What idle robots do between serving trips: charge, park out of the aisles, bus tables,
and go to unload what a trip that ended early left on their trays.

Called after the serving policy with the robots it left alone. A robot with
dishes on its trays is never sent to charge or park (the controller does not
pass such a robot as idle; this module checks anyway). A robot below its
model's ``low_percent`` goes to the nearest free charger. An idle robot left
standing in an aisle (anywhere but a pass loading spot, a charger or a parking
spot) blocks traffic, so it moves: by default to wait at the nearest pass that
still has a loading spot free for others (robots waiting at the pass are the
ones dispatch sends first), else to the nearest free parking spot or charger.
A charging robot stays on the charger until ``full_percent`` unless dispatch
pulls it off, or a robot that needs a charge finds every charger held by robots
already charged past it: then the fullest of those moves off to wait elsewhere.

A spot counts as taken the way the controller sees it when the robot gets
there: a robot standing on or bound for any cell of the spot's footprint takes
it, and so does a robot bound for the place that has no route yet. Counting by
cells alone sent four robots to one free-looking charger; they queued in the
aisles for minutes while another robot, parked, was churned through a park trip
a second to a bay it could never enter.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence

from fleet.dispatch.battery import battery_ok, needs_charge
from fleet.dispatch.snapshots import BussingRequest, RobotView, TripPlan
from fleet.dispatch.travel_times import TravelTimes
from fleet.domain import RobotMode, Stop, StopKind, TripKind
from fleet.floor.model import Cell, FloorPlan, PlaceKind
from fleet.words import N_, Phrase

PLACE_WORDS: dict[PlaceKind, str] = {
    PlaceKind.PASS: N_("pass"), PlaceKind.PARKING: N_("parking"),
    PlaceKind.CHARGER: N_("charger"), PlaceKind.DISH_RETURN: N_("dish return"),
    PlaceKind.HOST_STAND: N_("host stand"), PlaceKind.TABLE: N_("table")}
"""A kind of place in a trip's reason (the English is the kind's value, spaced)."""


def _one_stop(robot: RobotView, kinds: tuple[TripKind, StopKind], place: str,
              span: tuple[float, float], reason: Phrase) -> TripPlan:
    kind, stop = kinds
    now, seconds = span
    return TripPlan(robot=robot.serial, kind=kind, stops=(Stop(place=place, kind=stop),),
                    dish_ids=(), est_finish=now + seconds, est_start=now, reason=reason)


def housekeeping(now: float, robots: Sequence[RobotView], times: TravelTimes,
                 plan: FloorPlan | None = None, *, occupied: Collection[Cell] = (),
                 bound: Mapping[str, int] | None = None, stage_at_pass: bool = True,
                 pass_reserve: int = 0) -> list[TripPlan]:
    """CHARGE and PARK trips for the idle robots in ``robots``.

    ``occupied`` are cells other robots stand on or are heading to (trips
    already planned); the robots passed in count as standing where they are.
    ``bound`` counts, per place, robots on their way there that have no route
    yet (waiting their turn). ``pass_reserve`` loading spots per pass are kept
    free of waiting robots.
    """
    plan = plan if plan is not None else times.plan
    spot_of: dict[Cell, str] = {}
    for place in plan.places.values():
        if place.kind in (PlaceKind.PASS, PlaceKind.CHARGER, PlaceKind.PARKING):
            for cell in place.cells:
                spot_of[cell] = place.name
    standing = {*occupied, *(r.cell for r in robots)}
    taken = Counter(name for cell, name in spot_of.items()
                    if standing.intersection(plan.footprint(cell)))
    taken.update(bound or {})

    def free_spots(name: str, keep: int = 0) -> int:
        return len(plan.place(name).cells) - keep - taken[name]

    def nearest_free(robot: RobotView, kind: PlaceKind, keep: int = 0) -> tuple[str | None, float]:
        names = [p.name for p in plan.places_of(kind) if free_spots(p.name, keep) > 0]
        return _own(robot, times).nearest(robot.cell, kind, among=names)

    out: list[TripPlan] = []
    yielding = _charger_to_yield(robots, spot_of, plan, free_spots, now)
    for robot in sorted(robots, key=lambda r: (r.battery, r.serial)):
        if not robot.free_by(now) or robot.trays_free < robot.model.trays:
            continue
        here = spot_of.get(robot.cell)
        here_kind = plan.place(here).kind if here is not None else None
        m = robot.model
        if robot is yielding:
            for kind in (PlaceKind.PARKING, PlaceKind.PASS):
                name, secs = nearest_free(robot, kind)
                if name is not None and math.isfinite(secs):
                    taken[name] += 1
                    out.append(_one_stop(robot, (TripKind.PARK, StopKind.PARK), name,
                                         (now, secs), Phrase.of(
                                             "charged; gives the charger to a robot that "
                                             "needs it")))
                    break
            continue
        if robot.mode is RobotMode.CHARGING:
            if robot.battery >= m.full_percent and stage_at_pass and here_kind is PlaceKind.CHARGER:
                name, secs = nearest_free(robot, PlaceKind.PASS, keep=1)
                if name is not None and math.isfinite(secs):
                    taken[name] += 1
                    out.append(_one_stop(robot, (TripKind.PARK, StopKind.PARK), name, (now, secs),
                                         Phrase.of("charged; waits at the pass")))
            continue
        if robot.mode is not RobotMode.IDLE:
            continue
        if (robot.can_charge and here_kind is PlaceKind.CHARGER
                and robot.battery < m.full_percent):
            assert here is not None
            out.append(_one_stop(robot, (TripKind.CHARGE, StopKind.CHARGE), here, (now, 0.0),
                                 Phrase.of("idle on a charger: tops up")))
            continue
        if robot.can_charge and needs_charge(robot):
            name, secs = nearest_free(robot, PlaceKind.CHARGER)
            if name is not None and math.isfinite(secs):
                taken[name] += 1
                out.append(_one_stop(robot, (TripKind.CHARGE, StopKind.CHARGE), name, (now, secs),
                                     Phrase.of("battery {battery} % below {low} %",
                                               battery=f"{robot.battery:.0f}",
                                               low=f"{m.low_percent:.0f}")))
                continue
        if here_kind is PlaceKind.PASS:
            continue  # waiting where dishes appear: the best place to be
        if here is not None:
            # Out of the aisles already; still, a robot at the pass is the one sent
            # first, so move up when a loading spot is free.
            if not stage_at_pass or robot.battery < m.low_percent + 20:
                continue
            name, secs = nearest_free(robot, PlaceKind.PASS, keep=pass_reserve)
            if name is not None and math.isfinite(secs):
                taken[name] += 1
                out.append(_one_stop(robot, (TripKind.PARK, StopKind.PARK), name, (now, secs),
                                     Phrase.of("a loading spot is free; waits at the "
                                               "pass")))
            continue
        choices: list[tuple[PlaceKind, int]] = [(PlaceKind.PARKING, 0), (PlaceKind.CHARGER, 0)]
        if stage_at_pass and not needs_charge(robot):
            choices.insert(0, (PlaceKind.PASS, pass_reserve))
        for kind, keep in choices:
            name, secs = nearest_free(robot, kind, keep=keep)
            if name is None or not math.isfinite(secs):
                continue
            taken[name] += 1
            trip, stop = ((TripKind.CHARGE, StopKind.CHARGE) if kind is PlaceKind.CHARGER
                          else (TripKind.PARK, StopKind.PARK))
            out.append(_one_stop(robot, (trip, stop), name, (now, secs),
                                 Phrase.of("idle in an aisle; goes to {place}",
                                           place=Phrase.of(PLACE_WORDS[kind]))))
            break
    return out


def _charger_to_yield(robots: Sequence[RobotView], spot_of: Mapping[Cell, str],
                      plan: FloorPlan, free_spots: Callable[[str], int],
                      now: float) -> RobotView | None:
    """The robot to move off a charger, if one is needed: some robot must charge and
    no charger has a free spot, while a robot on one is charged past ``full_percent``
    or 30 points above the neediest. One a round: the charger it frees is taken by
    the needy robot in the next round, when it shows as free."""
    chargers = [p.name for p in plan.places_of(PlaceKind.CHARGER)]
    needy = [r for r in robots if needs_charge(r) and r.free_by(now)
             and spot_of.get(r.cell) not in chargers]
    if not needy or any(free_spots(name) > 0 for name in chargers):
        return None
    lowest = min(r.battery for r in needy)
    full = [r for r in robots if spot_of.get(r.cell) in chargers and r.free_by(now)
            and r.trays_free >= r.model.trays
            and (r.battery >= r.model.full_percent or r.battery >= lowest + 30.0)]
    return max(full, key=lambda r: (r.battery, r.serial), default=None)


def plan_bussing(now: float, requests: Sequence[BussingRequest | tuple[str, float]],
                 robots: Sequence[RobotView], times: TravelTimes,
                 plan: FloorPlan | None = None, *, collect_s: float = 30.0,
                 unload_s: float = 20.0, max_trips: int | None = None) -> list[TripPlan]:
    """BUS trips, oldest request first, each on the nearest idle robot with every tray empty,
    at most ``max_trips`` of them (the caller's room at the dish return: robots sent
    beyond it would only queue there, in the aisles, without progress).

    Call it with the robots the serving policy left free: serving comes first.
    """
    plan = plan if plan is not None else times.plan
    returns = [p.name for p in plan.places_of(PlaceKind.DISH_RETURN)]
    idle = [r for r in robots if r.mode in (RobotMode.IDLE, RobotMode.WORKING)
            and r.free_by(now) and not needs_charge(r) and r.trays_free >= r.model.trays]
    out: list[TripPlan] = []
    asked = [BussingRequest(*q) for q in requests]  # plain (table, requested_at) pairs too
    for request in sorted(asked, key=lambda q: (q.requested_at, q.table)):
        if not idle or not returns or (max_trips is not None and len(out) >= max_trips):
            break
        dish_return = min(returns, key=lambda name: times.between(request.table, name))
        unload_leg = times.between(request.table, dish_return)
        for robot in sorted(idle, key=lambda r: (r.times(times).from_cell(r.cell, request.table),
                                                 r.serial)):
            own = robot.times(times)
            leg = own.from_cell(robot.cell, request.table)
            unload_leg = own.between(request.table, dish_return)
            if not (math.isfinite(leg) and math.isfinite(unload_leg)):
                continue
            if not battery_ok(robot, leg + unload_leg, own, idle_seconds=collect_s + unload_s,
                              end=dish_return):
                continue
            trays = robot.slots()
            stops = (Stop(place=request.table, kind=StopKind.COLLECT, trays=trays),
                     Stop(place=dish_return, kind=StopKind.UNLOAD, trays=trays))
            out.append(TripPlan(robot=robot.serial, kind=TripKind.BUS, stops=stops, dish_ids=(),
                                est_finish=now + leg + collect_s + unload_leg + unload_s,
                                est_start=now,
                                reason=Phrase.of("bussing {table}, nearest idle robot",
                                                 table=request.table)))
            idle.remove(robot)
            break
    return out


def plan_unloading(now: float, robot: RobotView, trays: Sequence[str], times: TravelTimes,
                   plan: FloorPlan | None = None, *, dishes: Sequence[str] = (),
                   unload_s_per_tray: float = 6.0) -> TripPlan | str:
    """An UNLOAD trip for a robot a trip left with something on ``trays`` (its trip was
    aborted: it stalled, faulted, was refused ...): to the nearest dish return it can
    reach, else the nearest pass (staff there take the dishes back). Until it is
    emptied it can serve nobody, so this comes before any other work, battery
    included (charging is never done with loaded trays).

    Returns the reason in words, instead of a plan, when no such place can be
    reached from where it stands: the robot is out of service until a person helps.
    """
    plan = plan if plan is not None else times.plan
    for kind in (PlaceKind.DISH_RETURN, PlaceKind.PASS):
        name, secs = _own(robot, times).nearest(robot.cell, kind)
        if name is None or not math.isfinite(secs):
            continue
        held = str(len(set(dishes)) or len(trays))
        return TripPlan(robot=robot.serial, kind=TripKind.UNLOAD,
                        stops=(Stop(place=name, kind=StopKind.UNLOAD, dishes=tuple(dishes),
                                    trays=tuple(trays)),),
                        dish_ids=(), est_finish=now + secs + unload_s_per_tray * len(trays),
                        est_start=now, reason=Phrase.of(
                            "{n} on its trays after its trip ended early; unloads at the "
                            "nearest {station}", n=held, station=Phrase.of(PLACE_WORDS[kind])))
    where = f"r{robot.cell[0]}c{robot.cell[1]}"
    if not plan.places_of(PlaceKind.DISH_RETURN) and not plan.places_of(PlaceKind.PASS):
        return "the floor plan has no dish return or pass to unload at"
    return f"no dish return or pass can be reached from {where}"


def _own(robot: RobotView, times: TravelTimes) -> TravelTimes:
    """The robot's own model's times (a mixed fleet), else those given."""
    return robot.travel if robot.travel is not None else times
