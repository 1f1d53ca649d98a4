"""``fleet bench routes``: single-robot routing, each method beside a plain-Python baseline.

Per plan it times a distance field from one cell three ways (deque BFS, numpy
wavefront, scipy csgraph) and routes between random pairs of connected cells
three ways (deque BFS that stops at the goal, A* with Manhattan distance, A*
with an exact field). Each figure is the median of ``repeats`` runs; the ratio
column is baseline time / method time, so 10.0 means ten times faster. Every
method's answers are checked against the baseline's, and the row says so.

Rows are plain dicts of str/int/float/bool, ready for JSON and ``format_table``.
"""

from __future__ import annotations

import functools
import random
import statistics
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from scipy.sparse import csgraph

from fleet.floor.model import Cell, FloatGrid, FloorPlan
from fleet.routing.astar import astar
from fleet.routing.fields import bfs_field_python, distance_field, wavefront_field

Progress = Callable[[int, int], None]
Answer = tuple[int | None, int]
T = TypeVar("T")
FIELD_METHODS = ("python bfs", "numpy wavefront", "scipy csgraph")
ROUTE_METHODS = ("python bfs", "a* manhattan", "a* field", "a* field + field")


def bfs_route_python(plan: FloorPlan, start: Cell, goal: Cell) -> Answer:
    """Steps from start to goal (None if unreachable) and cells expanded: the route baseline."""
    seen = {start: 0}
    queue = deque([start])
    expanded = 0
    while queue:
        cell = queue.popleft()
        expanded += 1
        if cell == goal:
            return seen[cell], expanded
        for nxt in plan.neighbours(cell):
            if nxt not in seen:
                seen[nxt] = seen[cell] + 1
                queue.append(nxt)
    return None, expanded


def _median_ms(run: Callable[[], T], repeats: int) -> tuple[float, T]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times), result  # repeats >= 1, so result is bound


def _largest_component(plan: FloorPlan) -> npt.NDArray[np.intp]:
    """Cell indices of the largest strongly connected set of passable cells."""
    if not plan.passable.any():
        return np.array([], dtype=np.intp)
    _, labels = csgraph.connected_components(plan.graph, directed=True, connection="strong")
    labels = np.where(plan.passable.ravel(), labels, -1)
    counts = np.bincount(labels[labels >= 0])
    return np.flatnonzero(labels == int(counts.argmax()))


def run_route_bench(plans: Sequence[tuple[str, FloorPlan]], *, repeats: int, seed: int,
                    pairs: int = 20, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Time every method on every plan; one row per (plan, task, method)."""
    if repeats < 1 or pairs < 1:
        raise ValueError(f"repeats and pairs must be >= 1, got repeats={repeats}, pairs={pairs}")
    total = len(plans) * (len(FIELD_METHODS) + len(ROUTE_METHODS))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    rows: list[dict[str, Any]] = []
    for name, plan in plans:
        rows.extend(_bench_plan(name, plan, repeats=repeats, seed=seed, pairs=pairs, tick=tick))
    return rows


def _bench_plan(name: str, plan: FloorPlan, *, repeats: int, seed: int, pairs: int,
                tick: Callable[[], None]) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    component = _largest_component(plan)
    if len(component) < 2:
        raise ValueError(f"plan {name!r} has fewer than two connected passable cells")
    base = {"map": name, "cells": int(plan.passable.sum()), "repeats": repeats}
    rows: list[dict[str, Any]] = []

    source = plan.cell_at(int(component[rng.randrange(len(component))]))
    field_fns: dict[str, Callable[[], FloatGrid]] = {
        method: functools.partial(fn, plan, [source])
        for method, fn in zip(FIELD_METHODS, (bfs_field_python, wavefront_field, distance_field),
                              strict=True)
    }
    field_ms: dict[str, float] = {}
    fields: dict[str, FloatGrid] = {}
    for method, run_field in field_fns.items():
        field_ms[method], fields[method] = _median_ms(run_field, repeats)
        tick()
    for method in FIELD_METHODS:
        rows.append({**base, "task": "field from 1 cell", "method": method,
                     "ms": field_ms[method],
                     "vs_python": field_ms["python bfs"] / field_ms[method],
                     "expanded": int(np.isfinite(fields[method]).sum()),
                     "agrees": bool(np.array_equal(fields[method], fields["python bfs"]))})

    chosen = [rng.sample(range(len(component)), 2) for _ in range(pairs)]
    pair_cells = [(plan.cell_at(int(component[a])), plan.cell_at(int(component[b])))
                  for a, b in chosen]
    goal_fields = [distance_field(plan, [g], towards=True) for _, g in pair_cells]

    def python_bfs() -> list[Answer]:
        return [bfs_route_python(plan, s, g) for s, g in pair_cells]

    def manhattan() -> list[Answer]:
        return [_astar_stats(plan, s, g, None) for s, g in pair_cells]

    def with_field() -> list[Answer]:
        return [_astar_stats(plan, s, g, f)
                for (s, g), f in zip(pair_cells, goal_fields, strict=True)]

    def field_and_search() -> list[Answer]:
        return [_astar_stats(plan, s, g, distance_field(plan, [g], towards=True))
                for s, g in pair_cells]

    route_ms: dict[str, float] = {}
    answers: dict[str, list[Answer]] = {}
    for method, run in zip(ROUTE_METHODS, (python_bfs, manhattan, with_field, field_and_search),
                           strict=True):
        route_ms[method], answers[method] = _median_ms(run, repeats)
        tick()
    truth = [steps for steps, _ in answers["python bfs"]]
    for method in ROUTE_METHODS:
        rows.append({**base, "task": f"route x{pairs}", "method": method,
                     "ms": route_ms[method],
                     "vs_python": route_ms["python bfs"] / route_ms[method],
                     "expanded": sum(n for _, n in answers[method]),
                     "agrees": [s for s, _ in answers[method]] == truth})
    return rows


def _astar_stats(plan: FloorPlan, start: Cell, goal: Cell,
                 field: FloatGrid | None) -> Answer:
    result = astar(plan, start, goal, heuristic=field)
    return result.steps, result.expanded


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table of the rows, for the terminal and BENCHMARKS.md."""
    header = ["map", "cells", "task", "method", "ms", "x python", "expanded", "agrees"]
    lines = [header]
    for row in rows:
        lines.append([str(row["map"]), str(row["cells"]), str(row["task"]), str(row["method"]),
                      f"{row['ms']:.3f}", f"{row['vs_python']:.1f}x", str(row["expanded"]),
                      "yes" if row["agrees"] else "NO"])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {1, 4, 5, 6}

    def fmt(line: list[str]) -> str:
        cells = [c.rjust(w) if i in numeric else c.ljust(w)
                 for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2))
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(lines[0]), rule, *(fmt(line) for line in lines[1:])])
