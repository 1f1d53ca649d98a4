"""``fleet bench mapf``: the PIBT/LaCAM core beside today's prioritised planner.

One-shot: MovingAI map + scenario, the first N agents; solved or not, wall
time, SoC/LB (sum of costs over the sum of each agent's own shortest path).
Lifelong: a LoRR 2023 instance for a number of steps; goals reached per step
and the time of one planning step (p50, p99).

Each (instance, planner) runs in its own process, forked from a server that
has the planners imported already, and is killed if it overruns its time limit
by ``GRACE_S``; the planners also watch the limit themselves, so a lifelong run
that runs out of time still reports the steps it made. Every plan is checked by
``fleet.traffic.plancheck`` in the worker, and the row says whether it passed.
The tables made of the rows are in ``mapf_tables``.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from fleet.bench.mapf_files import Cell, load_grid, read_lorr, read_scen

GRACE_S = 10.0
XYPath = list[list[int]]


@dataclass(frozen=True)
class OneShotJob:
    map_path: Path
    scen_path: Path
    agents: int
    planner: str
    time_limit_s: float
    seed: int = 0
    want_plan: bool = False
    refine_s: float = 0.0  # LNS after LaCAM's first plan, within the time limit
    guided: bool = True  # LaCAM's PIBT ranks moves by flow-priced guides (``guidance``)
    budget_s: float = 0.0  # first plan and LNS within this wall time, all counted
    good_enough: float | None = None  # with a budget: stop LNS at this SoC/LB


@dataclass(frozen=True)
class LifelongJob:
    lorr_path: Path
    steps: int
    planner: str
    time_limit_s: float
    seed: int = 0
    want_plan: bool = False
    guided: bool = True  # PIBT ranks moves by flow-priced guide tables (``guidance``)


Job = OneShotJob | LifelongJob


def _xy_paths(history: Sequence[Sequence[Cell]]) -> list[XYPath]:
    """Per-agent [x, y] lists from per-step (row, col) configurations."""
    n = len(history[0])
    return [[[c, r] for r, c in (cfg[i] for cfg in history)] for i in range(n)]


def _check(grid: Any, history: Sequence[Sequence[Cell]], starts: Sequence[Cell],
           goals: Sequence[Cell] | None) -> list[str]:
    from fleet.traffic.plancheck import plan_problems  # noqa: PLC0415

    paths = [[(x, y) for x, y in p] for p in _xy_paths(history)]
    return plan_problems(grid, paths, [(c, r) for r, c in starts],
                         None if goals is None else [(c, r) for r, c in goals])


def _sum_of_costs(history: Sequence[Sequence[Cell]], goals: Sequence[Cell]) -> int:
    total = 0
    for i, goal in enumerate(goals):
        t = len(history) - 1
        while t > 0 and history[t - 1][i] == goal:
            t -= 1
        total += t
    return total


def run_one_shot(job: OneShotJob) -> dict[str, Any]:
    """Plan one instance with one planner: the row, and the plan when asked for."""
    from fleet.traffic.gridgraph import DistanceTables, GridGraph  # noqa: PLC0415

    grid = load_grid(job.map_path)
    scen = read_scen(job.scen_path, grid, job.agents)
    row: dict[str, Any] = {"kind": "one-shot", "map": job.map_path.stem,
                           "scen": job.scen_path.stem, "agents": job.agents,
                           "planner": job.planner, "time_limit_s": job.time_limit_s}
    t0 = time.perf_counter()
    graph = GridGraph(grid)
    history: list[list[Cell]] | None
    if job.planner == "lacam":
        from fleet.traffic.lacam import GUIDE, solve  # noqa: PLC0415

        row["guided"] = job.guided

        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * job.agents + 1000))
        tables = DistanceTables(graph)
        starts = [graph.cell(*c) for c in scen.starts]
        goals = [graph.cell(*c) for c in scen.goals]
        if job.budget_s > 0:
            from fleet.traffic.lns import solve_within  # noqa: PLC0415

            # The budget counts from t0 too: the graph is part of the planner's work.
            built = time.perf_counter() - t0
            anytime = solve_within(graph, starts, goals, budget_s=job.budget_s - built,
                                   time_limit_s=job.time_limit_s - built, seed=job.seed,
                                   tables=tables, good_enough=job.good_enough,
                                   guide=GUIDE if job.guided else None)
            result = anytime.first
            configs = anytime.plan
            row.update(budget_s=job.budget_s, good_enough=job.good_enough,
                       first_s=built + result.elapsed_s)
            if result.plan is not None:
                row["soc_first"] = result.sum_of_costs(goals)
            if anytime.refined is not None:
                row.update(refine_s=anytime.refined.elapsed_s,
                           refine_rounds=anytime.refined.rounds,
                           refine_accepted=anytime.refined.accepted)
        else:
            result = solve(graph, starts, goals, time_limit_s=job.time_limit_s,
                           seed=job.seed, tables=tables, guide=GUIDE if job.guided else None)
            # Graph, distance tables and search: all of it is the planner's work.
            row["first_s"] = time.perf_counter() - t0
            configs = result.plan
        row.update(reason=result.reason, nodes=result.nodes, generated=result.generated,
                   attempts=result.attempts)
        if result.unpolished_cost is not None:
            row.update(soc_search=result.unpolished_cost, polish_s=result.polish_s,
                       polish_kept=result.polish_kept)
        if configs is not None and job.refine_s > 0 and job.budget_s <= 0:
            from fleet.traffic.lns import refine  # noqa: PLC0415

            row["soc_first"] = result.sum_of_costs(goals)
            budget = min(job.refine_s, job.time_limit_s - (time.perf_counter() - t0))
            refined = refine(graph, tables, configs, goals, time_limit_s=max(0.0, budget),
                             seed=job.seed)
            configs = refined.plan
            row.update(refine_s=refined.elapsed_s, refine_rounds=refined.rounds,
                       refine_accepted=refined.accepted)
        planned = time.perf_counter()  # the rest is the benchmark's own bookkeeping
        history = (None if configs is None
                   else [[graph.row_col(v) for v in cfg] for cfg in configs])
    else:
        from fleet.bench.mapf_baseline import one_shot  # noqa: PLC0415
        from fleet.floor.movingai import load_movingai  # noqa: PLC0415

        run = one_shot(load_movingai(job.map_path), scen.starts, scen.goals,
                       time_limit_s=job.time_limit_s)
        row["reason"] = run.reason
        history = run.history if run.solved else None
        planned = time.perf_counter()
    row["time_s"] = planned - t0
    row["solved"] = history is not None
    plan = None
    if history is not None:
        lower = _lower_bound(graph, scen.starts, scen.goals)
        soc = _sum_of_costs(history, scen.goals)
        problems = _check(grid, history, scen.starts, scen.goals)
        row.update(soc=soc, lb=lower, soc_lb=soc / lower if lower else 1.0,
                   makespan=len(history) - 1, valid=not problems, problems=problems[:3])
        if "soc_first" in row:
            row["soc_lb_first"] = row["soc_first"] / lower if lower else 1.0
        if "soc_search" in row:
            row["soc_lb_search"] = row["soc_search"] / lower if lower else 1.0
        if job.want_plan:
            plan = _xy_paths(history)
    return {"row": row, "plan": plan}


def _lower_bound(graph: Any, starts: Sequence[Cell], goals: Sequence[Cell]) -> int:
    """Sum of each agent's own shortest path, by scipy's Dijkstra rather than the
    planners' distance tables, so a fault in those cannot flatter SoC/LB."""
    import numpy as np  # noqa: PLC0415
    from scipy.sparse import csgraph  # noqa: PLC0415

    total = 0
    for k in range(0, len(goals), 64):
        chunk = [graph.cell(*g) for g in goals[k:k + 64]]
        dist = csgraph.shortest_path(graph.csr, directed=True, unweighted=True,
                                     indices=graph.compact[chunk])
        for row, s in zip(np.atleast_2d(dist), starts[k:k + 64], strict=True):
            total += int(row[graph.compact[graph.cell(*s)]])
    return total


def run_lifelong(job: LifelongJob) -> dict[str, Any]:
    """Run one LoRR instance for ``job.steps`` steps (or until the time limit)."""
    inst = read_lorr(job.lorr_path)
    n = len(inst.starts)
    row: dict[str, Any] = {"kind": "lifelong", "instance": job.lorr_path.stem, "agents": n,
                           "steps": job.steps, "planner": job.planner,
                           "time_limit_s": job.time_limit_s}
    if job.planner == "lacam":
        row["guided"] = job.guided
    t0 = time.perf_counter()
    if job.planner == "lacam":
        from fleet.traffic.gridgraph import GridGraph  # noqa: PLC0415
        from fleet.traffic.guidance import FlowGuide  # noqa: PLC0415
        from fleet.traffic.pibt import LifelongPibt  # noqa: PLC0415

        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n + 1000))
        graph = GridGraph(inst.grid)
        planner = LifelongPibt(graph, n, seed=job.seed,
                               guide=FlowGuide(graph, n) if job.guided else None)
        current = [graph.cell(*c) for c in inst.starts]
        done = [0] * n
        goals = [graph.cell(*inst.task(k, 0)) for k in range(n)]
        history = [list(inst.starts)]
        step_ms: list[float] = []
        reached = 0
        reason = "done"
        for _ in range(job.steps):
            started = time.perf_counter()
            current = planner.step(current, goals)
            step_ms.append((time.perf_counter() - started) * 1000.0)
            for k in range(n):
                if current[k] == goals[k]:
                    reached += 1
                    done[k] += 1
                    goals[k] = graph.cell(*inst.task(k, done[k]))
            history.append([graph.row_col(v) for v in current])
            if time.perf_counter() - t0 > job.time_limit_s:
                reason = "time limit"
                break
    else:
        from fleet.bench.mapf_baseline import lifelong  # noqa: PLC0415
        from fleet.floor.movingai import load_movingai  # noqa: PLC0415

        run = lifelong(load_movingai(inst.map_path), inst.starts, inst.task, steps=job.steps,
                       time_limit_s=job.time_limit_s)
        history, step_ms, reached, reason = run.history, run.step_ms, run.goals_done, run.reason
    made = len(history) - 1
    problems = _check(inst.grid, history, inst.starts, None)
    row.update(reason=reason, time_s=time.perf_counter() - t0, steps_done=made,
               goals=reached, throughput=reached / made if made else 0.0,
               p50_ms=_percentile(step_ms, 50), p99_ms=_percentile(step_ms, 99),
               valid=not problems, problems=problems[:3])
    return {"row": row, "plan": _xy_paths(history) if job.want_plan else None}


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _worker(conn: Connection, job: Job) -> None:
    try:
        out = run_one_shot(job) if isinstance(job, OneShotJob) else run_lifelong(job)
    except Exception as exc:  # reported as the row's reason, the run goes on
        out = {"error": f"{type(exc).__name__}: {exc}"}
    conn.send(out)
    conn.close()


def run_isolated(job: Job) -> dict[str, Any]:
    """Run ``job`` in a child process; a child past its limit + grace is killed."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["fleet.bench.mapf", "fleet.traffic.lacam",
                                "fleet.bench.mapf_baseline"])
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(sender, job), daemon=True)
    proc.start()
    sender.close()
    try:
        if receiver.poll(job.time_limit_s + GRACE_S):
            try:
                out: dict[str, Any] = receiver.recv()
            except EOFError:
                out = {"error": "the worker died"}
        else:
            out = {"error": f"killed after {job.time_limit_s + GRACE_S:g} s"}
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receiver.close()
    if "error" in out:
        return {"row": _failed_row(job, out["error"]), "plan": None}
    return out


def _failed_row(job: Job, reason: str) -> dict[str, Any]:
    if isinstance(job, OneShotJob):
        return {"kind": "one-shot", "map": job.map_path.stem, "scen": job.scen_path.stem,
                "agents": job.agents, "planner": job.planner, "solved": False,
                "reason": reason, "time_s": None, "time_limit_s": job.time_limit_s}
    return {"kind": "lifelong", "instance": job.lorr_path.stem, "planner": job.planner,
            "steps": job.steps, "steps_done": 0, "reason": reason, "valid": None,
            "time_limit_s": job.time_limit_s}


Progress = Callable[[int, int, str], None]


def run_jobs(jobs: Sequence[Job], *, plans_out: Path | None = None,
             progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every job in turn (one at a time: the timings are wall time); rows in job order."""
    rows: list[dict[str, Any]] = []
    for k, job in enumerate(jobs):
        if progress is not None:
            progress(k, len(jobs), _label(job))
        out = run_isolated(job)
        row = out["row"]
        if plans_out is not None and out["plan"] is not None:
            row["plan_file"] = str(_write_plan(plans_out, job, out["plan"]))
        rows.append(row)
    if progress is not None:
        progress(len(jobs), len(jobs), "done")
    return rows


def _label(job: Job) -> str:
    plain = "" if job.guided or job.planner != "lacam" else " unguided"
    if isinstance(job, OneShotJob):
        return f"{job.scen_path.stem} N={job.agents} {job.planner}{plain}"
    return f"{job.lorr_path.stem} {job.steps} steps {job.planner}{plain}"


def _write_plan(folder: Path, job: Job, paths: list[XYPath]) -> Path:
    import json  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    plain = "" if job.guided or job.planner != "lacam" else "-unguided"
    if isinstance(job, OneShotJob):
        name = f"{job.scen_path.stem}-{job.agents}-{job.planner}{plain}.json"
        map_file = job.map_path
    else:
        name = f"{job.lorr_path.stem}-{job.steps}-{job.planner}{plain}.json"
        map_file = read_lorr(job.lorr_path).map_path
    path = folder / name
    path.write_text(json.dumps({"map": str(map_file), "agents": paths},
                               separators=(",", ":")) + "\n", encoding="utf-8")
    return path
