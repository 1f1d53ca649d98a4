"""A fault campaign against a simulated site on a real broker (``fleet chaos``).

While the kitchen orders through the fleet API as a till would, the campaign
kills the broker (SIGKILL: no will for anyone, retained state lost) and brings it
back, freezes it (SIGSTOP: sockets open, nothing answered, keep-alives run out),
and floods hostile payloads (``sim.hostile``) onto every inbound topic: the API's
request topics and each robot's VDA 5050 state, connection and factsheet. Robots
dropping their links, e-stops and stuck wheels come from the simulator's own
faults. With robots on serial lines it writes bursts of broken frames onto their
lines and unplugs them, and it opens TCP sockets to the broker that never finish
CONNECT (``sim.wire_faults``). With a controller in a process of its own
(``sim.controller_process``) it also kills the controller with SIGKILL and starts
it again at once, as a service manager would, and measures each restart: from the
kill to the new run's retained "online" status, and to the first VDA 5050 order
it released. Each broker fault is measured the same way, from the broker's return
(started again, or thawed) to the first robot state and the first order crossing
it: when service resumed. The times are drawn from the seed, so a campaign that
found something can be run again. The invariants are checked by the caller on the run's report.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING

from drivers.vda5050.topics import Topic, topic_name
from fleet.api.topics import Topics
from fleet.errors import LinkError, ProtocolError
from sim.hostile import hostile_payloads
from sim.memory_watch import MemoryWatch, rss_mb
from sim.wire_faults import WireFaults

if TYPE_CHECKING:
    from drivers.mqtt.broker import EmbeddedBroker
    from sim.controller_process import ControllerProcess
    from sim.serial_robot import SerialRobot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChaosPlan:
    broker_kills: int = 5
    broker_freezes: int = 1
    freeze_s: float = 30.0
    """How long each freeze lasts, in site seconds."""
    down_s: tuple[float, float] = (2.0, 15.0)
    """How long the broker stays dead after a kill, in site seconds (drawn)."""
    hostile: int = 2000
    """Hostile payloads in all, spread over the service."""
    controller_kills: int = 0
    """SIGKILLs of the controller's process, each followed at once by a new one."""
    seed: int = 1
    line_garbage: int = 0
    """Bursts of broken frames on a serial robot's line (``sim.wire_faults``)."""
    line_drops: int = 0
    """Serial lines unplugged and plugged in again."""
    half_open: int = 0
    """TCP sockets to the broker that never finish CONNECT."""
    rss_every_s: float | None = None
    """Sample the resident memory of the controller, the broker and the campaign this
    often (site seconds; ``sim.memory_watch``); None: only at each fault."""


@dataclass(slots=True)
class Restart:
    """One controller kill and what followed it (loop seconds)."""

    killed_at: float
    online_at: float | None = None
    """The new run's first retained status saying online."""
    first_order_at: float | None = None
    """The first VDA 5050 order any robot got after that."""

    def as_dict(self, start: float, speed: float) -> dict[str, float | None]:
        def since(t: float | None) -> float | None:
            return None if t is None else round(t - self.killed_at, 1)

        online, order = since(self.online_at), since(self.first_order_at)
        return {"killed_at_s": round(self.killed_at - start, 1),
                "online_s": online, "first_order_s": order,
                "online_wall_s": None if online is None else round(online / speed, 2),
                "first_order_wall_s": None if order is None else round(order / speed, 2)}


@dataclass(slots=True)
class BrokerReturn:
    """One broker fault and how soon service resumed after it (loop seconds)."""

    fault: str
    """"kill" or "freeze"."""
    at: float
    back_at: float
    """The broker answering again: started after a kill, thawed after a freeze."""
    first_state_at: float | None = None
    """The first valid state of a robot on the broker after ``back_at``."""
    first_order_at: float | None = None
    """The first VDA 5050 order to a robot after ``back_at``: the controller at work."""

    def as_dict(self, start: float, speed: float) -> dict[str, float | str | None]:
        def since(t: float | None) -> float | None:
            return None if t is None else round(t - self.back_at, 1)

        state, order = since(self.first_state_at), since(self.first_order_at)
        return {"fault": self.fault, "at_s": round(self.at - start, 1),
                "down_s": round(self.back_at - self.at, 1),
                "first_state_s": state, "first_order_s": order,
                "first_state_wall_s": None if state is None else round(state / speed, 2),
                "first_order_wall_s": None if order is None else round(order / speed, 2)}


@dataclass(slots=True)
class _Heard:
    """What the campaign's watcher heard, with loop times.

    Only the first robot state and the first order after each mark (a broker back,
    a controller online) are kept: the figures ask for nothing else, and a time for
    every state of 30 robots grew the campaign's process 7-8 MB an hour through an
    8-hour day."""

    online: list[tuple[float, str]] = field(default_factory=list)
    orders: list[float] = field(default_factory=list)
    states: list[float] = field(default_factory=list)
    _want_state: bool = False
    _want_order: bool = False

    def mark(self) -> None:
        self._want_state = self._want_order = True

    def state(self, now: float) -> None:
        if self._want_state:
            self.states.append(now)
            self._want_state = False

    def order(self, now: float) -> None:
        if self._want_order:
            self.orders.append(now)
            self._want_order = False


class Chaos:
    """Runs ``plan`` between ``start`` and ``until`` (loop time) against ``broker``."""

    def __init__(self, plan: ChaosPlan, broker: EmbeddedBroker, *, site: str,
                 robots: Sequence[tuple[str, str]], start: float, until: float,
                 controller: ControllerProcess | None = None, speed: float = 1.0,
                 lines: Mapping[str, SerialRobot] | None = None) -> None:
        """``speed``: site seconds per wall second (the memory watch ticks once a wall
        second); ``lines``: the firmware end of each robot on a serial line, by robot."""
        if plan.rss_every_s is not None and plan.rss_every_s <= 0:
            raise ValueError("the memory sampling interval must be above 0")
        if (plan.line_garbage or plan.line_drops) and not lines:
            raise ValueError("serial line faults need robots on serial lines")
        if plan.controller_kills and controller is None:
            raise ValueError("killing the controller needs it in a process of its own")
        self.plan = plan
        self.broker = broker
        self.controller = controller
        self.site = site
        self.robots = list(robots)
        """(manufacturer, serial) of each robot."""
        self.start = start
        self.until = until
        self.injected: Counter[str] = Counter()
        self.rss_mb: list[float] = []
        self.kills: list[float] = []
        """Loop times of the controller kills."""
        self._returns: list[tuple[str, float, float]] = []
        """(fault, when, broker back) of each broker fault, loop times."""
        self._heard = _Heard()
        self._faults_over: float | None = None
        self._rng = Random(plan.seed)
        self.wires = WireFaults(self._rng, self.injected, seed=plan.seed, lines=lines or {},
                                broker=broker)
        self.memory: MemoryWatch | None = None
        if plan.rss_every_s is not None:
            self.memory = MemoryWatch(
                plan.rss_every_s, start, speed=speed, broker_pid=lambda: broker.pid,
                controller_pid=os.getpid if controller is None else lambda: controller.pid)

    @property
    def last_fault_over(self) -> float | None:
        """When the last fault was over (loop time): the broker back, thawed, or the
        last restarted controller online; None: no fault."""
        over = [t for t in (self._faults_over, *(r.online_at for r in self.restarts))
                if t is not None]
        return max(over, default=None)

    @property
    def restarts(self) -> list[Restart]:
        """Each controller kill with the new run's first "online" and first order after
        it (None: not heard before the campaign ended)."""
        out: list[Restart] = []
        for killed in self.kills:
            before = {run for t, run in self._heard.online if t <= killed}
            back = next((t for t, run in self._heard.online
                         if t > killed and run not in before), None)
            order = (None if back is None
                     else next((t for t in self._heard.orders if t >= back), None))
            out.append(Restart(killed, back, order))
        return out

    @property
    def broker_returns(self) -> list[BrokerReturn]:
        """Each broker fault with the first robot state and order heard after the broker
        came back (None: none before the campaign ended)."""
        def first(times: list[float], after: float) -> float | None:
            return next((t for t in times if t >= after), None)

        return [BrokerReturn(fault, at, back, first(self._heard.states, back),
                             first(self._heard.orders, back))
                for fault, at, back in self._returns]

    def _times(self, count: int) -> list[float]:
        span = max(1.0, self.until - self.start)
        return sorted(self.start + self._rng.uniform(0.1, 0.9) * span for _ in range(count))

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        faults = sorted([(t, "kill") for t in self._times(self.plan.broker_kills)]
                        + [(t, "freeze") for t in self._times(self.plan.broker_freezes)]
                        + [(t, "controller") for t in self._times(self.plan.controller_kills)]
                        + [(t, "garbage") for t in self._times(self.plan.line_garbage)]
                        + [(t, "drop") for t in self._times(self.plan.line_drops)]
                        + [(t, "half-open") for t in self._times(self.plan.half_open)])
        flood = asyncio.create_task(self._flood(), name="chaos-flood")
        listen = asyncio.create_task(self._listen(), name="chaos-listen")
        memory = (asyncio.create_task(self.memory.run(), name="chaos-memory")
                  if self.memory is not None else None)
        # At the start too: a campaign with no fault would otherwise have one sample
        # and its growth read as nothing.
        self._sample_memory()
        try:
            for at, kind in faults:
                await asyncio.sleep(max(0.0, at - loop.time()))
                if kind == "kill":
                    await self._kill()
                elif kind == "freeze":
                    await self._freeze()
                elif kind == "garbage":
                    self.wires.garbage()
                elif kind == "drop":
                    await self.wires.drop()
                elif kind == "half-open":
                    await self.wires.half_open()
                else:
                    await self._kill_controller()
                self._faults_over = loop.time()
                self._sample_memory()
            await flood  # spread to the end of the service: every payload is sent
            # Listen to the end of the service, faults or not: the figures after the
            # last fault, and the service's first order, may come late.
            await asyncio.sleep(max(0.0, self.until - loop.time()))
        finally:
            flood.cancel()
            await asyncio.gather(flood, return_exceptions=True)
            await self.wires.close()
            self._sample_memory()
            for task in (listen, memory):
                if task is not None:
                    task.cancel()
            await asyncio.gather(*(t for t in (listen, memory) if t is not None),
                                 return_exceptions=True)


    def _sample_memory(self) -> None:
        rss = rss_mb()
        if rss is not None:
            self.rss_mb.append(rss)

    async def _kill(self) -> None:
        loop = asyncio.get_running_loop()
        at = loop.time()
        await self.broker.kill()
        self.injected["broker killed"] += 1
        await asyncio.sleep(self._rng.uniform(*self.plan.down_s))
        await self.broker.start()
        self._returns.append(("kill", at, loop.time()))
        self._heard.mark()

    async def _kill_controller(self) -> None:
        assert self.controller is not None
        self.kills.append(asyncio.get_running_loop().time())
        await self.controller.kill()
        self.injected["controller killed"] += 1
        await self.controller.start()

    async def _listen(self) -> None:
        """Hear the controller's status, every order released to a robot and every
        robot's state, from a client of our own. It reconnects and resubscribes after
        a broker kill, quickly (its backoff is capped at a site second): it measures
        how soon the others are back, so it must not be the last."""
        from drivers.mqtt import (  # noqa: PLC0415
            Backoff,
            BrokerSettings,
            MqttConnection,
            MqttSettings,
        )
        from drivers.vda5050.codec import decode_state  # noqa: PLC0415

        loop = asyncio.get_running_loop()
        settings = MqttSettings.from_config(BrokerSettings(url=self.broker.url), self.broker.url,
                                            client_id="chaos-listen")
        status = Topics(self.site).status
        states = {topic_name(m, s, Topic.STATE): s for m, s in self.robots}
        async with MqttConnection(settings, backoff=Backoff(initial=0.1, cap=1.0)) as conn:
            await conn.subscribe(status, qos=1)
            for manufacturer, serial in self.robots:
                await conn.subscribe(topic_name(manufacturer, serial, Topic.ORDER), qos=0)
            for topic in states:
                await conn.subscribe(topic, qos=0)
            async for message in conn.messages():
                now = loop.time()
                if message.topic in states:
                    # The flood writes on these topics too: only a state that decodes
                    # and names its robot is the robot's.
                    try:
                        state = decode_state(message.payload, message.topic).body
                    except (LinkError, ProtocolError):
                        continue
                    if state.serial == states[message.topic]:
                        self._heard.state(now)
                    continue
                if message.topic != status:
                    self._heard.order(now)
                    continue
                try:
                    said = json.loads(message.payload)
                except ValueError:
                    continue  # a hostile payload or a cleared retained status
                if isinstance(said, dict) and said.get("online") is True:
                    self._heard.online.append((now, str(said.get("run_id", ""))))
                    self._heard.mark()

    async def _freeze(self) -> None:
        pid = self.broker.pid
        if pid is None:
            return
        loop = asyncio.get_running_loop()
        at = loop.time()
        os.kill(pid, signal.SIGSTOP)
        self.injected["broker frozen"] += 1
        try:
            await asyncio.sleep(self.plan.freeze_s)
        finally:
            os.kill(pid, signal.SIGCONT)
        self._returns.append(("freeze", at, loop.time()))
        self._heard.mark()

    def _topics(self) -> list[str]:
        prefix = f"fleet/v1/{self.site}"
        topics = [f"{prefix}/pos/chaos", f"{prefix}/manager/chaos"]
        for manufacturer, serial in self.robots:
            topics += [topic_name(manufacturer, serial, t)
                       for t in (Topic.STATE, Topic.CONNECTION, Topic.FACTSHEET)]
        return topics

    async def _flood(self) -> None:
        """The hostile payloads, evenly over the service, from a client of their own
        (it reconnects by itself after each broker kill; what it cannot send while
        the broker is down is counted as such)."""
        if self.plan.hostile <= 0:
            return
        from drivers.mqtt import (  # noqa: PLC0415  (see sim.run)
            BrokerSettings,
            MqttConnection,
            MqttSettings,
        )

        loop = asyncio.get_running_loop()
        settings = MqttSettings.from_config(BrokerSettings(url=self.broker.url), self.broker.url,
                                            client_id="chaos-hostile")
        topics = self._topics()
        gap = max(0.0, (self.until - loop.time()) / self.plan.hostile)
        payloads = hostile_payloads(self.plan.seed)
        async with MqttConnection(settings, timeout=5.0) as conn:
            for i in range(self.plan.hostile):
                kind, payload = next(payloads)
                try:
                    await conn.publish(topics[i % len(topics)], payload, 0, False)
                    self.injected[f"hostile: {kind}"] += 1
                except LinkError:
                    self.injected["hostile: not sent (broker down)"] += 1
                await asyncio.sleep(gap)
