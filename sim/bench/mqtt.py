"""``fleet bench mqtt``: what the MQTT path costs, per broker, same client code.

Two measures, each run against every broker asked for (Mosquitto and the
embedded broker's other implementation, iotcore) one after the other in one run:

- **State ingestion.** A publisher in a process of its own (so it does not take
  the measured loop's time; raw paho, QoS 0, as fast as it can) sends N encoded
  VDA 5050 states of idle robots standing on their start cells. The receiving
  process counts them either with a bare ``MqttConnection`` (``bare``) or
  through the production path (``full``): ``VdaMaster`` decoding and validating
  them, the links, ``FleetRuntime`` and ``Controller.on_state``. The clock runs
  from the publisher's start signal to the last message handled; messages a
  broker or a bounded queue dropped are counted as lost, not timed.
- **State-to-release latency.** Simulated vehicles (``SimRobot`` on one ``World``
  behind ``MqttVehicle``, reporting at least at ``state_hz``) driven by the real
  controller over ``VdaMaster`` links on the wall clock, kept busy with dishes.
  When the controller's ``on_state`` moves a leg on and returns the order
  update that grows that robot's base, the pair is tagged; the latency is the
  time from the vehicle reporting that node to the vehicle holding the update
  (both stamped in this process with ``time.perf_counter``). Releases that
  traffic held back and another robot's progress freed are not counted: they
  measure waiting, not the controller's speed.

Everything but the publisher and the broker runs in one single-threaded process.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.mqtt import MqttConnection, MqttSettings
from drivers.mqtt.broker import BrokerKind, EmbeddedBroker
from drivers.vda5050 import Topic, Vehicle, encode_state, subscription, topic_name
from drivers.vda5050.master import VdaMaster
from fleet.bench.mqtt import percentile
from fleet.controller.legs import node_id
from fleet.domain import RobotModel
from fleet.errors import LinkError
from fleet.floor import FloorPlan
from fleet.link import Capabilities
from fleet.runtime import FleetRuntime
from fleet.vda import (
    ActionState,
    ActionStatus,
    BatteryState,
    EdgeState,
    Load,
    NodeState,
    Position,
    RobotState,
)
from sim.bench.publisher import write_messages
from sim.bench.vehicles import (
    CountingController,
    LatencyProbe,
    keep_busy,
    probe_controller,
    report_at,
    timed_fleet,
)
from sim.run import start_cells

Progress = Callable[[int, int, str], None]
"""(steps done, steps in all, what runs next)."""
MEASURES = ("ingest", "latency")


@dataclass(frozen=True, slots=True)
class MqttBenchOptions:
    plan: FloorPlan
    """Ingestion: where the idle robots stand."""
    model: RobotModel
    latency_plan: FloorPlan | None = None
    """Latency: the floor the robots serve (``plan`` when None). Twenty robots need
    room: on the bistro they queue at its one pass and hardly drive."""
    messages: int = 20_000
    robots: int = 20
    seconds: float = 30.0
    brokers: tuple[BrokerKind, ...] = ("mosquitto", "iotcore")
    measures: tuple[str, ...] = MEASURES
    state_hz: float = 2.0
    quiet_s: float = 2.0
    """Ingestion ends this long after the last message handled (the rest were lost)."""


def _settings(broker: EmbeddedBroker, client_id: str) -> MqttSettings:
    return MqttSettings(host=broker.host, port=broker.port, client_id=client_id)


# -- the states published --------------------------------------------------------------
def ingest_payloads(plan: FloorPlan, model: RobotModel, robots: int,
                    messages: int) -> list[tuple[str, bytes]]:
    """``messages`` state messages, robot by robot in turn, as a vehicle that has just
    finished a short order sends them: last node its start cell, the order's
    remaining horizon, three finished actions, one tray loaded, position, battery."""
    cells = start_cells(plan, robots)
    epoch = time.time()
    vehicles = [Vehicle(model.manufacturer, f"R{i + 1}") for i in range(robots)]
    topics = [topic_name(v.manufacturer, v.serial, Topic.STATE) for v in vehicles]
    out: list[tuple[str, bytes]] = []
    for i in range(messages):
        r, k = i % robots, i // robots
        cell, serial = cells[r], vehicles[r].serial
        x, y = plan.anchor_of(cell)
        ahead = [n for n in plan.neighbours(cell)][:2]
        state = RobotState(
            serial=serial, timestamp=k * 0.5, order_id=f"{serial}-bench", order_update_id=3,
            last_node_id=node_id(cell), last_node_sequence_id=12,
            node_states=tuple(NodeState(node_id(c), 14 + 2 * j, j == 0)
                              for j, c in enumerate(ahead)),
            edge_states=tuple(EdgeState(f"{node_id(cell)}-{node_id(c)}", 13 + 2 * j, j == 0)
                              for j, c in enumerate(ahead)),
            action_states=tuple(ActionState(f"{serial}-{a}-{k}", ActionStatus.FINISHED, a)
                                for a in ("pick", "drop", "waitForTrigger")),
            battery=BatteryState(round(95.0 - 0.001 * k, 3)),
            position=Position(round(x, 3), round(y, 3), 0.0), loads=(Load("tray1", f"d{k}"),))
        out.append((topics[r], encode_state(state, vehicles[r], header_id=k + 1,
                                            at=epoch + k * 0.5)))
    return out


# -- the publisher (a process of its own) ------------------------------------------------
PUBLISHER = Path(__file__).with_name("publisher.py")


class Publisher:
    """The publishing child process (``publisher.py``); ``go()`` starts it
    publishing and returns the start time."""

    def __init__(self, broker: EmbeddedBroker, messages: Path, count: int) -> None:
        self._broker = broker
        self._messages = messages
        self._process: asyncio.subprocess.Process | None = None
        self.sent = count
        self.seconds: float | None = None

    async def start(self) -> None:
        self._process = process = await asyncio.create_subprocess_exec(
            sys.executable, str(PUBLISHER), self._broker.host, str(self._broker.port),
            str(self._messages), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert process.stdout is not None
        async with asyncio.timeout(30.0):
            line = await process.stdout.readline()
        if line.strip() != b"ready":
            raise LinkError(f"the benchmark publisher did not connect to {self._broker.url}")

    def go(self) -> float:
        assert self._process is not None and self._process.stdin is not None
        t0 = time.perf_counter()
        self._process.stdin.write(b"go\n")
        return t0

    async def finish(self) -> None:
        process = self._process
        if process is None:
            return
        try:
            async with asyncio.timeout(60.0):
                assert process.stdout is not None
                line = await process.stdout.readline()
                self.seconds = float(line) if line.strip() else None
                await process.wait()
        except (TimeoutError, ValueError):
            self.seconds = None
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    @property
    def per_s(self) -> float | None:
        return self.sent / self.seconds if self.seconds else None


@dataclass(frozen=True, slots=True)
class Batch:
    """Messages written for the publisher (``publisher`` format)."""

    path: Path
    count: int


@contextlib.asynccontextmanager
async def publisher(broker: EmbeddedBroker, messages: Path,
                    count: int) -> AsyncIterator[Publisher]:
    pub = Publisher(broker, messages, count)
    try:
        await pub.start()
        yield pub
    finally:
        await pub.finish()


def _ingest_row(broker: str, path: str, pub: Publisher, *, handled: int, wall_s: float,
                cpu_s: float) -> dict[str, Any]:
    return {"measure": "ingest", "broker": broker, "path": path, "sent": pub.sent,
            "handled": handled, "lost": pub.sent - handled, "wall_s": round(wall_s, 6),
            "per_s": round(handled / wall_s, 1) if wall_s > 0 else None,
            "cpu_s": round(cpu_s, 6),
            "cpu_us_per_msg": round(1e6 * cpu_s / handled, 2) if handled else None,
            "per_cpu_s": round(handled / cpu_s, 1) if cpu_s > 0 else None,
            "publisher_per_s": round(pub.per_s, 1) if pub.per_s else None}


# -- ingestion: bare --------------------------------------------------------------------
async def ingest_bare(broker: EmbeddedBroker, batch: Batch, *,
                      quiet_s: float = 2.0) -> dict[str, Any]:
    """A client that only receives and counts: the floor under any real handling."""
    conn = MqttConnection(_settings(broker, "bench-bare"), queue_size=batch.count + 16)
    async with conn:
        await conn.wait_connected(10.0)
        await conn.subscribe(subscription(Topic.STATE), qos=0)
        async with publisher(broker, batch.path, batch.count) as pub:
            count, t_end, c_end = 0, 0.0, 0.0
            c0 = time.process_time()
            t0 = pub.go()
            while count < batch.count:
                try:
                    async with asyncio.timeout(quiet_s):
                        await conn.receive()
                except TimeoutError:
                    break
                count += 1
                t_end, c_end = time.perf_counter(), time.process_time()
    return _ingest_row(broker.kind, "bare", pub, handled=count,
                       wall_s=t_end - t0 if count else 0.0, cpu_s=c_end - c0 if count else 0.0)


# -- ingestion: full --------------------------------------------------------------------
def capabilities(model: RobotModel, serial: str) -> Capabilities:
    return Capabilities(manufacturer=model.manufacturer, serial=serial, model=model.name,
                        trays=model.trays, max_speed=model.speed)


async def ingest_full(broker: EmbeddedBroker, batch: Batch,
                      opts: MqttBenchOptions) -> dict[str, Any]:
    """The production path: ``VdaMaster`` -> links -> ``FleetRuntime`` -> controller."""
    plan, model, quiet_s = opts.plan, opts.model, opts.quiet_s
    serials = [f"R{i + 1}" for i in range(opts.robots)]
    controller = probe_controller(plan, model, serials, CountingController)
    async with VdaMaster(_settings(broker, "bench-controller")) as master:
        await master.wait_connected(10.0)
        links = [master.link(model.manufacturer, s, fallback=capabilities(model, s))
                 for s in serials]
        runtime = FleetRuntime(controller, links)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(runtime.run(), name="runtime")
            await runtime.ready.wait()
            async with publisher(broker, batch.path, batch.count) as pub:
                c0 = time.process_time()
                t0 = pub.go()
                c_end, seen, quiet_since = c0, -1, time.perf_counter()
                while controller.handled < batch.count:
                    await asyncio.sleep(0.05)
                    if controller.handled != seen:
                        seen, quiet_since = controller.handled, time.perf_counter()
                        c_end = time.process_time()
                    elif time.perf_counter() - quiet_since > quiet_s:
                        break
                c_end = time.process_time() if controller.handled >= batch.count else c_end
            runtime.stop()
    handled = controller.handled
    return _ingest_row(broker.kind, "full", pub, handled=handled,
                       wall_s=controller.last_at - t0 if handled else 0.0, cpu_s=c_end - c0)


# -- latency ------------------------------------------------------------------------------
async def latency(broker: EmbeddedBroker, opts: MqttBenchOptions) -> dict[str, Any]:
    """``robots`` simulated vehicles, kept busy, driven by the controller for ``seconds``."""
    plan, model, robots = opts.latency_plan or opts.plan, opts.model, opts.robots
    serials = [f"R{i + 1}" for i in range(robots)]
    controller = probe_controller(plan, model, serials, LatencyProbe)
    async with contextlib.AsyncExitStack() as stack:
        fleet = await timed_fleet(stack, lambda cid: _settings(broker, cid), plan, model,
                                  serials)
        master = await stack.enter_async_context(
            VdaMaster(_settings(broker, "bench-controller")))
        await master.wait_connected(10.0)
        links = [master.link(model.manufacturer, s, fallback=capabilities(model, s))
                 for s in serials]
        runtime = FleetRuntime(controller, links)
        async with asyncio.TaskGroup() as tg:
            tg.create_task(runtime.run(), name="runtime")
            await runtime.ready.wait()
            helpers = [tg.create_task(report_at(fleet.robots, opts.state_hz)),
                       tg.create_task(keep_busy(runtime, plan, robots))]
            c0, t0, h0 = time.process_time(), time.perf_counter(), controller.handled
            await asyncio.sleep(opts.seconds)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            handled = controller.handled - h0
            for task in helpers:
                task.cancel()
            runtime.stop()
    total, inbound, outbound = fleet.latencies(controller)
    return {"measure": "latency", "broker": broker.kind, "map": plan.name, "robots": robots,
            "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "states": handled,
            "states_per_s": round(handled / wall, 1), "node_reports": fleet.node_reports,
            "releases": len(controller.caused), "matched": len(total),
            "p50_ms": _ms(percentile(total, 50)), "p99_ms": _ms(percentile(total, 99)),
            "max_ms": _ms(max(total, default=None)), "mean_ms": _ms(
                sum(total) / len(total) if total else None),
            "in_p50_ms": _ms(percentile(inbound, 50)), "out_p50_ms": _ms(percentile(outbound, 50)),
            "dishes_served": sum(1 for d in controller.book.dishes.values()
                                 if d.served_at is not None)}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000.0 * seconds, 3)


# -- the whole run --------------------------------------------------------------------------
async def run_mqtt_bench_async(opts: MqttBenchOptions,
                               progress: Progress | None = None) -> list[dict[str, Any]]:
    steps = [(kind, step) for kind in opts.brokers for step in
             (("bare", "full") if "ingest" in opts.measures else ())
             + (("latency",) if "latency" in opts.measures else ())]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fleet-bench-mqtt-") as tmp:
        batch = Batch(Path(tmp) / "states.bin", opts.messages)
        if "ingest" in opts.measures:
            write_messages(batch.path, ingest_payloads(opts.plan, opts.model, opts.robots,
                                                       opts.messages))
        for done, (kind, step) in enumerate(steps):
            if progress is not None:
                progress(done, len(steps), f"{kind}: {step}")
            # A fresh broker per step: no sessions, retained messages or queues left over.
            async with EmbeddedBroker(kind=kind, workdir=Path(tmp) / f"{kind}-{step}") as broker:
                if step == "bare":
                    rows.append(await ingest_bare(broker, batch, quiet_s=opts.quiet_s))
                elif step == "full":
                    rows.append(await ingest_full(broker, batch, opts))
                else:
                    rows.append(await latency(broker, opts))
    if progress is not None:
        progress(len(steps), len(steps), "done")
    return rows


def run_mqtt_bench(opts: MqttBenchOptions,
                   progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every measure on every broker, in this process on the wall clock."""
    if opts.messages < 1 or opts.robots < 1 or opts.seconds <= 0:
        raise ValueError("messages and robots must be >= 1 and seconds > 0")
    return asyncio.run(run_mqtt_bench_async(opts, progress))
