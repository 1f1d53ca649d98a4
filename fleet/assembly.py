"""Putting a controller together from its parts, the same way for a simulation,
a test or production: the plan's distance fields once, traffic with a search
budget fitted to the plan, the chosen dispatch policy, and the store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from fleet.controller.core import Controller
from fleet.dispatch import make_policy
from fleet.domain import RobotModel
from fleet.domain import events as ev
from fleet.floor import FloorPlan
from fleet.routing import precompute_fields
from fleet.store import Store
from fleet.traffic import TrafficManager


def plan_budget(plan: FloorPlan) -> int:
    """Search expansions per leg: a few per cell a robot fits in. A leg that plans at
    all needs far fewer; a goal walled in for now would otherwise burn a large fixed
    budget at every retry."""
    return max(5000, 5 * int(plan.passable.sum()))


def build_controller(plan: FloorPlan, models: Mapping[str, RobotModel], *, store: Store,
                     policy: Literal["fleet", "baseline"] = "fleet",
                     guest_timeout_s: float = 90.0, cold_food_s: float = 300.0,
                     stall_abort_s: float = 180.0, no_progress_s: float = 60.0,
                     run_id: str | None = None, resume: bool = False,
                     epoch: float | None = None, now: float = 0.0) -> Controller:
    """A controller for ``models`` (serial -> model) on ``plan``; with ``resume``, one
    that takes back the open orders in ``store`` (``fleet.controller.takeback``).
    ``epoch`` (wall clock minus the loop's, at ``now``) is saved for a later run to
    put this one's times on its own clock; production gives it, simulations need not."""
    fields = precompute_fields(plan)
    traffic = TrafficManager(plan, fields=fields, budget=plan_budget(plan))
    controller = Controller(plan, models, policy=make_policy(policy, cold_food_s=cold_food_s),
                            store=store, fields=fields, traffic=traffic,
                            guest_timeout_s=guest_timeout_s, cold_food_s=cold_food_s,
                            stall_abort_s=stall_abort_s, no_progress_s=no_progress_s,
                            run_id=run_id)
    if resume:
        controller.take_back_service(epoch)
    if epoch is not None:
        controller.emit(ev.CONTROLLER_STARTED, now, f"controller run {controller.run_id} "
                        "started", data={"epoch": epoch, "run_id": controller.run_id})
    return controller
