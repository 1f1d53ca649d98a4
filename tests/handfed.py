"""A pure controller fed by hand: robots placed on a floor by their state reports,
with no simulator and no loop, for tests that set a record's facts themselves."""

from __future__ import annotations

from collections.abc import Mapping

from e2e import blocks
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.controller.core import Controller
from fleet.floor.model import Cell, FloorPlan
from fleet.store import MemoryStore
from fleet.vda import ConnectionState, Position, RobotState


def placed(starts: Mapping[str, Cell], plan: FloorPlan | None = None, *,
           seconds: int = 12) -> Controller:
    """A controller on ``plan`` (aisles between blocks, by default) whose robots have
    reported from ``starts`` for ``seconds``, the controller ticking each second:
    placed in traffic, and (by default) idle where housekeeping leaves them (pass
    spots and parking are where idle robots stay)."""
    plan = plan if plan is not None else blocks()
    ctl = build_controller(plan, dict.fromkeys(starts, MODEL), store=MemoryStore(), run_id="t")
    for serial in starts:
        ctl.on_connection(serial, ConnectionState.ONLINE, 0.0)
    for t in range(seconds):
        for serial, cell in starts.items():
            x, y = plan.anchor_of(cell)
            ctl.on_state(RobotState(serial, float(t), position=Position(x, y)), float(t))
        ctl.tick(float(t))
    assert all(r.in_traffic for r in ctl.robots.values())
    return ctl
