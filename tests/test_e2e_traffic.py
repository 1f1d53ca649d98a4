"""End to end through narrow places: robots that must take turns in a one-robot
aisle or a dead-end alcove both finish, one waits, and nobody collides."""

from __future__ import annotations

import pytest
from e2e import ONE_TRAY, STARTS, Rig, blocks, floor, run_rig

from fleet.domain import DishState
from fleet.floor.model import Cell, PlaceKind

TWO_ROOMS = """
.....#####.....
.....#####.....
...............
.....#####.....
.....#####.....
"""
CORRIDOR = frozenset((2, c) for c in range(5, 10))


def corridor_span(rig: Rig, serial: str) -> tuple[float, float, Cell]:
    """When ``serial`` first entered the corridor, when it started its move out of
    it, and the cell it entered by (ground truth)."""
    moves = rig.moves_of(serial)
    first = next(i for i, m in enumerate(moves) if m.dst in CORRIDOR)
    leave = next(m for m in moves[first:] if m.src in CORRIDOR and m.dst not in CORRIDOR)
    return moves[first].at, leave.at, moves[first].dst


def test_two_robots_cross_a_one_robot_aisle_in_turn() -> None:
    plan = floor(TWO_ROOMS, {"pass-a": (PlaceKind.PASS, [(4, 0)]),
                             "table-b": (PlaceKind.TABLE, [(0, 14)]),
                             "pass-b": (PlaceKind.PASS, [(4, 14)]),
                             "table-a": (PlaceKind.TABLE, [(0, 0)])})

    async def scene(rig: Rig) -> None:
        east = await rig.order("table-b", pass_place="pass-a")
        west = await rig.order("table-a", pass_place="pass-b")
        await rig.until(rig.all_final, 300, "both dishes served")
        dishes = [rig.dish(east), rig.dish(west)]
        assert [d.state for d in dishes] == [DishState.SERVED, DishState.SERVED]
        assert {d.robot for d in dishes} == {"A", "B"}
        spans = sorted(corridor_span(rig, s) for s in ("A", "B"))
        (_, first_out, first_in), (second_in_at, _, second_in) = spans
        assert {first_in, second_in} == {(2, 5), (2, 9)}, "they crossed in opposite directions"
        assert second_in_at >= first_out, "the second entered only once the first was leaving"
        # The floor is symmetric, so alone both deliveries would take as long: the one
        # that gave way shows the wait.
        took = sorted(d.at_table_at - d.ready_at for d in dishes
                      if d.at_table_at is not None and d.ready_at is not None)
        assert took[1] - took[0] > 3.0, took
        assert rig.traffic.stats.deadlocks_unrecovered == 0

    run_rig(plan, {"A": (2, 1), "B": (2, 13)}, scene, model=ONE_TRAY)


ALCOVE = """
..........
..........
..........
####.#####
####.#####
"""
MOUTH, DEEP = (3, 4), (4, 4)


@pytest.mark.parametrize("first", ["mouth", "deep"])
def test_robot_waiting_in_a_dead_end_alcove_lets_the_other_finish(first: str) -> None:
    """Guests take a minute: the robot at the alcove's mouth blocks the way in (or
    out) for that long. The other robot waits; both dishes are served."""
    plan = floor(ALCOVE, {"pass": (PlaceKind.PASS, [(0, 0), (1, 0)]),
                          "mouth": (PlaceKind.TABLE, [MOUTH]), "deep": (PlaceKind.TABLE, [DEEP])})
    second = "deep" if first == "mouth" else "mouth"

    async def scene(rig: Rig) -> None:
        one = await rig.order(first)
        two = await rig.order(second)
        await rig.until(rig.all_final, 600, "both dishes served")
        d1, d2 = rig.dish(one), rig.dish(two)
        assert (d1.state, d2.state) == (DishState.SERVED, DishState.SERVED), rig.describe()
        assert d1.robot != d2.robot
        mouth, deep = (d1, d2) if first == "mouth" else (d2, d1)
        assert mouth.served_at is not None and deep.at_table_at is not None
        assert deep.served_at is not None and mouth.at_table_at is not None
        if first == "mouth":
            # The way in was blocked by a robot waiting for its guest.
            assert deep.at_table_at > mouth.served_at
        else:
            # The deep robot was shut in until the robot at the mouth had been served.
            robot = deep.robot
            assert robot is not None
            await rig.until(lambda: any(m.src == DEEP for m in rig.moves_of(robot)), 120,
                            "the deep robot leaves the alcove")
            out = next(m for m in rig.moves_of(robot, since=deep.served_at) if m.src == DEEP)
            assert out.at >= mouth.served_at
        assert rig.traffic.stats.deadlocks_unrecovered == 0

    run_rig(plan, {"A": (1, 8), "B": (2, 8)}, scene, model=ONE_TRAY,
            guest_take_s=lambda: 60.0)


def test_idle_robot_on_a_table_spot_makes_way_when_no_parking_is_free() -> None:
    """Four robots, homes for three (two pass spots, a charger): the robot that served
    table t1 has nowhere out of the way to go; the next one loaded for t1 needs its spot."""

    async def scene(rig: Rig) -> None:
        orders = [await rig.order("t1") for _ in range(4)]
        await rig.until(rig.all_final, 600, "every dish for t1 ends")
        assert all(rig.dish(o).state is DishState.SERVED for o in orders)

    run_rig(blocks(parking=False), {f"R{i + 1}": STARTS[i] for i in range(4)}, scene,
            staff_load_s=lambda: 1.0, guest_take_s=lambda: 2.0)


def test_rig_fails_a_run_the_referee_objects_to() -> None:
    """The rig's own check can fail: staff carrying a robot onto another one is a
    collision the referee records, and the run is failed for it."""

    async def scene(rig: Rig) -> None:
        rig.world.place("B", rig.robots["A"].cell)

    with pytest.raises(AssertionError, match="collision of B, A"):
        run_rig(floor("....\n....", {"pass": (PlaceKind.PASS, [(0, 0)])}),
                {"A": (1, 1), "B": (1, 3)}, scene)
