"""End to end, liveness (issue 11, cause 3): a robot whose trip is given up with
dishes on its trays takes them to the dish return and serves again, or is
reported when it cannot."""

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
