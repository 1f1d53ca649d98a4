"""Today's prioritised planner (``TrafficManager``) on benchmark instances, as a baseline.

The manager plans whole legs one robot at a time and releases them along its
dependency graph; here it is driven in unit steps with no delays and no turn
cost, as the issue measured it: every robot gets its leg at time 0 (one-shot)
or on arrival (lifelong), and each step every robot released onward moves one
cell, with deadlock recovery run each step as the controller does. A one-shot
run fails when a leg cannot be planned, when nobody moves for ``STALL_STEPS``
steps, or when time runs out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fleet.floor.model import Cell, FloorPlan
from fleet.traffic import PlanFailed, TrafficManager

STALL_STEPS = 100


@dataclass
class BaselineRun:
    """Positions per step (starts first) of every robot, and how the run ended."""

    history: list[list[Cell]]
    reason: str
    elapsed_s: float
    step_ms: list[float]
    goals_done: int = 0

    @property
    def solved(self) -> bool:
        return self.reason == "solved"


def _stepper(tm: TrafficManager, names: list[str], pos: list[Cell], index: list[int]
             ) -> Callable[[float], bool]:
    def step(now: float) -> bool:
        moved = False
        for i, name in enumerate(names):
            cells = tm.route_of(name).cells
            if index[i] < len(cells) - 1 and tm.released(name) > index[i]:
                index[i] += 1
                moved |= cells[index[i]] != pos[i]
                pos[i] = cells[index[i]]
                tm.reached(name, index[i], now=now)
                tm.release(now=now)
        tm.release(now=now)
        tm.resolve_deadlocks(now=now)
        return moved
    return step


def one_shot(plan: FloorPlan, starts: list[Cell], goals: list[Cell], *,
             time_limit_s: float, max_steps: int = 100_000) -> BaselineRun:
    t0 = time.perf_counter()
    tm = TrafficManager(plan, tick_s=1.0)
    names = [f"r{i}" for i in range(len(starts))]
    for name, cell in zip(names, starts, strict=True):
        tm.add_robot(name, cell, step_s=1.0, now=0.0)
    history = [list(starts)]

    def ended(reason: str) -> BaselineRun:
        return BaselineRun(history, reason, time.perf_counter() - t0, [])

    for i, name in enumerate(names):
        if time.perf_counter() - t0 > time_limit_s:
            return ended("time limit")
        try:
            tm.route(name, [goals[i]], now=0.0)
        except PlanFailed as exc:
            return ended(f"robot {i}: no plan ({exc})")
    tm.release(now=0.0)
    pos, index = list(starts), [0] * len(starts)
    step = _stepper(tm, names, pos, index)
    idle = 0
    for t in range(1, max_steps + 1):
        idle = 0 if step(float(t)) else idle + 1
        history.append(list(pos))
        if pos == goals and all(tm.leg_done(n) for n in names):
            return ended("solved")
        if idle >= STALL_STEPS:
            return ended(f"stalled (nobody moved for {STALL_STEPS} steps)")
        if time.perf_counter() - t0 > time_limit_s:
            return ended("time limit")
    return ended("step limit")


def lifelong(plan: FloorPlan, starts: list[Cell], task: Callable[[int, int], Cell], *,
             steps: int, time_limit_s: float,
             progress: Callable[[int], None] | None = None) -> BaselineRun:
    """Each robot is routed to its next task on arrival (retried next step when the
    leg cannot be planned); ``task(k, j)`` is robot k's j-th task."""
    t0 = time.perf_counter()
    tm = TrafficManager(plan, tick_s=1.0)
    n = len(starts)
    names = [f"r{i}" for i in range(n)]
    for name, cell in zip(names, starts, strict=True):
        tm.add_robot(name, cell, step_s=1.0, now=0.0)
    history = [list(starts)]
    pos, index = list(starts), [0] * n
    done_tasks = [0] * n
    routed = [False] * n
    step_ms: list[float] = []
    step = _stepper(tm, names, pos, index)
    run = BaselineRun(history, "done", 0.0, step_ms)
    for t in range(1, steps + 1):
        started = time.perf_counter()
        for i, name in enumerate(names):
            goal = task(i, done_tasks[i])
            if routed[i] and pos[i] == goal and tm.leg_done(name):
                done_tasks[i] += 1
                run.goals_done += 1
                routed[i] = False
                goal = task(i, done_tasks[i])
            if not routed[i]:
                try:
                    tm.route(name, [goal], now=float(t - 1))
                except PlanFailed:
                    continue
                index[i] = 0
                routed[i] = True
        tm.release(now=float(t - 1))
        step(float(t))
        step_ms.append((time.perf_counter() - started) * 1000.0)
        history.append(list(pos))
        if progress is not None:
            progress(t)
        if time.perf_counter() - t0 > time_limit_s:
            run.reason = "time limit"
            break
    run.elapsed_s = time.perf_counter() - t0
    return run
