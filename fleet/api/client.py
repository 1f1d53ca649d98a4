"""A fleet API client over MQTT: the dashboard's and the till's side.

``FleetClient`` subscribes to a site's retained state and events and to its own
reply topic, decodes every message strictly into the types of
``fleet.api.messages`` (a bad one is counted and logged, never fatal), and keeps
a ``FleetMirror`` of the present. ``updates()`` gives each consumer the present
first and then every change, so a dashboard opened late starts full.

Broker loss and return come as ``LinkChanged``. The connection resubscribes by
itself and the broker sends the retained state again: that is the resync (the
mirror drops what was not heard again, see ``fleet.api.mirror``). ``summary`` is
subscribed last so that its retained copy closes the burst.

``request()`` sends one command with a fresh request id and waits for the reply
with that id; a controller that does not answer raises ``NoReplyError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import socket
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import msgspec

from drivers.mqtt import Connected, ConnectionEvent, MqttConnection, MqttSettings, Received
from fleet.api.messages import (
    Alerts,
    ClientCommand,
    ControllerStatus,
    EventView,
    FloorView,
    OrderView,
    Reply,
    Request,
    RobotView,
    Summary,
)
from fleet.api.mirror import FleetMirror
from fleet.api.requests import tag_of
from fleet.api.topics import Role, Topics, check_level
from fleet.api.updates import LinkChanged, NoReplyError, OrderCleared, Update
from fleet.errors import LinkError, ProtocolError

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000


@dataclass(slots=True)
class ClientCounters:
    received: int = 0
    bad: int = 0
    """Messages that did not decode (logged with topic and reason, then skipped)."""
    dropped: int = 0
    """Updates a slow consumer lost (its queue was full; the oldest went)."""
    requests: int = 0
    no_reply: int = 0


_STATE_TYPES: dict[str, type[msgspec.Struct]] = {
    "status": ControllerStatus, "floor": FloorView, "summary": Summary, "robot": RobotView,
    "order": OrderView, "alerts": Alerts, "events": EventView}


def dashboard_client_id() -> str:
    """An MQTT client id no other dashboard has: two sharing one would knock each other
    off the broker in turn, and read each other's replies."""
    host = socket.gethostname().split(".")[0][:16] or "host"
    return f"dashboard-{host}-{os.getpid()}-{secrets.token_hex(3)}"


class FleetClient:
    def __init__(self, settings: MqttSettings, site: str, client_id: str | None = None, *,
                 role: Role = "manager", connect_timeout_s: float | None = 10.0,
                 queue_size: int = QUEUE_SIZE) -> None:
        """``client_id`` names the request and reply topics (default: the user name when
        there is one, as a site's broker grants a user the topics named after it; else
        the MQTT client id). ``role`` is where ``request`` sends by default: "manager" or "pos".
        ``connect_timeout_s``: how long entering waits for the broker (retrying);
        None enters at once and lets the connection come when it can."""
        self.settings = settings
        self.topics = Topics(site)
        self.client_id = check_level(client_id or settings.username or settings.client_id,
                                     "client id")
        self.role: Role = role
        self.mirror = FleetMirror()
        self.counters = ClientCounters()
        self._connect_timeout = connect_timeout_s
        self._queue_size = queue_size
        self._conn: MqttConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._consumers: list[asyncio.Queue[Update | None]] = []
        self._pending: dict[str, asyncio.Future[Reply]] = {}
        self._seq = itertools.count(1)
        self._nonce = secrets.token_hex(3)
        self._enc = msgspec.json.Encoder()
        self._decoders = {k: msgspec.json.Decoder(t) for k, t in _STATE_TYPES.items()}
        self._reply_decoder = msgspec.json.Decoder(Reply)
        self._closed = False

    # -- lifetime -----------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        conn = MqttConnection(self.settings, on_change=self._on_change)
        self._conn = conn
        await conn.__aenter__()
        try:
            t = self.topics
            for topic_filter in (self.topics.reply(self.client_id), t.status, t.floor, t.alerts,
                                 t.robots_filter, t.orders_filter, t.events, t.summary):
                await conn.subscribe(topic_filter, qos=1)
            self._reader = asyncio.create_task(self._read(), name=f"fleet-client-{self.client_id}")
            if self._connect_timeout is not None:
                await conn.wait_connected(self._connect_timeout, retry=True)
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self._close()

    async def _close(self) -> None:
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._conn is not None:
            await self._conn.__aexit__(None, None, None)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(NoReplyError("the fleet client was closed"))
        for queue in self._consumers:
            self._offer(queue, None)

    @property
    def connected(self) -> bool:
        return self._conn is not None and self._conn.connected.is_set()

    def abort(self) -> bool:
        """Drop the broker connection without DISCONNECT (tests, drills)."""
        return self._conn.abort() if self._conn is not None else False

    # -- updates ------------------------------------------------------------------------
    async def updates(self) -> AsyncGenerator[Update, None]:
        """The present as the mirror holds it, then every update as it arrives; ends
        when the client closes. Each call is an independent consumer."""
        queue: asyncio.Queue[Update | None] = asyncio.Queue(self._queue_size + 1)
        for present in self._present():
            self._offer(queue, present)
        if self._closed:
            self._offer(queue, None)
        self._consumers.append(queue)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                yield item
        finally:
            with contextlib.suppress(ValueError):
                self._consumers.remove(queue)

    def _present(self) -> list[Update]:
        m = self.mirror
        out: list[Update] = [LinkChanged(m.connected, m.link_reason)]
        if m.status is not None:
            out.append(m.status)
        if m.floor is not None:
            out.append(m.floor)
        out += list(m.robots.values()) + list(m.orders.values()) + list(m.events)
        if m.alerts is not None:
            out.append(m.alerts)
        if m.summary is not None:
            out.append(m.summary)
        return out

    def _offer(self, queue: asyncio.Queue[Update | None], item: Update | None) -> None:
        if queue.qsize() >= self._queue_size:
            queue.get_nowait()
            self.counters.dropped += 1
            if self.counters.dropped % 1000 == 1:
                log.warning("%s: an update consumer is behind; %d updates dropped so far",
                            self.client_id, self.counters.dropped)
        queue.put_nowait(item)

    def _emit(self, update: Update) -> None:
        self.mirror.apply(update, asyncio.get_running_loop().time())
        for queue in self._consumers:
            self._offer(queue, update)

    def _on_change(self, event: ConnectionEvent) -> None:
        if isinstance(event, Connected):
            self._emit(LinkChanged(True, f"connected to {self.settings.url}"))
        else:
            self._emit(LinkChanged(False, f"broker {self.settings.url} lost: {event.reason}"))

    async def _read(self) -> None:
        assert self._conn is not None
        async for message in self._conn.messages():
            self.counters.received += 1
            try:
                self._take(message)
            except (ProtocolError, msgspec.DecodeError) as exc:
                self.counters.bad += 1
                log.warning("%s: bad message on %s skipped (%d so far): %s", self.client_id,
                            message.topic, self.counters.bad, exc)

    def _take(self, message: Received) -> None:
        if message.topic == self.topics.reply(self.client_id):
            reply = self._reply_decoder.decode(message.payload)
            future = self._pending.pop(reply.request_id or "", None)
            if future is None:
                log.info("%s: reply to %s nobody waits for (late, or not ours): %s",
                         self.client_id, reply.request_id, reply.error or reply.result)
            elif not future.done():
                future.set_result(reply)
            return
        kind, name = self.topics.parse_state(message.topic)
        if not message.payload:
            # An empty retained message deletes the retained one (MQTT's own way): an
            # order closed long ago, or a site or feed tidying up. Nothing to show.
            if kind == "order" and name is not None:
                self._emit(OrderCleared(name))
            else:
                log.debug("%s: retained %s cleared", self.client_id, message.topic)
            return
        update = self._decoders[kind].decode(message.payload)
        if isinstance(update, RobotView) and update.serial != name:
            raise ProtocolError(f"robot {update.serial!r} published on {message.topic}")
        if isinstance(update, OrderView) and update.order_id != name:
            raise ProtocolError(f"order {update.order_id!r} published on {message.topic}")
        if isinstance(update, ControllerStatus | FloorView | Summary | RobotView | OrderView
                      | Alerts | EventView):
            self._emit(update)

    # -- requests -----------------------------------------------------------------------
    async def request(self, command: ClientCommand, *, timeout: float = 5.0,  # noqa: ASYNC109
                      role: Role | None = None) -> Reply:
        """Send ``command`` (as ``role``, by default the client's) and wait for its reply.
        A refusal is a ``Reply`` with ``ok=False``; ``NoReplyError`` when the controller
        does not answer within ``timeout`` seconds or the broker is not reachable."""
        if self._conn is None or self._closed:
            raise NoReplyError("the fleet client is not open")
        request_id = f"{self.client_id}-{self._nonce}-{next(self._seq)}"
        payload = self._enc.encode(Request(request_id=request_id, command=command,
                                           site=self.topics.site))
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self.counters.requests += 1
        what = f"{tag_of(command)} ({request_id})"
        try:
            async with asyncio.timeout(timeout):
                try:
                    await self._conn.publish(self.topics.request(role or self.role,
                                                                 self.client_id), payload, qos=1)
                except LinkError as exc:
                    raise NoReplyError(f"{what} not sent: {exc}") from exc
                return await future
        except TimeoutError:
            self.counters.no_reply += 1
            raise NoReplyError(f"the controller of site {self.topics.site!r} did not answer "
                               f"{what} within {timeout:g} s") from None
        finally:
            self._pending.pop(request_id, None)
