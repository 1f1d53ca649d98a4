"""``fleet bench floors``: the cases it runs, the verdicts it draws from their rows, one
real case end to end, and the liveness watch that counts freezes."""

from __future__ import annotations

import argparse
from types import SimpleNamespace
from typing import Any

import pytest

from fleet.bench.floors import FloorCase, cases, collapses, format_floor_bench, summarise
from fleet.cli.bench_cmd import floors_arg
from fleet.config import Config
from sim.floor_runs import run_floor_case
from sim.liveness import ProgressWatch


def fake_row(floor: str, robots: int, seed: int, served: int, **kw: Any) -> dict[str, Any]:
    row = {"floor": floor, "style": "bistro", "floor_seed": 1, "robots": robots, "seed": seed,
           "tables": 20, "error": "", "ordered": served, "served": served, "failed": 0,
           "open": 0, "wait_mean_s": 40.0, "wait_over_bound": 1.5, "violations": 0,
           "deadlocks": 0, "freezes": 0, "longest_still_s": 30.0, "freeze_examples": []}
    row.update(kw)
    return row


def test_floor_k_takes_style_k_mod_the_styles_and_every_size_and_seed() -> None:
    todo = cases(4, ["bistro", "narrow"], [2, 4], [1, 2])
    assert len(todo) == 16
    assert [c.name for c in todo[::4]] == ["bistro-1", "narrow-2", "bistro-3", "narrow-4"]
    assert {(c.robots, c.seed) for c in todo if c.floor == 1} == {(2, 1), (2, 2), (4, 1),
                                                                  (4, 2)}


def test_more_robots_serving_fewer_dishes_is_a_collapse_saturation_is_not() -> None:
    rows = [fake_row("a", 2, 1, 100), fake_row("a", 4, 1, 150), fake_row("a", 6, 1, 149),
            fake_row("b", 2, 1, 100), fake_row("b", 4, 1, 90),
            fake_row("c", 2, 1, 100), fake_row("c", 4, 1, 0, error="no room to start")]
    assert collapses(rows) == ["b: 2 -> 4 robots served 100 -> 90"]
    s = summarise(rows)
    assert (s["runs"], s["runs_failed_to_start"], s["floors"]) == (7, 1, 3)
    text = format_floor_bench(rows)
    assert "b: 2 -> 4 robots served 100 -> 90" in text and "no room to start" in text


def test_open_dishes_and_freezes_are_counted_per_run() -> None:
    rows = [fake_row("a", 2, 1, 90, open=10, freezes=2, longest_still_s=400.0),
            fake_row("a", 2, 2, 100)]
    s = summarise(rows)
    assert (s["open"], s["runs_with_open"], s["freezes"], s["runs_with_freezes"]) == (
        10, 1, 2, 1)
    assert s["longest_still_s"] == 400.0
    rows[0]["phases_overdue"] = 3
    assert "robot phases past their bound 3, unexpected phase changes 0" in \
        format_floor_bench(rows)


def test_one_real_case_runs_a_service_on_a_generated_floor() -> None:
    cfg = Config()
    row = run_floor_case(FloorCase("bistro", 1, 3, 1), cfg.robot_model(),
                         radius=cfg.robot_models[0].radius, scenario="lunch-rush",
                         duration_s=600.0, faults="none")
    assert row["error"] == "" and row["tables"] >= 8
    assert row["ordered"] > 0 and row["served"] + row["failed"] + row["open"] <= row["ordered"]
    assert row["violations"] == 0
    assert "freezes" in row and row["longest_still_s"] >= 0
    assert row["phases_unexpected"] == 0 and row["phases_overdue"] >= 0


def robot(cell: tuple[int, int] | None, *, trip: object = None,
          loads: dict[str, str] | None = None) -> SimpleNamespace:
    return SimpleNamespace(cell=cell, trip=trip, loads=loads or {}, note="")


def test_a_robot_with_work_standing_past_the_bound_is_one_freeze_until_it_moves() -> None:
    watch = ProgressWatch(120.0, explain=lambda ctl, serial, now: f"{serial} waits")
    r1 = robot((1, 1), trip=SimpleNamespace(trip_id="t1", next_stop=0))
    idle = robot((5, 5))  # no work: standing still is fine
    ctl: Any = SimpleNamespace(robots={"R1": r1, "R2": idle})
    for t in range(0, 301, 30):
        watch.observe(ctl, float(t))
    assert len(watch.freezes) == 1
    assert (watch.freezes[0].robot, watch.freezes[0].seconds) == ("R1", 300.0)
    assert watch.freezes[0].why == "R1 waits"
    r1.cell = (1, 2)  # it moved: that stand is over
    for t in range(330, 421, 30):
        watch.observe(ctl, float(t))
    assert len(watch.freezes) == 1 and watch.longest_s == 300.0
    r1.trip, r1.loads = None, {"tray1": "d1"}  # dishes aboard is work too
    for t in range(450, 631, 30):
        watch.observe(ctl, float(t))
    assert len(watch.freezes) == 2
    assert watch.summary()["robots_frozen"] == 1


def test_a_robot_whose_work_steps_on_in_one_cell_is_not_frozen() -> None:
    """Seen every 30 s, a robot that took a dish back to a pass nearby and returned to
    the same table stands in one cell at every look; its trip moved on meanwhile."""
    watch = ProgressWatch(120.0, explain=lambda ctl, serial, now: f"{serial} waits")
    trip = SimpleNamespace(trip_id="t1", next_stop=0)
    r1 = robot((1, 1), trip=trip)
    ctl: Any = SimpleNamespace(robots={"R1": r1})
    for t in range(0, 91, 30):
        watch.observe(ctl, float(t))
    r1.trip = SimpleNamespace(trip_id="t2", next_stop=1)  # out again, at the same table
    for t in range(120, 211, 30):
        watch.observe(ctl, float(t))
    assert watch.freezes == [] and watch.longest_s == 90.0
    for t in range(240, 301, 30):  # and now it stays
        watch.observe(ctl, float(t))
    assert len(watch.freezes) == 1 and watch.freezes[0].seconds == 180.0


def test_floors_can_be_named_so_a_run_tries_floors_no_earlier_run_saw() -> None:
    todo = cases([101, 103], ["bistro", "narrow", "food-court"], [2], [1])
    assert [(c.name, c.floor) for c in todo] == [("narrow-101", 101), ("bistro-103", 103)]


@pytest.mark.parametrize(("text", "expected"), [("20", 20), ("101-103", [101, 102, 103]),
                                                ("3,7", [3, 7])])
def test_the_floors_option_takes_a_count_or_floor_numbers(text: str,
                                                          expected: int | list[int]) -> None:
    assert floors_arg(text) == expected


@pytest.mark.parametrize("text", ["0", "0-3", "x", "5-2"])
def test_the_floors_option_refuses_what_names_no_floor(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        floors_arg(text)
