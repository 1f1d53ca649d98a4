"""An end-to-end rig: the real controller, runtime, in-process links and simulated
robots on a small floor, with the referee watching, on a virtual clock.

A test builds a floor (``floor``), says where robots start, and hands ``run_rig``
a coroutine that drives the scene through the runtime as a POS or a manager
would and waits (on virtual time, so for free) for what it expects. The rig
fails the test when any loop callback raised or, unless told otherwise, when the
referee saw a violation. The referee also keeps a ground-truth trace of every
move, for tests that ask who stood where and when.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeVar

from planbuild import cell_centre, grid_from_text
from simkit import MODEL, run_checked
from sitebase import SiteView, run_scene

from fleet.controller.core import Controller
from fleet.controller.robots import RobotRecord
from fleet.dispatch import make_policy
from fleet.domain import RobotModel
from fleet.floor.compile import PlaceSpec, Samples, compile_plan
from fleet.floor.model import Cell, FloorPlan, PlaceKind
from fleet.intake import DishRequest, OrderRequest
from fleet.routing import precompute_fields
from fleet.runtime import FleetRuntime
from fleet.store import MemoryStore
from fleet.traffic import TrafficManager
from sim.inproc import InProcLink
from sim.referee import Referee
from sim.robot import SimRobot
from sim.world import World

T = TypeVar("T")

ONE_TRAY = RobotModel(name="one-tray", manufacturer="fleet-sim", trays=1, speed=1.0,
                      acceleration=0.5, turn_time=1.0, capacity_wh=500.0, drive_w=90.0,
                      idle_w=15.0, charge_w=250.0, low_percent=25.0, full_percent=95.0)
"""One dish a trip: which robot carries which dish stays simple to reason about."""

PlaceCells = tuple[PlaceKind, Sequence[Cell]]


def floor(picture: str, places: Mapping[str, PlaceCells], *, name: str = "e2e",
          resolution: float = 0.5) -> FloorPlan:
    """A plan from a picture (``#`` blocked), with places of any kind at given cells."""
    grid = grid_from_text(picture)
    rows = grid.shape[0]
    specs = [PlaceSpec(name=n, kind=kind, seats=4 if kind is PlaceKind.TABLE else 0,
                       spots=tuple(cell_centre(c, rows, resolution) for c in cells))
             for n, (kind, cells) in places.items()]
    plan, problems = compile_plan(
        name=name, source=f"<{name}>",
        samples=Samples(free=grid.copy(), k=1, resolution=resolution, origin=(0.0, 0.0),
                        blocked=~grid),
        robot_radius=0.2, places=specs)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValueError("; ".join(str(p) for p in errors))
    return plan


@dataclass(frozen=True, slots=True)
class Move:
    """A move as ground truth saw it start."""

    at: float
    serial: str
    src: Cell
    dst: Cell


class TraceReferee(Referee):
    """A counting referee that also keeps every move it was shown."""

    def __init__(self, plan: FloorPlan) -> None:
        super().__init__(plan)
        self.trace: list[Move] = []

    def move_started(self, now: float, serial: str, src: Cell, dst: Cell, *, node_id: str,
                     released: bool, occupants: Callable[[Cell], tuple[str, ...]],
                     move_of: Callable[[str], tuple[Cell, Cell] | None]) -> None:
        self.trace.append(Move(now, serial, src, dst))
        super().move_started(now, serial, src, dst, node_id=node_id, released=released,
                             occupants=occupants, move_of=move_of)


@dataclass
class Rig(SiteView):
    """Waits (``until``) run on virtual time, so they cost nothing."""

    wait_s: ClassVar[float] = 600.0
    poll_s: ClassVar[float] = 0.1
    plan: FloorPlan
    world: World
    referee: TraceReferee
    robots: dict[str, SimRobot]
    controller: Controller
    runtime: FleetRuntime
    traffic: TrafficManager
    _orders: int = field(default=0)

    # -- intake, as the POS -------------------------------------------------------------
    async def order(self, table: str, *, order_id: str | None = None, trays: int = 1,
                    dishes: int = 1, pass_place: str | None = None,
                    ready: bool = True) -> str:
        """Submit an order of ``dishes`` dishes for ``table`` and, by default, mark them ready."""
        self._orders += 1
        oid = order_id or f"O{self._orders}"
        request = OrderRequest(order_id=oid, table=table, dishes=tuple(
            DishRequest(name=f"dish{i + 1}", trays=trays, pass_place=pass_place)
            for i in range(dishes)))
        await self.runtime.submit(request)
        if ready:
            for i in range(dishes):
                await self.runtime.mark_ready(oid, i)
        return oid

    # -- what the controller believes (more in ``SiteView``) -----------------------------
    def all_final(self) -> bool:
        return all(d.state.final for d in self.dishes)

    # -- ground truth ---------------------------------------------------------------------
    def moves_of(self, serial: str, since: float = float("-inf")) -> list[Move]:
        return [m for m in self.referee.trace if m.serial == serial and m.at >= since]

    def visited(self, serial: str) -> set[Cell]:
        return {m.dst for m in self.moves_of(serial)}

    def _leg(self, rec: RobotRecord) -> str:
        leg = rec.leg
        if leg is None:
            return ""
        end = leg.cells[-1]
        done = "done" if self.traffic.leg_done(rec.serial) else "not done"
        return f" leg={leg.order_id} to r{end[0]}c{end[1]} ({done})"

    def describe(self) -> str:
        lines = []
        for serial, robot in sorted(self.robots.items()):
            rec = self.record(serial)
            lines.append(f"  {serial}: at r{robot.cell[0]}c{robot.cell[1]} "
                         f"mode={rec.mode.value} trip={rec.trip.trip_id if rec.trip else None} "
                         f"loads={sorted(robot.loads)} battery={robot.battery:.1f} "
                         f"note={rec.note!r}" + self._leg(rec))
        for d in self.dishes:
            lines.append(f"  {d.dish_id} -> {d.table}: {d.state.value} {d.reason!r}")
        lines += [f"  violation: {v}" for v in self.referee.violations]
        return "\n".join(lines)


Scene = Callable[[Rig], Awaitable[T]]


def run_rig(plan: FloorPlan, starts: Mapping[str, Cell], scene: Scene[T], *,
            model: RobotModel = MODEL, batteries: Mapping[str, float] | None = None,
            seed: int = 1, staff_load_s: Callable[[], float] | None = None,
            guest_take_s: Callable[[], float] | None = None,
            guest_absent: Callable[[], bool] | None = None,
            guest_timeout_s: float = 90.0,
            policy: Literal["fleet", "baseline"] = "fleet",
            allow_violations: bool = False, minimal: bool = False, lag_s: float = 0.0) -> T:
    """Build the whole chain on ``plan``, run ``scene`` on a virtual clock, tear down.

    People default to fixed times (staff 4 s a tray, guests 10 s, always there)
    so a scene is exact; pass the hooks to vary them. ``minimal``: the robots behave
    as minimal third-party vehicles (``sim.acceptance``). ``lag_s``: every message
    on the robots' links arrives that many seconds late (``InProcLink``).
    """

    async def main() -> T:
        fields = precompute_fields(plan)
        traffic = TrafficManager(plan, fields=fields)
        controller = Controller(plan, dict.fromkeys(starts, model),
                                policy=make_policy(policy), store=MemoryStore(),
                                fields=fields, traffic=traffic,
                                guest_timeout_s=guest_timeout_s)
        referee = TraceReferee(plan)
        world = World(plan, seed=seed, referee=referee,
                      staff_load_s=staff_load_s or (lambda: 4.0),
                      guest_take_s=guest_take_s or (lambda: 10.0),
                      guest_absent=guest_absent or (lambda: False))
        robots = {serial: SimRobot(serial, model, world, cell, seed=seed * 100 + i,
                                   battery=(batteries or {}).get(serial, 100.0),
                                   minimal=minimal)
                  for i, (serial, cell) in enumerate(starts.items())}
        runtime = FleetRuntime(controller, [InProcLink(r, lag_s=lag_s)
                                            for r in robots.values()])
        rig = Rig(plan, world, referee, robots, controller, runtime, traffic)
        try:
            outcome = await run_scene(runtime, scene(rig))
        finally:
            for robot in robots.values():
                robot.close()
        if not allow_violations:
            assert referee.violations == [], "\n".join(str(v) for v in referee.violations)
        return outcome

    return run_checked(main())


ROOM = """
............
............
............
............
............
"""


def small_room() -> FloorPlan:
    """Twelve by five cells of open floor: a pass with two spots, three tables, a
    dish return and a charger."""
    return floor(ROOM, {"pass": (PlaceKind.PASS, [(0, 0), (1, 0)]),
                        "return": (PlaceKind.DISH_RETURN, [(4, 0)]),
                        "charger": (PlaceKind.CHARGER, [(4, 5)]),
                        "table-1": (PlaceKind.TABLE, [(0, 11)]),
                        "table-2": (PlaceKind.TABLE, [(4, 11)]),
                        "table-3": (PlaceKind.TABLE, [(0, 6)])}, name="small-room")


BLOCKS = """
..............
..##..##..##..
..............
..##..##..##..
..............
"""
STARTS: tuple[Cell, ...] = ((1, 0), (0, 0), (4, 13), (2, 0))


def blocks(*, parking: bool = True) -> FloorPlan:
    """Aisles between three rows of blocks. With ``parking``, every robot has a spot
    out of the way (pass, charger or parking) to wait in."""
    spots = {"parking": (PlaceKind.PARKING, [(1, 13), (3, 13)])} if parking else {}
    return floor(BLOCKS, {**spots, "pass": (PlaceKind.PASS, [(0, 0), (1, 0)]),
                          "return": (PlaceKind.DISH_RETURN, [(4, 0)]),
                          "charger": (PlaceKind.CHARGER, [(4, 13)]),
                          "t1": (PlaceKind.TABLE, [(0, 3)]), "t2": (PlaceKind.TABLE, [(2, 7)]),
                          "t3": (PlaceKind.TABLE, [(4, 11)]),
                          "t4": (PlaceKind.TABLE, [(2, 12)])}, name="blocks")
