"""A trip's next table with every spot taken (a guest still at the robot before)
waits; a later table of the same trip with a spot free is served first, instead of
every dish aboard waiting in line (a 150 s stand on a generated food court)."""

from __future__ import annotations

from handfed import placed

from fleet.controller.stopstart import another_table_first
from fleet.domain import Stop, StopKind, Trip, TripKind


def _serving(tables: list[str]) -> Trip:
    return Trip("t-A", "A", TripKind.SERVE,
                [Stop(t, StopKind.SERVE, dishes=(f"o-{t}/1",)) for t in tables], 0.0)


def test_a_later_table_with_a_free_spot_is_served_first() -> None:
    ctl = placed({"A": (1, 0), "B": (0, 3)}, seconds=3)  # B stands on t1's only spot
    rec = ctl.robots["A"]
    rec.trip = _serving(["t1", "t2", "t3"])
    assert ctl.work.room_at("t1", besides="A") == 0
    assert another_table_first(ctl.work, rec, rec.trip.stops[0])
    assert [s.place for s in rec.trip.stops] == ["t2", "t1", "t3"]


def test_the_trip_keeps_its_order_when_no_later_table_has_room() -> None:
    ctl = placed({"A": (1, 0), "B": (0, 3), "C": (2, 7)}, seconds=3)  # t1 and t2 taken
    rec = ctl.robots["A"]
    rec.trip = _serving(["t1", "t2"])
    assert not another_table_first(ctl.work, rec, rec.trip.stops[0])
    assert [s.place for s in rec.trip.stops] == ["t1", "t2"]
    unload = Stop("return", StopKind.UNLOAD)
    assert not another_table_first(ctl.work, rec, unload), "only tables are reordered"
