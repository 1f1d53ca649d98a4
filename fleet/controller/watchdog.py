"""The progress watchdog: every robot's phase, each change an event, each overrun acted on.

Once a second (the controller's tick), each robot's phase (``fleet.controller.
phase``) is read again: a phase that lasts less than that may go unseen, which
costs nothing, as the bounds that matter are tens of seconds (read after every
input instead, it took a tenth of a 12-robot simulation's time). A change is an
event (``RobotPhaseChanged``), so a robot's lifecycle can be read back from the
store; a change ``TRANSITIONS`` does not expect is logged and counted. A robot
that stays in a phase past its rule's bound without progress is overdue: the
watchdog tells it once per stay (``RobotPhaseOverdue``, with what holds it in
plain words) and acts where the controller can: a robot sent to step aside whose
way there stays blocked is sent somewhere else. Food riding on a robot that does
not progress is also raised to the manager as a stall (``tripwork``); this watch
covers every phase.

It holds no controller: ``core`` hands it the read-only ``FleetView`` it reads
phases and reasons from, an ``Emit`` for its events, and, as a callable, the one
help it gives (``makeway.step_elsewhere`` over trip work).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleet.controller.explain import stall_phrase
from fleet.controller.phase import RULES, Phase, expected, phase_of, phase_words
from fleet.domain import events as ev
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.controller.robots import RobotRecord
    from fleet.controller.view import FleetView
    from fleet.domain.events import Emit

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Stay:
    phase: Phase
    since: float
    told: bool = False


class Watchdog:
    def __init__(self, view: FleetView, *, emit: Emit,
                 step_elsewhere: Callable[[RobotRecord, float], bool]) -> None:
        self.view = view
        self.emit = emit
        self.step_elsewhere = step_elsewhere
        """Sends a robot stepping aside whose way stays blocked to another aside cell it
        can reach; False when there is none (``makeway.step_elsewhere``)."""
        self._stays: dict[str, _Stay] = {}
        self.changes = 0
        self.unexpected = 0
        """Changes ``TRANSITIONS`` does not list (a simulation asserts none)."""
        self.overdue = 0

    def phase(self, serial: str) -> Phase | None:
        stay = self._stays.get(serial)
        return stay.phase if stay is not None else None

    def since(self, serial: str) -> float | None:
        stay = self._stays.get(serial)
        return stay.since if stay is not None else None

    def observe(self, now: float) -> None:
        """Read every robot's phase again; tell each change."""
        for serial, rec in self.view.robots.items():
            phase = phase_of(self.view, rec)
            stay = self._stays.get(serial)
            if stay is None:
                self._stays[serial] = _Stay(phase, now)
                continue
            if phase is stay.phase:
                continue
            ok = expected(stay.phase, phase)
            self.changes += 1
            if not ok:
                self.unexpected += 1
                log.warning("%s: unexpected phase change %s -> %s", serial, stay.phase, phase)
            self.emit(ev.ROBOT_PHASE_CHANGED, now, f"{serial}: {stay.phase} -> {phase}",
                     robot=serial, trip_id=rec.trip.trip_id if rec.trip is not None else None,
                     data={"from": str(stay.phase), "to": str(phase),
                           "after_s": round(now - stay.since, 1), "expected": ok})
            self._stays[serial] = _Stay(phase, now)

    def check(self, now: float) -> None:
        """Robots past their phase's bound without progress: told once per stay, and
        helped where the controller can."""
        for serial, stay in self._stays.items():
            rule = RULES[stay.phase]
            rec = self.view.robots[serial]
            if rule.bound_s is None or stay.told:
                continue
            still = now - max(stay.since, rec.progress_at)
            if still < rule.bound_s:
                continue
            stay.told = True
            self.overdue += 1
            reason = stall_phrase(self.view, serial, now)
            if stay.phase is Phase.QUEUED and (holders := self._holders(serial)):
                reason = Phrase.of("{said}; its spots held by {robots}", said=reason,
                                   robots=holders)
            said = Phrase.of("{robot} {phase} for {s} s (bound {bound} s): {reason}",
                             robot=serial, phase=phase_words(stay.phase), s=f"{still:.0f}",
                             bound=f"{rule.bound_s:.0f}", reason=reason)
            action = ""
            if stay.phase is Phase.NO_ROUTE and self.step_elsewhere(rec, now):
                said = Phrase.of("{said}; sent to step aside somewhere it can reach",
                                 said=said)
                action = "sent to step aside somewhere it can reach"
            self.emit(ev.ROBOT_PHASE_OVERDUE, now, said, robot=serial,
                     trip_id=rec.trip.trip_id if rec.trip is not None else None,
                     data={"phase": str(stay.phase), "seconds": round(still),
                           "cause": str(rule.cause), "reason": str(reason), "action": action})

    def _holders(self, serial: str) -> Phrase | None:
        """Who stands on the spots a queued robot waits for, and in what phase: the
        first thing a person looking at a queue wants to know (None: nobody)."""
        plan, robots = self.view.plan, self.view.robots
        rec = robots[serial]
        if rec.queued_for is None or rec.queued_for[2] not in plan.places:
            return None
        spots = set(plan.place(rec.queued_for[2]).cells)
        held: Phrase | None = None
        for o in robots.values():
            phase = self.phase(o.serial)
            if (o is rec or o.cell is None or phase is None
                    or spots.isdisjoint(plan.footprint(o.cell))):
                continue
            one = Phrase.of("{robot} ({phase})", robot=o.serial, phase=phase_words(phase))
            held = one if held is None else Phrase.of("{a}, {b}", a=held, b=one)
        return held
