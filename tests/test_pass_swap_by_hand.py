"""Two robots parked at two stalls, each sent to load at the other's: each stands on
the spot the other waits for. Neither can leave first (it is waiting in turn, not
idle, and a robot waiting to load is not asked to step aside), so before the trips
were swapped both stood until their trips were given up (food-court-15, 30 robots,
seed 1: six robots 150 s). On the pure controller fed by hand."""

from __future__ import annotations

from e2e import floor
from handfed import placed

from fleet.dispatch import TripPlan
from fleet.domain import DishState, Stop, StopKind, TripKind
from fleet.domain import events as ev
from fleet.floor.model import FloorPlan, PlaceKind
from fleet.intake import DishRequest, OrderRequest
from fleet.vda import Position, RobotState

STALL_1, STALL_2 = (0, 0), (4, 0)


def two_stalls() -> FloorPlan:
    return floor("\n".join(["." * 12] * 5), {
        "stall 1": (PlaceKind.PASS, [STALL_1]), "stall 2": (PlaceKind.PASS, [STALL_2]),
        "return": (PlaceKind.DISH_RETURN, [(2, 0)]), "charger": (PlaceKind.CHARGER, [(4, 6)]),
        "T1": (PlaceKind.TABLE, [(0, 11)]), "T2": (PlaceKind.TABLE, [(4, 11)])}, name="stalls")


def _load_at(robot: str, pass_place: str, dish_id: str, table: str) -> TripPlan:
    return TripPlan(robot=robot, kind=TripKind.SERVE, dish_ids=(dish_id,), est_finish=0.0,
                    stops=(Stop(pass_place, StopKind.LOAD, dishes=(dish_id,), trays=("tray1",)),
                           Stop(table, StopKind.SERVE, dishes=(dish_id,), trays=("tray1",))))


def test_robots_waiting_at_each_others_stalls_swap_trips_and_load_where_they_stand() -> None:
    plan = two_stalls()
    starts = {"A": STALL_1, "B": STALL_2}
    ctl = placed(starts, plan)
    now = 12.0
    for table in ("T1", "T2"):  # their dishes wait while the trips are given by hand
        ctl.block_table(table, "by hand", now)
    ctl.submit(OrderRequest("O1", "T1", (DishRequest("noodles", pass_place="stall 2"),)), now)
    ctl.submit(OrderRequest("O2", "T2", (DishRequest("dumplings", pass_place="stall 1"),)), now)
    ctl.mark_ready("O1", 0, now)
    ctl.mark_ready("O2", 0, now)
    ctl.work.begin(_load_at("A", "stall 2", "O1/1", "T1"), now)
    ctl.work.begin(_load_at("B", "stall 1", "O2/1", "T2"), now)
    for t in range(13, 25):
        for serial, cell in starts.items():
            x, y = plan.anchor_of(cell)
            ctl.on_state(RobotState(serial, float(t), position=Position(x, y)), float(t))
        ctl.tick(float(t))
    a, b = ctl.robots["A"], ctl.robots["B"]
    assert a.trip is not None and b.trip is not None
    assert a.trip.stops[0].place == "stall 1" and b.trip.stops[0].place == "stall 2", \
        f"A: {a.note}; B: {b.note}"
    assert ctl.dish("O2/1").robot == "A" and ctl.dish("O1/1").robot == "B"
    assert all(ctl.dish(d).state is DishState.ASSIGNED for d in ("O1/1", "O2/1"))
    for rec, cell in ((a, STALL_1), (b, STALL_2)):
        assert rec.serial not in ctl.work.pending and rec.leg is not None
        assert rec.leg.cells[-1] == cell, "loads where it stands"
    handed = [e for e in ctl.events if e.kind == ev.TRIP_ASSIGNED and "handed" in e.text]
    assert len(handed) == 2, [e.text for e in handed]
