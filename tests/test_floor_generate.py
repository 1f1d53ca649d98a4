"""Generated floors: every one a valid restaurant (``fleet map check`` finds no error),
the same seed the same floor, homes out of every aisle, and what is written is what
was checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.errors import Severity
from fleet.floor import PlaceKind, check_floor
from fleet.floor.generate import STYLES, generate_floor, plan_toml
from fleet.floor.validate import validate_plan


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(1, 10**6), style=st.sampled_from(STYLES))
def test_every_generated_floor_is_valid_and_homes_block_no_way(seed: int, style: str) -> None:
    _, plan = generate_floor(seed, style)
    problems = validate_plan(plan)
    assert not [p for p in problems if p.severity is Severity.ERROR]
    assert len(plan.tables) >= 8, "a dining room, not a corridor"
    assert plan.places_of(PlaceKind.PASS) and plan.places_of(PlaceKind.DISH_RETURN)
    homes = {p.name for k in (PlaceKind.CHARGER, PlaceKind.PARKING) for p in plan.places_of(k)}
    assert len(homes) >= 3
    stuck = [str(p) for p in problems if p.place in homes]
    assert not stuck, "a robot at home must stand in nobody's way"


@pytest.mark.parametrize("style", STYLES)
def test_the_same_seed_draws_the_same_floor_and_another_seed_another(style: str) -> None:
    first = plan_toml(generate_floor(5, style)[0])
    assert plan_toml(generate_floor(5, style)[0]) == first
    assert plan_toml(generate_floor(6, style)[0]) != first


@pytest.mark.parametrize("style", STYLES)
def test_the_written_plan_is_the_plan_that_was_checked(style: str, tmp_path: Path) -> None:
    doc, plan = generate_floor(11, style)
    path = tmp_path / "floor.toml"
    path.write_text(plan_toml(doc), encoding="utf-8")
    loaded, problems = check_floor(path)
    assert loaded is not None
    assert not [p for p in problems if p.severity is Severity.ERROR]
    assert {n: p.cells for n, p in loaded.places.items()} == {
        n: p.cells for n, p in plan.places.items()}
    assert (loaded.passable == plan.passable).all()


def test_narrow_floors_have_aisles_under_a_metre_and_food_courts_several_passes() -> None:
    narrow = [generate_floor(s, "narrow")[0] for s in range(1, 6)]
    gaps = [t2.rect[1] - t1.rect[3] for doc in narrow for t1 in doc.tables
            for t2 in doc.tables if t1.rect and t2.rect and t2.rect[0] == t1.rect[0]
            and 0 < t2.rect[1] - t1.rect[3] < 1.0]
    assert gaps, "some side aisle narrower than 1 m"
    courts = [generate_floor(s, "food-court")[1] for s in range(1, 6)]
    assert all(len(p.places_of(PlaceKind.PASS)) >= 2 for p in courts)


def test_an_unknown_style_is_named() -> None:
    with pytest.raises(ValueError, match="unknown style 'diner'; one of bistro"):
        generate_floor(1, "diner")
