"""Fleet against baseline on a synthetic lunch stream, with estimated times only.

A tiny event loop: dishes become ready (orders of 1-4 dishes for a random
bistro table, ready within 90 s of each other); on every event the policy plans;
a robot given a trip is busy until its estimated finish plus the drive back to
the pass, where it waits again. Waits are the plans' estimates, so this compares
the policies' decisions, not traffic (the simulator does that).
"""

from __future__ import annotations

import random
import statistics
from pathlib import Path

import pytest

from fleet.dispatch import DishView, Policy, RobotView, TravelTimes, make_policy
from fleet.domain import Priority, RobotMode, RobotModel
from fleet.floor.loader import load_floor

MAPS = Path(__file__).resolve().parent.parent / "maps"
MODEL = RobotModel(name="tray-bot", manufacturer="sim", trays=3, speed=1.0, acceleration=0.5,
                   turn_time=1.0, capacity_wh=500.0, drive_w=90.0, idle_w=15.0, charge_w=250.0,
                   low_percent=25.0, full_percent=95.0)


@pytest.fixture(scope="module")
def bistro() -> TravelTimes:
    return TravelTimes(load_floor(MAPS / "bistro.toml"), MODEL)


def lunch(times: TravelTimes, seed: int, orders: int, span_s: float) -> list[DishView]:
    rng = random.Random(seed)
    tables = [t.name for t in times.plan.tables]
    dishes = []
    for o in range(orders):
        placed = rng.uniform(0.0, span_s)
        table = rng.choice(tables)
        for k in range(rng.choice([1, 1, 2, 2, 3, 4])):
            dishes.append(DishView(f"o{o}d{k}", f"o{o}", table, 1,
                                   placed + rng.uniform(0.0, 90.0), Priority.NORMAL, "pass"))
    return sorted(dishes, key=lambda d: d.ready_at)


def mean_wait(policy: Policy, times: TravelTimes, dishes: list[DishView], robots: int) -> float:
    cells = times.plan.place("pass").cells
    free_at = {f"r{i}": 0.0 for i in range(robots)}
    waiting: list[DishView] = []
    waits: dict[str, float] = {}
    arrived, now = 0, 0.0
    while arrived < len(dishes) or waiting:
        while arrived < len(dishes) and dishes[arrived].ready_at <= now:
            waiting.append(dishes[arrived])
            arrived += 1
        views = [RobotView(s, MODEL, RobotMode.IDLE, cells[i % len(cells)], t, 100.0, 3, "pass")
                 for i, (s, t) in enumerate(free_at.items())]
        for plan in policy.plan(now, waiting, views, times):
            waits.update(plan.est_waits)
            waiting = [d for d in waiting if d.dish_id not in plan.dish_ids]
            free_at[plan.robot] = plan.est_finish + times.between(plan.stops[-1].place, "pass")
        upcoming = [t for t in free_at.values() if t > now]
        if arrived < len(dishes):
            upcoming.append(dishes[arrived].ready_at)
        assert upcoming, f"{len(waiting)} dishes stuck with every robot free"
        now = min(upcoming)
    assert set(waits) == {d.dish_id for d in dishes}
    assert min(waits.values()) > 0
    return statistics.mean(waits.values())


@pytest.mark.parametrize(("orders", "robots", "gain"), [(100, 4, 0.5), (200, 8, 0.25)])
def test_fleet_beats_baseline_when_robots_are_scarce(bistro: TravelTimes, orders: int,
                                                     robots: int, gain: float) -> None:
    dishes = lunch(bistro, seed=1, orders=orders, span_s=3600.0)
    base = mean_wait(make_policy("baseline"), bistro, dishes, robots)
    ours = mean_wait(make_policy("fleet"), bistro, dishes, robots)
    assert ours <= (1.0 - gain) * base


def test_with_robots_to_spare_fleet_is_no_worse(bistro: TravelTimes) -> None:
    dishes = lunch(bistro, seed=2, orders=60, span_s=3600.0)
    base = mean_wait(make_policy("baseline"), bistro, dishes, 8)
    ours = mean_wait(make_policy("fleet"), bistro, dishes, 8)
    assert ours <= base * 1.02
