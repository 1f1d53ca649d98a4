"""``fleet bench dashboard``: what following a busy fleet costs the dashboard, and how
fast the fleet API answers a till.

Three measures, each against a peer in the same run:

- **follow**: the dashboard (the real app, headless, on a real ``FleetClient``)
  following ``--robots`` robots at ``--hz`` and ``--orders`` open orders fed by a
  child process (``fleet.bench.dashfeed``). Its process's CPU share over the
  window, against a bare ``FleetClient`` + ``FleetMirror`` taking the same feed
  without drawing (what the screen adds on top of keeping up);
- **refresh**: the cost of one refresh of the screen (the app's own timings),
  against the refresh period it has to fit in;
- **submit**: a till's ``submitOrder`` -> its acknowledgement through the
  controller's API server, against a bare MQTT request -> echo round trip of the
  same payload on the same broker (what the API and the controller add).

The measuring needs a broker, clients and the dashboard, so it imports them when
it runs; ``format_dashboard_bench`` only turns rows into text.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fleet.bench.mqtt import percentile
from fleet.bench.text import figure as _f

Row = dict[str, Any]
Progress = Callable[[str], None]


def _cpu_share(cpu_s: float, wall_s: float) -> float:
    return 100.0 * cpu_s / wall_s if wall_s > 0 else 0.0


@contextlib.asynccontextmanager
async def _feed(url: str, site: str, map_path: Path, *, robots: int, hz: float, orders: int,
                seconds: float) -> AsyncIterator[Callable[[], None]]:
    """The feed child, connected and holding the retained present; calling the yielded
    function starts its paced publishing."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fleet.bench.dashfeed", "--url", url, "--site", site,
        "--map", str(map_path), "--robots", str(robots), "--hz", str(hz),
        "--orders", str(orders), "--seconds", str(seconds),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        async with asyncio.timeout(60):
            line = await proc.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"the feed did not start: {line!r}")

        def go() -> None:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")

        yield go
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


async def _follow(url: str, map_path: Path, *, robots: int, hz: float, orders: int,
                  seconds: float, with_screen: bool) -> Row:
    from drivers.mqtt import BrokerSettings, MqttSettings  # noqa: PLC0415
    from fleet.api.client import FleetClient  # noqa: PLC0415
    from fleet.api.mirror import FleetMirror  # noqa: PLC0415

    site = f"bench{os.getpid()}{'s' if with_screen else 'b'}"
    settings = MqttSettings.from_config(BrokerSettings(url=url), url, client_id=f"follow-{site}")
    warm = min(3.0, seconds / 4)
    async with (_feed(url, site, map_path, robots=robots, hz=hz, orders=orders,
                      seconds=seconds + warm) as go,
                FleetClient(settings, site, client_id=settings.client_id) as client):
        if with_screen:
            from fleet.dashboard import build_app  # noqa: PLC0415

            app = build_app(client, title="bench")
            async with app.run_test(size=(160, 48), headless=True):
                go()
                await asyncio.sleep(warm)
                stats0 = app.refresh_stats.copy()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await asyncio.sleep(seconds)
                cpu1, wall1 = time.process_time(), time.perf_counter()
                timings = app.refresh_stats.since(stats0)
                seen = len(app.mirror.robots), len(app.mirror.orders)
        else:
            mirror = FleetMirror()

            async def consume() -> None:
                async for update in client.updates():
                    mirror.apply(update, time.monotonic())

            task = asyncio.create_task(consume())
            try:
                go()
                await asyncio.sleep(warm)
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await asyncio.sleep(seconds)
                cpu1, wall1 = time.process_time(), time.perf_counter()
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            timings = None
            seen = len(mirror.robots), len(mirror.orders)
    row: Row = {"measure": "follow", "path": "dashboard" if with_screen else "bare client",
                "robots": robots, "hz": hz, "orders": orders, "seconds": round(wall1 - wall0, 1),
                "cpu_pct": round(_cpu_share(cpu1 - cpu0, wall1 - wall0), 1),
                "robots_seen": seen[0], "orders_seen": seen[1]}
    if timings is not None:
        row.update(timings)
    return row


async def _submit(url: str, map_path: Path, *, count: int) -> list[Row]:
    """Submit -> acknowledgement through a real controller, against a bare echo."""
    from drivers.mqtt import BrokerSettings, MqttSettings  # noqa: PLC0415
    from drivers.mqtt.client import MqttConnection  # noqa: PLC0415
    from fleet.api.client import FleetClient  # noqa: PLC0415
    from fleet.api.messages import DishSpec, SubmitOrder  # noqa: PLC0415
    from fleet.api.server import ApiServer  # noqa: PLC0415
    from fleet.assembly import build_controller  # noqa: PLC0415
    from fleet.config import Config  # noqa: PLC0415
    from fleet.floor import PlaceKind, load_floor  # noqa: PLC0415
    from fleet.runtime import FleetRuntime  # noqa: PLC0415
    from fleet.store import MemoryStore  # noqa: PLC0415
    from sim.inproc import InProcLink  # noqa: PLC0415
    from sim.robot import SimRobot  # noqa: PLC0415
    from sim.run import start_cells  # noqa: PLC0415
    from sim.world import World  # noqa: PLC0415

    def settings(client_id: str) -> MqttSettings:
        return MqttSettings.from_config(BrokerSettings(url=url), url, client_id=client_id)

    plan = load_floor(map_path)
    model = Config().robot_model()
    serials = ["R1", "R2", "R3", "R4"]
    controller = build_controller(plan, dict.fromkeys(serials, model), store=MemoryStore(),
                                  policy="fleet")
    world = World(plan, seed=1)
    robots = [SimRobot(s, model, world, c) for s, c in zip(serials, start_cells(plan, 4),
                                                           strict=True)]
    tables = [p.name for p in plan.places_of(PlaceKind.TABLE)]
    runtime = FleetRuntime(controller, [InProcLink(r) for r in robots])
    site = f"submit{os.getpid()}"
    epoch = time.time() - asyncio.get_running_loop().time()
    api_ms: list[float] = []
    echo_ms: list[float] = []
    payload_size = 0
    try:
        async with (asyncio.TaskGroup() as tg,
                    ApiServer(runtime, settings(f"api-{site}"), site=site, epoch=epoch),
                    FleetClient(settings(f"till-{site}"), site,
                                client_id=f"till-{site}") as till):
            tg.create_task(runtime.run())
            await runtime.ready.wait()
            for i in range(count):
                command = SubmitOrder(order_id=f"B{i}", table=tables[i % len(tables)],
                                      dishes=[DishSpec(name="soup")])
                t0 = time.perf_counter()
                reply = await till.request(command, timeout=10.0)
                api_ms.append(1000 * (time.perf_counter() - t0))
                if not reply.ok:
                    raise RuntimeError(f"submit refused: {reply.error}")
            import msgspec  # noqa: PLC0415

            payload = msgspec.json.encode(command)
            payload_size = len(payload)
            async with (MqttConnection(settings(f"echo-{site}")) as echo,
                        MqttConnection(settings(f"ask-{site}")) as ask):
                await echo.wait_connected(10.0)
                await ask.wait_connected(10.0)
                await echo.subscribe(f"bench/{site}/req", qos=1)
                await ask.subscribe(f"bench/{site}/rep", qos=1)

                async def answer() -> None:
                    async for msg in echo.messages():
                        await echo.publish(f"bench/{site}/rep", msg.payload, qos=1)

                responder = tg.create_task(answer())
                for _ in range(count):
                    t0 = time.perf_counter()
                    await ask.publish(f"bench/{site}/req", payload, qos=1)
                    async with asyncio.timeout(10.0):
                        await ask.receive()
                    echo_ms.append(1000 * (time.perf_counter() - t0))
                responder.cancel()
            runtime.stop()
    finally:
        for robot in robots:
            robot.close()
    rows = []
    for path, values in (("API submit -> ack", api_ms), ("bare MQTT echo", echo_ms)):
        rows.append({"measure": "submit", "path": path, "count": len(values),
                     "bytes": payload_size, "p50_ms": percentile(values, 50),
                     "p95_ms": percentile(values, 95), "p99_ms": percentile(values, 99)})
    return rows


async def run_dashboard_bench(map_path: Path, *, robots: int = 30, hz: float = 2.0,
                              orders: int = 200, seconds: float = 20.0, submits: int = 300,
                              progress: Progress | None = None) -> list[Row]:
    from drivers.mqtt.broker import EmbeddedBroker  # noqa: PLC0415

    rows: list[Row] = []
    async with EmbeddedBroker() as broker:
        for with_screen in (False, True):
            if progress is not None:
                progress(f"following {robots} robots at {hz:g} Hz "
                         f"{'with the dashboard' if with_screen else 'with a bare client'}")
            rows.append(await _follow(broker.url, map_path, robots=robots, hz=hz, orders=orders,
                                      seconds=seconds, with_screen=with_screen))
        if progress is not None:
            progress(f"{submits} orders submitted one by one, and as many bare echoes")
        rows += await _submit(broker.url, map_path, count=submits)
    return rows




def format_dashboard_bench(rows: Sequence[Mapping[str, Any]]) -> str:
    """Markdown tables and one-line verdicts, ratios against the peers."""
    follow = {r["path"]: r for r in rows if r["measure"] == "follow"}
    submit = {r["path"]: r for r in rows if r["measure"] == "submit"}
    out = ["| following | robots | Hz | orders | CPU (% of a core) | refreshes | "
           "refresh mean ms | refresh p95 ms | refresh max ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for path, r in follow.items():
        out.append(f"| {path} | {r['robots_seen']}/{r['robots']} | {r['hz']:g} | "
                   f"{r['orders_seen']}/{r['orders']} | {_f(r['cpu_pct'])} | "
                   f"{_f(r.get('refreshes'))} | {_f(r.get('mean_ms'), 2)} | "
                   f"{_f(r.get('p95_ms'), 2)} | {_f(r.get('max_ms'), 2)} |")
    out += ["", "| request | count | bytes | p50 ms | p95 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|"]
    for path, r in submit.items():
        out.append(f"| {path} | {r['count']} | {r['bytes']} | {_f(r['p50_ms'], 2)} | "
                   f"{_f(r['p95_ms'], 2)} | {_f(r['p99_ms'], 2)} |")
    out.append("")
    bare, dash = follow.get("bare client"), follow.get("dashboard")
    if bare and dash and bare["cpu_pct"]:
        out.append(f"- the dashboard uses {dash['cpu_pct']:.1f} % of a core, "
                   f"{dash['cpu_pct'] / bare['cpu_pct']:.1f}x a bare client taking the same "
                   f"feed ({bare['cpu_pct']:.1f} %)")
    if dash and dash.get("mean_ms") is not None and dash.get("period_ms"):
        out.append(f"- one refresh costs {dash['mean_ms']:.2f} ms on average "
                   f"({100 * dash['mean_ms'] / dash['period_ms']:.1f} % of its "
                   f"{dash['period_ms']:.0f} ms period)")
    api, echo = submit.get("API submit -> ack"), submit.get("bare MQTT echo")
    if api and echo and echo["p50_ms"]:
        out.append(f"- submit -> acknowledgement p50 {api['p50_ms']:.2f} ms, "
                   f"{api['p50_ms'] / echo['p50_ms']:.1f}x a bare MQTT echo "
                   f"({echo['p50_ms']:.2f} ms); p99 {api['p99_ms']:.2f} ms")
    return "\n".join(out)
