"""A dish ready for a table a robot is about to leave the pass for rides along on that
robot's trip (``fleet.controller.ridealong``), instead of waiting at the pass for the
whole of its visit: fed by hand to the pure controller, one robot at the small
room's pass, with a vehicle that finishes every action at once."""

from __future__ import annotations

from typing import Literal

from e2e import small_room
from simkit import MODEL, drive_leg, leg_finished

from fleet.assembly import build_controller
from fleet.controller.commands import SendOrder
from fleet.domain import StopKind, TripKind
from fleet.domain import events as ev
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore
from fleet.vda import ConnectionState, Load, Position, RobotState


class _Pass:
    """Robot "A" standing on the small room's pass; an order of two soups for table-1."""

    def __init__(self, policy: Literal["fleet", "baseline"] = "fleet", *, soups: int = 2) -> None:
        self.plan = plan = small_room()
        self.ctl = build_controller(plan, {"A": MODEL}, store=MemoryStore(), run_id="t",
                                    policy=policy)
        self.spot = plan.place("pass").cells[1]
        self.sent: list[SendOrder] = []
        self.ctl.on_connection("A", ConnectionState.ONLINE, 0.0)
        self.report(0.0, self.spot)
        self.ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),) * soups), 0.0)

    def report(self, now: float, cell: tuple[int, int], **kw: object) -> None:
        x, y = self.plan.anchor_of(cell)
        out = self.ctl.on_state(RobotState("A", now, position=Position(x, y), **kw),  # type: ignore[arg-type]
                                now) + self.ctl.tick(now)
        self.sent.extend(c for c in out if isinstance(c, SendOrder))

    def ready(self, index: int, now: float) -> None:
        out = self.ctl.mark_ready("o1", index, now)
        self.sent.extend(c for c in out if isinstance(c, SendOrder))

    def all_done(self, now: float, cell: tuple[int, int], loads: tuple[Load, ...]) -> None:
        self.report(now, cell, loads=loads, **leg_finished(self.ctl, "A", cell))

    def drive_to_table(self, now: float, loads: tuple[Load, ...]) -> float:
        return drive_leg(self.ctl, "A", now, lambda t, cell: self.all_done(t, cell, loads),
                         lambda cell: cell in self.plan.place("table-1").cells)


def test_a_dish_ready_while_its_tables_robot_loads_rides_along_on_that_trip() -> None:
    site = _Pass()
    ctl = site.ctl
    site.ready(0, 1.0)
    trip = ctl.robots["A"].trip
    assert trip is not None and ctl.dish("o1/1").trip_id == trip.trip_id
    assert site.sent, "the leg to load the first soup is sent"
    site.report(1.5, site.spot)
    site.ready(1, 2.0)  # the second soup, while A is about to be loaded with the first
    second = ctl.dish("o1/2")
    assert second.state.value == "assigned" and second.trip_id == trip.trip_id
    assert second.tray == "tray2"
    told = [e.text for e in ctl.events if e.kind == ev.DISH_ASSIGNED and e.dish_id == "o1/2"]
    assert told == ["o1/2 rides along on A tray2 to table-1"]
    loads = [s for s in trip.stops if s.kind is StopKind.LOAD]
    assert [s.dishes for s in loads] == [("o1/1",), ("o1/2",)], (
        "the first stop's actions were sent: the rider is loaded at a stop of its own")
    serve = [s for s in trip.stops if s.kind is StopKind.SERVE]
    assert [(s.place, s.dishes, s.trays) for s in serve] == [
        ("table-1", ("o1/1", "o1/2"), ("tray1", "tray2"))]
    one = (Load("tray1", "o1/1"),)
    both = (*one, Load("tray2", "o1/2"))
    site.all_done(3.0, site.spot, one)  # staff loaded the first soup
    leg = ctl.robots["A"].leg
    assert leg is not None and leg.cells == (site.spot,), "it stays on its spot"
    assert any("/pick/tray2" in a for a in leg.action_ids)
    site.all_done(4.0, site.spot, both)  # and the second
    now = site.drive_to_table(4.0, both)
    leg = ctl.robots["A"].leg
    assert leg is not None
    assert {a.rsplit("/", 2)[-2:][1] for a in leg.action_ids if "/drop/" in a} == {
        "tray1", "tray2"}, "both soups presented at table-1"
    now += 1.0
    site.all_done(now, leg.cells[-1], ())  # the guests take both
    assert ctl.dish("o1/1").state.value == "served"
    assert ctl.dish("o1/2").state.value == "served"
    serving = [t for t in ctl.trips.values() if t.kind is TripKind.SERVE]
    assert len(serving) == 1, "one trip for both"


def test_riders_share_one_extra_loading_stop_until_the_trays_are_full() -> None:
    site = _Pass(soups=4)  # three trays
    ctl = site.ctl
    site.ready(0, 1.0)
    site.report(1.5, site.spot)
    for index, at in ((1, 2.0), (2, 2.5), (3, 3.0)):
        site.ready(index, at)
    trip = ctl.robots["A"].trip
    assert trip is not None
    assert [s.dishes for s in trip.stops if s.kind is StopKind.LOAD] == [
        ("o1/1",), ("o1/2", "o1/3")], "the third soup joins the second's stop, not a third"
    assert ctl.dish("o1/4").state.value == "ready", "no tray left for the fourth"


def test_a_dish_for_a_table_whose_robot_has_left_the_pass_waits() -> None:
    site = _Pass()
    ctl = site.ctl
    site.ready(0, 1.0)
    one = (Load("tray1", "o1/1"),)
    site.all_done(2.0, site.spot, one)
    leg = ctl.robots["A"].leg
    assert leg is not None and leg.cells[-1] in site.plan.place("table-1").cells
    site.all_done(3.0, leg.cells[1], one)  # on its way to the table
    site.ready(1, 3.5)
    assert ctl.dish("o1/2").state.value == "ready", "nothing more is loaded away from the pass"


def test_the_baseline_takes_no_riders() -> None:
    """One dish a trip: the baseline we measure against stays as plain as it was."""
    site = _Pass("baseline")
    site.ready(0, 1.0)
    site.report(1.5, site.spot)
    site.ready(1, 2.0)
    assert site.ctl.dish("o1/2").state.value == "ready"
