"""The fleet API served over MQTT: ``ApiService`` given a broker connection.

One ``MqttConnection`` (it reconnects by itself) carries everything. Its last
will is the retained status ``online: false``, so subscribers learn that the
controller died even when it could not say so. On every (re)connect the whole
retained state is published again (a broker restarted without persistence has
forgotten it); then a ticker publishes what changed, ``publish_hz`` times a
second of wall time, and sooner after a request (so a till sees its order at
once). Requests are served one at a time in arrival order: each is decided by
the service against the controller, answered on the client's reply topic
(QoS 1), and the commands it produced are sent to the robots.

Usage::

    async with ApiServer(runtime, settings, site="bistro") as server:
        ...  # serving until the block ends; status goes offline on the way out
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from types import TracebackType
from typing import Self

from drivers.mqtt import Connected, ConnectionEvent, LastWill, MqttConnection, MqttSettings
from fleet.api.requests import MAX_PAYLOAD
from fleet.api.service import ORDER_RETENTION_S, ApiService, Publication
from fleet.controller.port import FleetPort
from fleet.errors import LinkError, ProtocolError
from fleet.runtime import FleetRuntime

log = logging.getLogger(__name__)

PUBLISH_HZ = 2.0


class ApiServer:
    def __init__(self, runtime: FleetRuntime, settings: MqttSettings, *, site: str,
                 name: str = "", epoch: float | None = None, speed: float = 1.0,
                 publish_hz: float = PUBLISH_HZ, order_retention_s: float = ORDER_RETENTION_S,
                 max_payload: int = MAX_PAYLOAD, connect_timeout_s: float = 10.0) -> None:
        """``epoch``: site time minus loop time (Unix time in production; measured at
        start when None). ``speed``: how much faster than the wall the loop's clock
        runs (a scaled simulation); rates stay in wall seconds."""
        self.runtime = runtime
        self.settings = settings
        self._epoch = epoch
        self._site, self._name, self._speed = site, name, speed
        self._retention = order_retention_s
        self._max_payload = max_payload
        self._period = speed / publish_hz
        """Loop seconds between ticks (the loop's clock may run ``speed`` times fast)."""
        self._connect_timeout = connect_timeout_s
        self._service: ApiService | None = None
        self._conn: MqttConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._resync = asyncio.Event()
        self._poke = asyncio.Event()
        self.published = 0
        self.publish_failures = 0

    @property
    def service(self) -> ApiService:
        if self._service is None:
            raise RuntimeError("ApiServer is not started")
        return self._service

    def _now(self) -> float:
        return self.runtime.now()

    # -- lifetime -----------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        epoch = (self._epoch if self._epoch is not None
                 else time.time() - asyncio.get_running_loop().time())
        svc = ApiService(FleetPort(self.runtime.controller), self._site, name=self._name,
                         speed=self._speed, epoch=epoch, max_payload=self._max_payload,
                         order_retention_s=self._retention)
        self._service = svc
        will = svc.status(False, self._now())
        # A request over max_payload is cut to max_payload + 1 bytes before it is queued:
        # still refused as too large (with its request id, read from its start).
        self._conn = MqttConnection(self.settings, on_change=self._on_change,
                                    max_message=self._max_payload,
                                    will=LastWill(will.topic, will.payload, qos=1, retain=True))
        await self._conn.__aenter__()
        try:
            for topic_filter in svc.topics.request_filters():
                await self._conn.subscribe(topic_filter, qos=1)
            self._tasks = [asyncio.create_task(self._serve(), name=f"api-serve-{self._site}"),
                           asyncio.create_task(self._publish(), name=f"api-pub-{self._site}")]
            await self._conn.wait_connected(self._connect_timeout, retry=True)
        except BaseException:
            await self._close()
            raise
        log.info("fleet API for site %s on %s", self._site, self.settings.url)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        conn = self._conn
        if conn is not None and conn.connected.is_set():
            # A clean exit sends DISCONNECT and the broker keeps the will: say it.
            with contextlib.suppress(LinkError, TimeoutError):
                async with asyncio.timeout(2.0 * self._speed):
                    await self._send(self.service.status(False, self._now(), stopped=True))
        await self._close()

    async def _close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._conn is not None:
            await self._conn.__aexit__(None, None, None)

    def abort(self) -> bool:
        """Drop the broker connection without DISCONNECT, as a crash would (the broker
        then publishes the will). For tests and drills."""
        return self._conn.abort() if self._conn is not None else False

    def _on_change(self, event: ConnectionEvent) -> None:
        if isinstance(event, Connected):
            self._resync.set()
            self._poke.set()

    # -- publishing ---------------------------------------------------------------------
    async def _send(self, p: Publication) -> None:
        assert self._conn is not None
        await self._conn.publish(p.topic, p.payload, qos=p.qos, retain=p.retain)
        self.published += 1

    async def _send_all(self, batch: list[Publication]) -> bool:
        for p in batch:
            try:
                await self._send(p)
            except LinkError as exc:
                # Down: the next connect publishes the whole retained state again.
                self.publish_failures += 1
                log.info("fleet API publish stopped: %s", exc)
                return False
        return True

    async def _publish(self) -> None:
        assert self._conn is not None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._period):
                    await self._poke.wait()
            self._poke.clear()
            if not self._conn.connected.is_set():
                continue
            now = self._now()
            if self._resync.is_set():
                self._resync.clear()
                batch = self.service.full_state(now)
                log.info("fleet API: publishing the retained state (%d messages)", len(batch))
                if not await self._send_all(batch):
                    self._resync.set()
                    continue
            try:
                batch = self.service.publications(now)
            except Exception:
                # A bug reading the controller must not end publishing for the service.
                log.exception("fleet API: could not build the state to publish")
                batch = []
            await self._send_all(batch)
            # Pace: one tick per period at most, even when poked often.
            await asyncio.sleep(self._period / 4)

    # -- requests -----------------------------------------------------------------------
    async def _serve(self) -> None:
        assert self._conn is not None
        svc = self.service
        async for message in self._conn.messages():
            try:
                role, client_id = svc.topics.parse_request(message.topic)
            except ProtocolError as exc:
                log.warning("fleet API: ignored a message: %s", exc)
                continue
            if message.retained:
                # A request kept by the broker would run again at every reconnect (a
                # retained stopAll would stop the floor after each broker blip).
                log.warning("fleet API: ignored a retained request from %s on %s; requests "
                            "must not be published with the retain flag", client_id,
                            message.topic)
                continue
            try:
                reply, commands = svc.handle(role, client_id, message.payload, self._now())
            except Exception:
                # handle() answers every failure it knows of; this is the last guard, so
                # that no request, however hostile, ends the loop that serves the rest.
                log.exception("fleet API: a request from %s on %s could not be handled; "
                              "dropped", client_id, message.topic)
                continue
            # Into the robots' outboxes before the reply's await: a tick meanwhile
            # must not send a later order update ahead of these (``FleetRuntime``).
            serials = self.runtime.queue(commands) if commands else []
            try:
                await self._send(Publication(svc.topics.reply(client_id),
                                             svc.encode(reply), False, 1))
            except LinkError as exc:
                log.warning("fleet API: reply %s to %s not sent: %s", reply.request_id,
                            client_id, exc)
            self._poke.set()
            if serials:
                try:
                    await self.runtime.flush(serials)
                except Exception:
                    # Serving the next request matters more; the controller resends what
                    # the robots' states do not show taken.
                    log.exception("fleet API: sending the commands of %s failed",
                                  reply.request_id)
