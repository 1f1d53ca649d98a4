"""The controller's side of VDA 5050 over MQTT: one connection for the whole site,
one ``RobotLink`` per vehicle.

``VdaMaster`` owns the MQTT connection. It subscribes to every vehicle's
``state``, ``connection`` and ``factsheet`` topics and routes each message,
decoded, to the link of the vehicle the topic names. Whatever cannot be
decoded (malformed JSON, schema-invalid, a payload speaking for another vehicle)
is counted by reason and logged, never raised: one bad vehicle must not stop a
site. Messages from vehicles nobody configured are counted and ignored.

When the controller loses the broker every link reports its vehicle OFFLINE
(the controller cannot reach it, whatever the vehicle is doing); on reconnect
the retained ``connection`` messages come again and each vehicle is asked for a
fresh state (``stateRequest``), so the controller resynchronises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Self

from drivers.mqtt.client import Connected, ConnectionEvent, Lost, MqttConnection, Received
from drivers.mqtt.settings import MqttSettings
from drivers.vda5050.codec import (
    decode_connection,
    decode_state,
    encode_instant_actions,
    encode_order,
)
from drivers.vda5050.envelope import Vehicle
from drivers.vda5050.factsheet import decode_factsheet
from drivers.vda5050.topics import DELIVERY, INTERFACE, Topic, parse_topic, subscription, topic_name
from drivers.vda5050.wire import VERSION
from fleet.errors import LinkError, ProtocolError
from fleet.link import (
    Capabilities,
    ConnectionChanged,
    EventBuffer,
    LinkEvent,
    RobotLink,
    StateReceived,
)
from fleet.vda import Action, BlockingType, ConnectionState, Order

log = logging.getLogger(__name__)

_LOG_EVERY_S = 5.0


class VdaMaster:
    """One site's MQTT connection and the vehicles reached through it."""

    def __init__(self, settings: MqttSettings, *, interface: str = INTERFACE,
                 epoch: float | None = None, max_events: int = 1000,
                 timeout: float = 10.0) -> None:
        """``timeout`` bounds each broker operation, in the loop's seconds (scale it
        with a ``ScaledTimeLoop``'s speed)."""
        self.settings = settings
        self.interface = interface
        self.rejected: Counter[str] = Counter()
        """Inbound messages refused, by reason (for the dashboard and tests)."""
        self.unknown: Counter[str] = Counter()
        """Messages from vehicles nobody configured, by manufacturer/serial."""
        self._links: dict[tuple[str, str], MqttRobotLink] = {}
        self._last_connection: dict[tuple[str, str], tuple[ConnectionState, float]] = {}
        self._max_events = max_events
        self._epoch = epoch
        self._connection = MqttConnection(settings, on_change=self._on_change, timeout=timeout,
                                          close_timeout=timeout / 2)
        self._pump: asyncio.Task[None] | None = None
        self._last_log = -1e9

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> float:
        """Epoch seconds for message headers: the loop's clock set against the wall."""
        if self._epoch is None:
            self._epoch = time.time() - self.now()
        return self._epoch + self.now()

    # -- lifetime ----------------------------------------------------------------
    async def __aenter__(self) -> Self:
        await self._connection.__aenter__()
        for topic in (Topic.CONNECTION, Topic.FACTSHEET, Topic.STATE):
            await self._connection.subscribe(subscription(topic, interface=self.interface),
                                             qos=1 if topic is not Topic.STATE else 0)
        self._pump = asyncio.create_task(self._route(), name="vda-master")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        await self._connection.__aexit__(exc_type, exc, tb)

    async def wait_connected(self, timeout: float) -> None:  # noqa: ASYNC109
        await self._connection.wait_connected(timeout, retry=True)

    def link(self, manufacturer: str, serial: str, *,
             fallback: Capabilities | None = None, version: str = VERSION,
             robot_id: str | None = None) -> MqttRobotLink:
        """The link to one vehicle; ``fallback`` stands until its factsheet arrives.
        ``version`` is the VDA 5050 version the vehicle speaks (its robot model's
        ``protocol_version``): every header says it, and a 2.0.x vehicle gets its
        instant actions under the 2.0 key. A strict vehicle refuses any other.
        ``robot_id`` is the robot's key on the site (``fleet.domain.identity``; the
        serial by default): the link's ``serial`` and what its events name."""
        key = (manufacturer, serial)
        if key in self._links:
            raise ValueError(f"vehicle {manufacturer}/{serial} already has a link")
        link = MqttRobotLink(self, Vehicle(manufacturer, serial, version),
                             fallback or Capabilities(manufacturer=manufacturer, serial=serial),
                             max_events=self._max_events, robot_id=robot_id)
        self._links[key] = link
        return link

    # -- outbound ----------------------------------------------------------------
    async def publish(self, vehicle: Vehicle, topic: Topic, payload: bytes) -> None:
        delivery = DELIVERY[topic]
        name = topic_name(vehicle.manufacturer, vehicle.serial, topic, interface=self.interface)
        await self._connection.publish(name, payload, delivery.qos, delivery.retain)

    @property
    def online(self) -> bool:
        return self._connection.connected.is_set()

    def last_connection(self, vehicle: Vehicle) -> tuple[ConnectionState, float] | None:
        return self._last_connection.get((vehicle.manufacturer, vehicle.serial))

    # -- inbound -----------------------------------------------------------------
    async def _route(self) -> None:
        async for message in self._connection.messages():
            try:
                self._deliver(message)
            except ProtocolError as exc:
                self._reject(str(getattr(exc, "reason", "")) or "invalid", message, exc)
            except Exception as exc:  # a bug here must not deafen the whole site
                log.exception("message on %s could not be handled", message.topic[:120])
                self._reject("internal error", message, exc)

    def _deliver(self, message: Received) -> None:
        address = parse_topic(message.topic, interface=self.interface)
        key = (address.manufacturer, address.serial)
        if address.topic is Topic.CONNECTION:
            # Kept for vehicles without a link yet: retained, it arrives only once.
            self._last_connection[key] = (decode_connection(message.payload,
                                                            message.topic).body, message.at)
        link = self._links.get(key)
        if link is None:
            self.unknown[f"{address.manufacturer}/{address.serial}"] += 1
            return
        if address.topic is Topic.STATE:
            state = decode_state(message.payload, message.topic, received_at=message.at).body
            # The header named the same vehicle as the topic (checked in decoding): the
            # controller knows it by its key on the site.
            link.push(StateReceived(replace(state, serial=link.serial)))
        elif address.topic is Topic.CONNECTION:
            link.connection_changed(*self._last_connection[key])
        elif address.topic is Topic.FACTSHEET:
            link.factsheet = decode_factsheet(message.payload, message.topic).body

    def _reject(self, reason: str, message: Received, exc: Exception) -> None:
        self.rejected[reason] += 1
        now = time.monotonic()  # the wall's seconds: a log read by people, at any site speed
        if now - self._last_log >= _LOG_EVERY_S:
            self._last_log = now
            log.warning("refused a message on %s (%d refused so far): %s", message.topic[:120],
                        sum(self.rejected.values()), exc)

    def _on_change(self, event: ConnectionEvent) -> None:
        if isinstance(event, Lost):
            log.warning("lost the broker %s: %s", self.settings.url, event.reason)
            for link in self._links.values():
                link.connection_changed(ConnectionState.OFFLINE, event.at, ours=True)
        elif isinstance(event, Connected) and event.count > 1:
            for link in self._links.values():
                link.resync()


class MqttRobotLink(RobotLink):
    """One VDA 5050 vehicle reached through a ``VdaMaster``."""

    def __init__(self, master: VdaMaster, vehicle: Vehicle, fallback: Capabilities, *,
                 max_events: int, robot_id: str | None = None) -> None:
        self._master = master
        self._vehicle = vehicle
        self._robot_id = robot_id or vehicle.serial
        self._fallback = fallback
        self.factsheet: Capabilities | None = None
        self._headers: Counter[Topic] = Counter()
        self._buffer = EventBuffer(self._robot_id, max_events)
        self._open = False
        self._closed = False
        self._vehicle_state = ConnectionState.OFFLINE
        self._resync: asyncio.Task[None] | None = None

    @property
    def dropped_states(self) -> int:
        return self._buffer.dropped_states

    @property
    def serial(self) -> str:
        """The robot's key on the site: its serial, or ``serial@manufacturer``."""
        return self._robot_id

    @property
    def vehicle(self) -> Vehicle:
        """The vehicle's real manufacturer, serial and protocol version."""
        return self._vehicle

    @property
    def capabilities(self) -> Capabilities:
        return self.factsheet or self._fallback

    async def __aenter__(self) -> Self:
        if self._closed:
            raise LinkError(f"link to {self.serial} was closed; make a new one")
        self._open = True
        self._buffer.open = True
        # What the vehicle last said of itself, then a fresh state: the controller
        # starts from the present, not from the next report in up to 30 s.
        known = self._master.last_connection(self._vehicle)
        if known is not None:
            self._vehicle_state = known[0]
            self.push(ConnectionChanged(self.serial, known[0], known[1]))
        if self._vehicle_state is ConnectionState.ONLINE and self._master.online:
            self._resync = asyncio.create_task(self._request_state())
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self._open = False
        self._closed = True
        self._buffer.close()
        if self._resync is not None:
            self._resync.cancel()

    # -- controller -> vehicle -------------------------------------------------------
    def _check_up(self) -> None:
        if not self._open:
            raise LinkError(f"link to {self.serial} is {'closed' if self._closed else 'not open'}")
        if not self._master.online:
            raise LinkError(f"{self.serial}: the controller is not connected to the broker")

    async def send_order(self, order: Order) -> None:
        self._check_up()
        self._headers[Topic.ORDER] += 1
        payload = encode_order(order, self._vehicle, header_id=self._headers[Topic.ORDER],
                               at=self._master.wall())
        await self._master.publish(self._vehicle, Topic.ORDER, payload)

    async def send_instant_actions(self, actions: Sequence[Action]) -> None:
        self._check_up()
        self._headers[Topic.INSTANT_ACTIONS] += 1
        payload = encode_instant_actions(actions, self._vehicle,
                                         header_id=self._headers[Topic.INSTANT_ACTIONS],
                                         at=self._master.wall())
        await self._master.publish(self._vehicle, Topic.INSTANT_ACTIONS, payload)

    # -- vehicle -> controller -------------------------------------------------------
    def push(self, event: LinkEvent) -> None:
        self._buffer.push(event)

    def connection_changed(self, state: ConnectionState, at: float, *, ours: bool = False) -> None:
        """The vehicle's connection topic, or (``ours``) the controller's own broker link."""
        back = (not ours and state is ConnectionState.ONLINE
                and self._vehicle_state is not ConnectionState.ONLINE)
        if not ours:
            self._vehicle_state = state
        self.push(ConnectionChanged(self.serial, state, at))
        if back and self._open and self._master.online and (
                self._resync is None or self._resync.done()):
            # Its next state may be 30 s away: ask for one now.
            self._resync = asyncio.create_task(self._request_state())

    def resync(self) -> None:
        """After the controller reconnects: the vehicle's last word, and a fresh state."""
        self.push(ConnectionChanged(self.serial, self._vehicle_state, self._master.now()))
        if self._open and (self._resync is None or self._resync.done()):
            self._resync = asyncio.create_task(self._request_state())

    async def _request_state(self) -> None:
        action = Action("stateRequest", f"resync-{self._vehicle.serial}-{self._headers.total()}",
                        BlockingType.NONE)
        try:
            await self.send_instant_actions((action,))
        except LinkError as exc:
            log.info("%s: state request after reconnect not sent: %s", self.serial, exc)

    async def events(self) -> AsyncIterator[LinkEvent]:
        async for event in self._buffer.events():
            yield event
