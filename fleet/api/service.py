"""The fleet API's logic, without I/O: requests in, replies and publications out.

``ApiService`` sits between the controller and whatever carries bytes (the MQTT
server in ``fleet.api.server``; a test calls it directly). ``handle`` takes one
request's payload and gives the reply plus the robot commands the controller
returned; ``publications`` says what changed since the last call, as retained
state and events to publish; ``full_state`` is everything retained, for a
resync after the broker comes back.

Rates: the caller decides how often to call ``publications`` (the server does it
twice a second); each robot is published only when its view changed, at most
``robot_every_s`` apart, and the summary at most every ``summary_every_s`` (wall
seconds both; the site clock runs ``speed`` times faster). A closed order stays
retained for ``order_retention_s`` site seconds, then is cleared with an empty
retained message so the broker does not keep a whole day of orders.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Literal

import msgspec

from fleet.api.alerts import AlertBook
from fleet.api.backlog import event_view
from fleet.api.messages import (
    POS_COMMANDS,
    ApiError,
    ControllerStatus,
    EventView,
    FloorView,
    OrderView,
    Reply,
    RobotView,
)
from fleet.api.requests import MAX_PAYLOAD, Executor, Refused, decode, salvage_request_id, tag_of
from fleet.api.snapshot import blocked_areas, floor_view, order_view, robot_view, summary
from fleet.api.topics import Topics
from fleet.controller.commands import Command as RobotCommand
from fleet.controller.port import FleetPort
from fleet.domain import events as ev
from fleet.domain.events import Event

log = logging.getLogger(__name__)

ORDER_RETENTION_S = 600.0
EVENTS_HELD = 1000
"""Events kept for publishing while the broker is away; older ones are dropped."""


@dataclass(frozen=True, slots=True)
class Publication:
    topic: str
    payload: bytes
    retain: bool
    qos: int


class ApiService:
    def __init__(self, fleet: FleetPort, site: str, *, name: str = "", speed: float = 1.0,
                 epoch: float = 0.0, max_payload: int = MAX_PAYLOAD,
                 order_retention_s: float = ORDER_RETENTION_S, summary_every_s: float = 1.0,
                 robot_every_s: float = 0.5) -> None:
        self.fleet = fleet
        self.site = site
        self.name = name
        self.speed = speed
        self.epoch = epoch
        """Site time = ``epoch`` + controller time (see ``fleet.api.snapshot``)."""
        self.topics = Topics(site)
        self.alerts = AlertBook()
        self.max_payload = max_payload
        self.order_retention_s = order_retention_s
        self._summary_every = summary_every_s * speed
        self._robot_every = robot_every_s * speed
        self._executor = Executor(fleet, self.alerts, epoch=epoch)
        self._enc = msgspec.json.Encoder()
        self._event_cursor = 0
        self._deadlocks_broken = 0
        self._robots_sent: dict[str, tuple[RobotView, float]] = {}
        self._orders_sent: dict[str, OrderView] = {}
        self._live: set[str] = set(fleet.order_ids())
        """Orders not yet published closed: compared at every call."""
        self._clear_at: dict[str, float] = {}
        self._cleared: set[str] = set()
        """Orders the controller still holds whose retained message was cleared: a resync
        must not publish them again. Ids the controller let go leave it (``_forget``)."""
        self._events_due: list[EventView] = []
        """Taken from the controller (alerts raised) and not yet published."""
        self._summary_at = float("-inf")
        self._alerts_version = -1
        self._floor_sent: FloorView | None = None
        self._floor_key: tuple[tuple[str, int], ...] = ()
        self.requests_handled = 0
        self.requests_refused = 0

    # -- requests -----------------------------------------------------------------------
    def handle(self, role: Literal["pos", "manager"], client_id: str, payload: bytes,
               now: float) -> tuple[Reply, list[RobotCommand]]:
        """One request: the reply to send to ``reply/{client_id}`` and the commands for
        the robots. Never raises for bad input: a refusal is a reply."""
        self.requests_handled += 1
        request_id: str | None = None
        at = self.epoch + now
        try:
            request = decode(payload, max_payload=self.max_payload)
            request_id = request.request_id
            if request.site is not None and request.site != self.site:
                raise Refused("wrong_site", f"this controller serves site {self.site!r}, not "
                              f"{request.site!r}", "$.site")
            command = request.command
            if role == "pos" and not isinstance(command, POS_COMMANDS):
                raise Refused("not_allowed", f"{tag_of(command)} is a manager's command; send "
                              f"it on {self.topics.prefix}/manager/{client_id}",
                              "$.command.type")
            done = self._executor.run(command, now)
        except Refused as refused:
            self.requests_refused += 1
            if request_id is None:
                request_id = salvage_request_id(payload, max_payload=self.max_payload)
            log.info("%s request %s from %s refused: %s (%s)", role, request_id, client_id,
                     refused.error.message, refused.error.code)
            return Reply(request_id=request_id, ok=False, error=refused.error, at=at), []
        except Exception as exc:
            # The controller failed on it (the store's disk full, a bug): the client hears
            # so at once, and the next request is served.
            self.requests_refused += 1
            log.exception("%s request %s from %s failed", role, request_id, client_id)
            if request_id is None:
                request_id = salvage_request_id(payload, max_payload=self.max_payload)
            error = ApiError(code="unavailable",
                             message=f"the controller could not carry it out: {exc}")
            return Reply(request_id=request_id, ok=False, error=error, at=at), []
        log.info("%s request %s from %s: %s", role, request_id, client_id, done.result)
        return (Reply(request_id=request_id, ok=True, result=done.result,
                      duplicate=done.duplicate, at=at, events=list(done.events)),
                done.commands)

    def encode(self, message: Reply) -> bytes:
        return self._enc.encode(message)

    # -- publications -------------------------------------------------------------------
    def status(self, online: bool, now: float, *, stopped: bool = False) -> Publication:
        msg = ControllerStatus(online=online, site=self.site, name=self.name,
                               run_id=self.fleet.run_id, speed=self.speed, at=self.epoch + now,
                               stopped=stopped and not online)
        return Publication(self.topics.status, self._enc.encode(msg), True, 1)

    def full_state(self, now: float) -> list[Publication]:
        """Every retained message, as after a (re)connect: status online, floor, summary,
        each robot, each order still retained, alerts. Also what the next
        ``publications`` compares against."""
        self._take_events()
        self.alerts.tick(self.epoch + now)
        out: list[Publication | None] = [self.status(True, now), self._floor(force=True)]
        for serial in self.fleet.serials():
            out.append(self._robot(serial, now, force=True))
        for order_id in sorted(self.fleet.order_ids()):
            if order_id not in self._cleared:
                out.append(self._order(order_id, now, force=True))
        out.append(self._alerts(force=True))
        out.append(self._summary(now, force=True))
        return [p for p in out if p is not None]

    def publications(self, now: float) -> list[Publication]:
        """What changed since the last call: events first (they explain the rest), then
        robots, orders and order clears, alerts, floor, and the summary when due.
        The summary comes last: a client sweeping stale state on it has the rest."""
        self._take_events()
        self.alerts.tick(self.epoch + now)
        events, self._events_due = self._events_due, []
        out = [Publication(self.topics.events, self._enc.encode(e), False, 1) for e in events]
        for serial in self.fleet.serials():
            p = self._robot(serial, now)
            if p is not None:
                out.append(p)
        touched = self._live | {e.order_id for e in events if e.order_id is not None}
        for order_id in sorted(touched):
            p = self._order(order_id, now)
            if p is not None:
                out.append(p)
        due_now = [order_id for order_id, due in self._clear_at.items() if now >= due]
        for order_id in due_now:
            del self._clear_at[order_id]
            self._orders_sent.pop(order_id, None)
            self._cleared.add(order_id)
            out.append(Publication(self.topics.order(order_id), b"", True, 1))
        if due_now:
            self._forget()
        for p in (self._alerts(), self._floor(), self._summary(now)):
            if p is not None:
                out.append(p)
        return out

    def _forget(self) -> None:
        """Cleared ids of orders the controller no longer holds go: ``full_state`` only
        walks the orders it holds, so they are never read again, and a day of them grew
        the set by every order taken."""
        self._cleared.intersection_update(self.fleet.order_ids())

    def cleared_held(self) -> int:
        """Cleared order ids remembered (at most the orders the controller holds)."""
        return len(self._cleared)

    def _take_events(self) -> None:
        new, self._event_cursor = self.fleet.events_since(self._event_cursor)
        for event in new:
            self.alerts.observe(dataclasses.replace(event, at=self.epoch + event.at))
            if event.kind == ev.DEADLOCK_RESOLVED:
                self._deadlocks_broken += 1
        self._events_due += [self._event_view(e) for e in new]
        if len(self._events_due) > EVENTS_HELD:
            # Nobody published for a long while (the broker is down): keep the latest.
            log.info("fleet API: %d events not published while no one listened",
                     len(self._events_due) - EVENTS_HELD)
            del self._events_due[:-EVENTS_HELD]

    def _event_view(self, e: Event) -> EventView:
        return event_view(e, self.epoch)

    def _robot(self, serial: str, now: float, *, force: bool = False) -> Publication | None:
        view = robot_view(self.fleet.robot(serial, now), self.fleet.plan, now, epoch=self.epoch)
        sent = self._robots_sent.get(serial)
        if not force and sent is not None:
            if now - sent[1] < self._robot_every:
                return None
            if msgspec.structs.replace(view, at=sent[0].at) == sent[0]:
                return None
        self._robots_sent[serial] = (view, now)
        return Publication(self.topics.robot(serial), self._enc.encode(view), True, 1)

    def _order(self, order_id: str, now: float, *, force: bool = False) -> Publication | None:
        order = self.fleet.order(order_id)
        if order is None:
            return None
        view = order_view(order, epoch=self.epoch)
        if not view.open:
            self._live.discard(order_id)
            self._clear_at.setdefault(order_id, now + self.order_retention_s)
        else:
            self._live.add(order_id)
            self._clear_at.pop(order_id, None)
        if not force and self._orders_sent.get(order_id) == view:
            return None
        self._orders_sent[order_id] = view
        self._cleared.discard(order_id)
        return Publication(self.topics.order(order_id), self._enc.encode(view), True, 1)

    def _alerts(self, *, force: bool = False) -> Publication | None:
        if not force and self.alerts.version == self._alerts_version:
            return None
        self._alerts_version = self.alerts.version
        return Publication(self.topics.alerts, self._enc.encode(self.alerts.view()), True, 1)

    def _floor(self, *, force: bool = False) -> Publication | None:
        key = tuple(sorted((name, hash(self.fleet.blocked_zone_cells(name)))
                           for name in self.fleet.blocked_zones))
        if self._floor_sent is None or key != self._floor_key:
            # Drawn again only when the manager's blocked zones change, by name or by
            # area (a big plan is tens of thousands of cells).
            self._floor_sent = floor_view(self.fleet.plan, blocked_areas(self.fleet))
            self._floor_key = key
        elif not force:
            return None
        return Publication(self.topics.floor, self._enc.encode(self._floor_sent), True, 1)

    def _summary(self, now: float, *, force: bool = False) -> Publication | None:
        if not force and now - self._summary_at < self._summary_every:
            return None
        self._summary_at = now
        msg = summary(self.fleet, site=self.site, name=self.name, now=now, speed=self.speed,
                      deadlocks_broken=self._deadlocks_broken, epoch=self.epoch)
        return Publication(self.topics.summary, self._enc.encode(msg), True, 1)
