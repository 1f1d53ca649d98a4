"""Whole services on the bistro through ``run_simulation``: every dish ends served,
failed or cancelled with a reason, the referee sees nothing, deadlocks recover;
with heavy faults (e-stops, stuck robots, dropped links, guests in the aisles) too."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from simkit import MODEL

from fleet.domain import events as ev
from fleet.floor import FloorPlan, load_floor
from fleet.store import MemoryStore
from sim.run import SimOptions, run_simulation

BISTRO = Path(__file__).resolve().parent.parent / "maps" / "bistro.toml"


@cache
def bistro() -> FloorPlan:
    return load_floor(BISTRO)


def serve(scenario: str, seed: int, faults: str) -> tuple[dict[str, Any], MemoryStore]:
    store = MemoryStore()
    # Half an hour of service; the drain is long so the run ends when the last dish does.
    report = run_simulation(SimOptions(plan=bistro(), model=MODEL, robots=4, scenario=scenario,
                                       duration_s=1800.0, seed=seed, faults=faults,
                                       drain_s=3600.0, store=store))
    return report, store


def check_outcomes(report: dict[str, Any], store: MemoryStore) -> None:
    dishes = report["dishes"]
    assert dishes["ordered"] > 0
    assert dishes["open"] == 0, dishes
    assert dishes["served"] + dishes["by_staff"] + dishes["failed"] + dishes["cancelled"] \
        == dishes["ordered"]
    assert dishes["served"] >= 0.8 * dishes["ordered"], dishes
    assert dishes["failed_without_reason"] == 0
    assert report["violations"] == 0, report.get("violation_examples")
    assert report["deadlocks"]["unrecovered"] == 0
    assert store.open_orders() == [], "the store still holds open orders"
    events = store.events()
    ended = [e for e in events if e.kind in (ev.DISH_FAILED, ev.DISH_CANCELLED)]
    assert len({e.dish_id for e in ended}) == dishes["failed"] + dishes["cancelled"]
    assert all(e.text.strip() for e in ended), [e for e in ended if not e.text.strip()]
    served = {e.dish_id for e in events if e.kind == ev.DISH_SERVED}
    assert len(served) == dishes["served"]
    # Where the waits went: nearly every served dish followed from ready to table, no
    # part negative, and the parts add up to the mean wait of the dishes followed.
    parts = report["wait_parts"]
    assert parts["dishes"] >= 0.95 * dishes["served"], (parts, dishes)
    assert min(parts["parts_s"].values()) >= 0.0, parts
    assert sum(parts["parts_s"].values()) == pytest.approx(parts["mean_wait_s"], abs=0.1)


@pytest.mark.parametrize("scenario", ["quiet", "lunch-rush"])
@pytest.mark.parametrize("seed", [1, 3])
def test_service_ends_with_every_dish_accounted_for(scenario: str, seed: int) -> None:
    report, store = serve(scenario, seed, "none")
    check_outcomes(report, store)


@pytest.mark.parametrize("scenario", ["quiet", "lunch-rush"])
@pytest.mark.parametrize("seed", [1, 3])
def test_heavy_faults_lose_no_dish_and_break_no_rule(scenario: str, seed: int) -> None:
    report, store = serve(scenario, seed, "heavy")
    assert report["faults"]["level"] == "heavy"
    assert report["faults"]["injected"] + report["faults"]["aisle_blockages"] > 0
    check_outcomes(report, store)


def test_the_same_seed_serves_the_same_way_with_the_kitchen_s_estimates() -> None:
    """The kitchen tells when dishes will be ready and robots wait at the pass for some:
    still one service per seed, to the event."""
    def run() -> tuple[dict[str, Any], list[tuple[str, float, str]]]:
        report, store = serve("lunch-rush", 1, "none")
        kinds = {ev.DISH_EXPECTED, ev.ROBOT_HELD_AT_PASS, ev.ROBOT_HOLD_ENDED,
                 ev.DISH_SERVED}
        events = store.events()
        start = events[0].at  # told apart from the clock the run began on
        return report, [(e.kind, round(e.at - start, 3), e.text) for e in events
                        if e.kind in kinds]

    first, told = run()
    again, told_again = run()
    assert (first["wait_s"], first["dishes"]) == (again["wait_s"], again["dishes"])
    assert told == told_again
    assert any(kind == ev.ROBOT_HELD_AT_PASS for kind, _, _ in told)
    assert any(kind == ev.ROBOT_HOLD_ENDED and text.endswith("came") for kind, _, text in told)
