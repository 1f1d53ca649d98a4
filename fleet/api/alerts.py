"""Alerts: the events a floor manager must see and acknowledge, kept until they do.

Pure. ``AlertBook.observe`` is fed every controller event; the few that need a
person (a robot faulted, e-stopped, offline or in manual mode; an error it
reports; a robot on another map than its model's; a low battery; a deadlock
broken; a dish that failed; a route that failed; a robot stalled with food
aboard, or out of service with dishes on its trays) become alerts with a level.
A stall alert is cleared by the robot moving again, as a mode alert is by the
robot coming back. The same alert raised again while still open is counted on
the open one instead of piling up (a robot flapping on and off line makes one
line, not fifty). Ids only grow, so a client acknowledges exactly the alert it
saw; acknowledged ones stay visible for a while.

Noise is a fault too: a manager who learns that alerts cry wolf stops reading
them. A robot that goes offline is alerted only when it stays away past
``OFFLINE_GRACE_S`` (``tick`` raises it; a link that drops and comes back within
the grace raises nothing), and the dishes of one order that fail for one reason
(three dishes nobody took at one table visit) make one alert, counted.

Each alert carries its headline as words too (``AlertView.words``, a
``fleet.words`` phrase), for a dashboard in another language: "R5 is offline"
is "R5 오프라인"; the detail the controller or the robot wrote (a reason, an error)
rides along as it was written.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from fleet.api.messages import AlertLevel, Alerts, AlertView, Words
from fleet.api.words import words_view
from fleet.domain import RobotMode
from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.errors import CommandError
from fleet.words import N_, Phrase, text

ACKNOWLEDGED_KEPT = 50
CLEARED_KEPT = 20
OFFLINE_GRACE_S = 15.0
"""A robot offline for less than this (a Wi-Fi hand-over, a broker restart) needs nobody."""

_MODE_LEVELS: dict[str, tuple[AlertLevel, str]] = {
    RobotMode.OFFLINE.value: ("critical", N_("{robot} is offline")),
    RobotMode.ESTOPPED.value: ("critical", N_("{robot} is e-stopped")),
    RobotMode.FAULT.value: ("critical", N_("{robot} is faulted")),
    RobotMode.MANUAL.value: ("critical", N_("{robot} is in manual mode")),
}
_HEADLINES: dict[str, tuple[AlertLevel, str]] = {
    ev.MAP_MISMATCH_DETECTED: ("critical", N_("{robot}: on another map")),
    ev.BATTERY_LOW: ("warning", N_("{robot}: battery low")),
    ev.ROUTE_FAILED: ("warning", N_("{robot}: no route")),
    ev.ROBOT_STALLED: ("warning", N_("{robot} made no progress")),
    ev.ROBOT_STRANDED: ("critical", N_("{robot} cannot be unloaded")),
    ev.ROBOT_WITHDRAWN: ("critical", N_("{robot} taken out of dispatch")),
    ev.ACTION_UNSUPPORTED: ("warning", N_("{robot} lacks an action")),
    ev.ROBOT_UNPLACED: ("critical", N_("{robot} cannot be placed")),
}
"""Alerts whose text is the controller's sentence: the headline in words, the
sentence as its detail ("{robot}: battery low: R4 battery at 18 %")."""
_MODE_IN_TEXT = re.compile(r"->\s*(\S+)\s*$")


@dataclass(frozen=True, slots=True)
class Raised:
    level: AlertLevel
    text: str
    phrase: Phrase | None = None
    """The text as words (None: shown as written, in every language)."""


def _new_mode(event: Event) -> str:
    mode = event.data.get("mode")
    if isinstance(mode, str):
        return mode
    # The core says "R1: idle -> fault"; its data may carry the mode later.
    match = _MODE_IN_TEXT.search(event.text)
    return match.group(1) if match else ""


def _detail(event: Event) -> Phrase:
    """The event's own sentence as an alert's detail: in words when the controller
    gave it words, else as written."""
    return event.words if event.words is not None else text(event.text)


def classify(event: Event) -> Raised | None:
    """The alert an event raises, or None for the many that need nobody."""
    kind = event.kind
    if kind == ev.ROBOT_MODE_CHANGED:
        mode = _new_mode(event)
        found = _MODE_LEVELS.get(mode)
        if found is None:
            return None
        level, key = found
        phrase = Phrase.of(key, robot=event.robot or "a robot")
        return Raised(level, str(phrase), phrase)
    if kind == ev.ROBOT_ERROR_REPORTED:
        fatal = event.data.get("level") == "FATAL" or " FATAL " in f" {event.text} "
        return Raised("critical" if fatal else "warning", event.text)
    if kind == ev.DEADLOCK_RESOLVED:
        if event.text:
            return Raised("info", f"deadlock broken: {event.text}",
                          Phrase.of("deadlock broken: {detail}", detail=text(event.text)))
        return Raised("info", "deadlock broken", Phrase.of("deadlock broken"))
    if kind == ev.DISH_FAILED:
        # Per order and reason, so the dishes of one table visit collapse into one.
        what = (Phrase.of("order {order}", order=event.order_id) if event.order_id
                else text(event.dish_id) if event.dish_id else Phrase.of("a dish"))
        if event.text:
            phrase = Phrase.of("{what}: dish failed: {detail}", what=what,
                               detail=_detail(event))
        else:
            phrase = Phrase.of("{what}: dish failed", what=what)
        return Raised("warning", str(phrase), phrase)
    if kind == ev.DISHES_LATE:
        phrase = Phrase.of("dishes late at the pass")
        if event.text:
            return Raised("warning", event.text,
                          Phrase.of("dishes late at the pass: {detail}",
                                    detail=text(event.text)))
        return Raised("warning", str(phrase), phrase)
    percent = event.data.get("percent")
    if kind == ev.BATTERY_LOW and isinstance(percent, int | float):
        phrase = Phrase.of("{robot}: battery low ({percent} %)", robot=event.robot or "a robot",
                           percent=f"{percent:.0f}")
        return Raised("warning", event.text or str(phrase), phrase)
    headline = _HEADLINES.get(kind)
    if headline is not None:
        level, key = headline
        phrase = Phrase.of(key, robot=event.robot or "?")
        if event.text:
            return Raised(level, event.text, Phrase.of("{headline}: {detail}", headline=phrase,
                                                       detail=_detail(event)))
        return Raised(level, str(phrase), phrase)
    return None


class AlertBook:
    def __init__(self, *, acknowledged_kept: int = ACKNOWLEDGED_KEPT,
                 offline_grace_s: float = OFFLINE_GRACE_S) -> None:
        self.offline_grace_s = offline_grace_s
        self._held: dict[str, tuple[Event, Raised]] = {}
        """Robots gone offline within the grace: raised by ``tick`` if still away."""
        self._open: dict[int, AlertView] = {}
        self._acknowledged: deque[AlertView] = deque(maxlen=acknowledged_kept)
        self._cleared: deque[AlertView] = deque(maxlen=CLEARED_KEPT)
        """Cleared by the robot coming back, kept apart: a robot flapping on and off line
        must not push what the manager acknowledged out of view."""
        self._next_id = 1
        self.version = 0
        """Grows whenever what ``view()`` shows changes."""

    def observe(self, event: Event) -> AlertView | None:
        """Raise (or count again) the alert ``event`` calls for; the alert, or None.
        A robot back in a working mode clears its open mode alerts by itself."""
        raised = classify(event)
        if event.kind == ev.ROBOT_MODE_CHANGED and event.robot is not None:
            self._held.pop(event.robot, None)  # any later mode decides anew
            if (raised is not None and _new_mode(event) == RobotMode.OFFLINE.value
                    and self.offline_grace_s > 0 and not self._has_open(event, raised)):
                self._held[event.robot] = (event, raised)
                return None
        if raised is None:
            if event.kind == ev.ROBOT_MODE_CHANGED and event.robot is not None:
                self._clear_modes(event.robot, _new_mode(event), event.at)
            elif event.kind == ev.ROBOT_MOVED_ON and event.robot is not None:
                self._clear(event.robot, ev.ROBOT_STALLED, "moving again", event.at)
            return None
        return self._raise(event, raised)

    def tick(self, now: float) -> list[AlertView]:
        """Raise the offline alerts whose grace is over (``now`` on the events' clock)."""
        out = []
        for robot, (event, raised) in list(self._held.items()):
            if now - event.at >= self.offline_grace_s:
                del self._held[robot]
                out.append(self._raise(event, raised))
        return out

    def _has_open(self, event: Event, raised: Raised) -> bool:
        """The same alert is open already: counting it again needs no grace."""
        return any(a.kind == event.kind and a.robot == event.robot and a.text == raised.text
                   for a in self._open.values())

    def _raise(self, event: Event, raised: Raised) -> AlertView:
        for alert_id, alert in self._open.items():
            if (alert.kind == event.kind and alert.level == raised.level
                    and alert.text == raised.text and alert.robot == event.robot
                    and alert.order_id == event.order_id):
                again = AlertView(alert_id=alert_id, at=alert.at, level=alert.level,
                                  kind=alert.kind, text=alert.text, words=alert.words,
                                  robot=alert.robot,
                                  order_id=alert.order_id, count=alert.count + 1,
                                  last_at=event.at)
                self._open[alert_id] = again
                self.version += 1
                return again
        alert = AlertView(alert_id=self._next_id, at=event.at, level=raised.level,
                          kind=event.kind, text=raised.text, words=words_view(raised.phrase),
                          robot=event.robot,
                          order_id=event.order_id, last_at=event.at)
        self._next_id += 1
        self._open[alert.alert_id] = alert
        self.version += 1
        return alert

    def acknowledge(self, alert_id: int) -> str:
        """Acknowledge one alert; what was done, in words. ``CommandError``
        (``unknown_alert``) for an id never given or acknowledged long ago."""
        alert = self._open.pop(alert_id, None)
        if alert is None:
            if any(a.alert_id == alert_id for a in (*self._acknowledged, *self._cleared)):
                return f"alert {alert_id} was already acknowledged"
            raise CommandError(f"no alert {alert_id} (open: "
                               f"{', '.join(str(i) for i in self._open) or 'none'})",
                               code="unknown_alert", field="alert_id")
        done = AlertView(alert_id=alert.alert_id, at=alert.at, level=alert.level,
                         kind=alert.kind, text=alert.text, words=alert.words,
                         robot=alert.robot,
                         order_id=alert.order_id, acknowledged=True, count=alert.count,
                         last_at=alert.last_at)
        self._acknowledged.append(done)
        self.version += 1
        return f"alert {alert_id} acknowledged: {alert.text}"

    def _clear_modes(self, robot: str, mode: str, at: float) -> None:
        """Its offline / e-stopped / faulted / manual alerts stop being open: the state
        they warned of is over (they stay in view, marked cleared, until they age out)."""
        self._clear(robot, ev.ROBOT_MODE_CHANGED, f"{mode or 'back'} again", at)

    def _clear(self, robot: str, kind: str, why: str, at: float) -> None:
        for alert_id, alert in list(self._open.items()):
            if alert.robot == robot and alert.kind == kind:
                del self._open[alert_id]
                self._cleared.append(AlertView(
                    alert_id=alert_id, at=alert.at, level=alert.level, kind=alert.kind,
                    text=f"{alert.text} (cleared: {why})", robot=robot,
                    words=None if alert.words is None else Words(
                        key=N_("{alert} (cleared)"), args={"alert": alert.words}),
                    order_id=alert.order_id, acknowledged=True, count=alert.count,
                    last_at=at))
                self.version += 1

    def open_alerts(self) -> list[AlertView]:
        return sorted(self._open.values(), key=lambda a: -a.alert_id)

    def view(self) -> Alerts:
        """Open alerts and the latest acknowledged ones, newest first."""
        return Alerts(alerts=sorted([*self._open.values(), *self._acknowledged, *self._cleared],
                                    key=lambda a: -a.alert_id))
