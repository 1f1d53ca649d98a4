"""What a robot's reports mean for the dishes on its trays, and what goes back.

The robot reports action states (pick, drop, the guest's wait); the dishes move
along their states from those, never from where the robot stands. Dishes left
on the trays at the end of a serving trip (nobody took them, or they were
cancelled on the way) go back to the kitchen. Functions over a ``DishSite``,
split from ``tripwork`` so that a dish's path reads apart from the robot's.

``DishSite`` names all these rules read and ask: the dishes by id, their saving,
events, dispatch woken, the plan, travel times, the guest's and the food's
patience. Where leftovers go also asks how much room a place has (``Rooms``, trip
work), handed beside the site. Trip work hands what ``core`` handed it
(``TripParts``), which is such a site; typed against the site, this module sees
nothing else and needs no import of ``core``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from fleet.controller.robots import RobotRecord
from fleet.domain import Dish, DishState, Stop, StopKind, TripKind
from fleet.domain import events as ev
from fleet.floor import PlaceKind
from fleet.vda import ActionStatus
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.dispatch import TravelTimes
    from fleet.floor import FloorPlan


class Rooms(Protocol):
    """Free spots at a place (``TripWork.room_at``), to send leftovers where a robot
    can stand."""

    def room_at(self, place: str, besides: str | None = None) -> int: ...


class DishSite(Protocol):
    """What the dish rules read and ask (see the module docstring)."""

    @property
    def plan(self) -> FloorPlan: ...

    @property
    def times(self) -> Mapping[str, TravelTimes]: ...

    @property
    def guest_timeout_s(self) -> float: ...

    @property
    def cold_food_s(self) -> float: ...

    def dish(self, dish_id: str) -> Dish: ...

    def save(self, dish: Dish) -> None: ...

    def request_dispatch(self) -> None: ...

    def emit(self, kind: str, now: float, text: str | Phrase, *, robot: str | None = None,
             order_id: str | None = None, dish_id: str | None = None,
             trip_id: str | None = None, data: Mapping[str, Any] | None = None,
             words: Phrase | None = None) -> None: ...


def skippable(site: DishSite, stop: Stop) -> bool:
    """A table none of whose dishes are still to be served is not visited, nor the
    pass when every dish to load there ended first (cancelled, or carried by staff)."""
    if stop.kind is not StopKind.SERVE and not (stop.kind is StopKind.LOAD and stop.dishes):
        return False
    return all(site.dish(d).state.final for d in stop.dishes)


def still_to_load(site: DishSite, stop: Stop) -> Stop:
    """A loading stop without the dishes that ended before it began: staff must not
    be asked to load a dish a person already carried out, nor one cancelled."""
    if stop.kind is not StopKind.LOAD:
        return stop
    pairs = [(t, d) for t, d in zip(stop.trays, stop.dishes, strict=False)
             if not site.dish(d).state.final]
    if len(pairs) == len(stop.dishes):
        return stop
    return replace(stop, trays=tuple(t for t, _ in pairs), dishes=tuple(d for _, d in pairs))


def advance_dishes(site: DishSite, rec: RobotRecord, stop: Stop,
                   status: dict[str, ActionStatus], now: float) -> None:
    """Dishes follow the actions at the stop: picked is loaded, dropped is at the table,
    taken by the guest (``taken``) is served; a failed pick puts the dish back to be
    dispatched."""
    trip = rec.trip
    assert trip is not None
    key = f"{trip.trip_id}.{trip.next_stop}"
    for tray, dish_id in zip(stop.trays, stop.dishes, strict=False):
        dish = site.dish(dish_id)
        if stop.kind is StopKind.LOAD:
            st = status.get(f"{key}/pick/{tray}")
            if st is ActionStatus.FINISHED and dish.state is DishState.ASSIGNED:
                dish.move(DishState.LOADED)
                site.emit(ev.DISH_LOADED, now, Phrase.of("{dish} loaded on {robot} {tray}",
                                                         dish=dish_id, robot=rec.serial, tray=tray),
                          robot=rec.serial, dish_id=dish_id, order_id=dish.order_id)
                site.save(dish)
            elif st is ActionStatus.FAILED and dish.state is DishState.ASSIGNED:
                dish.move(DishState.READY, reason="not loaded")
                dish.trip_id = dish.robot = dish.tray = None
                site.save(dish)
        elif stop.kind is StopKind.SERVE:
            drop = status.get(f"{key}/drop/{tray}")
            wait = status.get(f"{key}/wait")
            shown = (dish.at_table_at is not None and rec.goal_since is not None
                     and dish.at_table_at >= rec.goal_since)  # here, before a second visit
            if drop is ActionStatus.FINISHED and dish.state is DishState.ON_THE_WAY and not shown:
                dish.move(DishState.AT_TABLE)
                dish.at_table_at = now
                site.emit(ev.DISH_AT_TABLE, now,
                          Phrase.of("{dish} at {place}", dish=dish_id, place=stop.place),
                          robot=rec.serial, dish_id=dish_id, order_id=dish.order_id)
                site.save(dish)
            if dish.state is DishState.AT_TABLE and taken(rec, tray, wait):
                dish.move(DishState.SERVED)
                dish.served_at = now
                site.emit(ev.DISH_SERVED, now,
                          Phrase.of("{dish} served at {place}", dish=dish_id, place=stop.place),
                          robot=rec.serial, dish_id=dish_id, order_id=dish.order_id)
                site.save(dish)


def taken(rec: RobotRecord, tray: str, wait: ActionStatus | None) -> bool:
    """Whether the guest took what was presented on ``tray``: for a robot that senses
    its trays, the tray emptied (a vehicle's executor may finish waitForTrigger at
    once, with nobody there); for one that cannot, its word that the wait is over."""
    if rec.senses_trays:
        return tray not in rec.loads
    return wait is ActionStatus.FINISHED


def untaken(site: DishSite, rec: RobotRecord, stop: Stop) -> bool:
    """Dishes presented at this table still on a tray the robot senses: the stop is
    not over until the guest takes them or the guest timeout gives them up."""
    return stop.kind is StopKind.SERVE and rec.senses_trays and any(
        site.dish(d).state is DishState.AT_TABLE and t in rec.loads
        for t, d in zip(stop.trays, stop.dishes, strict=False))


def leftovers(site: DishSite, rec: RobotRecord) -> bool:
    """Dishes nobody took (or cancelled on the way) go back to the kitchen, once."""
    trip = rec.trip
    assert trip is not None
    if trip.kind is not TripKind.SERVE or not (rec.loads or going_back(site, rec)):
        return False
    return not any(s.kind is StopKind.UNLOAD for s in trip.stops)


def going_back(site: DishSite, rec: RobotRecord) -> list[Dish]:
    """Dishes on this robot's serving trip that no table still ahead waits for, yet
    not ended: brought back to their pass untaken (``bring_back``), to go out again."""
    trip = rec.trip
    if trip is None or trip.kind is not TripKind.SERVE:
        return []
    ahead = {d for s in trip.stops[trip.next_stop:] if s.kind is StopKind.SERVE
             for d in s.dishes}
    return [d for d in map(site.dish, dict.fromkeys(trip.dishes))
            if d.state is DishState.ON_THE_WAY and d.robot == rec.serial
            and d.dish_id not in ahead and d.pass_place is not None]


def pass_for_leftovers(site: DishSite, rooms: Rooms, rec: RobotRecord) -> str:
    """The dish return takes leftovers; without one, the pass they came from. When
    no dish return has room (``rooms``, trip work: a robot on or bound for every
    spot) and a pass has, the nearest such pass takes them instead: staff there take an
    untouched dish back as well, and a line at a one-spot dish return was most of
    the robots standing still on generated floors. A dish going out again goes to
    the pass it is loaded at (``going_back``)."""
    back = going_back(site, rec)
    if back:
        assert back[0].pass_place is not None
        return back[0].pass_place
    returns = site.plan.places_of(PlaceKind.DISH_RETURN)
    if returns:
        cell = rec.cell
        assert cell is not None
        times = site.times[rec.model.name]
        free = [p for p in returns if rooms.room_at(p.name, rec.serial) > 0]
        if not free:
            spare = [p for p in site.plan.places_of(PlaceKind.PASS)
                     if rooms.room_at(p.name, rec.serial) > 0]
            free = spare or returns
        return min(free, key=lambda p: times.from_cell(cell, p.name)).name
    trip = rec.trip
    assert trip is not None
    loaded_at = [s.place for s in trip.stops if s.kind is StopKind.LOAD]
    return loaded_at[0] if loaded_at else site.plan.places_of(PlaceKind.PASS)[0].name


def second_visit(site: DishSite, rec: RobotRecord, stop: Stop, now: float) -> Stop | None:
    """A table whose guest did not take the dishes within the guest timeout is
    visited once more, after the trip's other tables (before its leftovers go back),
    as a waiter comes back when a guest was away: for the dishes presented there
    for the first time on this trip that will still be warm at the end of a second
    wait. The new stop, already in the trip; None when no dish gets one, or when no
    other table comes first (coming straight back is standing there twice as long:
    measured, 150-180 s stands at tables on generated floors). Per visit a guest is
    away now and then: one visit per dish had every extra robot (fewer dishes a
    visit, more visits) serve fewer dishes."""
    trip = rec.trip
    assert trip is not None
    if stop.kind is not StopKind.SERVE or not any(
            s.kind is StopKind.SERVE and s.place != stop.place
            for s in trip.stops[trip.next_stop + 1:]):
        return None  # no other table first: it would only stand there twice as long
    again: list[tuple[str, str]] = []
    for tray, dish_id in zip(stop.trays, stop.dishes, strict=False):
        dish = site.dish(dish_id)
        visits = sum(1 for s in trip.stops if s.kind is StopKind.SERVE and dish_id in s.dishes)
        warm = (dish.ready_at is not None
                and now - dish.ready_at + site.guest_timeout_s < site.cold_food_s)
        if dish.state is DishState.AT_TABLE and visits == 1 and warm:
            again.append((tray, dish_id))
    if not again:
        return None
    retry = Stop(stop.place, StopKind.SERVE, dishes=tuple(d for _, d in again),
                 trays=tuple(t for t, _ in again))
    later = trip.stops[trip.next_stop + 1:]
    at = next((trip.next_stop + 1 + i for i, s in enumerate(later)
               if s.kind is StopKind.UNLOAD), len(trip.stops))
    trip.stops.insert(at, retry)
    for dish_id in dict.fromkeys(d for _, d in again):  # a dish on two trays is listed twice
        dish = site.dish(dish_id)
        dish.move(DishState.ON_THE_WAY)
        site.save(dish)
        site.emit(ev.DISH_NOT_TAKEN, now,
                  Phrase.of("nobody took {dish} at {place} within {s} s: {robot} comes back "
                            "for the guest", dish=dish_id, place=stop.place,
                            s=f"{site.guest_timeout_s:.0f}", robot=rec.serial),
                  robot=rec.serial, dish_id=dish_id, order_id=dish.order_id,
                  trip_id=trip.trip_id)
    return retry



def bring_back(site: DishSite, rec: RobotRecord, stop: Stop, dish_id: str,
               now: float) -> bool:
    """A dish its guest did not take, with no later visit on this trip, goes back to
    its pass and out again on a later trip, once, when it can still reach the table
    warm (as a runner brings a plate back to the pass when the guest is away). True
    when it goes back; the caller fails it otherwise. One failed dish per absent
    guest made every added robot (fewer dishes a visit, more visits) serve fewer
    dishes on generated floors: served fell by 2-3 % from 8 to 12 robots."""
    dish = site.dish(dish_id)
    place = dish.pass_place
    cell = rec.cell
    if (dish.state is not DishState.AT_TABLE or dish.brought_back > 0 or place is None
            or cell is None or dish.ready_at is None or place not in site.plan.places):
        return False
    back_s = site.times[rec.model.name].from_cell(cell, place)
    if now - dish.ready_at + 2 * back_s + site.guest_timeout_s >= site.cold_food_s:
        return False  # it would reach the table cold
    dish.brought_back += 1
    dish.move(DishState.ON_THE_WAY)
    site.save(dish)
    site.emit(ev.DISH_NOT_TAKEN, now,
              Phrase.of("nobody took {dish} at {place} within {s} s: {robot} brings it back "
                        "to {pass_name} to go out again", dish=dish_id, place=stop.place,
                        s=f"{site.guest_timeout_s:.0f}", robot=rec.serial, pass_name=place),
              robot=rec.serial, dish_id=dish_id, order_id=dish.order_id,
              trip_id=rec.trip.trip_id if rec.trip else None)
    return True


def back_at_pass(site: DishSite, rec: RobotRecord, stop: Stop, now: float) -> None:
    """Unloaded at their pass, dishes brought back are ready there again, first in
    line by their ready time."""
    for dish in going_back(site, rec):
        if dish.pass_place != stop.place:
            continue
        dish.move(DishState.READY)
        dish.trip_id = dish.robot = dish.tray = None
        site.save(dish)
        site.emit(ev.DISH_BACK_AT_PASS, now,
                  Phrase.of("{dish} back at {place} to go out again", dish=dish.dish_id,
                            place=stop.place),
                  robot=rec.serial, dish_id=dish.dish_id, order_id=dish.order_id)
        site.request_dispatch()
