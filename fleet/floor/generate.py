"""Restaurant floors nobody tuned the controller to, made from a seed.

A controller that serves only the floors it was developed on is not done. This
module draws plausible dining rooms in the vector plan format, each from a seed,
so tests and ``fleet bench floors`` can try dispatch and traffic on floors no one
looked at first. Styles:

- ``bistro``: rows of 2- and 4-tops off a service corridor along the kitchen, aisles
  1.0-1.4 m, cross aisles at the west end and often in the middle or east end;
- ``narrow``: the same with side aisles of 0.8-0.9 m that end in dead ends (one cross
  aisle only), and a private room behind a single door;
- ``food-court``: a hall with two to four stalls along the kitchen wall, each its own
  pass, islands of 4- and 6-tops with aisles in both directions.

Every floor has a pass counter with spots 0.45 m in front of it (as kitchens draw
them), a dish return, and a dock bay off the corridor with chargers and parking out
of every aisle. A generated floor is compiled and checked before it is returned:
tables whose spot cannot be reached or that crowd another are dropped (so it always
passes ``fleet map check`` without errors), and the same seed gives the same floor.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from fleet.errors import FloorPlanError, Problem, Severity
from fleet.floor.model import FloorPlan
from fleet.floor.schema import (
    Obstacle,
    Outline,
    PlanFile,
    PlanHeader,
    Station,
    Table,
    Wall,
)
from fleet.floor.validate import validate_plan
from fleet.floor.vector import compile_vector

STYLES = ("bistro", "narrow", "food-court")

Rect = tuple[float, float, float, float]


@dataclass(slots=True)
class _Floor:
    """A floor being drawn (metres, x east, y north)."""

    name: str
    width: float
    depth: float
    walls: list[Wall] = field(default_factory=list)
    obstacles: list[Obstacle] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    stations: list[Station] = field(default_factory=list)

    def table(self, rect: Rect, seats: int, spot: tuple[float, float]) -> None:
        name = f"T{len(self.tables) + 1}"
        self.tables.append(Table(name=name, seats=seats, rect=_r(rect), spots=[_p(spot)]))

    def doc(self, robot_radius: float) -> PlanFile:
        return PlanFile(
            plan=PlanHeader(name=self.name, robot_radius=robot_radius),
            outline=Outline(polygon=[(0.0, 0.0), (self.width, 0.0),
                                     (self.width, self.depth), (0.0, self.depth)]),
            walls=self.walls, obstacles=self.obstacles, tables=self.tables,
            stations=self.stations)


def _q(v: float) -> float:
    return round(v, 2)


def _r(rect: Rect) -> tuple[float, float, float, float]:
    return (_q(rect[0]), _q(rect[1]), _q(rect[2]), _q(rect[3]))


def _p(p: tuple[float, float]) -> tuple[float, float]:
    return (_q(p[0]), _q(p[1]))


def _kitchen(f: _Floor, rng: random.Random, *, stalls: int) -> float:
    """The kitchen along the north wall, its pass counter(s) and dish return, the dock
    bay at its west end. Returns the y of the corridor's south edge."""
    kitchen_d = rng.uniform(2.0, 3.0)
    counter_y = f.depth - kitchen_d  # counter's north face
    counter_s = counter_y - 0.4  # its south face, where the corridor starts
    corridor = rng.uniform(1.3, 1.7)
    homes = rng.randint(3, 5) if stalls == 1 else rng.randint(5, 8)
    bay_w = 0.7 * homes + 0.3
    f.obstacles.append(Obstacle(name="kitchen", kind="other",
                                rect=_r((bay_w, counter_y, f.width, f.depth))))
    spot_y = counter_s - 0.45
    x = bay_w + rng.uniform(0.8, 1.5)
    span = (f.width - x - 0.5) / stalls
    for s in range(stalls):
        x0 = x + s * span
        x1 = x0 + min(span - 0.6, rng.uniform(3.0, 4.5))
        counter = _r((x0, counter_s, x1, counter_y))
        f.obstacles.append(Obstacle(name=f"counter {s + 1}", kind="counter", rect=counter))
        n_spots = max(1, min(3, int((x1 - x0) / 1.1)))
        step = (x1 - x0) / (n_spots + 1)
        spots = [_p((x0 + step * (i + 1), spot_y)) for i in range(n_spots)]
        if stalls == 1:
            f.stations.append(Station(name="pass", kind="pass", rect=counter, spots=spots))
        else:
            name = f"stall {s + 1}"
            f.stations.append(Station(name=name, kind="pass", rect=counter, spots=spots,
                                      group=name))
    # The dish return at the east end of the last counter's run of wall.
    rx = min(f.width - 1.0, x + stalls * span - 0.3)
    f.obstacles.append(Obstacle(name="dish window", kind="counter",
                                rect=_r((rx - 0.6, counter_s, rx + 0.6, counter_y))))
    f.stations.append(Station(name="dish return", kind="dish_return",
                              spots=[_p((rx, spot_y))]))
    # Dock bay: chargers and parking in one row along its north wall, north of the
    # corridor: no robot at home stands in anyone's way, nor in front of another
    # home (a parking row before the chargers sealed them in).
    chargers = max(2, homes // 2)
    for i in range(homes):
        spot = (0.5 + 0.7 * i, f.depth - 0.45)
        if i < chargers:
            f.stations.append(Station(name=f"dock {i + 1}", kind="charger", spots=[_p(spot)]))
        else:
            f.stations.append(Station(name=f"bay {i + 1 - chargers}", kind="parking",
                                      spots=[_p(spot)]))
    return counter_s - corridor


def _rows(f: _Floor, rng: random.Random, top: float, *, aisles: tuple[float, float],
          cross: list[tuple[float, float]], room: Rect | None) -> None:
    """Rows of tables from the south wall up to ``top``, each served from the aisle on
    its north side; ``cross`` are the (x0, x1) of north-south aisles kept clear."""
    y = 0.0
    while True:
        depth = rng.choice((0.7, 0.8, 0.9))
        aisle = rng.uniform(*aisles)
        if y + depth + aisle > top + 0.01:
            break
        spot_y = y + depth + aisle / 2
        last = top - (y + depth) < 1.9  # the row whose aisle is the corridor itself
        if last:
            spot_y = y + depth + 0.45
        _fill_row(f, rng, (y, y + depth), spot_y, cross=cross, room=room)
        y += depth + aisle
        if last:
            break


def _fill_row(f: _Floor, rng: random.Random, band: tuple[float, float], spot_y: float, *,
              cross: list[tuple[float, float]], room: Rect | None) -> None:
    x = 0.0
    limits = [*sorted(cross), (f.width, f.width)]
    for x0, x1 in limits:
        while True:
            w = rng.choice((0.7, 0.8, 1.0, 1.2, 1.4))
            gap = rng.choice((0.0, 0.2, 0.4, 0.6))
            if x + gap + w > x0 - 0.05:
                break
            rect = (x + gap, band[0], x + gap + w, band[1])
            if room is None or not _overlaps(rect, room, 0.3):
                seats = 2 if w < 0.9 else 4 if w < 1.3 else 6
                f.table(rect, seats, ((rect[0] + rect[2]) / 2, spot_y))
            x = rect[2]
        x = x1


def _overlaps(a: Rect, b: Rect, margin: float) -> bool:
    return not (a[2] + margin <= b[0] or b[2] + margin <= a[0]
                or a[3] + margin <= b[1] or b[3] + margin <= a[1])


def _private_room(f: _Floor, rng: random.Random, top: float) -> Rect:
    """A room in the south-east corner behind one door in its west wall."""
    w = rng.uniform(3.2, 4.5)
    h = min(top - 1.5, rng.uniform(3.0, 4.0))
    x0 = f.width - w
    door = rng.uniform(0.9, 1.1)
    door_y = rng.uniform(0.6, h - door - 0.3)
    f.walls.append(Wall(name="private room", thickness=0.12,
                        points=[_p((x0, 0.0)), _p((x0, door_y))]))
    f.walls.append(Wall(name="private room", thickness=0.12,
                        points=[_p((x0, door_y + door)), _p((x0, h)), _p((f.width, h))]))
    table = (x0 + 1.2, 0.8, f.width - 0.9, min(h - 0.9, 0.8 + 1.0))
    f.table(table, 8, ((table[0] + table[2]) / 2, table[3] + 0.5))
    return (x0, 0.0, f.width, h)


def _islands(f: _Floor, rng: random.Random, top: float) -> None:
    """Food-court islands: 4- and 6-tops in a grid, aisles both ways."""
    aisle = rng.uniform(1.1, 1.8)
    y = aisle * 0.6
    while y + 1.0 + aisle < top:
        x = rng.uniform(1.0, 2.0)
        depth = rng.choice((0.8, 1.0))
        while x + 1.6 < f.width - 0.6:
            w = rng.choice((0.9, 1.2, 1.6))
            rect = (x, y, x + w, y + depth)
            seats = 4 if w < 1.5 else 6
            north = rng.random() < 0.5
            spot = ((rect[0] + rect[2]) / 2,
                    rect[3] + aisle / 2 if north else rect[1] - min(aisle / 2, 0.6))
            f.table(rect, seats, spot)
            x += w + rng.uniform(1.0, 1.8)
        y += depth + aisle


def _draw(seed: int, style: str) -> _Floor:
    rng = random.Random(f"{style}:{seed}")
    if style == "food-court":
        f = _Floor(f"food-court-{seed}", _q(rng.uniform(24, 36)), _q(rng.uniform(16, 24)))
        top = _kitchen(f, rng, stalls=rng.randint(2, 4))
        _islands(f, rng, top)
        return f
    f = _Floor(f"{style}-{seed}", _q(rng.uniform(13, 22)), _q(rng.uniform(10, 15)))
    top = _kitchen(f, rng, stalls=1)
    if style == "narrow":
        room = _private_room(f, rng, top) if rng.random() < 0.8 else None
        cross = [(0.0, rng.uniform(1.0, 1.3))]
        _rows(f, rng, top, aisles=(0.8, 0.95), cross=cross, room=room)
        return f
    west = rng.uniform(1.1, 1.5)
    cross = [(0.0, west)]
    if rng.random() < 0.6:
        mid = rng.uniform(0.4, 0.6) * f.width
        cross.append((mid, mid + rng.uniform(1.0, 1.3)))
    if rng.random() < 0.5:
        cross.append((f.width - rng.uniform(1.0, 1.3), f.width))
    _rows(f, rng, top, aisles=(1.0, 1.4), cross=cross, room=None)
    return f


def generate_floor(seed: int, style: str = "bistro", *, robot_radius: float = 0.25,
                   ) -> tuple[PlanFile, FloorPlan]:
    """The floor of ``style`` drawn from ``seed``, as a plan document and compiled for
    robots of ``robot_radius``; it passes validation without errors (see the module
    docstring)."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLES)}")
    f = _draw(seed, style)
    source = f"generated:{style}:{seed}"
    for _ in range(20):
        doc = f.doc(robot_radius)
        plan, problems = compile_vector(doc, source)
        if plan is not None:
            problems = problems + validate_plan(plan)
        bad = {p.place for p in problems if p.severity is Severity.ERROR}
        if plan is not None and not bad:
            return doc, plan
        drop = {t.name for t in f.tables if t.name in bad}
        if not drop or len(drop) == len(f.tables):
            raise FloorPlanError([p for p in problems if p.severity is Severity.ERROR])
        f.tables = [t for t in f.tables if t.name not in drop]
    raise FloorPlanError([Problem(Severity.ERROR, source, "could not repair the floor")])


def plan_toml(doc: PlanFile) -> str:
    """The plan in the vector TOML format ``fleet map check`` reads."""
    out = [f"# A generated floor ({doc.plan.name}); see fleet/floor/generate.py.",
           "[plan]", f'name = "{doc.plan.name}"',
           f"resolution = {doc.plan.resolution}", f"robot_radius = {doc.plan.robot_radius}",
           "", "[outline]", f"polygon = {_list(doc.outline.polygon if doc.outline else [])}"]
    for w in doc.walls:
        out += ["", "[[walls]]", f'name = "{w.name}"', f"thickness = {w.thickness}",
                f"points = {_list(w.points)}"]
    for o in doc.obstacles:
        out += ["", "[[obstacles]]", f'name = "{o.name}"', f'kind = "{o.kind}"',
                f"rect = {_list(o.rect)}"]
    for t in doc.tables:
        out += ["", "[[tables]]", f'name = "{t.name}"', f"seats = {t.seats}",
                f"rect = {_list(t.rect)}", f"spots = {_list(t.spots)}"]
    for st in doc.stations:
        out += ["", "[[stations]]", f'name = "{st.name}"', f'kind = "{st.kind}"']
        if st.group:
            out.append(f'group = "{st.group}"')
        if st.rect:
            out.append(f"rect = {_list(st.rect)}")
        out.append(f"spots = {_list(st.spots)}")
    return "\n".join(out) + "\n"


def _list(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_list(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(round(value, 3))
    return str(value)
