"""The controller of a simulated site in an OS process of its own, so that a fault
campaign can kill it with SIGKILL and start it again (``fleet chaos
--controller-kills``).

The process serves what ``fleet run`` serves (the VDA 5050 master, the runtime, the
fleet API and the floor staff who answer late-dish alerts) with the store in a
SQLite file, and takes the service back from that file each time it starts
(``fleet.controller.restart``). The simulated robots, the kitchen and the broker
stay in the campaign's process. Both processes run the same scaled clock: the
child's loop is built from the parent's ``ScaledTimeLoop.origin`` (the monotonic
clock is the machine's), so a time in a robot's report means the same instant to
the controller.

The parent writes a ``ControllerSpec`` (pickled: the floor plan and the robot
models as they are) and runs ``python -m sim.controller_process SPEC``.
``ControllerProcess`` is the parent's handle: ``start``, ``kill`` (SIGKILL) and
``stop`` (SIGTERM: the child writes its final figures, then exits). A child whose
parent is gone stops by itself within a wall second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from fleet.domain import RobotModel
from fleet.floor import FloorPlan
from fleet.link import Capabilities

log = logging.getLogger(__name__)

STOP_WAIT_S = 30.0
"""Wall seconds a stopped child has to write its figures and exit before it is killed."""


@dataclass(frozen=True, slots=True)
class RobotSpec:
    manufacturer: str
    serial: str
    """The vehicle's own serial number (its topics and headers)."""
    capabilities: Capabilities
    model: RobotModel
    robot_id: str = ""
    """The robot's key on the site (``fleet.domain.identity``); the serial when empty."""
    line: str = ""
    """The address of the robot's serial line (a symlink to the parent's pty, which
    outlives a pty unplugged and plugged in again); empty: a VDA 5050 vehicle on the
    broker."""

    @property
    def key(self) -> str:
        return self.robot_id or self.serial


@dataclass(frozen=True, slots=True)
class ControllerSpec:
    """Everything the child needs; times are in the shared loop's seconds."""

    plan: FloorPlan
    robots: tuple[RobotSpec, ...]
    store_path: str
    broker_url: str
    site: str
    site_name: str
    speed: float
    origin: tuple[float, float]
    """The parent's ``ScaledTimeLoop.origin``."""
    epoch: float
    """Wall time minus loop time, as the parent's vehicles stamp their messages."""
    final_path: str
    """Where a child stopped by SIGTERM writes its final figures (JSON)."""
    t0: float = 0.0
    """When the campaign began (loop time): the liveness watch counts from it."""
    policy: Literal["fleet", "baseline"] = "fleet"
    guest_timeout_s: float = 90.0
    cold_food_s: float = 300.0
    staff_help_s: float | None = 180.0


class ControllerProcess:
    """The parent's handle on the controller's process; an async context manager that
    leaves no child behind, however it is left."""

    def __init__(self, spec: ControllerSpec, workdir: Path) -> None:
        self.spec = spec
        self.workdir = workdir
        self._spec_path = workdir / "controller-spec.pickle"
        self._spec_path.write_bytes(pickle.dumps(spec))
        self._proc: asyncio.subprocess.Process | None = None
        self._signalled = False
        self.starts = 0
        """Processes started so far (the first, then one per restart)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await asyncio.shield(self._reap(signal.SIGKILL))

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    @property
    def exited(self) -> int | None:
        """The child's exit code once it has gone by itself (a crash), else None."""
        return self._proc.returncode if self._proc is not None else None

    @property
    def crashed(self) -> bool:
        """The child has gone by itself, not by our signal."""
        proc = self._proc
        return proc is not None and proc.returncode is not None and not self._signalled

    async def wait(self) -> int:
        """Until the child exits, by itself or not; its exit code."""
        if self._proc is None:
            raise RuntimeError("the controller process was never started")
        return await self._proc.wait()

    async def start(self) -> None:
        if self.pid is not None:
            raise RuntimeError("the controller process is already running")
        self.starts += 1
        self._signalled = False
        with (self.workdir / f"controller-{self.starts}.log").open("wb") as err:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "sim.controller_process", str(self._spec_path),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=err)
        log.info("controller process %d started (start %d)", self._proc.pid, self.starts)

    async def kill(self) -> None:
        """SIGKILL: the controller loses everything not in its store."""
        await self._reap(signal.SIGKILL)

    async def stop(self) -> dict[str, Any]:
        """SIGTERM, then the figures the child wrote on its way out."""
        final = Path(self.spec.final_path)
        _forget(final)
        await self._reap(signal.SIGTERM)
        try:
            return _read(final)
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"the controller wrote no final figures ({exc}); see "
                               f"{self.workdir}/controller-{self.starts}.log") from exc

    async def _reap(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        self._signalled = True
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        wait = STOP_WAIT_S * self.spec.speed  # loop seconds
        try:
            async with asyncio.timeout(wait):
                await proc.wait()
        except TimeoutError:
            log.warning("controller process %d did not exit on %s: killed", proc.pid, sig.name)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


def _forget(path: Path) -> None:
    path.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not an object")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Whole or not at all: written beside, then renamed."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)


# -- the child ------------------------------------------------------------------------

async def serve(spec: ControllerSpec) -> None:
    """Serve until SIGTERM (or the parent is gone), then write the final figures."""
    from drivers.mqtt import BrokerSettings, MqttSettings  # noqa: PLC0415  (the child's imports)
    from drivers.vda5050.master import VdaMaster  # noqa: PLC0415
    from fleet.api.server import ApiServer  # noqa: PLC0415
    from fleet.assembly import build_controller  # noqa: PLC0415
    from fleet.runtime import FleetRuntime  # noqa: PLC0415
    from fleet.store import SqliteStore  # noqa: PLC0415
    from sim.floor_staff import FloorStaff  # noqa: PLC0415
    from sim.liveness import ProgressWatch  # noqa: PLC0415
    from sim.wire_faults import line_state  # noqa: PLC0415
    from sim.wiring import serial_link  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    parent = os.getppid()
    store = SqliteStore(spec.store_path)
    wait = 10.0 * spec.speed  # loop seconds: ten wall seconds at any speed

    def settings(client_id: str) -> MqttSettings:
        return MqttSettings.from_config(BrokerSettings(url=spec.broker_url), spec.broker_url,
                                        client_id=client_id)

    try:
        controller = build_controller(
            spec.plan, {r.key: r.model for r in spec.robots}, store=store,
            policy=spec.policy, guest_timeout_s=spec.guest_timeout_s,
            cold_food_s=spec.cold_food_s, resume=True, epoch=spec.epoch, now=loop.time())
        watch = ProgressWatch()
        staff: FloorStaff | None = None
        async with contextlib.AsyncExitStack() as stack:
            master = await stack.enter_async_context(
                VdaMaster(settings("fleet-controller"), epoch=spec.epoch, timeout=wait))
            lines = {r.key: serial_link(r.key, r.serial, r.line, r.capabilities, spec.speed)
                     for r in spec.robots if r.line}
            links = [lines[r.key] if r.key in lines else
                     master.link(r.manufacturer, r.serial, fallback=r.capabilities,
                                 version=r.model.protocol_version, robot_id=r.key)
                     for r in spec.robots]
            runtime = FleetRuntime(controller, links)
            async with asyncio.TaskGroup() as tg:
                tg.create_task(runtime.run(), name="runtime")
                await runtime.ready.wait()
                await stack.enter_async_context(ApiServer(
                    runtime, settings(f"fleet-api-{spec.site}"), site=spec.site,
                    name=spec.site_name, epoch=spec.epoch, speed=spec.speed,
                    connect_timeout_s=wait))
                log.info("controller run %s serving", controller.run_id)
                if spec.staff_help_s is not None:
                    staff = FloorStaff(runtime, spec.staff_help_s)
                look = 0.0
                while not stopping.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(spec.speed):  # a wall second
                            await stopping.wait()
                    if os.getppid() != parent:
                        log.warning("the campaign's process is gone: stopping")
                        stopping.set()
                    if loop.time() - look >= 30.0:
                        look = loop.time()
                        watch.observe(controller, look - spec.t0)
                        if staff is not None:
                            staff.look()
                if staff is not None:
                    staff.close()
                runtime.stop()
        end = loop.time()
        final = {
            "run_id": controller.run_id,
            "still_at_end": [
                f"{rec.serial}: {rec.note or 'no progress'} for {end - rec.progress_at:.0f} s"
                for rec in controller.robots.values()
                if rec.trip is not None and end - rec.progress_at > watch.bound_s],
            "liveness": watch.summary(),
            "tables_helped": staff.carried if staff is not None else 0,
            "traffic": {"plans": controller.traffic.stats.plans,
                        "plan_failures": controller.traffic.stats.plan_failures,
                        "stalls": getattr(controller.traffic.stats, "stalls", 0),
                        "deadlocks_detected": controller.traffic.stats.deadlocks_detected,
                        "stalls_detected": controller.traffic.stats.stalls_detected,
                        "deadlocks_unrecovered": controller.traffic.stats.deadlocks_unrecovered},
            "send_failures": runtime.send_failures,
            # This run's serial lines only: each run opens them afresh.
            "serial_lines": line_state(lines.values())}
        _write(Path(spec.final_path), final)
    finally:
        store.close()


def main(argv: list[str]) -> int:
    from fleet.clock import run  # noqa: PLC0415

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = pickle.loads(Path(argv[0]).read_bytes())  # our own file, written by the parent
    if not isinstance(spec, ControllerSpec):
        raise SystemExit(f"{argv[0]}: not a controller spec")
    t0 = time.perf_counter()
    run(serve(spec), clock="scaled", speed=spec.speed, origin=spec.origin)
    log.info("controller stopped after %.1f wall s", time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    # Run as the module's own name, not as __main__: the pickled spec names its class
    # ``sim.controller_process.ControllerSpec``.
    from sim.controller_process import main as _main

    sys.exit(_main(sys.argv[1:]))
