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
from pathlib import Path

from e2e import Rig, run_rig, small_room

from fleet.controller.phase import RULES, TRANSITIONS, Phase, phase_of
from fleet.domain import DishState
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
