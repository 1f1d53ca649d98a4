"""An independent check of a multi-robot plan, written apart from the planners on purpose.

It shares no code with ``gridgraph``, ``pibt`` or ``lacam``: a bug in how
they number cells or find neighbours must not be able to hide itself here.
Positions are ``(x, y)`` = (column, row), as in the benchmark files and in
``fleet bench mapf --plans-out``, so a saved plan can be checked as it is.

The rules are the standard MAPF ones: one unit step per entry, each step stays
or moves to one of the four neighbouring cells, every cell on the grid and
free; no two robots in one cell at one time (vertex conflict), no two robots
trading cells in one step (swap conflict); each path starts on its start and
ends on its goal. Paths shorter than the longest are taken to stay on their
last cell, so a robot that has arrived still counts as standing there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

XY = tuple[int, int]


def plan_problems(passable: npt.NDArray[np.bool_], paths: Sequence[Sequence[XY]],
                  starts: Sequence[XY] | None = None, goals: Sequence[XY] | None = None,
                  *, limit: int = 20) -> list[str]:
    """Every rule the plan breaks (at most ``limit``), each naming robot, step and cell;
    an empty list means the plan is valid."""
    problems: list[str] = []
    height, width = passable.shape

    def report(text: str) -> bool:
        problems.append(text)
        return len(problems) >= limit

    if starts is not None and len(starts) != len(paths):
        return [f"{len(paths)} paths for {len(starts)} starts"]
    if goals is not None and len(goals) != len(paths):
        return [f"{len(paths)} paths for {len(goals)} goals"]
    if any(len(p) == 0 for p in paths):
        return [f"robot {next(i for i, p in enumerate(paths) if len(p) == 0)} has an empty path"]
    horizon = max((len(p) for p in paths), default=0)

    def at(robot: int, t: int) -> XY:
        path = paths[robot]
        x, y = path[min(t, len(path) - 1)]
        return int(x), int(y)

    for i, path in enumerate(paths):
        if starts is not None and tuple(path[0]) != tuple(starts[i]) and report(
                f"robot {i} starts at {tuple(path[0])}, not on its start {tuple(starts[i])}"):
            return problems
        if goals is not None and tuple(path[-1]) != tuple(goals[i]) and report(
                f"robot {i} ends at {tuple(path[-1])}, not on its goal {tuple(goals[i])}"):
            return problems
        for t, (x, y) in enumerate(path):
            on_grid = 0 <= x < width and 0 <= y < height
            if (not on_grid or not passable[y, x]) and report(
                    f"robot {i} at step {t} is on {(x, y)}, which is blocked or off the "
                    f"{width}x{height} grid"):
                return problems
        for t in range(1, len(path)):
            (x0, y0), (x1, y1) = path[t - 1], path[t]
            if abs(x1 - x0) + abs(y1 - y0) > 1 and report(
                    f"robot {i} jumps from {(x0, y0)} to {(x1, y1)} at step {t}"):
                return problems

    for t in range(horizon):
        where: dict[XY, int] = {}
        for i in range(len(paths)):
            cell = at(i, t)
            other = where.setdefault(cell, i)
            if other != i and report(f"robots {other} and {i} both on {cell} at step {t}"):
                return problems
        if t == 0:
            continue
        before = {at(i, t - 1): i for i in range(len(paths))}
        for i in range(len(paths)):
            src, dst = at(i, t - 1), at(i, t)
            if src == dst:
                continue
            j = before.get(dst)
            if j is not None and j > i and at(j, t) == src and report(
                    f"robots {i} and {j} swap {src} and {dst} at step {t}"):
                return problems
    return problems
