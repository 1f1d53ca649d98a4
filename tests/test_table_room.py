"""A table takes as many robots as it has spots, counted over one round of dispatch
and over neighbouring tables whose spots overlap its own; the other dishes wait at
the pass. Found on food-court-3 with 12 robots, seed 1: a robot loaded at one stall
queued 150-210 s in the aisle for a one-spot table that a robot from another stall
(sent in the same round) or a robot for the table beside it held."""

from __future__ import annotations

from collections.abc import Sequence

from e2e import Rig, floor, run_rig
from simkit import MODEL

from fleet.controller.tableroom import plan_within_room, shared_spots, table_room
from fleet.dispatch import DishView, RobotView, TripPlan
from fleet.domain import DishState, Priority, RobotMode, Stop, StopKind, Trip, TripKind
from fleet.floor.model import FloorPlan, PlaceKind
from fleet.intake import DishRequest, OrderRequest

ROOM = "\n".join(["." * 12] * 5)


def two_stalls() -> FloorPlan:
    """A food court in small: two stalls' passes and a table with one spot."""
    return floor(ROOM, {"stall 1": (PlaceKind.PASS, [(0, 0)]),
                        "stall 2": (PlaceKind.PASS, [(4, 0)]),
                        "return": (PlaceKind.DISH_RETURN, [(2, 0)]),
                        "charger": (PlaceKind.CHARGER, [(4, 6)]),
                        "booth": (PlaceKind.TABLE, [(2, 11)])}, name="two-stalls")


def bound_for(rig: Rig, table: str) -> int:
    """Robots with a stop at ``table`` still to make."""
    return sum(1 for r in rig.controller.robots.values() if r.trip is not None and any(
        s.place == table and s.kind is StopKind.SERVE for s in r.trip.stops[r.trip.next_stop:]))


def test_two_stalls_dishes_for_a_one_spot_table_go_one_robot_after_the_other() -> None:
    """Both dishes of one order wait while the table cannot take them (here the
    manager has it blocked; in service, a robot stands at it), with a free robot at
    each stall. When it opens, one robot goes; the other dish follows once that
    robot has served, rather than a second robot queueing in the aisle."""
    most = 0

    def watch(rig: Rig, order_id: str) -> bool:
        nonlocal most
        most = max(most, bound_for(rig, "booth"))
        return all(d.state.final for d in rig.dishes if d.order_id == order_id)

    async def scene(rig: Rig) -> None:
        await rig.runtime.execute(rig.controller.block_table("booth", "set up", rig.now()))
        await rig.runtime.submit(OrderRequest("O1", "booth", (
            DishRequest("noodles", pass_place="stall 1"),
            DishRequest("dumplings", pass_place="stall 2"))))
        await rig.runtime.mark_ready("O1", 0)
        await rig.runtime.mark_ready("O1", 1)
        await rig.settle(5.0)
        assert bound_for(rig, "booth") == 0
        await rig.runtime.execute(rig.controller.unblock_table("booth", rig.now()))
        await rig.until(lambda: watch(rig, "O1"), 600, "both dishes end")
        assert [d.state for d in rig.dishes] == [DishState.SERVED] * 2, rig.describe()
        assert most == 1, "two robots were bound for the booth's one spot at once"

    run_rig(two_stalls(), {"A": (0, 0), "B": (4, 0)}, scene)


def tight_tables() -> FloorPlan:
    """0.3 m cells for a 0.4 m robot: a robot covers the cells beside it."""
    return floor(ROOM, {"pass": (PlaceKind.PASS, [(4, 0)]),
                        "T1": (PlaceKind.TABLE, [(0, 5)]), "T2": (PlaceKind.TABLE, [(0, 6)]),
                        "T3": (PlaceKind.TABLE, [(0, 9)]),
                        "T4": (PlaceKind.TABLE, [(2, 5), (2, 9)]),
                        "T5": (PlaceKind.TABLE, [(3, 5)])}, name="tight", resolution=0.3)


def serving(table: str, *, done: bool = False) -> Trip:
    return Trip(trip_id=f"to-{table}", robot="R", kind=TripKind.SERVE,
                stops=[Stop("pass", StopKind.LOAD), Stop(table, StopKind.SERVE)],
                created_at=0.0, next_stop=2 if done else 1)


def test_a_robot_bound_for_a_table_takes_the_spot_of_a_table_it_overlaps() -> None:
    """T1 and T2's spots are closer than a robot's width: one robot at either makes
    the other unusable. T5's one spot overlaps one of T4's two, so a robot for T5
    takes one of T4's, but one for T4 may stand at its far spot and leave T5 be."""
    plan = tight_tables()
    shared = shared_spots(plan)
    assert shared["T1"] == ("T1", "T2") and shared["T2"] == ("T2", "T1")
    assert shared["T3"] == ("T3",) and shared["T4"] == ("T4",)
    assert shared["T5"] == ("T5", "T4")
    room = table_room(plan, [serving("T1"), serving("T5")], shared)
    assert room == {"T1": 0, "T2": 0, "T3": 1, "T4": 1, "T5": 0}
    assert table_room(plan, [serving("T1", done=True)], shared)["T2"] == 1, \
        "a robot that has served the table holds nothing"


def test_two_tables_served_from_one_spot_are_one_table_for_the_robots() -> None:
    """food-court-15's T38 and T49 are served from one cell: a robot for T49 queued
    150 s while robots for T38 took the spot in turn."""
    plan = floor(ROOM, {"pass": (PlaceKind.PASS, [(4, 0)]), "T6": (PlaceKind.TABLE, [(2, 8)]),
                        "T7": (PlaceKind.TABLE, [(2, 8)])}, name="one-spot")
    shared = shared_spots(plan)
    assert shared == {"T6": ("T6", "T7"), "T7": ("T7", "T6")}
    assert table_room(plan, [serving("T7")], shared) == {"T6": 0, "T7": 0}


def _dish(dish_id: str, table: str, pass_place: str) -> DishView:
    return DishView(dish_id=dish_id, order_id="O", table=table, trays=1, ready_at=0.0,
                    priority=Priority.NORMAL, pass_place=pass_place)


def _robot(serial: str) -> RobotView:
    return RobotView(serial=serial, model=MODEL, mode=RobotMode.IDLE, cell=(0, 0), free_at=0.0,
                     battery=100.0, trays_free=1)


def _trip(robot: RobotView, dish: DishView) -> TripPlan:
    return TripPlan(robot=robot.serial, kind=TripKind.SERVE, est_finish=0.0,
                    dish_ids=(dish.dish_id,),
                    stops=(Stop(dish.pass_place, StopKind.LOAD, dishes=(dish.dish_id,)),
                           Stop(dish.table, StopKind.SERVE, dishes=(dish.dish_id,))))


def test_a_trip_to_a_table_filled_in_the_same_round_is_dropped_and_its_robot_planned_again(
        ) -> None:
    """The policy pairs dishes and robots in order, each as if the other trips were
    not there; a second trip to a one-spot table is dropped and its robot offered
    the dishes of tables with room."""
    plan = tight_tables()
    shared = shared_spots(plan)
    asked: list[tuple[list[str], list[str]]] = []

    def policy(dishes: Sequence[DishView], robots: Sequence[RobotView]) -> list[TripPlan]:
        asked.append(([d.dish_id for d in dishes], [r.serial for r in robots]))
        return [_trip(r, d) for d, r in zip(dishes, robots, strict=False)]

    dishes = [_dish("a", "T1", "stall 1"), _dish("b", "T2", "stall 2"),
              _dish("c", "T3", "stall 2")]
    room = table_room(plan, [], shared)
    plans = plan_within_room(policy, dishes, [_robot("A"), _robot("B")], room, shared)
    assert [(p.robot, p.dish_ids) for p in plans] == [("A", ("a",)), ("B", ("c",))]
    assert asked == [(["a", "b", "c"], ["A", "B"]), (["c"], ["B"])]
