"""MovingAI benchmark grids (``.map``), so planners can be compared with published
results on the same maps.

The format is a four-line header (``type octile``, ``height H``, ``width W``,
``map``) and then H rows of W characters. A benchmark cell is one robot: cells
are 1 m, the robot a disc of radius 0.5 m, so a free character is exactly one
passable cell and no inflation applies. Row 0 of the file is the north edge,
as in ``FloorPlan``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fleet.errors import FloorPlanError, Problem, Severity
from fleet.floor.compile import Samples, compile_plan
from fleet.floor.model import FloorPlan

PASSABLE = b".GS"
BLOCKED = b"@OTW"
CELL_SIZE = 1.0
ROBOT_RADIUS = 0.5
_MAX_REPORTED = 5  # a wholly wrong file would otherwise list every character

_FREE_LUT = np.zeros(256, dtype=bool)
_FREE_LUT[list(PASSABLE)] = True
_KNOWN_LUT = _FREE_LUT.copy()
_KNOWN_LUT[list(BLOCKED)] = True


def _header_int(lines: list[bytes], index: int, key: str, source: str) -> int:
    line = lines[index].strip() if index < len(lines) else b""
    parts = line.split()
    if len(parts) != 2 or parts[0].decode("ascii", "replace") != key or not parts[1].isdigit():
        raise FloorPlanError([Problem(
            Severity.ERROR, source,
            f"expected '{key} N' (a positive integer), found {line.decode('ascii', 'replace')!r}",
            f"line {index + 1}")])
    value = int(parts[1])
    if value < 1:
        raise FloorPlanError([Problem(Severity.ERROR, source, f"{key} must be at least 1",
                                      f"line {index + 1}")])
    return value


def _read_grid(path: Path) -> np.ndarray:
    """The passable grid (rows, cols), row 0 north; raises naming line and column."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FloorPlanError([Problem(Severity.ERROR, source, f"cannot read: {exc.strerror}")]
                             ) from exc
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    first = lines[0].strip().decode("ascii", "replace")
    if first != "type octile":
        raise FloorPlanError([Problem(
            Severity.ERROR, source, f"not a MovingAI map: expected 'type octile', found {first!r}",
            "line 1")])
    height = _header_int(lines, 1, "height", source)
    width = _header_int(lines, 2, "width", source)
    if len(lines) < 4 or lines[3].strip() != b"map":
        raise FloorPlanError([Problem(Severity.ERROR, source, "expected 'map' before the grid",
                                      "line 4")])
    rows = lines[4 : 4 + height]
    extra = [i for i, row in enumerate(lines[4 + height :], start=5 + height) if row.strip()]
    problems: list[Problem] = []
    if len(rows) < height:
        problems.append(Problem(Severity.ERROR, source,
                                f"the header says height {height} but only {len(rows)} rows follow",
                                f"line {4 + len(rows) + 1}"))
    if extra:
        problems.append(Problem(Severity.ERROR, source,
                                f"more rows than the header's height {height}", f"line {extra[0]}"))
    for number, row in enumerate(rows, start=5):
        if len(row) != width:
            problems.append(Problem(Severity.ERROR, source,
                                    f"row has {len(row)} characters, the header says width {width}",
                                    f"line {number}"))
    if problems:
        raise FloorPlanError(problems[:_MAX_REPORTED])

    chars = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(height, width)
    unknown = ~_KNOWN_LUT[chars]
    if unknown.any():
        for r, c in np.argwhere(unknown)[:_MAX_REPORTED]:
            char = bytes([chars[r, c]]).decode("ascii", "replace")
            problems.append(Problem(
                Severity.ERROR, source,
                f"unknown terrain {char!r}: passable is one of '.', 'G', 'S'; blocked one of "
                f"'@', 'O', 'T', 'W'", f"line {int(r) + 5}, column {int(c) + 1}"))
        raise FloorPlanError(problems)
    return np.asarray(_FREE_LUT[chars], dtype=bool)


def read_grid(path: Path) -> np.ndarray:
    """Only the passable cells of a ``.map`` (row 0 north), for planners that need no
    floor model; raises ``FloorPlanError`` naming the line at fault."""
    return _read_grid(path)


def load_movingai(path: Path) -> FloorPlan:
    """Compile a ``.map`` grid; raises ``FloorPlanError`` naming the line at fault."""
    free = _read_grid(path)
    samples = Samples(free=free, k=1, resolution=CELL_SIZE, origin=(0.0, 0.0), blocked=~free)
    plan, problems = compile_plan(name=path.stem, source=str(path), samples=samples,
                                  robot_radius=ROBOT_RADIUS)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise FloorPlanError(errors)
    return plan
