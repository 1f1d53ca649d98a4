"""End to end, liveness (issue 11, causes 3 and 5): a robot whose trip is given up
with dishes on its trays takes them to the dish return and serves again; a robot
that stops moving with food aboard is reported within a minute, with what holds
it, and its trip is given up before the food is cold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e import Rig, floor, run_rig, small_room

from fleet.api.alerts import AlertBook
from fleet.controller.explain import doing_words, waiting_words
from fleet.domain import DishState, TripKind, TripState
from fleet.domain import events as ev
from fleet.floor.model import FloorPlan, PlaceKind
from fleet.vda import ErrorLevel, Load

RETURN_CELL = (4, 0)
COLD_FOOD_S = 300.0
"""The controller's default cold-food limit (``Controller.cold_food_s``)."""


def no_return_room() -> FloorPlan:
    """A floor without a dish return: what comes back goes to the pass."""
    return floor("\n".join(["............"] * 5), {
        "pass": (PlaceKind.PASS, [(0, 0), (1, 0)]),
        "table-1": (PlaceKind.TABLE, [(0, 11)]),
        "table-2": (PlaceKind.TABLE, [(4, 11)])}, name="no-return")


def _alerts(rig: Rig) -> AlertBook:
    book = AlertBook()
    for event in rig.controller.events:
        book.observe(event)
    return book


@pytest.mark.parametrize(("room", "station", "words"), [
    (small_room, "return", "returning 1 dish to the dish return"),
    (no_return_room, "pass", "returning 1 dish to the pass"),
])
def test_robot_faulted_with_a_dish_aboard_unloads_and_serves_again(
        room: Callable[[], FloorPlan], station: str, words: str) -> None:
    """The fault aborts the trip (the dish fails on the tray); once the fault is
    cleared the robot drives to the dish return (the pass, where there is none),
    staff take the dish, and the next order goes to it."""

    async def scene(rig: Rig) -> None:
        first = await rig.order("table-1")
        await rig.until(lambda: rig.dish(first).state is DishState.ON_THE_WAY, 60,
                        "on the way")
        await rig.settle(2.0)
        robot = rig.robots["A"]
        robot.add_error("motorFault", "left wheel drive tripped", ErrorLevel.FATAL)
        await rig.until(lambda: rig.record("A").trip is None, 30, "the trip is given up")
        assert rig.dish(first).state is DishState.FAILED
        assert "on its tray" in rig.dish(first).reason
        assert robot.loads, "the dish is still on the tray"
        await rig.settle(20.0)
        robot.clear_errors("motorFault")

        def unloading() -> bool:
            trip = rig.record("A").trip
            return trip is not None and trip.kind is TripKind.UNLOAD

        await rig.until(unloading, 30, "an unloading trip")
        trip = rig.record("A").trip
        assert trip is not None and [s.place for s in trip.stops] == [station]
        assert doing_words(rig.controller, "A", rig.now()) == words
        await rig.until(lambda: trip.state is TripState.DONE, 120, "unloaded")
        assert not robot.loads
        station_cells = set(rig.plan.place(station).cells)
        assert robot.cell in station_cells, rig.describe()

        nxt = await rig.order("table-2")
        await rig.until(lambda: rig.dish(nxt).state.final, 200, "the next dish ends")
        assert rig.dish(nxt).state is DishState.SERVED
        assert rig.dish(nxt).robot == "A"

    run_rig(room(), {"A": (1, 0)}, scene)


async def _stuck_on_the_way(rig: Rig) -> tuple[str, float]:
    """A dish for table 1 on its way, and the robot stuck (a chair leg in the wheels:
    a WARNING, so it stays WORKING); the order id and when it got stuck."""
    first = await rig.order("table-1")
    await rig.until(lambda: rig.dish(first).state is DishState.ON_THE_WAY, 60, "on the way")
    await rig.settle(1.0)
    rig.robots["A"].set_stuck(True)
    return first, rig.now()


def test_robot_stuck_with_food_is_reported_within_a_minute_with_what_holds_it() -> None:
    """One RobotStalled alert within about a minute, naming what the robot reports;
    freed before the trip is given up, it moves on, the alert clears, the dish is
    served."""

    async def scene(rig: Rig) -> None:
        first, stuck_at = await _stuck_on_the_way(rig)
        await rig.until(lambda: bool(rig.events(ev.ROBOT_STALLED)), 75, "the stall reported")
        stalled = rig.events(ev.ROBOT_STALLED)
        assert stalled[0].robot == "A"
        assert stalled[0].at - stuck_at <= 65.0
        assert "stuck" in stalled[0].data["reason"], stalled[0]
        alert = next(a for a in _alerts(rig).open_alerts() if a.kind == ev.ROBOT_STALLED)
        assert alert.robot == "A" and alert.level == "warning"
        assert "no progress" in alert.text and "stuck" in alert.text

        await rig.settle(30.0)
        assert len(rig.events(ev.ROBOT_STALLED)) == 1, "one report per stall"
        rig.robots["A"].set_stuck(False)
        await rig.until(lambda: bool(rig.events(ev.ROBOT_MOVED_ON)), 30, "moving again")
        assert not [a for a in _alerts(rig).open_alerts() if a.kind == ev.ROBOT_STALLED]
        await rig.until(lambda: rig.dish(first).state.final, 120, "the dish ends")
        assert rig.dish(first).state is DishState.SERVED
        assert not rig.events(ev.TRIP_ABORTED)

    run_rig(small_room(), {"A": (1, 0)}, scene)


def test_robot_stuck_with_food_is_given_up_before_the_food_is_cold() -> None:
    """Still stuck: the trip is given up well before the cold-food limit (the dish
    fails on the tray); freed, the robot takes it back to the dish return."""

    async def scene(rig: Rig) -> None:
        first, _ = await _stuck_on_the_way(rig)
        dish = rig.dish(first)
        assert dish.ready_at is not None
        await rig.until(lambda: bool(rig.events(ev.TRIP_ABORTED)), COLD_FOOD_S, "given up")
        aborted = rig.events(ev.TRIP_ABORTED)[0]
        assert aborted.at - dish.ready_at < COLD_FOOD_S - 60.0, "given up as it went cold"
        assert "no progress" in aborted.text
        assert dish.state is DishState.FAILED

        robot = rig.robots["A"]
        robot.set_stuck(False)
        await rig.until(lambda: not robot.loads and rig.record("A").trip is None, 120,
                        "unloaded")
        assert RETURN_CELL in rig.visited("A")
        assert any(t.kind is TripKind.UNLOAD and t.state is TripState.DONE
                   for t in rig.trips_of("A"))
        assert len(rig.events(ev.ROBOT_STALLED)) == 1, "one report per stall"

    run_rig(small_room(), {"A": (1, 0)}, scene)


def walled_room() -> FloorPlan:
    """A wall cuts the room in two: the pass and the dish return on the left."""
    return floor("\n".join([".....#......"] * 5), {
        "pass": (PlaceKind.PASS, [(0, 0), (1, 0)]),
        "return": (PlaceKind.DISH_RETURN, [(4, 0)]),
        "table-1": (PlaceKind.TABLE, [(0, 11)])}, name="walled")


def test_loaded_robot_that_cannot_reach_any_unload_station_is_reported_stranded() -> None:
    """A robot found with a dish on its tray where it cannot reach the dish return nor
    the pass is not given work: a critical alert names it and why, and the
    dashboard's "waiting" sentence says so."""

    async def scene(rig: Rig) -> None:
        robot = rig.robots["A"]
        robot.loads["tray1"] = Load("tray1", "O9/1", "dish")
        robot.changed()
        await rig.until(lambda: bool(rig.events(ev.ROBOT_STRANDED)), 30, "reported stranded")
        stranded = rig.events(ev.ROBOT_STRANDED)[0]
        assert stranded.robot == "A"
        assert stranded.data["reason"] == "no dish return or pass can be reached from r2c8"
        alert = next(a for a in _alerts(rig).open_alerts() if a.kind == ev.ROBOT_STRANDED)
        assert alert.level == "critical" and "A is out of service" in alert.text
        assert waiting_words(rig.controller, "A", rig.now()).startswith("cannot unload: no dish")
        await rig.settle(30.0)
        assert len(rig.events(ev.ROBOT_STRANDED)) == 1, "told once"
        assert not rig.trips_of("A")

    run_rig(walled_room(), {"A": (2, 8)}, scene)

