"""A robot loaded at the pass waits there for a dish the kitchen expects soon for its
table, and takes it along (``fleet.controller.passhold``), within bounds: fed by
hand to the pure controller, one robot at the small room's pass, with a vehicle that
finishes every action at once."""

from __future__ import annotations

from typing import Literal

from e2e import small_room
from simkit import MODEL, drive_leg, leg_finished

from fleet.assembly import build_controller
from fleet.controller.commands import SendOrder
from fleet.controller.explain import waiting_words
from fleet.domain import StopKind, TripKind
from fleet.domain import events as ev
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore
from fleet.vda import ConnectionState, Load, Position, RobotState

ONE = (Load("tray1", "o1/1"),)
BOTH = (*ONE, Load("tray2", "o1/2"))


class _Pass:
    """Robot "A" on the small room's pass; two soups for table-1, the first ready at
    1 s and loaded at 3 s; the kitchen says at 2 s when it expects the second."""

    def __init__(self, expect_in_s: float | None,
                 policy: Literal["fleet", "baseline"] = "fleet") -> None:
        self.plan = plan = small_room()
        self.ctl = build_controller(plan, {"A": MODEL}, store=MemoryStore(), run_id="t",
                                    policy=policy)
        self.spot = plan.place("pass").cells[1]
        self.ctl.on_connection("A", ConnectionState.ONLINE, 0.0)
        self.report(0.0, self.spot)
        self.ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),) * 2), 0.0)
        self.ctl.mark_ready("o1", 0, 1.0)
        self.report(1.5, self.spot)
        if expect_in_s is not None:
            self.ctl.expect_ready("o1", 1, expect_in_s, 2.0)
        self.all_done(3.0, self.spot, ONE)  # staff loaded the first soup

    def report(self, now: float, cell: tuple[int, int], **kw: object) -> list[SendOrder]:
        x, y = self.plan.anchor_of(cell)
        out = self.ctl.on_state(RobotState("A", now, position=Position(x, y), **kw),  # type: ignore[arg-type]
                                now) + self.ctl.tick(now)
        return [c for c in out if isinstance(c, SendOrder)]

    def all_done(self, now: float, cell: tuple[int, int], loads: tuple[Load, ...]) -> None:
        self.report(now, cell, loads=loads, **leg_finished(self.ctl, "A", cell))

    def leg_goal(self) -> tuple[int, int]:
        leg = self.ctl.robots["A"].leg
        assert leg is not None
        return leg.cells[-1]

    def at_pass(self) -> bool:
        return self.leg_goal() == self.spot

    def kinds(self, kind: str) -> list[str]:
        return [e.text for e in self.ctl.events if e.kind == kind]

    def drive_to_table(self, now: float, loads: tuple[Load, ...]) -> float:
        return drive_leg(self.ctl, "A", now, lambda t, cell: self.all_done(t, cell, loads),
                         lambda cell: cell in self.plan.place("table-1").cells)


def test_a_robot_waits_for_a_dish_expected_in_5_s_and_takes_both() -> None:
    site = _Pass(expect_in_s=5.0)  # expected at 7 s
    ctl = site.ctl
    assert site.at_pass(), "loaded, it stays at the pass for the second soup"
    assert site.kinds(ev.ROBOT_HELD_AT_PASS) == [
        "A waits at pass for o1/2 for table-1, expected in 4 s"]
    assert waiting_words(ctl.view, "A", 4.0) == (
        "at the pass: waiting for o1/2, expected ready in 3 s")
    site.report(5.0, site.spot)
    assert site.at_pass(), "still waiting at 5 s"
    ctl.mark_ready("o1", 1, 6.5)  # the kitchen is half a second early
    second = ctl.dish("o1/2")
    trip = ctl.robots["A"].trip
    assert trip is not None and second.trip_id == trip.trip_id and second.tray == "tray2"
    assert site.kinds(ev.ROBOT_HOLD_ENDED) == ["A leaves pass after 4 s: o1/2 came"]
    assert [s.dishes for s in trip.stops if s.kind is StopKind.LOAD] == [("o1/1",), ("o1/2",)]
    site.report(7.0, site.spot, loads=ONE)
    assert site.at_pass(), "loading the second soup on the same spot"
    site.all_done(8.0, site.spot, BOTH)
    assert site.leg_goal() in site.plan.place("table-1").cells
    now = site.drive_to_table(8.0, BOTH)
    site.all_done(now + 1.0, site.leg_goal(), ())  # the guests take both
    assert ctl.dish("o1/1").state.value == "served"
    assert ctl.dish("o1/2").state.value == "served"
    assert sum(t.kind is TripKind.SERVE for t in ctl.trips.values()) == 1, "one trip for both"


def test_a_dish_expected_in_60_s_is_not_waited_for() -> None:
    site = _Pass(expect_in_s=60.0)
    assert site.leg_goal() in site.plan.place("table-1").cells, "it leaves at once"
    assert site.kinds(ev.ROBOT_HELD_AT_PASS) == []


def test_no_estimate_no_wait() -> None:
    site = _Pass(expect_in_s=None)
    assert site.leg_goal() in site.plan.place("table-1").cells
    assert site.kinds(ev.ROBOT_HELD_AT_PASS) == []


def test_a_late_kitchen_is_waited_for_no_longer_than_its_estimate_and_the_grace() -> None:
    site = _Pass(expect_in_s=5.0)  # expected at 7 s; the grace is 5 s: until 12 s
    ctl = site.ctl
    for now in (8.0, 9.0, 10.0, 11.0, 11.9):
        site.report(now, site.spot)
        assert site.at_pass(), f"still within the grace at {now} s"
    assert waiting_words(ctl.view, "A", 11.0) == (
        "at the pass: waiting for o1/2, expected ready 4 s ago")
    site.report(12.0, site.spot)
    assert site.leg_goal() in site.plan.place("table-1").cells, "it leaves without it"
    assert site.kinds(ev.ROBOT_HOLD_ENDED) == ["A leaves pass after 9 s: o1/2 not ready after 9 s"]
    ctl.mark_ready("o1", 1, 13.0)
    assert ctl.dish("o1/2").state.value == "ready", "too late: it waits for a trip of its own"
    site.report(14.0, site.spot)
    assert len(site.kinds(ev.ROBOT_HELD_AT_PASS)) == 1, "a trip waits once"


def test_the_baseline_never_waits() -> None:
    site = _Pass(expect_in_s=5.0, policy="baseline")
    assert site.leg_goal() in site.plan.place("table-1").cells
    assert site.kinds(ev.ROBOT_HELD_AT_PASS) == []

