"""One simulated service, end to end, in virtual time: the kitchen orders, the
controller dispatches and drives, simulated robots serve, the referee watches.

Everything goes through the same seams as production: the kitchen talks to the
runtime as a POS would, robots are reached through ``InProcLink``. The clock
is virtual, so a two-hour lunch rush takes seconds and a seed fixes the run.

Long because one service is one function from start to report (the wiring, the run,
the faults, the report), kept whole so that a run reads in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from drivers.mqtt_races import socket_gone_under_aiomqtt
from fleet.assembly import build_controller
from fleet.clock import run
from fleet.controller.core import Controller
from fleet.domain import Dish, DishState, RobotModel
from fleet.domain.events import (
    DISH_BY_STAFF,
    DISH_CANCELLED,
    DISH_FAILED,
    DISH_SERVED,
    ROBOT_PHASE_OVERDUE,
)
from fleet.floor import FloorPlan, PlaceKind
from fleet.floor.model import Cell, ways_around
from fleet.intake import Pos
from fleet.link import RobotLink
from fleet.routing import distance_field, precompute_fields
from fleet.runtime import FleetRuntime
from fleet.store import MemoryStore, SqliteStore, Store
from sim.chaos import ChaosPlan
from sim.configured import FleetRobot
from sim.controller_process import ControllerProcess
from sim.faults import FaultRates, Faults
from sim.floor_staff import FloorStaff
from sim.kitchen import Kitchen
from sim.liveness import ProgressWatch
from sim.referee import Referee
from sim.replay import ReplayKitchen
from sim.report import RobotTally, RunCounts, build_report
from sim.robot import SimRobot
from sim.scenarios import get_scenario
from sim.till_log import TillLog
from sim.wire_faults import line_state
from sim.wiring import (
    api_till,
    controller_spec,
    robot_links,
    serial_firmware,
    serial_robots,
    serve_fleet_api,
    start_broker,
    start_vehicles,
)
from sim.world import World

if TYPE_CHECKING:
    from sim.serial_robot import SerialRobot

log = logging.getLogger(__name__)
Progress = Callable[[float, float], None]

DISH_ENDS = (DISH_SERVED, DISH_FAILED, DISH_CANCELLED, DISH_BY_STAFF)
"""The events that end a dish."""

FAULT_LEVELS: dict[str, tuple[FaultRates | None, float]] = {
    "none": (None, 0.0),
    "light": (FaultRates(e_stop_per_h=0.05, stuck_per_h=0.1, disconnect_per_h=0.1), 6.0),
    "heavy": (FaultRates(e_stop_per_h=0.5, stuck_per_h=1.0, disconnect_per_h=1.0), 30.0),
}
"""Per level: robot faults per robot-hour, and guests standing in aisles per hour."""


@dataclass(frozen=True, slots=True)
class SimOptions:
    plan: FloorPlan
    model: RobotModel
    robots: int = 8
    scenario: str = "lunch-rush"
    duration_s: float | None = None
    seed: int = 1
    policy: Literal["fleet", "baseline"] = "fleet"
    faults: str = "light"
    drain_s: float = 1800.0
    """After the kitchen's last dish: how long robots may take to finish."""
    guest_timeout_s: float = 90.0
    cold_food_s: float = 300.0
    staff_help_s: float | None = 180.0
    """Floor staff carry a table's dishes this long after the controller reports them
    late at the pass (``sim/floor_staff.py``); None: nobody helps, they wait."""
    store: Store | None = None
    transport: Literal["inproc", "mqtt", "serial", "mixed"] = "inproc"
    """``mqtt``: every robot a VDA 5050 vehicle on a real broker; ``serial``: every robot
    firmware behind a pty, reached by the serial driver; ``mixed``: odd robots (R1, R3,
    ...) over MQTT, even ones over serial. All but ``inproc`` run time scaled by ``speed``."""
    speed: float = 10.0
    broker_url: str | None = None
    """For ``mqtt``: a broker to use; None starts the embedded one."""
    broker_kind: Literal["auto", "mosquitto", "iotcore"] = "auto"
    """Which embedded broker to start when ``broker_url`` is None."""
    api_site: str | None = None
    """For ``mqtt``: serve the fleet API under ``fleet/v1/{api_site}/`` on the broker, and
    have the kitchen order through it as a real POS would (``fleet demo``)."""
    site_name: str = ""
    stop_on_signal: bool = False
    """End the service early, with a report of what happened so far, on SIGINT or SIGTERM
    (a demo's site process, stopped by its parent)."""
    chaos: ChaosPlan | None = None
    """A fault campaign against the broker and every inbound topic (``sim.chaos``);
    needs ``transport`` "mqtt", the embedded broker and ``api_site``."""
    controller_process: bool = False
    """Run the controller in an OS process of its own, its store a SQLite file in
    ``workdir`` (``sim.controller_process``), so that a campaign can kill it; needs
    ``transport`` "mqtt" and ``api_site``. ``store`` must be None."""
    workdir: Path | None = None
    """For ``controller_process``: the store, the child's logs; None: a temporary folder."""
    watch: Callable[[Controller, float], None] | None = None
    """Called every simulated 30 s with the controller and the simulated time (headless
    progress lines)."""
    replay: TillLog | None = None
    """A till's log to play instead of drawing ``scenario`` (``fleet replay``): each order
    is submitted at its logged time and each dish marked ready at its logged time;
    ``duration_s`` is then ignored."""
    fleet: tuple[FleetRobot, ...] = ()
    """A site's own robots (``sim.configured.fleet_of(config)``) instead of ``robots``
    robots R1.. of ``model``: each with its key, manufacturer, serial, model and wire
    (``transport`` then only needs to be other than ``inproc``)."""
    extra: dict[str, Any] = field(default_factory=dict)


def start_cells(plan: FloorPlan, count: int) -> list[Cell]:
    """Where robots stand when service opens: chargers, then parking, then the
    floor nearest the pass, never two in one cell or one lane, and never where a
    robot standing would close a way (a corridor's only lane, a doorway)."""
    cells: list[Cell] = []
    taken: set[Cell] = set()

    def take(cell: Cell) -> None:
        cells.append(cell)
        taken.update(plan.footprint(cell))

    for kind in (PlaceKind.CHARGER, PlaceKind.PARKING):
        for place in plan.places_of(kind):
            for cell in place.cells:
                if len(cells) < count and cell not in taken:
                    take(cell)
    if len(cells) < count:
        passes = [c for p in plan.places_of(PlaceKind.PASS) for c in p.cells]
        field_ = distance_field(plan, passes)
        spots = {c for p in plan.places.values() for c in p.cells}
        order = sorted((float(field_[r, c]), (r, c)) for r, c in zip(*plan.passable.nonzero(),
                                                                       strict=True))
        for dist, (r, c) in order:
            cell = (int(r), int(c))
            if len(cells) >= count:
                break
            if dist < 4 or cell in spots or cell in taken or dist == float("inf"):
                continue
            if ways_around(plan.passable, plan.open_east, plan.open_south, cell,
                           set(plan.footprint(cell)) | taken) > ways_around(
                    plan.passable, plan.open_east, plan.open_south, cell, taken):
                continue  # standing there would close a way: not a place to wait
            take(cell)
    if len(cells) < count:
        raise ValueError(f"plan {plan.name!r} has room for only {len(cells)} robots to start")
    return cells


async def simulate(opts: SimOptions, progress: Progress | None = None) -> dict[str, Any]:
    if opts.controller_process and (opts.transport not in ("mqtt", "mixed")
                                    or opts.api_site is None or opts.store is not None):
        raise ValueError("a controller in a process of its own needs transport 'mqtt' or "
                         "'mixed', the fleet API (api_site) and no store given (its store "
                         "is a file)")
    if opts.controller_process and opts.workdir is None:
        with tempfile.TemporaryDirectory(prefix="fleet-sim-") as tmp:
            return await _simulate(opts, progress, Path(tmp))
    return await _simulate(opts, progress, opts.workdir)


async def _simulate(opts: SimOptions, progress: Progress | None,
                    workdir: Path | None) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    failures: list[BaseException] = []

    def on_error(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if socket_gone_under_aiomqtt(context):
            log.info("MQTT client lost its socket as the broker went away (it reconnects)")
            return
        exc = context.get("exception")
        failures.append(exc if isinstance(exc, BaseException)
                        else RuntimeError(str(context.get("message"))))

    loop.set_exception_handler(on_error)
    wall0 = time.perf_counter()
    plan = opts.plan
    scenario = get_scenario(opts.scenario)
    fleet = opts.fleet or tuple(
        FleetRobot(f"R{i + 1}", opts.model.manufacturer, f"R{i + 1}", opts.model, "mqtt")
        for i in range(opts.robots))
    if opts.fleet and opts.transport == "inproc":
        raise ValueError("a configured fleet runs over its own wires: transport 'mqtt'")
    controller: Controller | None = None
    store_path: Path | None = None
    if opts.controller_process:
        assert workdir is not None
        store_path = _fresh_store(workdir)
        store: Store = MemoryStore()  # until the child's file is read at the end
        fields = precompute_fields(plan)
    else:
        store = opts.store or MemoryStore()
        controller = build_controller(plan, {f.robot_id: f.model for f in fleet}, store=store,
                                      policy=opts.policy, guest_timeout_s=opts.guest_timeout_s,
                                      cold_food_s=opts.cold_food_s, run_id=f"s{opts.seed}")
        fields = controller.fields
    referee = Referee(plan)
    world = World(plan, seed=opts.seed, referee=referee)
    robots = [SimRobot(f.robot_id, f.model, world, cell, seed=opts.seed * 1000 + i,
                       manufacturer=f.manufacturer, vehicle_serial=f.serial, minimal=f.minimal)
              for i, (f, cell) in enumerate(zip(fleet, start_cells(plan, len(fleet)),
                                                strict=True))]
    stack = contextlib.AsyncExitStack()
    url: str | None = None
    broker: Any = None
    runtime: FleetRuntime | None = None
    proc: ControllerProcess | None = None
    lines: dict[str, SerialRobot] = {}
    """The firmware end of each serial robot's line, for a campaign's line faults."""
    serial_links: list[RobotLink] = []
    if opts.chaos is not None and (opts.transport not in ("mqtt", "mixed")
                                   or opts.api_site is None or opts.broker_url is not None):
        raise ValueError("a chaos campaign needs transport 'mqtt' or 'mixed', the embedded "
                         "broker and the fleet API (api_site)")
    if opts.chaos is not None and opts.chaos.controller_kills and not opts.controller_process:
        raise ValueError("killing the controller needs it in a process of its own")
    try:
        if opts.transport in ("mqtt", "mixed") and (
                not opts.fleet or any(f.transport == "mqtt" for f in opts.fleet)):
            url, broker = await start_broker(stack, opts)
        if opts.controller_process:
            assert url is not None and store_path is not None and workdir is not None
            on_lines = serial_robots(opts, robots)
            epoch = await start_vehicles(stack, opts,
                                         [r for r in robots if r.serial not in on_lines], url)
            lines.update(await serial_firmware(stack, opts.speed,
                                               [r for r in robots if r.serial in on_lines],
                                               workdir))
            spec = controller_spec(opts, robots, url=url, store_path=store_path,
                                    workdir=workdir, epoch=epoch, lines=lines)
            proc = await stack.enter_async_context(ControllerProcess(spec, workdir))
            await proc.start()
            pos: Pos = await api_till(stack, opts, url, wait_online=proc)
        else:
            assert controller is not None
            links = await robot_links(stack, opts, robots, url, lines=lines)
            serial_links = links
            runtime = FleetRuntime(controller, links)
            pos = runtime
            if opts.api_site is not None:
                pos = await serve_fleet_api(stack, opts, runtime, url)
    except BaseException:
        await stack.aclose()
        for robot in robots:
            robot.close()
        raise
    stopped = asyncio.Event()
    if opts.stop_on_signal:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stopped.set)
    kitchen: Kitchen | ReplayKitchen
    if opts.replay is not None:
        kitchen = ReplayKitchen(opts.replay, pos, start_s=loop.time())
    else:
        kitchen = Kitchen(plan, scenario, pos, seed=opts.seed, duration_s=opts.duration_s,
                          start_s=loop.time())
    service_s = kitchen.duration_s
    rates, blockages_per_h = FAULT_LEVELS[opts.faults]
    faults = Faults(world, seed=opts.seed)
    t0 = loop.time()
    progress_watch = ProgressWatch()
    staff: FloorStaff | None = None
    final: dict[str, Any] = {}
    crashes = 0
    try:
        async with stack, asyncio.TaskGroup() as tg:
            if runtime is not None:
                tg.create_task(runtime.run(), name="runtime")
                await runtime.ready.wait()
            if rates is not None:
                faults.random(robots, until=t0 + service_s, rates=rates)
                faults.aisle_blockages(blockages_per_h, until=t0 + service_s)
            kitchen_task = tg.create_task(kitchen.run(), name="kitchen")
            chaos = None
            if opts.chaos is not None:
                from sim.chaos import Chaos  # noqa: PLC0415  (MQTT: not for in-process runs)

                chaos = Chaos(opts.chaos, broker, site=opts.api_site or "sim",
                              robots=[(r.capabilities.manufacturer, r.capabilities.serial)
                                      for r in robots],
                              start=t0, until=t0 + service_s, controller=proc,
                              speed=opts.speed, lines=lines)
                tg.create_task(chaos.run(), name="chaos")
            if opts.staff_help_s is not None and runtime is not None:
                staff = FloorStaff(runtime, opts.staff_help_s)
            watcher = (tg.create_task(_orphan_watch(stopped, opts.speed), name="orphan-watch")
                       if opts.stop_on_signal else None)
            kitchen_done: float | None = None
            while (not kitchen_task.done() or loop.time() - t0 < service_s
                   or _open_dishes(controller, store_path)):
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(30.0):
                        await stopped.wait()
                if stopped.is_set():
                    kitchen_task.cancel()
                    break
                if progress is not None:
                    progress(loop.time() - t0, service_s)
                if controller is not None:
                    progress_watch.observe(controller, loop.time() - t0)
                    if opts.watch is not None:
                        opts.watch(controller, loop.time() - t0)
                if staff is not None:
                    staff.look()
                if proc is not None and proc.crashed:
                    crashes += 1
                    log.error("the controller's process exited by itself (code %s): started "
                              "again; see %s", proc.exited, workdir)
                    await proc.start()
                if kitchen_done is None and kitchen_task.done():
                    kitchen_done = loop.time()
                if (kitchen_done is not None and loop.time() - t0 > service_s
                        and loop.time() - kitchen_done > opts.drain_s):
                    break
                if failures:
                    break
            if watcher is not None:
                watcher.cancel()
            if staff is not None:
                staff.close()
            if runtime is not None:
                runtime.stop()
            if proc is not None:
                final = await proc.stop()
    finally:
        for robot in robots:
            robot.close()
        loop.set_exception_handler(None)
        if opts.stop_on_signal:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.remove_signal_handler(sig)
    if failures:
        raise failures[0]
    sim_s = loop.time() - t0
    if store_path is not None:
        store = SqliteStore(store_path, read_only=True)
    try:
        return _report(opts, kitchen, store, robots=robots, referee=referee, fields=fields,
                       sim_s=sim_s, t0=t0, wall0=wall0, controller=controller, final=final,
                       chaos=chaos, progress_watch=progress_watch, staff=staff, faults=faults,
                       world=world, stopped=stopped.is_set(), crashes=crashes,
                       starts=proc.starts if proc is not None else 1,
                       serial_links=serial_links)
    finally:
        if store_path is not None:
            store.close()


def _after(fault_over: float | None, dishes: list[Dish], store: Store,
           t0: float) -> dict[str, Any]:
    """The dishes waiting (ready, not ended) when the last fault was over, and how long
    after it the last of them ended (None: one never did)."""
    if fault_over is None:
        return {"fault_over_s": None, "waiting": 0, "last_ended_s": 0.0}
    ended = {e.dish_id: e.at for e in store.events(kinds=DISH_ENDS) if e.dish_id}
    waiting = [d.dish_id for d in dishes if d.ready_at is not None and d.ready_at <= fault_over
               and ended.get(d.dish_id, float("inf")) > fault_over]
    ends = [ended.get(dish) for dish in waiting]
    last = (None if None in ends
            else max((t - fault_over for t in ends if t is not None), default=0.0))
    return {"fault_over_s": round(fault_over - t0, 1), "waiting": len(waiting),
            "last_ended_s": None if last is None else round(last, 1)}


def _waiting_at(at: float, dishes: list[Dish], store: Store) -> int:
    """Dishes ready and not ended at ``at`` (loop time), from the times the store
    recorded: work the controller had then, to dispatch or to carry on. A broker's
    return with none is followed by an order only when the kitchen has one ready."""
    ended = {e.dish_id: e.at for e in store.events(kinds=DISH_ENDS) if e.dish_id}
    return sum(1 for d in dishes if d.ready_at is not None and d.ready_at <= at
               and ended.get(d.dish_id, float("inf")) > at)


def _fresh_store(workdir: Path) -> Path:
    """Where the controller's process keeps its store: a fresh service, not the last one's."""
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.glob("site.db*"):
        old.unlink()
    return workdir / "site.db"


def _report(opts: SimOptions, kitchen: Kitchen | ReplayKitchen, store: Store, *,
            robots: list[SimRobot],
            referee: Referee, fields: Any, sim_s: float, t0: float, wall0: float,
            controller: Controller | None, final: dict[str, Any], chaos: Any,
            progress_watch: ProgressWatch, staff: FloorStaff | None, faults: Faults,
            world: World, stopped: bool, crashes: int, starts: int,
            serial_links: list[RobotLink]) -> dict[str, Any]:
    """The run's report; the controller's own figures from ``controller`` in process,
    else from what its process wrote on the way out (``final``)."""
    # The dish and trip figures come from the store, as `fleet report` reads them.
    dishes, trips = store.dishes(), store.trips()
    tallies = []
    for robot in robots:
        t = robot.tally()
        tallies.append(RobotTally(serial=robot.serial, busy_s=t.busy_s, distance_m=t.distance_m,
                                  traffic_wait_s=t.traffic_wait_s + t.waiting_s))
    summary = referee.summary()
    if controller is not None:
        stats = controller.traffic.stats
        traffic: dict[str, Any] = {"plans": stats.plans, "plan_failures": stats.plan_failures,
            "stalls": getattr(stats, "stalls", 0),
            "deadlocks_detected": stats.deadlocks_detected,
            "deadlocks_unrecovered": stats.deadlocks_unrecovered,
            "stalls_detected": stats.stalls_detected,
            "floor_solves": stats.floor_solves, "floor_solved": stats.floor_solved,
            "floor_solve_ms": list(stats.floor_solve_ms),
            "floor_refusals": dict(stats.floor_refusals)}
    else:
        traffic = dict(final["traffic"])
    counts = RunCounts(violations=int(summary["violations"]),
                       deadlocks_detected=int(traffic.pop("deadlocks_detected")),
                       deadlocks_unrecovered=int(traffic.pop("deadlocks_unrecovered")),
                       stalls_detected=int(traffic.pop("stalls_detected", 0)),
                       sim_seconds=sim_s, wall_seconds=time.perf_counter() - wall0,
                       violation_examples=tuple(str(v) for v in referee.violations[:5]))
    report = build_report(dishes, trips, tallies, counts, plan=opts.plan, motion=opts.model,
                          policy=opts.policy, seed=opts.seed, scenario=kitchen.summary(),
                          fields=fields, events=store.events())
    report["served_per_robot"] = dict(sorted(Counter(
        d.robot for d in dishes if d.state is DishState.SERVED and d.robot).items()))
    if isinstance(kitchen, ReplayKitchen):
        report["replay"] = kitchen.replay_summary()
    if controller is not None:
        report["liveness"] = progress_watch.summary()
        dog = controller.watchdog
        report["phases"] = {"changes": dog.changes, "unexpected": dog.unexpected,
                            "overdue": dog.overdue,
                            "overdue_examples": [
                                e.text for e in store.events(kinds=(ROBOT_PHASE_OVERDUE,))][:5]}
        end = t0 + sim_s
        report["still_at_end"] = [
            f"{rec.serial}: {rec.note or 'no progress'} for {end - rec.progress_at:.0f} s"
            for rec in controller.robots.values()
            if rec.trip is not None and end - rec.progress_at > progress_watch.bound_s]
        helped = staff.carried if staff is not None else 0
    else:
        report["liveness"] = final["liveness"]  # the last run's watch only
        report["still_at_end"] = final["still_at_end"]
        helped = int(final["tables_helped"])  # the last run's count only
        report["controller"] = {"process": True, "starts": starts, "crashes": crashes,
                                "last_run": final.get("run_id", "")}
    report["near_misses"] = int(summary.get("near_misses", 0))
    if chaos is not None:
        assert isinstance(kitchen, Kitchen), "a chaos campaign runs a drawn service"
        served = Counter(e.dish_id for e in store.events(kinds=(DISH_SERVED,)))
        in_store = {d.order_id for d in dishes}
        report["chaos"] = {
            "injected": dict(sorted(chaos.injected.items())),
            "served_twice": sum(1 for n in served.values() if n > 1),
            "acknowledged": len(kitchen.acknowledged),
            "acknowledged_lost": sorted(kitchen.acknowledged - in_store),
            "kitchen_refused": {str(k): v for k, v in kitchen.refused.items()},
            "kitchen_resent": int(getattr(kitchen.pos, "resent", 0)),
            "restarts": [r.as_dict(t0, opts.speed) for r in chaos.restarts],
            "broker_returns": [
                {**r.as_dict(t0, opts.speed), "dishes_waiting": _waiting_at(r.back_at, dishes,
                                                                            store)}
                for r in chaos.broker_returns],
            "after_last_fault": _after(chaos.last_fault_over, dishes, store, t0),
            "controller_crashes": crashes,
            "wires": {**chaos.wires.summary(line_state(serial_links) if controller is not None
                                            else final.get("serial_lines", {})),
                      "refusals_of_last_run_only": controller is None},
            "rss_mb": [round(x, 1) for x in chaos.rss_mb],
            "rss_samples": ([s.as_dict() for s in chaos.memory.samples]
                            if chaos.memory is not None else [])}
    report["staff"] = {"help_after_s": opts.staff_help_s, "tables_helped": helped}
    report["transport"] = opts.transport
    report["stopped_early"] = stopped
    report["faults"] = {"level": opts.faults, "injected": len(faults.injected),
                        "aisle_blockages": world.blockages}
    report["traffic"] = traffic
    return report


async def _orphan_watch(stopped: asyncio.Event, speed: float) -> None:
    """A site started by another process (``fleet demo``) stops when that process is
    gone, rather than serving an empty room for hours."""
    parent = os.getppid()
    while not stopped.is_set():
        await asyncio.sleep(speed)  # about a wall second on the scaled clock
        if os.getppid() != parent:
            stopped.set()


def _open_dishes(controller: Controller | None, store_path: Path | None) -> bool:
    """Any dish not ended: in the controller's book, or (its process's) in its store."""
    if controller is not None:
        return any(not d.state.final for d in controller.book.dishes.values())
    assert store_path is not None
    if not store_path.is_file():
        return True
    store = SqliteStore(store_path, read_only=True)
    try:
        return any(not d.state.final for d in store.dishes())
    finally:
        store.close()


def run_simulation(opts: SimOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Run one service and return its report: on a virtual clock in process, or over
    MQTT and/or serial lines on a clock ``opts.speed`` times faster than the wall."""
    if opts.transport == "inproc":
        return run(simulate(opts, progress), clock="virtual")
    return run(simulate(opts, progress), clock="scaled", speed=opts.speed)
