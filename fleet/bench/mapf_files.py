"""The MAPF benchmark's instance files: MovingAI ``.scen`` and League of Robot Runners 2023.

Positions come out as (row, col) cells of the map, the way ``FloorPlan`` and
the planners number them; the ``.scen`` files say (x, y) = (col, row) and LoRR
files a linear ``row * width + col``. Every error names the file and the line,
since these files are edited and cut by hand for experiments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fleet.errors import BenchmarkFileError, FloorPlanError
from fleet.floor.movingai import read_grid

Cell = tuple[int, int]


def load_grid(path: Path) -> np.ndarray:
    """A ``.map`` file's passable cells; a malformed map is a ``BenchmarkFileError``."""
    try:
        return read_grid(path)
    except FloorPlanError as exc:
        raise BenchmarkFileError(str(exc)) from exc


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BenchmarkFileError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BenchmarkFileError(f"{path}: not a text file ({exc.reason})") from exc


def _free_cell(grid: np.ndarray, cell: Cell, where: str, what: str) -> Cell:
    rows, cols = grid.shape
    r, c = cell
    if not (0 <= r < rows and 0 <= c < cols):
        raise BenchmarkFileError(f"{where}: {what} (x={c}, y={r}) is off the "
                                 f"{cols}x{rows} map")
    if not grid[r, c]:
        raise BenchmarkFileError(f"{where}: {what} (x={c}, y={r}) is a blocked cell")
    return cell


@dataclass(frozen=True)
class Scenario:
    """The first ``agents`` start/goal pairs of a ``.scen`` file (the benchmark's
    convention for an instance with that many agents)."""

    path: Path
    map_name: str
    starts: list[Cell]
    goals: list[Cell]


def read_scen(path: Path, grid: np.ndarray, agents: int) -> Scenario:
    """Read the first ``agents`` lines; raises if the file has fewer or a line is bad."""
    lines = _lines(path)
    if not lines or not re.fullmatch(r"version\s+1(\.0)?", lines[0].strip()):
        raise BenchmarkFileError(f"{path}, line 1: expected 'version 1', found "
                                 f"{(lines[0] if lines else '')!r}")
    rows, cols = grid.shape
    starts: list[Cell] = []
    goals: list[Cell] = []
    map_name = ""
    for number, line in enumerate(lines[1:], start=2):
        if len(starts) == agents:
            break
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        fields = line.split("\t")
        if len(fields) != 9:
            fields = line.split()
        if len(fields) != 9:
            raise BenchmarkFileError(f"{where}: expected 9 fields (bucket map width height "
                                     f"start_x start_y goal_x goal_y length), found "
                                     f"{len(fields)}")
        try:
            width, height, sx, sy, gx, gy = (int(f) for f in fields[2:8])
        except ValueError:
            raise BenchmarkFileError(f"{where}: width, height and coordinates must be "
                                     f"integers, found {fields[2:8]}") from None
        if (width, height) != (cols, rows):
            raise BenchmarkFileError(f"{where}: the scenario is for a {width}x{height} map, "
                                     f"the map is {cols}x{rows}")
        map_name = fields[1]
        starts.append(_free_cell(grid, (sy, sx), where, "start"))
        goals.append(_free_cell(grid, (gy, gx), where, "goal"))
    if len(starts) < agents:
        raise BenchmarkFileError(f"{path}: asked for {agents} agents, the file has "
                                 f"{len(starts)}")
    for name, cells in (("start", starts), ("goal", goals)):
        seen: dict[Cell, int] = {}
        for i, cell in enumerate(cells):
            if cell in seen:
                raise BenchmarkFileError(f"{path}: agents {seen[cell]} and {i} share the "
                                         f"{name} (x={cell[1]}, y={cell[0]})")
            seen[cell] = i
    return Scenario(path, map_name, starts, goals)


@dataclass(frozen=True)
class LorrInstance:
    """A lifelong instance: agents' start cells and the task list, handed out round
    robin (agent k's j-th task is ``tasks[(j * agents + k) % len(tasks)]``), one task
    revealed at a time, as the 2023 start kit's ``InfAssignSystem`` did."""

    path: Path
    map_path: Path
    grid: np.ndarray
    starts: list[Cell]
    tasks: list[Cell]
    steps: int | None  # from simulation_time.json beside it, when present

    def task(self, agent: int, j: int) -> Cell:
        return self.tasks[(j * len(self.starts) + agent) % len(self.tasks)]


def _linear_cells(path: Path, grid: np.ndarray, what: str) -> list[Cell]:
    lines = _lines(path)
    if not lines or not lines[0].strip().isdigit():
        raise BenchmarkFileError(f"{path}, line 1: expected the number of {what}s, found "
                                 f"{(lines[0] if lines else '')!r}")
    count = int(lines[0])
    body = [(n, line.strip()) for n, line in enumerate(lines[1:], start=2) if line.strip()]
    if len(body) < count:
        raise BenchmarkFileError(f"{path}: line 1 announces {count} {what}s, "
                                 f"{len(body)} follow")
    rows, cols = grid.shape
    cells: list[Cell] = []
    for number, text in body[:count]:
        if not text.lstrip("-").isdigit():
            raise BenchmarkFileError(f"{path}, line {number}: expected a cell number "
                                     f"(row * width + col), found {text!r}")
        r, c = divmod(int(text), cols)
        if int(text) < 0 or r >= rows:
            raise BenchmarkFileError(f"{path}, line {number}: cell {text} is off the "
                                     f"{cols}x{rows} map")
        cells.append(_free_cell(grid, (r, c), f"{path}, line {number}", what))
    return cells


def read_lorr(path: Path) -> LorrInstance:
    """Read an instance ``.json`` and the map, agents and tasks files it names."""
    text = "\n".join(_lines(path))
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchmarkFileError(f"{path}, line {exc.lineno}: not JSON: {exc.msg}") from exc
    if not isinstance(spec, dict):
        raise BenchmarkFileError(f"{path}: expected a JSON object")
    missing = [k for k in ("mapFile", "agentFile", "teamSize", "taskFile") if k not in spec]
    if missing:
        raise BenchmarkFileError(f"{path}: missing key {missing[0]!r}")
    strategy = spec.get("taskAssignmentStrategy", "roundrobin")
    if strategy != "roundrobin":
        raise BenchmarkFileError(f"{path}: taskAssignmentStrategy {strategy!r} is not "
                                 f"supported (only 'roundrobin')")
    if spec.get("numTasksReveal", 1) != 1:
        raise BenchmarkFileError(f"{path}: numTasksReveal must be 1")
    team = spec["teamSize"]
    if not isinstance(team, int) or team < 1:
        raise BenchmarkFileError(f"{path}: teamSize must be a positive integer, got {team!r}")
    base = path.parent
    map_path = base / str(spec["mapFile"])
    grid = load_grid(map_path)
    starts = _linear_cells(base / str(spec["agentFile"]), grid, "agent")
    if len(starts) < team:
        raise BenchmarkFileError(f"{path}: teamSize {team} but the agents file has "
                                 f"{len(starts)}")
    starts = starts[:team]
    if len(set(starts)) != len(starts):
        raise BenchmarkFileError(f"{path}: two agents start on one cell")
    tasks = _linear_cells(base / str(spec["taskFile"]), grid, "task")
    if not tasks:
        raise BenchmarkFileError(f"{path}: the task file lists no tasks")
    return LorrInstance(path, map_path, grid, starts, tasks, _steps_beside(path))


def _steps_beside(path: Path) -> int | None:
    """The simulation length of ``MR23-I-05.json`` is key ``I-05`` of
    ``simulation_time.json`` in the same folder."""
    table = path.parent / "simulation_time.json"
    match = re.search(r"(I-\d+)$", path.stem)
    if match is None or not table.is_file():
        return None
    try:
        steps = json.loads(table.read_text(encoding="utf-8")).get(match.group(1))
    except (OSError, json.JSONDecodeError, AttributeError) as exc:
        raise BenchmarkFileError(f"{table}: cannot read the simulation lengths: {exc}") from exc
    return steps if isinstance(steps, int) and steps > 0 else None
