"""End to end from the POS: bad orders are refused in plain words, cancelled dishes
come back to the kitchen, and a dish nobody takes fails with a reason."""

from __future__ import annotations

import pytest
from e2e import Rig, floor, run_rig, small_room

from fleet.domain import DishState, TripState
from fleet.domain import events as ev
from fleet.errors import OrderError
from fleet.floor.model import FloorPlan, PlaceKind
from fleet.intake import DishRequest, OrderRequest

RETURN_CELL = (4, 0)


def named_room() -> FloorPlan:
    return floor("\n".join(["........"] * 4), {
        "pass": (PlaceKind.PASS, [(0, 0)]),
        "window table": (PlaceKind.TABLE, [(0, 7)]),
        "corner table": (PlaceKind.TABLE, [(3, 7)])}, name="named")


def test_bad_orders_get_clear_outcomes() -> None:
    async def scene(rig: Rig) -> None:
        pos = rig.runtime
        soup = (DishRequest("soup"),)
        with pytest.raises(OrderError, match=r"unknown table 'windwo table'.*window table"):
            await pos.submit(OrderRequest("X1", "windwo table", soup))
        assert "X1" not in rig.controller.book.orders

        with pytest.raises(OrderError, match=r"needs 4 trays .* at most 3") as refused:
            await pos.submit(OrderRequest("X2", "window table",
                                          (DishRequest("soup"), DishRequest("platter", 4))))
        assert refused.value.dish == 1  # the dish at fault, for the API's field
        assert "X2" not in rig.controller.book.orders

        first = OrderRequest("P1", "window table", soup)
        await pos.submit(first)
        await pos.submit(first)  # a POS resending after a timeout
        assert len(rig.controller.book.orders) == 1
        assert len(rig.controller.book.orders["P1"].dishes) == 1
        assert len(rig.events(ev.ORDER_RECEIVED)) == 1
        with pytest.raises(OrderError, match="P1 is already used"):
            await pos.submit(OrderRequest("P1", "corner table", soup))
        with pytest.raises(OrderError, match="P1 is already used"):
            await pos.submit(OrderRequest("P1", "window table", (*soup, DishRequest("bread"))))
        assert rig.controller.book.orders["P1"].table == "window table"
        assert len(rig.controller.book.dishes) == 1

        with pytest.raises(OrderError, match="unknown order 'nope'"):
            await pos.mark_ready("nope", 0)
        with pytest.raises(OrderError, match="no dish 2"):
            await pos.mark_ready("P1", 1)
        with pytest.raises(OrderError, match="unknown order 'nope'"):
            await pos.cancel("nope", "typo")
        assert len(rig.events(ev.ORDER_REJECTED)) == 4

        # What was accepted is served once, by the one robot.
        await pos.mark_ready("P1", 0)
        await pos.mark_ready("P1", 0)  # a double tap on the kitchen display
        await rig.until(rig.all_final, 120, "the soup is served")
        assert rig.dish("P1").state is DishState.SERVED
        assert len(rig.events(ev.DISH_READY)) == 1
        assert len(rig.trips_of("A")) >= 1
        assert sum(1 for t in rig.controller.trips.values() if t.dishes) == 1

    run_rig(named_room(), {"A": (1, 0)}, scene)


async def _batch_of_two(rig: Rig) -> tuple[str, str]:
    """Keep the robot busy on a first dish so the next two ready dishes (tables 1
    and 2) wait and leave together on one trip."""
    await rig.order("table-3")
    await rig.settle(1.0)
    one = await rig.order("table-1")
    two = await rig.order("table-2")
    await rig.until(lambda: rig.dish(one).trip_id is not None, 120, "the two dishes are assigned")
    assert rig.dish(one).trip_id == rig.dish(two).trip_id, rig.describe()
    return one, two


def _unloaded_at_return(rig: Rig, serial: str) -> bool:
    return not rig.robots[serial].loads and RETURN_CELL in rig.visited(serial)


def test_dish_cancelled_after_loading_is_brought_back_and_its_table_skipped() -> None:
    async def scene(rig: Rig) -> None:
        one, two = await _batch_of_two(rig)
        await rig.until(lambda: rig.dish(one).state is DishState.LOADED, 60, "first dish loaded")
        assert rig.dish(two).state is DishState.ASSIGNED  # still at the pass
        await rig.runtime.cancel(one, "guest left")
        cancelled = rig.dish(one)
        assert cancelled.state is DishState.CANCELLED and cancelled.reason == "guest left"
        await rig.until(lambda: rig.record("A").trip is None and rig.all_final(), 300,
                        "the trip ends")
        assert rig.dish(two).state is DishState.SERVED
        assert rig.dish(one).state is DishState.CANCELLED
        assert not any("table-1" in e.text for e in rig.events(ev.ROBOT_ARRIVED)), \
            "the robot stopped at a table with nothing for it"
        assert _unloaded_at_return(rig, "A")
        trip = rig.controller.trips[rig.dish(two).trip_id or ""]
        assert trip.state is TripState.DONE

    run_rig(small_room(), {"A": (1, 0)}, scene)


def test_dish_cancelled_on_the_way_is_not_handed_over() -> None:
    async def scene(rig: Rig) -> None:
        one, two = await _batch_of_two(rig)
        await rig.until(lambda: rig.dish(one).state is DishState.ON_THE_WAY, 60, "on the way")
        await rig.settle(1.0)
        await rig.runtime.cancel(one, "guest left")
        await rig.until(lambda: rig.record("A").trip is None and rig.all_final(), 300,
                        "the trip ends")
        assert rig.dish(one).state is DishState.CANCELLED
        assert rig.dish(two).state is DishState.SERVED
        assert not any("table-1" in e.text for e in rig.events(ev.ROBOT_ARRIVED)), \
            "the cancelled dish was presented at its table"
        assert _unloaded_at_return(rig, "A")

    run_rig(small_room(), {"A": (1, 0)}, scene)


def test_dish_nobody_takes_twice_fails_naming_the_table_and_comes_back() -> None:
    """The guest is never there: the dish goes back to the pass and out once more,
    then fails naming its table, and the robot unloads it at the dish return."""
    timeout_s = 30.0

    async def scene(rig: Rig) -> None:
        oid = await rig.order("table-1")
        dish = rig.dish(oid)
        await rig.until(lambda: dish.state.final, 600, "the dish ends")
        failed_at = rig.events(ev.DISH_FAILED)[0].at
        arrivals = [e.at for e in rig.events(ev.ROBOT_ARRIVED) if "table-1" in e.text]
        assert dish.state is DishState.FAILED
        assert "table-1" in dish.reason and "nobody took it" in dish.reason
        assert len(arrivals) == 2, "once, then once more after the pass"
        assert dish.at_table_at is not None and arrivals[1] <= dish.at_table_at
        assert timeout_s <= failed_at - arrivals[1] <= timeout_s + 5.0
        back = rig.events(ev.DISH_NOT_TAKEN)
        assert len(back) == 1 and "brings it back to pass" in back[0].text
        assert len(rig.events(ev.DISH_BACK_AT_PASS)) == 1
        await rig.until(lambda: rig.record("A").trip is None, 120, "the robot moves on")
        assert _unloaded_at_return(rig, "A")
        assert rig.robots["A"].cell != rig.plan.place("table-1").cells[0]
        # The robot is free again and serves the next table.
        nxt = await rig.order("table-2")
        await rig.until(lambda: rig.dish(nxt).state.final, 400 + timeout_s, "next dish ends")
        assert rig.dish(nxt).robot == "A"

    run_rig(small_room(), {"A": (1, 0)}, scene, guest_absent=lambda: True,
            guest_timeout_s=timeout_s)


def test_a_guest_away_at_a_one_table_trip_gets_the_dish_on_a_later_trip() -> None:
    """No other table on the trip to serve first: the dish goes back to its pass,
    is ready there again (first in line by its ready time) and is served on the
    next trip, not failed. Before, every absent guest cost a dish, so each robot
    added (fewer dishes per visit, more visits) served fewer."""
    timeout_s = 30.0
    away = iter([True])

    async def scene(rig: Rig) -> None:
        oid = await rig.order("table-1")
        dish = rig.dish(oid)
        await rig.until(lambda: dish.state is DishState.READY
                        and bool(rig.events(ev.DISH_BACK_AT_PASS)), 300, "back at the pass")
        first_trip = rig.events(ev.DISH_NOT_TAKEN)[0].trip_id
        assert dish.trip_id is None and dish.robot is None and dish.brought_back == 1
        await rig.until(lambda: dish.state.final, 300, "the dish ends")
        assert dish.state is DishState.SERVED, rig.describe()
        assert dish.trip_id != first_trip
        assert rig.events(ev.DISH_FAILED) == []

    run_rig(small_room(), {"A": (1, 0)}, scene, guest_absent=lambda: next(away, False),
            guest_timeout_s=timeout_s)


@pytest.mark.parametrize("trays", [1, 2])
def test_a_guest_away_at_the_first_table_gets_the_dish_after_the_next_table(trays: int) -> None:
    """One robot carries dishes for two tables; the guest at the first table it
    visits is away then (and only then). The robot serves the other table and
    comes back: the first guest's dish is served, not failed. A dish on two trays is listed
    once per tray and comes back once."""
    timeout_s = 30.0
    away = iter([True])

    async def scene(rig: Rig) -> None:
        # Paused while both dishes get ready: one trip takes both.
        await rig.runtime.execute(rig.controller.pause("A", rig.now()))
        first = await rig.order("table-1", trays=trays)
        second = await rig.order("table-2")
        await rig.runtime.execute(rig.controller.resume("A", rig.now()))
        await rig.until(lambda: rig.dish(first).state.final and rig.dish(second).state.final,
                        400, "both dishes end")
        assert rig.dish(first).state is DishState.SERVED, rig.describe()
        assert rig.dish(second).state is DishState.SERVED, rig.describe()
        again = rig.events(ev.DISH_NOT_TAKEN)
        assert len(again) == 1 and "comes back" in again[0].text
        tables = [e.text.split(" at ")[-1] for e in rig.events(ev.ROBOT_ARRIVED)
                  if "table" in e.text]
        assert len(tables) == 3 and tables[0] == tables[2] != tables[1], tables

    run_rig(small_room(), {"A": (1, 0)}, scene, guest_absent=lambda: next(away, False),
            guest_timeout_s=timeout_s)
