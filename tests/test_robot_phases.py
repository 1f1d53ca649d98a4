"""A robot's lifecycle as phases (issue 11): one reading of the record, every change
an event the controller expects, and a robot overdue in its phase told with what
holds it.

The walk runs the whole chain (controller, in-process links, simulated robots) on
a virtual clock: two robots bus two tables and bring the dirty dishes to a dish
return of one spot, so one unloads while the other queues for the spot; that one
is paused and resumed by the manager while it waits.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e import Rig, run_rig, small_room
from handfed import placed

from fleet.controller.explain import waiting_words
from fleet.controller.legs import Leg
from fleet.controller.phase import NO_ROUTE_BOUND_S, RULES, TRANSITIONS, Phase, phase_of
from fleet.controller.robots import RobotRecord
from fleet.controller.view import FleetWindow
from fleet.controller.watchdog import Watchdog
from fleet.domain import DishState, RobotMode, Stop, StopKind, Trip, TripKind
from fleet.domain import events as ev


def _changes(rig: Rig, serial: str) -> list[tuple[str, str]]:
    return [(e.data["from"], e.data["to"]) for e in rig.events(ev.ROBOT_PHASE_CHANGED)
            if e.robot == serial]


def test_every_phase_has_a_rule_and_its_expected_changes() -> None:
    assert set(RULES) == set(Phase) == set(TRANSITIONS)
    for phase, allowed in TRANSITIONS.items():
        assert phase not in allowed, f"{phase} -> itself is no change"
    # A person, the vehicle or the link may take a robot out of any phase.
    for phase in Phase:
        for outside in (Phase.OFFLINE, Phase.HELD, Phase.UNPLACED):
            assert outside == phase or outside in TRANSITIONS[phase]
    assert Phase.STRANDED not in TRANSITIONS[Phase.CHARGING]


def _trip(serial: str) -> Trip:
    return Trip(f"t-{serial}", serial, TripKind.SERVE, [Stop("table-1", StopKind.SERVE)], 0.0)


SETS: dict[Phase, Callable[[RobotRecord], None]] = {
    Phase.OFFLINE: lambda r: setattr(r, "mode", RobotMode.OFFLINE),
    Phase.UNPLACED: lambda r: setattr(r, "in_traffic", False),
    Phase.HELD: lambda r: setattr(r, "paused_by_manager", True),
    Phase.IDLE: lambda r: None,
    Phase.CHARGING: lambda r: setattr(r, "charging", True),
    Phase.STRANDED: lambda r: setattr(r, "stranded", "no dish return can be reached"),
    Phase.SETTLING: lambda r: setattr(r, "trip", _trip(r.serial)),
    Phase.QUEUED: lambda r: (setattr(r, "trip", _trip(r.serial)),
                             setattr(r, "queued_for", (f"t-{r.serial}", 0, "table-1"))),
    Phase.NO_ROUTE: lambda r: (setattr(r, "trip", _trip(r.serial)), setattr(r, "failures", 2)),
    Phase.AT_STOP: lambda r: (setattr(r, "trip", _trip(r.serial)),
                              setattr(r, "goal_since", 10.0)),
}
"""The facts that put an idle, placed robot in each phase (``DRIVING`` and ``YIELDING``
need traffic: below)."""


@pytest.mark.parametrize("phase", list(SETS))
def test_each_phase_is_read_from_the_facts_that_make_it(phase: Phase) -> None:
    ctl = placed({"A": (1, 0)})
    rec = ctl.robots["A"]
    assert phase_of(ctl, rec) is Phase.IDLE
    SETS[phase](rec)
    assert phase_of(ctl, rec) is phase
    if phase is not Phase.OFFLINE:
        rec.mode = RobotMode.ESTOPPED
        assert phase_of(ctl, rec) is Phase.HELD, "a person's hold outranks the trip"


def test_the_watchdog_works_on_what_it_is_handed_alone() -> None:
    """No controller around it: a ``FleetWindow`` of the plan, the records and traffic,
    an emit and the step-aside help. A change is told as it is read; a stay past its
    bound is told once, and a robot with no route is helped."""
    ctl = placed({"A": (1, 0)})
    told: list[tuple[str, str]] = []
    helped: list[tuple[str, float]] = []

    def emit(kind: str, now: float, text: object, **_: object) -> None:
        told.append((kind, str(text)))

    def step_elsewhere(rec: RobotRecord, now: float) -> bool:
        helped.append((rec.serial, now))
        return True

    dog = Watchdog(FleetWindow(ctl.plan, ctl.robots, ctl.traffic), emit=emit,
                   step_elsewhere=step_elsewhere)
    rec = ctl.robots["A"]
    dog.observe(20.0)
    assert dog.phase("A") is Phase.IDLE and not told, "the first reading is no change"
    SETS[Phase.NO_ROUTE](rec)
    rec.progress_at = 20.0
    dog.observe(21.0)
    assert told == [(ev.ROBOT_PHASE_CHANGED, "A: idle -> no route")]
    dog.check(21.0 + NO_ROUTE_BOUND_S - 1)
    assert len(told) == 1 and not helped, "told before its bound"
    for now in (21.0 + NO_ROUTE_BOUND_S, 21.0 + 2 * NO_ROUTE_BOUND_S):
        dog.check(now)
    assert helped == [("A", 21.0 + NO_ROUTE_BOUND_S)], "helped once per stay"
    assert [k for k, _ in told] == [ev.ROBOT_PHASE_CHANGED, ev.ROBOT_PHASE_OVERDUE]
    assert told[-1][1].endswith("sent to step aside somewhere it can reach")


def test_a_robot_on_a_leg_drives_and_yields_to_the_robot_in_its_way() -> None:
    ctl = placed({"A": (1, 0), "B": (0, 0)})
    a, b = ctl.robots["A"], ctl.robots["B"]
    for rec, goal in ((a, (2, 9)), (b, (2, 5))):
        route = ctl.traffic.route(rec.serial, [goal], now=12.0, dwell_s=None)
        rec.trip = _trip(rec.serial)
        rec.leg = Leg(order_id=f"{rec.serial}-1", cells=route.cells, goal_actions=())
    ctl.traffic.release(now=12.0)
    assert phase_of(ctl, a) is Phase.DRIVING
    for t in range(13, 30):  # B drives up behind A, which has not moved
        ctl.traffic.release(now=float(t))
        released = ctl.traffic.released("B")
        if released > ctl.traffic.route_of("B").cells.index((0, 0)):
            ctl.traffic.reached("B", released, now=t + 0.5)
    assert ctl.traffic.waiting_for("B") is not None
    assert phase_of(ctl, b) is Phase.YIELDING
    assert "waiting for A to clear the aisle" in waiting_words(ctl, "B", 30.0)


def test_the_operations_guide_lists_every_phase_as_the_code_has_it() -> None:
    guide = (Path(__file__).parents[1] / "docs" / "operations.md").read_text()
    for phase, rule in RULES.items():
        bound = f"{rule.bound_s:.0f} s" if rule.bound_s is not None else "-"
        row = f"| {phase.value} | {rule.exits} | {rule.cause.value} | {bound} |"
        assert row in guide, f"docs/operations.md lacks or misstates: {row}"


def test_two_robots_walk_the_lifecycle_through_a_queue_and_a_pause() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        await rig.until(lambda: all(phase_of(ctl, r) is Phase.IDLE
                                    for r in ctl.robots.values()), 30, "both idle")
        await rig.runtime.request_bussing("table-1")
        await rig.runtime.request_bussing("table-2")
        await rig.until(lambda: ctl.watchdog.phase("B") is Phase.QUEUED
                        or ctl.watchdog.phase("A") is Phase.QUEUED, 300,
                        "one queues for the dish return's only spot")
        queued = "B" if ctl.watchdog.phase("B") is Phase.QUEUED else "A"
        assert "waiting for a free spot at" in rig.record(queued).note
        await rig.runtime.execute(ctl.pause(queued, rig.now()))
        await rig.until(lambda: ctl.watchdog.phase(queued) is Phase.HELD, 10, "held")
        await rig.runtime.execute(ctl.resume(queued, rig.now()))
        await rig.until(lambda: not rig.controller.work.bussing_requests
                        and all(ctl.watchdog.phase(s) is Phase.IDLE and rig.record(s).trip is None
                                and not rig.robots[s].loads for s in "AB"),
                        600, "both back, empty and idle")

        for serial in "AB":
            changes = _changes(rig, serial)
            for (_, to), (frm, _) in itertools.pairwise(changes):
                assert to == frm, f"{serial}'s changes chain: {changes}"
        assert all(e.data["expected"] for e in rig.events(ev.ROBOT_PHASE_CHANGED)), \
            [e.text for e in rig.events(ev.ROBOT_PHASE_CHANGED) if not e.data["expected"]]
        seen = {to for s in "AB" for _, to in _changes(rig, s)}
        assert {Phase.DRIVING, Phase.AT_STOP, Phase.QUEUED, Phase.HELD, Phase.IDLE} <= seen
        assert ctl.watchdog.unexpected == 0
        assert ctl.watchdog.changes == len(rig.events(ev.ROBOT_PHASE_CHANGED))

    run_rig(small_room(), {"A": (0, 0), "B": (1, 0)}, scene, staff_load_s=lambda: 40.0)


def test_a_robot_stuck_on_its_way_is_overdue_once_with_what_holds_it() -> None:
    async def scene(rig: Rig) -> None:
        first = await rig.order("table-1")
        await rig.until(lambda: rig.dish(first).state is DishState.ON_THE_WAY, 60, "on the way")
        await rig.settle(1.0)
        rig.robots["A"].set_stuck(True)
        stuck_at = rig.now()
        await rig.until(lambda: bool(rig.events(ev.ROBOT_PHASE_OVERDUE)), 90, "overdue")
        told = rig.events(ev.ROBOT_PHASE_OVERDUE)
        assert told[0].robot == "A" and told[0].data["phase"] == Phase.DRIVING
        assert 55.0 <= told[0].at - stuck_at <= 65.0
        assert "stuck" in told[0].data["reason"]
        await rig.settle(40.0)
        assert len(rig.events(ev.ROBOT_PHASE_OVERDUE)) == 1, "once per stay"
        rig.robots["A"].set_stuck(False)
        await rig.until(lambda: rig.dish(first).state.final, 120, "the dish ends")

    run_rig(small_room(), {"A": (1, 0)}, scene)


def test_an_overdue_stay_is_told_in_the_managers_language() -> None:
    """The watchdog's sentence is words: a Korean dashboard reads it in Korean."""
    async def scene(rig: Rig) -> None:
        first = await rig.order("table-1")
        await rig.until(lambda: rig.dish(first).state is DishState.ON_THE_WAY, 60, "on the way")
        rig.robots["A"].set_stuck(True)
        await rig.until(lambda: bool(rig.events(ev.ROBOT_PHASE_OVERDUE)), 90, "overdue")
        told = rig.events(ev.ROBOT_PHASE_OVERDUE)[0]
        assert told.words is not None and str(told.words) == told.text
        korean = told.words.render("ko")
        assert "주행 중" in korean and "한도 60초" in korean, korean
        rig.robots["A"].set_stuck(False)

    run_rig(small_room(), {"A": (1, 0)}, scene)
