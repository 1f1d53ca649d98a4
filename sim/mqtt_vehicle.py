"""A simulated robot as a VDA 5050 vehicle on an MQTT broker.

``MqttVehicle`` puts one ``SimRobot`` on the wire the way a real vehicle is: its
own MQTT client (client id ``{manufacturer}-{serial}``) with a last will of
``CONNECTIONBROKEN`` on its ``connection`` topic; on every connect it publishes
``ONLINE`` and its factsheet (both retained) and a fresh state; it takes
``order`` and ``instantActions`` and publishes every state the robot reports
(the robot reports on events and at least every 30 s), plus ``visualization``
at a configured rate. A clean close publishes ``OFFLINE`` before DISCONNECT.

Garbage on its topics (bad JSON, schema violations, a payload naming another
vehicle) is logged, counted and reported in the next state as a
``validationError``, as a vehicle would; it never stops the vehicle.

It speaks its robot model's ``protocol_version`` (every header it writes says
so). By default it reads what any 2.x master sends; ``strict=True`` makes it the
kind of third-party vehicle that reads its own version only: a message whose
header version differs in major.minor is refused (``validationError``: not
compatible), instant actions are read only under its version's key
(``instantActions`` in 2.0, ``actions`` in 2.1), and every order node must carry
a position with ``allowedDeviationXY``.

A disconnect fault (``SimRobot.set_online(False)``, from ``sim.faults``) makes
the vehicle really vanish: its TCP connection is shut down without an MQTT
DISCONNECT, as when a vehicle loses power or its Wi-Fi drops and the kernel
resets the socket, so the broker itself publishes the will (CONNECTIONBROKEN).
The robot keeps driving its released base meanwhile; ``set_online(True)``
connects a new client, which announces ``ONLINE`` again. (A silent half-open
link, where the broker waits 1.5 keepalives, is the broker's matter and is
tested with raw clients in ``tests/brokers.py``.)

Timestamps are ``clock_epoch + loop.time()``, so on a ``ScaledTimeLoop`` a
vehicle's clock runs as fast as its simulation; the visualization rate is per
simulated second too.

Long because a vehicle's whole life on the broker (connect, will, topics, bad input,
version strictness, vanishing) is one protocol role, and a driver writer reads it as
one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from drivers.mqtt import Connected, ConnectionEvent, LastWill, MqttConnection, MqttSettings
from drivers.vda5050 import (
    DELIVERY,
    INTERFACE,
    Header,
    Topic,
    Vehicle,
    WireError,
    decode_instant_actions,
    decode_order,
    encode_connection,
    encode_factsheet,
    encode_state,
    encode_visualization,
    topic_name,
)
from drivers.vda5050.wire import instant_actions_key, minor_of
from fleet.errors import LinkError
from fleet.vda import ConnectionState, Order, RobotState
from sim.robot import SimRobot

log = logging.getLogger(__name__)

OUTBOX_SIZE = 1000
"""Messages waiting to be published; past this the oldest is dropped (and logged)."""
LOSS_TIMEOUT_S = 3.0


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait for them, cancelling again while any runs on: on
    Python 3.11 ``asyncio.wait_for`` (inside aiomqtt's publish) drops a cancellation
    that arrives as the publish completes."""
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.1)


@dataclass(slots=True)
class VehicleCounters:
    received: int = 0
    rejected: int = 0
    """Inbound messages that did not decode (reported as validationError)."""
    published: int = 0
    unsent: int = 0
    """Messages lost: the connection was down, or the outbox overflowed."""
    sessions: int = 0
    """Broker connections made (a disconnect fault ends one, a broker restart does not)."""


class MqttVehicle:
    """One ``SimRobot`` as an MQTT client. See the module docstring.

    ``async with MqttVehicle(robot, settings, clock_epoch=...) as v:`` starts the
    robot (if nobody has) and the client and returns at once; ``await
    v.wait_online(timeout)`` waits until ONLINE is published. Leaving the block
    publishes OFFLINE and disconnects; the robot keeps its timers (its owner
    closes it). Timeouts (``close_timeout``) are in loop seconds, which a
    ``ScaledTimeLoop`` shortens: scale them with its speed.
    """

    def __init__(self, robot: SimRobot, settings: MqttSettings, *, interface: str = INTERFACE,
                 visualization_hz: float = 0.0, clock_epoch: float,
                 close_timeout: float = 10.0, strict: bool = False) -> None:
        if visualization_hz < 0:
            raise ValueError(f"visualization_hz must be >= 0, got {visualization_hz}")
        caps = robot.capabilities
        self.robot = robot
        self.vehicle = Vehicle(caps.manufacturer, caps.serial, robot.model.protocol_version)
        self.strict = strict
        """Reads only its own version (see the module docstring)."""
        self.settings = dataclasses.replace(
            settings, client_id=f"{caps.manufacturer}-{caps.serial}")
        self.topics = {t: topic_name(caps.manufacturer, caps.serial, t, interface=interface)
                       for t in Topic}
        self.counters = VehicleCounters()
        self._period = 1.0 / visualization_hz if visualization_hz > 0 else None
        self._epoch = clock_epoch
        self._close_timeout = close_timeout
        self._header_ids = dict.fromkeys(Topic, 0)
        self._outbox: deque[tuple[Topic, bytes]] = deque()
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._online = asyncio.Event()
        """Set while connected and announced."""
        self._lost = asyncio.Event()
        self._announce = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def serial(self) -> str:
        return self.vehicle.serial

    @property
    def online(self) -> bool:
        return self._online.is_set()

    # -- lifetime --------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        if self._task is not None:
            raise RuntimeError("MqttVehicle is not reusable")
        self.robot.start()
        self.robot.attach(self)
        self._task = asyncio.create_task(self._run(), name=f"vehicle:{self.serial}")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self._closing = True
        self._changed.set()
        task = self._task
        try:
            if task is not None and not task.done():
                # Bounded: a vehicle whose broker is gone must not hold up a shutdown.
                await asyncio.wait({task}, timeout=self._close_timeout)
                if not task.done():
                    log.warning("vehicle %s: did not close within %g s", self.serial,
                                self._close_timeout)
                    await _cancel_all([task])
        finally:
            self.robot.detach(self)
        if task is not None and task.done() and not task.cancelled() and task.exception():
            raise LinkError(f"vehicle {self.serial} failed") from task.exception()

    async def wait_online(self, timeout: float) -> None:  # noqa: ASYNC109
        """Return once connected and ONLINE is published, else raise ``LinkError``."""
        try:
            async with asyncio.timeout(timeout):
                await self._online.wait()
        except TimeoutError:
            raise LinkError(f"vehicle {self.serial} not online on {self.settings.url} "
                            f"within {timeout:g} s") from None

    async def _run(self) -> None:
        try:
            while not self._closing:
                if self.robot.online:
                    self._changed.clear()
                    await self._session()
                else:
                    await self._changed.wait()
                    self._changed.clear()
        except Exception:
            log.exception("vehicle %s: stopped", self.serial)  # now, not at close
            raise

    # -- one broker connection (an online period of the robot) ---------------------------
    def _header_id(self, topic: Topic) -> int:
        """Counted per topic, as the spec asks of a sender."""
        self._header_ids[topic] += 1
        return self._header_ids[topic]

    def _now(self) -> float:
        """The vehicle's clock: epoch seconds that follow the loop's (scaled) time."""
        return self._epoch + asyncio.get_running_loop().time()

    def _connection(self, state: ConnectionState) -> bytes:
        return encode_connection(state, self.vehicle, header_id=self._header_id(Topic.CONNECTION),
                                 at=self._now())

    def _on_change(self, event: ConnectionEvent) -> None:
        if isinstance(event, Connected):
            self._lost.clear()
            self._announce.set()
        else:
            self._online.clear()
            self._lost.set()

    async def _session(self) -> None:
        conn_delivery = DELIVERY[Topic.CONNECTION]
        will = LastWill(self.topics[Topic.CONNECTION],
                        self._connection(ConnectionState.CONNECTIONBROKEN),
                        qos=conn_delivery.qos, retain=conn_delivery.retain)
        self._lost.clear()
        self._announce.clear()
        self.counters.sessions += 1
        async with MqttConnection(self.settings, will=will, on_change=self._on_change) as conn:
            await conn.subscribe(self.topics[Topic.ORDER])
            await conn.subscribe(self.topics[Topic.INSTANT_ACTIONS])
            helpers = [asyncio.create_task(coro, name=f"vehicle:{self.serial}:{name}")
                       for name, coro in (("receive", self._receive(conn)),
                                          ("send", self._send(conn)),
                                          ("greet", self._greet(conn)),
                                          ("visualize", self._visualize()))]
            leaving = asyncio.create_task(self._until_leaving())
            try:
                await asyncio.wait({leaving, *helpers}, return_when=asyncio.FIRST_COMPLETED)
                await _cancel_all(helpers)
                for task in helpers:
                    if not task.cancelled() and task.exception() is not None:
                        raise LinkError(f"vehicle {self.serial}: {task.get_name()} "
                                        "failed") from task.exception()
                if self._closing:
                    await self._say_offline(conn)
                else:
                    await self._vanish(conn)
            finally:
                self._online.clear()
                for task in (leaving, *helpers):
                    task.cancel()
                self._outbox.clear()

    async def _until_leaving(self) -> None:
        """Until the vehicle closes or its robot goes offline (a disconnect fault)."""
        while not self._closing and self.robot.online:
            await self._changed.wait()
            self._changed.clear()

    async def _say_offline(self, conn: MqttConnection) -> None:
        if not conn.connected.is_set():
            return
        delivery = DELIVERY[Topic.CONNECTION]
        try:
            await conn.publish(self.topics[Topic.CONNECTION],
                               self._connection(ConnectionState.OFFLINE),
                               delivery.qos, delivery.retain)
            self.counters.published += 1
        except LinkError as exc:
            log.warning("vehicle %s: OFFLINE not published: %s", self.serial, exc)

    async def _vanish(self, conn: MqttConnection) -> None:
        """Drop the TCP connection without DISCONNECT, so the broker fires the will."""
        if not conn.abort():
            return  # not connected: nothing to drop
        log.info("vehicle %s: dropped its connection (disconnect fault)", self.serial)
        try:
            async with asyncio.timeout(LOSS_TIMEOUT_S):
                await self._lost.wait()
        except TimeoutError:
            log.warning("vehicle %s: connection not lost %g s after its socket was shut",
                        self.serial, LOSS_TIMEOUT_S)

    async def _greet(self, conn: MqttConnection) -> None:
        """On every connect (the first, and after a broker restart): ONLINE, the
        factsheet, a state."""
        delivery = DELIVERY[Topic.CONNECTION]
        while True:
            await self._announce.wait()
            self._announce.clear()
            try:
                await conn.publish(self.topics[Topic.CONNECTION],
                                   self._connection(ConnectionState.ONLINE),
                                   delivery.qos, delivery.retain)
                await self._publish(conn, Topic.FACTSHEET, self._factsheet())
            except LinkError as exc:
                log.info("vehicle %s: announcement lost: %s", self.serial, exc)
                continue
            self.counters.published += 1
            log.info("vehicle %s: ONLINE on %s", self.serial, self.settings.url)
            self._online.set()
            self.robot.request_state()

    def _factsheet(self) -> bytes:
        return encode_factsheet(self.robot.capabilities, version=self.vehicle.version,
                                header_id=self._header_id(Topic.FACTSHEET), at=self._now())

    async def _publish(self, conn: MqttConnection, topic: Topic, payload: bytes) -> None:
        delivery = DELIVERY[topic]
        await conn.publish(self.topics[topic], payload, delivery.qos, delivery.retain)
        self.counters.published += 1

    async def _send(self, conn: MqttConnection) -> None:
        """Publish the outbox in order; one task, so states never overtake each other."""
        while True:
            while self._outbox:
                topic, payload = self._outbox.popleft()
                try:
                    await self._publish(conn, topic, payload)
                except LinkError as exc:
                    self.counters.unsent += 1
                    log.debug("vehicle %s: %s not sent: %s", self.serial, topic, exc)
            self._wake.clear()
            await self._wake.wait()

    def _queue(self, topic: Topic, payload: bytes) -> None:
        if len(self._outbox) >= OUTBOX_SIZE:
            self._outbox.popleft()
            self.counters.unsent += 1
            log.warning("vehicle %s: %d messages waiting to be published; dropped the "
                        "oldest", self.serial, OUTBOX_SIZE)
        self._outbox.append((topic, payload))
        self._wake.set()

    async def _visualize(self) -> None:
        period = self._period
        if period is None:
            await asyncio.Event().wait()  # off: idle until the session ends
            return
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due += period
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not self._online.is_set():
                continue
            try:
                payload = encode_visualization(
                    self.robot.state().position, self.vehicle,
                    header_id=self._header_id(Topic.VISUALIZATION), at=self._now())
            except WireError as exc:
                log.warning("vehicle %s: visualization not encodable: %s", self.serial, exc)
                continue
            self._queue(Topic.VISUALIZATION, payload)

    # -- inbound -----------------------------------------------------------------------
    async def _receive(self, conn: MqttConnection) -> None:
        async for message in conn.messages():
            self.counters.received += 1
            try:
                if message.topic == self.topics[Topic.ORDER]:
                    inbound = decode_order(message.payload, message.topic)
                    self._check_strict(inbound.header, inbound.body)
                    self.robot.receive_order(inbound.body)
                elif message.topic == self.topics[Topic.INSTANT_ACTIONS]:
                    key = instant_actions_key(self.vehicle.version) if self.strict else None
                    instant = decode_instant_actions(message.payload, message.topic, key=key)
                    self._check_strict(instant.header)
                    actions = instant.body
                    self.robot.receive_instant_actions(actions)
                    if any(a.action_type == "factsheetRequest" for a in actions):
                        self._queue(Topic.FACTSHEET, self._factsheet())
            except WireError as exc:
                self.counters.rejected += 1
                log.warning("vehicle %s: refused a message on %s: %s", self.serial,
                            message.topic, exc)
                self.robot.add_error("validationError", str(exc)[:500], topic=message.topic)
        await asyncio.Event().wait()  # the connection closed: the session is ending

    def _check_strict(self, header: Header, order: Order | None = None) -> None:
        """A strict vehicle's refusals beyond the schema: another major.minor version,
        and (orders) a node it could only reach by standing exactly on it."""
        if not self.strict:
            return
        where = f"{'order' if order is not None else 'instantActions'} for {self.serial}"
        mine = self.vehicle.version
        if minor_of(header.version) != minor_of(mine):
            raise WireError(where, "$.version", f"version {header.version} is not compatible "
                                                f"with this vehicle's {mine}")
        for i, node in enumerate(order.nodes if order is not None else ()):
            if node.position is None:
                raise WireError(where, f"$.nodes[{i}]", "object missing required field "
                                                        "nodePosition")
            if node.position.allowed_deviation_xy is None:
                raise WireError(where, f"$.nodes[{i}].nodePosition", "object missing required "
                                                                     "field allowedDeviationXY")

    # -- the robot speaks (RobotListener) ------------------------------------------------
    def robot_state(self, state: RobotState) -> None:
        if not self._online.is_set():
            return  # the greeting asks for a fresh state once ONLINE is out
        try:
            payload = encode_state(state, self.vehicle, header_id=self._header_id(Topic.STATE),
                                   at=self._epoch + state.timestamp)
        except WireError as exc:
            log.warning("vehicle %s: state not encodable: %s", self.serial, exc)
            return
        self._queue(Topic.STATE, payload)

    def robot_connection(self, state: ConnectionState, at: float) -> None:
        log.info("vehicle %s: link %s", self.serial, state.value)
        self._changed.set()
