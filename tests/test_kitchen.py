"""The simulated kitchen: load it generates, the rules of the dining room, and how it
plays its timeline to a POS on the virtual clock."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import defaultdict
from pathlib import Path

import pytest
from planbuild import plan_from_grid

from fleet import clock
from fleet.errors import OrderError
from fleet.floor import FloorPlan, PlaceKind, load_floor
from fleet.intake import OrderRequest, dish_id
from sim.kitchen import Call, Kitchen
from sim.scenarios import SCENARIOS, Scenario, get_scenario

MAPS = Path(__file__).resolve().parents[1] / "maps"


@pytest.fixture(scope="module")
def bistro() -> FloorPlan:
    return load_floor(MAPS / "bistro.toml")


@pytest.fixture(scope="module")
def food_court() -> FloorPlan:
    return load_floor(MAPS / "food-court.toml")


class FakePos:
    """Records every call with the loop time; refuses the order ids it is told to."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.calls: list[tuple[float, str, str, int]] = []
        self.orders: dict[str, OrderRequest] = {}
        self.refuse = refuse

    def _log(self, call: str, key: str, index: int = -1) -> None:
        self.calls.append((asyncio.get_running_loop().time(), call, key, index))

    async def submit(self, request: OrderRequest) -> None:
        if request.order_id in self.refuse:
            raise OrderError(f"unknown table {request.table}")
        self.orders[request.order_id] = request
        self._log("submit", request.order_id)

    async def mark_ready(self, order_id: str, dish_index: int) -> None:
        self._log("ready", order_id, dish_index)

    async def expect_ready(self, order_id: str, dish_index: int, in_s: float) -> None:
        self._log("expect", order_id, dish_index)

    async def cancel(self, order_id: str, reason: str) -> None:
        self._log("cancel", order_id)

    async def request_bussing(self, table: str) -> None:
        self._log("bus", table)


def test_same_seed_same_service_other_seed_another(bistro: FloorPlan) -> None:
    lunch = get_scenario("lunch-rush")
    one = Kitchen(bistro, lunch, FakePos(), seed=7, duration_s=3600).timeline()
    again = Kitchen(bistro, lunch, FakePos(), seed=7, duration_s=3600).timeline()
    other = Kitchen(bistro, lunch, FakePos(), seed=8, duration_s=3600).timeline()
    assert one == again
    assert one != other


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_lunch_rush_on_the_bistro_meets_the_load_target(bistro: FloorPlan, seed: int) -> None:
    kitchen = Kitchen(bistro, get_scenario("lunch-rush"), FakePos(), seed=seed, duration_s=7200)
    assert kitchen.ordered_dishes >= 300
    assert kitchen.peak_hour_dishes >= 200
    assert max(kitchen.dishes_per_hour) >= 200
    assert sum(kitchen.dishes_per_hour) == kitchen.ordered_dishes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dinner_on_the_food_court_meets_the_load_target(food_court: FloorPlan,
                                                        seed: int) -> None:
    kitchen = Kitchen(food_court, get_scenario("dinner"), FakePos(), seed=seed, duration_s=7200)
    assert kitchen.ordered_dishes >= 800


def test_quiet_is_quieter_than_lunch(bistro: FloorPlan) -> None:
    quiet = Kitchen(bistro, get_scenario("quiet"), FakePos(), seed=1, duration_s=7200)
    lunch = Kitchen(bistro, get_scenario("lunch-rush"), FakePos(), seed=1, duration_s=7200)
    assert 0 < quiet.ordered_dishes < lunch.ordered_dishes / 2
    assert quiet.summary().turned_away == 0


def test_rates_scale_with_seats() -> None:
    lunch = get_scenario("lunch-rush")
    assert lunch.rate_per_hour(10, 200) == pytest.approx(2 * lunch.rate_per_hour(10, 100))
    assert lunch.rate_per_hour(70, 100) < lunch.rate_per_hour(10, 100)


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown scenario 'brunch'; known: counter, "
                                         r"dinner, lunch-rush, quiet"):
        get_scenario("brunch")
    assert {"lunch-rush", "dinner", "quiet", "counter"} <= set(SCENARIOS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counter_has_dishes_ready_in_the_first_minutes(bistro: FloorPlan, seed: int) -> None:
    """What ``fleet demo`` opens with: a watcher sees robots at work within minutes,
    where a lunch rush first cooks for ten."""
    def first_ready(name: str) -> float:
        events = Kitchen(bistro, get_scenario(name), FakePos(), seed=seed,
                         duration_s=3600).timeline()
        return min(e.at for e in events if e.call is Call.READY)

    assert first_ready("counter") < 420.0
    assert first_ready("lunch-rush") > 2 * first_ready("counter")


@pytest.mark.parametrize("name", ["lunch-rush", "dinner", "quiet"])
def test_timeline_obeys_the_dining_room_rules(bistro: FloorPlan, name: str) -> None:
    kitchen = Kitchen(bistro, get_scenario(name), FakePos(), seed=3, duration_s=7200,
                      start_s=1000.0)
    events = kitchen.timeline()
    assert [e.at for e in events] == sorted(e.at for e in events)
    seats = {t.name: t.seats for t in bistro.tables}
    by_table = defaultdict(list)
    for s in kitchen.seatings():
        assert s.guests <= seats[s.table]
        assert 1000.0 <= s.seated < min(s.leaves, 1000.0 + 7200.0)
        by_table[s.table].append(s)
    for sittings in by_table.values():
        for before, after in itertools.pairwise(sittings):
            assert after.seated >= before.leaves  # one party at a table at a time

    submitted: dict[str, tuple[float, OrderRequest]] = {}
    ready: dict[str, float] = {}
    cancelled: dict[str, float] = {}
    for e in events:
        if e.call is Call.SUBMIT:
            assert e.order is not None and e.order_id not in submitted
            assert e.at < 1000.0 + 7200.0  # no orders after closing
            submitted[e.order_id] = (e.at, e.order)
        elif e.call is Call.READY:
            at, order = submitted[e.order_id]
            assert 0 <= e.dish_index < len(order.dishes)
            assert e.at >= at + 180.0  # the scenario's minimum prep time
            key = dish_id(e.order_id, e.dish_index)
            assert key not in ready
            ready[key] = e.at
        elif e.call is Call.CANCEL:
            assert e.order_id in submitted and e.reason
            cancelled[e.order_id] = e.at
    for oid, (_, order) in submitted.items():
        readies = [ready.get(dish_id(oid, i)) for i in range(len(order.dishes))]
        if oid not in cancelled:
            assert None not in readies  # the kitchen cooks every order it took
        else:
            assert all(t < cancelled[oid] for t in readies if t is not None)
    spread = [len({ready[dish_id(oid, i)] for i in range(len(o.dishes))}) == len(o.dishes)
              for oid, (_, o) in submitted.items() if oid not in cancelled and len(o.dishes) > 1]
    assert sum(spread) >= 0.9 * len(spread) > 0  # dishes of one order ready at different times
    assert sum(len(o.dishes) for _, o in submitted.values()) == kitchen.ordered_dishes


def test_bistro_dishes_use_the_only_pass_food_court_dishes_a_stall(
        bistro: FloorPlan, food_court: FloorPlan) -> None:
    def passes(plan: FloorPlan) -> set[str | None]:
        kitchen = Kitchen(plan, get_scenario("quiet"), FakePos(), seed=2, duration_s=3600)
        return {d.pass_place for e in kitchen.timeline() if e.order is not None
                for d in e.order.dishes}

    assert passes(bistro) == {None}
    stalls = {p.name for p in food_court.places_of(PlaceKind.PASS)}
    assert passes(food_court) <= stalls
    assert len(passes(food_court)) >= 4


def test_dinner_comes_in_courses(bistro: FloorPlan) -> None:
    kitchen = Kitchen(bistro, get_scenario("dinner"), FakePos(), seed=1, duration_s=7200)
    ids = {e.order_id for e in kitchen.timeline() if e.call is Call.SUBMIT}
    assert any(i.endswith("-2") for i in ids)


def test_a_one_table_room_queues_guests_and_turns_some_away() -> None:
    plan = plan_from_grid("......\n......\n......", places={"T1": [(1, 1)], "pass": [(1, 4)]})
    plan = dataclasses.replace(plan, places={
        "T1": dataclasses.replace(plan.places["T1"], seats=4),
        "pass": dataclasses.replace(plan.places["pass"], kind=PlaceKind.PASS)})
    busy = Scenario(name="busy", description="", profile=((0.0, 400.0),),
                    party_sizes=((2, 1.0),), patience_s=600.0)
    kitchen = Kitchen(plan, busy, FakePos(), seed=1, duration_s=7200)
    summary = kitchen.summary()
    assert summary.turned_away > 0
    seatings = kitchen.seatings()
    assert len(seatings) == summary.parties > 1
    for before, after in itertools.pairwise(seatings):
        assert after.seated >= before.leaves + busy.table_reset_s


def test_run_plays_the_timeline_on_the_virtual_clock(bistro: FloorPlan) -> None:
    pos = FakePos()
    kitchen = Kitchen(bistro, get_scenario("lunch-rush"), pos, seed=5, duration_s=1800,
                      start_s=50.0)

    async def main() -> float:
        await kitchen.run()
        return asyncio.get_running_loop().time()

    ended = clock.run(main(), clock="virtual")
    events = kitchen.timeline()
    assert [(t, call) for t, call, _, _ in pos.calls] == [(e.at, e.call.value) for e in events]
    assert ended == events[-1].at
    assert kitchen.done == kitchen.total == len(events)
    assert sum(kitchen.refused.values()) == 0


def test_a_refused_order_is_counted_and_its_dishes_never_reported(bistro: FloorPlan) -> None:
    scenario = dataclasses.replace(get_scenario("lunch-rush"), cancel_p=0.0)
    probe = Kitchen(bistro, scenario, FakePos(), seed=5, duration_s=1800)
    first = next(e.order_id for e in probe.timeline() if e.call is Call.SUBMIT)
    pos = FakePos(refuse=frozenset({first}))
    kitchen = Kitchen(bistro, scenario, pos, seed=5, duration_s=1800)
    clock.run(kitchen.run(), clock="virtual")
    assert kitchen.refused == {Call.SUBMIT: 1}
    assert all(key != first for _, call, key, _ in pos.calls if call != "bus")
    assert len(pos.orders) == sum(1 for e in kitchen.timeline() if e.call is Call.SUBMIT) - 1


def test_a_plan_without_tables_is_refused() -> None:
    plan = plan_from_grid("...\n...", places={"pass": [(0, 0)]}, place_kind=PlaceKind.PASS)
    with pytest.raises(ValueError, match="no tables"):
        Kitchen(plan, get_scenario("quiet"), FakePos(), seed=1, duration_s=60)


def test_the_kitchen_tells_when_each_dish_will_be_ready_near_enough(bistro: FloorPlan) -> None:
    lunch = get_scenario("lunch-rush")
    events = Kitchen(bistro, lunch, FakePos(), seed=3, duration_s=3600).timeline()
    taken = {e.order_id: e.at for e in events if e.call is Call.SUBMIT}
    ready = {(e.order_id, e.dish_index): e.at for e in events if e.call is Call.READY}
    told = {(e.order_id, e.dish_index): e for e in events if e.call is Call.EXPECT}
    assert told.keys() == ready.keys(), "each dish that will be ready is told of, once"
    assert sum(e.call is Call.EXPECT for e in events) == len(told)
    errors = []
    for key, e in told.items():
        assert e.at == max(taken[key[0]], ready[key] - lunch.expect_lead_s)
        assert e.in_s >= 0.0
        errors.append(e.at + e.in_s - ready[key])
    limit = 3 * lunch.expect_error_s
    assert all(-limit <= x <= limit for x in errors)
    assert 1.0 < sum(abs(x) for x in errors) / len(errors) < lunch.expect_error_s, (
        "off by a few seconds, as a real display is")
    for a, b in itertools.pairwise(events):
        assert a.at <= b.at


def test_the_estimates_change_nothing_else_of_a_seed_s_service(bistro: FloorPlan) -> None:
    """Drawn from a generator of their own: guests and cooking are the same whether or
    not the kitchen tells, so a run with estimates compares like with like."""
    lunch = get_scenario("lunch-rush")
    silent = dataclasses.replace(lunch, expect_lead_s=0.0)
    told = Kitchen(bistro, lunch, FakePos(), seed=5, duration_s=3600).timeline()
    plain = Kitchen(bistro, silent, FakePos(), seed=5, duration_s=3600).timeline()
    assert [e for e in told if e.call is not Call.EXPECT] == plain
    assert not any(e.call is Call.EXPECT for e in plain)
