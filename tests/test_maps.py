"""The shipped floor plans: a bistro and a food court that look like real sites.

These maps feed the simulator, the benchmarks and the default config, so a
careless edit (a table dragged into an aisle, a pass with no way out) must fail
here rather than as a confusing planner timeout later.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.sparse import csgraph
from shapely.geometry import Point, Polygon

from fleet.errors import Severity
from fleet.floor import FloorPlan, PlaceKind, ZoneKind, check_floor, load_floor

MAPS = Path(__file__).resolve().parents[1] / "maps"
BISTRO = MAPS / "bistro.toml"
FOOD_COURT = MAPS / "food-court.toml"


@pytest.fixture(scope="module")
def bistro() -> FloorPlan:
    return load_floor(BISTRO)


@pytest.fixture(scope="module")
def food_court() -> FloorPlan:
    return load_floor(FOOD_COURT)


def raw(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def reached(plan: FloorPlan, cell: tuple[int, int], *, backward: bool = False) -> np.ndarray:
    graph = plan.graph.T.tocsr() if backward else plan.graph
    order = csgraph.breadth_first_order(graph, plan.index(cell), directed=True,
                                        return_predecessors=False)
    seen = np.zeros(graph.shape[0], dtype=bool)
    seen[order] = True
    return seen


@pytest.mark.parametrize("path", [BISTRO, FOOD_COURT], ids=lambda p: p.stem)
def test_map_has_no_errors_and_few_chokepoints(path: Path) -> None:
    plan, problems = check_floor(path)
    assert plan is not None
    errors = [str(p) for p in problems if p.severity is Severity.ERROR]
    assert errors == []
    # A few dead-end tables are real; a floor of chokepoints is not.
    assert len(problems) <= len(plan.tables) // 10


@pytest.mark.parametrize("path", [BISTRO, FOOD_COURT], ids=lambda p: p.stem)
def test_every_place_reachable_from_and_back_to_every_pass(path: Path) -> None:
    plan = load_floor(path)
    place_cells = [(p.name, c) for p in plan.places.values() for c in p.cells]
    assert all(plan.passable[c] for _, c in place_cells)
    for kitchen in plan.places_of(PlaceKind.PASS):
        for cell in kitchen.cells:
            out, back = reached(plan, cell), reached(plan, cell, backward=True)
            stranded = [name for name, c in place_cells
                        if not (out[plan.index(c)] and back[plan.index(c)])]
            assert stranded == [], f"from {kitchen.name}"


@pytest.mark.parametrize("path", [BISTRO, FOOD_COURT], ids=lambda p: p.stem)
def test_spots_are_distinct_cells(path: Path) -> None:
    """Two places sharing a cell could not be served by two robots at once."""
    plan = load_floor(path)
    counts = Counter(c for p in plan.places.values() for c in p.cells)
    assert [c for c, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("path", [BISTRO, FOOD_COURT], ids=lambda p: p.stem)
def test_serving_spots_sit_in_the_aisle_beside_their_table(path: Path) -> None:
    plan = load_floor(path)
    for table in plan.tables:
        top = Polygon(table.outline)
        assert table.spots, table.name
        for x, y in table.spots:
            gap = top.distance(Point(x, y))
            assert 0.35 - 1e-9 <= gap <= 0.45 + 1e-9, (table.name, gap)


def test_bistro_size_and_tables(bistro: FloorPlan) -> None:
    width, height = bistro.size_m
    assert 19 <= width <= 21
    assert 14 <= height <= 16
    assert 30 <= len(bistro.tables) <= 40
    seats = {t.seats for t in bistro.tables}
    assert seats == {2, 4, 6}


def test_bistro_has_booths_along_the_walls() -> None:
    booths = [t for t in raw(BISTRO)["tables"] if t.get("booth")]
    assert len(booths) >= 2
    assert {t["seats"] for t in booths} >= {4}


def test_bistro_stations(bistro: FloorPlan) -> None:
    passes = bistro.places_of(PlaceKind.PASS)
    assert len(passes) == 1
    assert 2 <= len(passes[0].spots) <= 3
    assert len(bistro.places_of(PlaceKind.DISH_RETURN)) >= 1
    assert len(bistro.places_of(PlaceKind.CHARGER)) >= 3
    assert len(bistro.places_of(PlaceKind.PARKING)) >= 2
    assert len(bistro.places_of(PlaceKind.HOST_STAND)) == 1


def test_bistro_zones_and_fixtures(bistro: FloorPlan) -> None:
    kinds = {z.kind for z in bistro.zones}
    assert {ZoneKind.KEEP_OUT, ZoneKind.SLOW} <= kinds
    obstacle_kinds = {o.get("kind") for o in raw(BISTRO)["obstacles"]}
    assert {"pillar", "counter"} <= obstacle_kinds
    keep_out = next(z for z in bistro.zones if z.kind is ZoneKind.KEEP_OUT)
    assert not (keep_out.mask & bistro.passable).any()


def test_bistro_has_narrow_aisles(bistro: FloorPlan) -> None:
    """Real aisles are a robot's width plus a little: some free cell is walled in
    on both sides, east-west or north-south."""
    p = bistro.passable
    between_ew = p[:, 1:-1] & ~p[:, :-2] & ~p[:, 2:]
    between_ns = p[1:-1, :] & ~p[:-2, :] & ~p[2:, :]
    assert between_ew.sum() + between_ns.sum() >= 5


def test_food_court_size_and_tables(food_court: FloorPlan) -> None:
    width, height = food_court.size_m
    assert 38 <= width <= 42
    assert 28 <= height <= 32
    assert len(food_court.tables) >= 60
    assert {t.seats for t in food_court.tables} == {2, 4, 6}


def test_food_court_one_pass_per_stall(food_court: FloorPlan) -> None:
    passes = food_court.places_of(PlaceKind.PASS)
    assert len(passes) >= 6
    groups = [p.group for p in passes]
    assert None not in groups
    assert len(set(groups)) == len(groups)
    stalls = {o["name"] for o in raw(FOOD_COURT)["obstacles"] if o.get("kind") == "stall"}
    assert {f"{g} stall" for g in groups} == stalls


def test_food_court_stations_and_zones(food_court: FloorPlan) -> None:
    assert len(food_court.places_of(PlaceKind.DISH_RETURN)) == 1
    assert len(food_court.places_of(PlaceKind.CHARGER)) >= 10
    assert len(food_court.places_of(PlaceKind.PARKING)) >= 1
    assert len(food_court.places_of(PlaceKind.HOST_STAND)) == 1
    one_way = [z for z in food_court.zones if z.kind is ZoneKind.ONE_WAY]
    assert one_way
    assert all((z.mask & food_court.passable).any() for z in one_way)
