"""One MQTT connection that stays up for the life of a link.

An aiomqtt ``Client`` is one connection attempt: when the socket drops, it is done.
A robot link wants one object for its whole life, so ``MqttConnection`` runs a
supervisor task (aiomqtt's documented reconnect pattern): connect, resubscribe,
pump messages, and on any loss wait a capped, jittered, exponential backoff and
start again. The jitter keeps a fleet of vehicles from reconnecting in lockstep
after a broker restart; the cap keeps a long outage from delaying the return by
minutes.

What crosses the boundary is ours: ``Received`` (frozen), ``Connected``/``Lost``
events and ``LinkError``. A publish while the connection is down raises at once
rather than queueing: the caller (the link) knows whether a stale order is still
worth sending after a reconnect; paho does not.

Incoming messages go to a queue bounded in count and in bytes, checked before a
message is queued. When the consumer falls behind, the oldest message is dropped
(newer state reports supersede older ones), counted in ``counters.dropped`` and
logged. A payload over ``max_message`` bytes is cut to ``max_message + 1`` on
arrival (``counters.cut``): its reader still sees that it is too long and can
answer so, but a flood of huge messages cannot fill memory.

Closing the connection sends DISCONNECT, so the broker does not publish the last
will: a link that wants subscribers to see OFFLINE publishes it before closing.

Long because the supervisor loop, the bounded queue and the boundary types must be
read together to see that no paho object and no unbounded buffer escapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aiomqtt
import paho.mqtt.client as paho
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from drivers.mqtt.settings import MqttSettings
from fleet.errors import LinkError

log = logging.getLogger(__name__)

# CONNACK reason codes a retry cannot fix (v5 numbering, which paho also uses for 3.1.1).
_PERMANENT_REFUSALS = frozenset({132, 133, 134, 135, 138, 140})


@dataclass(frozen=True, slots=True)
class LastWill:
    """Published by the broker when this client vanishes without DISCONNECT."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    retained: bool
    at: float
    """Event-loop time of arrival (follows the runtime's clock)."""


@dataclass(frozen=True, slots=True)
class Connected:
    at: float
    count: int
    """1 for the first connection, 2 after the first reconnect, ..."""


@dataclass(frozen=True, slots=True)
class Lost:
    at: float
    reason: str


ConnectionEvent = Connected | Lost


@dataclass(slots=True)
class Counters:
    received: int = 0
    dropped: int = 0
    """Messages discarded because the consumer fell behind (oldest first)."""
    published: int = 0
    connects: int = 0
    failed_attempts: int = 0
    cut: int = 0
    """Payloads over ``max_message`` bytes, cut on arrival."""


@dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = 0.5
    cap: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2
    stable_after: float = 10.0
    """A session that lasted this long resets the backoff; a flapping one does not."""

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        base = min(self.cap, self.initial * self.factor ** min(failures, 64))
        return base * (1.0 + self.jitter * (2.0 * rand() - 1.0))


class _Client(aiomqtt.Client):
    """aiomqtt waits out its whole timeout when the socket dies before CONNACK (a
    TLS 1.3 broker refuses a client certificate only after the handshake); fail the
    attempt at once instead. And an attempt given up by our timeout leaves its
    CONNACK future cancelled: aiomqtt asks that future for its exception when the
    socket closes later, which raises ``CancelledError`` inside the loop's callback
    (it ended a chaos campaign on a loaded machine); nobody waits for that session,
    so there is nothing to do. Touches aiomqtt internals, hence the pin below 3."""

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: paho.DisconnectFlags,
                       reason_code: ReasonCode, properties: Properties | None = None) -> None:
        if self._connected.cancelled():
            return
        if self._lock.locked() and not self._connected.done():
            self._connected.set_exception(aiomqtt.MqttError(
                f"connection closed before CONNACK ({reason_code}): certificate or "
                "protocol refused? see the broker's log"))
        super()._on_disconnect(client, userdata, flags, reason_code, properties)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, aiomqtt.MqttError) else f"{type(exc).__name__}: {text}"


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, MqttConnectError):
        value = getattr(exc.rc, "value", exc.rc)
        return value in _PERMANENT_REFUSALS
    return "CERTIFICATE_VERIFY_FAILED" in str(exc) or isinstance(exc, FileNotFoundError)


class MqttConnection:
    """One broker connection, reconnecting by itself until closed.

    ``async with MqttConnection(settings) as conn:`` starts the supervisor and
    returns at once; ``await conn.wait_connected(timeout)`` is the readiness
    handshake. Subscriptions are remembered and renewed after each reconnect.
    """

    def __init__(self, settings: MqttSettings, *, will: LastWill | None = None,
                 queue_size: int = 10_000, queue_bytes: int = 64 * 1024 * 1024,
                 max_message: int | None = None, backoff: Backoff = Backoff(),
                 on_change: Callable[[ConnectionEvent], None] | None = None,
                 timeout: float = 10.0, close_timeout: float = 5.0) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be >= 1")
        if max_message is not None and not 0 <= max_message < queue_bytes:
            raise ValueError("max_message must be >= 0 and below queue_bytes")
        self.settings = settings
        self.counters = Counters()
        self._will = will
        self._backoff = backoff
        self._on_change = on_change
        self._timeout = timeout
        self._close_timeout = close_timeout
        self._queue: asyncio.Queue[Received | None] = asyncio.Queue(queue_size + 1)
        self._queue_size = queue_size
        self._queue_bytes = queue_bytes
        self._max_message = max_message
        self._queued_bytes = 0
        self._subscriptions: dict[str, int] = {}
        self._sub_lock = asyncio.Lock()
        self._client: aiomqtt.Client | None = None
        self._session_over: asyncio.Event | None = None
        """Set when the current session ends: a publish still waiting for the broker's
        acknowledgement fails then, rather than after ``timeout`` (aiomqtt waits it out)."""
        self._connected = asyncio.Event()
        self._attempt_done = asyncio.Event()
        self._last_error: str | None = None
        self._last_error_permanent = False
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._last_drop_log = -1e9

    # -- lifetime -------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._task is not None:
            raise RuntimeError("MqttConnection is not reusable")
        self._task = asyncio.create_task(self._supervise(),
                                         name=f"mqtt:{self.settings.client_id}")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self._closed = True
        task = self._task
        if task is not None and not task.done():
            # asyncio.wait neither raises the task's CancelledError nor cancels the
            # task when we are cancelled, so the graceful DISCONNECT gets its time.
            # Cancel again while waiting: on 3.11 a wait_for inside aiomqtt can swallow
            # a cancel that lands just as its operation completes.
            deadline = asyncio.get_running_loop().time() + self._close_timeout
            while not task.done():
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    log.warning("%s: connection did not close within %.1f s",
                                self.settings.client_id, self._close_timeout)
                    break
                task.cancel()
                await asyncio.wait({task}, timeout=min(left, 0.5))
        self._connected.clear()
        self._put(None)

    def abort(self) -> bool:
        """Drop the TCP connection at once, without DISCONNECT, as a device losing
        power would: the broker then publishes the last will. The supervisor
        reconnects as after any loss. False when there was no connection to drop."""
        client = self._client
        paho_client = getattr(client, "_client", None) if client is not None else None
        sock = paho_client.socket() if paho_client is not None else None
        if sock is None:
            return False
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return True

    # -- state ----------------------------------------------------------------

    @property
    def connected(self) -> asyncio.Event:
        """Set while connected and subscribed; await ``connected.wait()`` to block."""
        return self._connected

    @property
    def last_error(self) -> str | None:
        return self._last_error

    async def wait_connected(self, timeout: float, *, retry: bool = False) -> None:  # noqa: ASYNC109
        """Return once connected. Without ``retry`` the outcome of the current (or
        next) attempt decides: its error is raised as ``LinkError``. With ``retry``,
        wait through failed attempts until ``timeout``, except for errors no retry
        can fix (credentials refused, certificate rejected)."""
        try:
            async with asyncio.timeout(timeout):
                while not self._connected.is_set():
                    if self._task is None or self._task.done():
                        raise LinkError(f"{self.settings.url}: connection is not running")
                    await self._attempt_done.wait()
                    if self._connected.is_set():
                        return
                    if not retry or self._last_error_permanent:
                        raise LinkError(f"cannot connect to {self.settings.url} as "
                                        f"{self.settings.client_id!r}: {self._last_error}")
        except TimeoutError:
            raise LinkError(f"no connection to {self.settings.url} within {timeout:g} s "
                            f"(last error: {self._last_error or 'none'})") from None

    # -- traffic --------------------------------------------------------------

    async def publish(self, topic: str, payload: bytes, qos: int = 0,
                      retain: bool = False) -> None:
        """Send now (QoS 1/2: until the broker acknowledges) or raise ``LinkError``."""
        client = self._client
        if client is None or not self._connected.is_set():
            raise LinkError(f"not connected to {self.settings.url} "
                            f"(last error: {self._last_error or 'none'})")
        over = self._session_over
        sending = asyncio.ensure_future(
            client.publish(topic, payload, qos, retain, timeout=self._timeout))
        ending = asyncio.ensure_future(over.wait()) if over is not None else None
        try:
            await asyncio.wait({sending} if ending is None else {sending, ending},
                               return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            sending.cancel()
            raise
        finally:
            if ending is not None:
                ending.cancel()
        if not sending.done():
            sending.cancel()
            raise LinkError(f"publish to {topic}: the connection to {self.settings.url} "
                            "ended before the broker acknowledged it")
        try:
            sending.result()
        except aiomqtt.MqttError as exc:
            raise LinkError(f"publish to {topic} on {self.settings.url} failed: "
                            f"{_reason(exc)}") from exc
        self.counters.published += 1

    async def subscribe(self, topic_filter: str, qos: int = 1) -> None:
        """Remember the subscription and, when connected, make it now (until SUBACK).
        A subscription made while disconnected takes effect on the next connect."""
        async with self._sub_lock:
            self._subscriptions[topic_filter] = qos
            client = self._client
            if client is not None and self._connected.is_set():
                try:
                    await client.subscribe(topic_filter, qos, timeout=self._timeout)
                except aiomqtt.MqttError as exc:
                    log.warning("%s: subscribe %s failed (renewed on reconnect): %s",
                                self.settings.client_id, topic_filter, _reason(exc))

    async def unsubscribe(self, topic_filter: str) -> None:
        async with self._sub_lock:
            self._subscriptions.pop(topic_filter, None)
            client = self._client
            if client is not None and self._connected.is_set():
                try:
                    await client.unsubscribe(topic_filter, timeout=self._timeout)
                except aiomqtt.MqttError as exc:
                    log.warning("%s: unsubscribe %s failed: %s", self.settings.client_id,
                                topic_filter, _reason(exc))

    async def receive(self) -> Received:
        """The next message; raises ``LinkError`` once the connection is closed."""
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)  # let other readers see the end too
            raise LinkError(f"connection to {self.settings.url} is closed")
        self._queued_bytes -= len(item.payload)
        return item

    async def messages(self) -> AsyncIterator[Received]:
        """Every message until the connection is closed."""
        while True:
            item = await self._queue.get()
            if item is None:
                self._queue.put_nowait(None)
                return
            self._queued_bytes -= len(item.payload)
            yield item

    # -- supervisor -----------------------------------------------------------

    def _new_client(self) -> _Client:
        s = self.settings
        tls = (aiomqtt.TLSParameters(ca_certs=s.ca_file, certfile=s.cert_file,
                                     keyfile=s.key_file) if s.tls else None)
        will = (aiomqtt.Will(self._will.topic, self._will.payload, self._will.qos,
                             self._will.retain) if self._will else None)
        return _Client(
            s.host, s.port, username=s.username, password=s.password,
            identifier=s.client_id, clean_session=s.clean_session, keepalive=s.keepalive,
            will=will, tls_params=tls, timeout=self._timeout,
            logger=logging.getLogger(f"{__name__}.paho"),
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])

    def _attempt_finished(self) -> None:
        done, self._attempt_done = self._attempt_done, asyncio.Event()
        done.set()

    def _emit(self, event: ConnectionEvent) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(event)
        except Exception:
            log.exception("%s: connection-state callback failed", self.settings.client_id)

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            client = self._new_client()
            started = loop.time()
            reason = "closed"
            try:
                async with client:
                    reason = await self._session(client)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # paho/ssl/OS errors all mean "this attempt failed"
                reason = _reason(exc)
                if not self._connected.is_set():
                    self.counters.failed_attempts += 1
                    self._last_error_permanent = _is_permanent(exc)
            finally:
                self._mark_lost(reason)
            self._last_error = reason
            self._attempt_finished()
            failures = 0 if loop.time() - started >= self._backoff.stable_after else failures + 1
            delay = self._backoff.delay(max(failures - 1, 0))
            log.info("%s: reconnecting to %s in %.2f s (%s)", self.settings.client_id,
                     self.settings.url, delay, reason)
            await asyncio.sleep(delay)

    async def _session(self, client: aiomqtt.Client) -> str:
        """Resubscribe, announce, then pump until the connection fails."""
        async with self._sub_lock:
            for topic_filter, qos in self._subscriptions.items():
                await client.subscribe(topic_filter, qos, timeout=self._timeout)
            self._client = client
            self._session_over = asyncio.Event()
            self._last_error_permanent = False
            self.counters.connects += 1
            self._connected.set()
        loop = asyncio.get_running_loop()
        log.info("%s: connected to %s", self.settings.client_id, self.settings.url)
        self._emit(Connected(loop.time(), self.counters.connects))
        self._attempt_finished()
        try:
            async for message in client.messages:
                payload = message.payload
                data = (bytes(payload) if isinstance(payload, bytes | bytearray)
                        else str(payload or "").encode())
                self._deliver(Received(message.topic.value, data, message.retain, loop.time()))
        except aiomqtt.MqttError as exc:
            reason = _reason(exc.__cause__ or exc)
            # Say so now: leaving the client's context may wait out a DISCONNECT that a
            # dead broker never answers, and links must report their robots offline.
            self._mark_lost(reason)
            return reason
        return "closed"

    def _mark_lost(self, reason: str) -> None:
        """The session is over: clear the state and emit ``Lost`` once."""
        self._client = None
        if self._session_over is not None:
            self._session_over.set()
            self._session_over = None
        was_up = self._connected.is_set()
        self._connected.clear()
        if was_up and not self._closed:
            log.warning("%s: lost connection to %s: %s", self.settings.client_id,
                        self.settings.url, reason)
            self._emit(Lost(asyncio.get_running_loop().time(), reason))

    def _deliver(self, item: Received) -> None:
        self.counters.received += 1
        if self._max_message is not None and len(item.payload) > self._max_message:
            item = Received(item.topic, item.payload[:self._max_message + 1], item.retained,
                            item.at)
            self.counters.cut += 1
        size = len(item.payload)
        while self._queue.qsize() and (self._queue.qsize() >= self._queue_size
                                       or self._queued_bytes + size > self._queue_bytes):
            old = self._queue.get_nowait()
            if old is None:  # the end marker: nothing is read after it anyway
                self._queue.put_nowait(None)
                return
            self._queued_bytes -= len(old.payload)
            self.counters.dropped += 1
            now = asyncio.get_running_loop().time()
            if now - self._last_drop_log >= 1.0:
                self._last_drop_log = now
                log.warning("%s: receive queue full (%d messages, %d bytes): dropped the "
                            "oldest message, %d dropped so far", self.settings.client_id,
                            self._queue.qsize() + 1, self._queued_bytes + len(old.payload),
                            self.counters.dropped)
        self._queued_bytes += size
        self._queue.put_nowait(item)

    def _put(self, item: Received | None) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(item)
