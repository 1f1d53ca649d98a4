"""The fleet as a client last heard it: the retained present folded from updates.

Pure: no I/O and no clock of its own. The caller says when (``mono``, its own
monotonic seconds) an update arrived, and the mirror uses that to estimate the
site's clock between summaries, so a dashboard counts waiting times up smoothly
even though summaries come once a second and the site may run faster than the
wall (a simulation).

Resync: after the broker link comes back the client subscribes again and the
broker sends every retained message again. Robots and orders that vanished
while the link was down (an order cleared meanwhile) would linger, so on
``LinkChanged(up=True)`` the mirror marks what it holds as stale and, on the
first ``Summary`` after it, drops whatever was not heard again. The client
subscribes to ``summary`` last, so the retained burst is in by then.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

from fleet.api.messages import (
    Alerts,
    AlertView,
    ControllerStatus,
    EventView,
    FloorView,
    OrderView,
    RobotView,
    Summary,
)
from fleet.api.updates import LinkChanged, OrderCleared, Update

EVENTS_KEPT = 200

Part = Literal["status", "floor", "summary", "robots", "orders", "alerts", "events", "link"]
"""Which part of the mirror an update changed (a dashboard refreshes just that)."""


class FleetMirror:
    def __init__(self, *, events_kept: int = EVENTS_KEPT) -> None:
        self.status: ControllerStatus | None = None
        self.floor: FloorView | None = None
        self.summary: Summary | None = None
        self.robots: dict[str, RobotView] = {}
        self.orders: dict[str, OrderView] = {}
        self.alerts: Alerts | None = None
        self.events: deque[EventView] = deque(maxlen=events_kept)
        self.connected = False
        self.link_reason = ""
        """Why the link is down (or what happened last), for the header."""
        self.updates_applied = 0
        self._summary_mono: float | None = None
        self._stale_robots: set[str] = set()
        self._stale_orders: set[str] = set()

    # -- folding ----------------------------------------------------------------------
    def apply(self, update: Update, mono: float) -> Part:
        """Fold one update in; ``mono`` is when it arrived (the caller's monotonic
        clock, e.g. ``time.monotonic()`` or the loop's time). Returns what changed."""
        self.updates_applied += 1
        if isinstance(update, RobotView):
            self.robots[update.serial] = update
            self._stale_robots.discard(update.serial)
            return "robots"
        if isinstance(update, OrderView):
            self.orders[update.order_id] = update
            self._stale_orders.discard(update.order_id)
            return "orders"
        if isinstance(update, OrderCleared):
            self.orders.pop(update.order_id, None)
            self._stale_orders.discard(update.order_id)
            return "orders"
        if isinstance(update, Summary):
            self.summary = update
            self._summary_mono = mono
            self._sweep()
            return "summary"
        if isinstance(update, EventView):
            self.events.append(update)
            return "events"
        if isinstance(update, Alerts):
            self.alerts = update
            return "alerts"
        if isinstance(update, ControllerStatus):
            self.status = update
            return "status"
        if isinstance(update, FloorView):
            self.floor = update
            return "floor"
        if isinstance(update, LinkChanged):
            self.connected = update.up
            self.link_reason = update.reason
            if update.up:
                self._stale_robots = set(self.robots)
                self._stale_orders = set(self.orders)
            return "link"
        raise TypeError(f"not a fleet update: {type(update).__name__}")  # pragma: no cover

    def _sweep(self) -> None:
        for serial in self._stale_robots:
            self.robots.pop(serial, None)
        for order_id in self._stale_orders:
            self.orders.pop(order_id, None)
        self._stale_robots.clear()
        self._stale_orders.clear()

    # -- reading ----------------------------------------------------------------------
    @property
    def controller_online(self) -> bool:
        """The broker link is up and the controller says it is online."""
        return self.connected and self.status is not None and self.status.online

    def site_now(self, mono: float) -> float:
        """The site's clock now, estimated from the last summary: its ``now`` plus the
        time since it arrived times the site's speed. Before any summary, the latest
        time the status gave (0.0 when nothing came yet). The estimate stops
        advancing while the controller is offline (its clock is not running for us)."""
        if self.summary is None or self._summary_mono is None:
            return self.status.at if self.status is not None else 0.0
        if not self.controller_online:
            return self.summary.now
        return self.summary.now + max(0.0, mono - self._summary_mono) * self.summary.speed

    def open_alerts(self) -> list[AlertView]:
        """Alerts not acknowledged yet, newest first."""
        if self.alerts is None:
            return []
        return [a for a in self.alerts.alerts if not a.acknowledged]

    def open_orders(self) -> list[OrderView]:
        """Open orders, oldest first."""
        return sorted((o for o in self.orders.values() if o.open),
                      key=lambda o: (o.created_at, o.order_id))
