"""A long day does not grow the controller's caches and bookkeeping: the traffic board
keeps only the visits still ahead of each robot, the heuristic fields of goals other
than places are bounded, and so are dispatch's travel times from cells.

Before, every visit a robot drove past stayed on the board for the rest of the run
(a simulated 30-robot dinner held 165,000 after 4 hours), every goal cell a robot
was sent to kept a field of the whole floor (up to 512), every (cell, place)
time asked was kept, and the fleet API remembered the id of every order it ever
cleared. Lifelong random legs on the traffic executor (``trafficsim``),
no clock but its steps."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from e2e import small_room
from simkit import MODEL
from trafficsim import TrafficSim

from fleet.api.service import ApiService
from fleet.assembly import build_controller
from fleet.controller.port import FleetPort
from fleet.controller.retention import KEEP_S, SWEEP_S
from fleet.dispatch import travel_times
from fleet.dispatch.travel_times import TravelTimes
from fleet.floor import load_floor
from fleet.floor.model import Cell
from fleet.intake import DishRequest, OrderRequest
from fleet.routing import precompute_fields
from fleet.store import MemoryStore
from fleet.traffic import TrafficManager
from fleet.traffic.planning import FIELDS_KEPT

MAPS = Path(__file__).resolve().parent.parent / "maps"


def _on_board(tm: TrafficManager) -> int:
    return sum(len(visits) for visits in tm.board.at.values())


def _ahead(tm: TrafficManager) -> int:
    """Visits from each robot's progress on: what plans and release still read."""
    return sum(len(t.visits) - t.progress for t in tm.tracks().values())


def _bistro(seed: int, *, anywhere: bool) -> TrafficSim:
    """Eight robots between the pass and the tables; with ``anywhere``, every other leg
    goes to a random free cell instead of a table (a goal that is no place)."""
    plan = load_floor(MAPS / "bistro.toml")
    tables, loading = plan.tables, plan.place("pass")
    free = [(int(r), int(c)) for r, c in zip(*plan.passable.nonzero(), strict=True)]
    rng = random.Random(seed)
    spots = [c for t in tables for c in t.cells]
    starts = dict(zip([f"R{i}" for i in range(8)], rng.sample(spots, 8), strict=True))

    def legs(rng: random.Random, robot: str, cell: Cell) -> tuple[list[Cell], int]:
        if cell in loading.cells:
            if anywhere:
                return [rng.choice(free)], rng.randrange(0, 5)
            return list(rng.choice(tables).cells), rng.randrange(5, 40)
        return list(loading.cells), rng.randrange(2, 10)

    return TrafficSim(plan, starts, seed=seed, delay=0.2, legs=legs,
                      fields=precompute_fields(plan))


def test_the_board_keeps_only_the_visits_ahead_of_the_robots() -> None:
    sim = _bistro(1, anywhere=False)
    for _ in range(6):
        sim.run(1000)
        assert _on_board(sim.tm) <= _ahead(sim.tm), (
            f"step {sim.steps}: {_on_board(sim.tm)} visits on the board, "
            f"{_ahead(sim.tm)} ahead of the robots")
    assert sim.completed >= 600, "the robots did a day's work"
    assert sim.violations == []


def test_fields_of_goals_that_are_no_place_are_bounded() -> None:
    sim = _bistro(2, anywhere=True)
    sim.run(6000)
    assert sim.completed >= 400, "many legs to cells that are no place"
    assert 0 < sim.tm.board.fields_kept() <= FIELDS_KEPT
    assert sim.violations == []


def test_travel_times_from_cells_keep_the_pairs_used_last(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(travel_times, "CELLS_KEPT", 50)
    plan = load_floor(MAPS / "bistro.toml")
    times = TravelTimes(plan, MODEL)
    fresh = TravelTimes(plan, MODEL, fields=times.fields)
    cells = [(int(r), int(c)) for r, c in zip(*plan.passable.nonzero(), strict=True)][:40]
    places = [p.name for p in plan.tables[:5]]
    first = times.from_cell(cells[0], places[0])
    for cell in cells:
        for place in places:
            times.from_cell(cell, place)
    assert times.cells_kept() == 50
    assert times.from_cell(cells[0], places[0]) == first == fresh.from_cell(cells[0], places[0])


def test_the_fleet_api_forgets_cleared_orders_the_controller_let_go() -> None:
    ctl = build_controller(small_room(), {"A": MODEL}, store=MemoryStore(), run_id="t")
    svc = ApiService(FleetPort(ctl), "bistro", order_retention_s=60.0)
    now = 0.0
    for i in range(400):  # an order a minute, each cancelled: closed at once
        order_id = f"P{i}"
        ctl.submit(OrderRequest(order_id=order_id, table="table-1",
                                dishes=(DishRequest("soup", 1),)), now)
        ctl.cancel(order_id, "guest left", now + 1.0)
        for _ in range(2):
            now += SWEEP_S / 2
            ctl.tick(now)
            svc.publications(now)
    assert now > 5 * KEEP_S
    held = len(ctl.book.orders)
    assert held < 100, "the controller lets closed orders go (retention)"
    assert svc.cleared_held() <= held
