"""Deadlocks: robots that cannot move until something changes, found in the wait-for graph.

Each stuck robot (standing on its last released cell, its next cell not
released) waits for one blocker. Following blockers ends at a robot that is
moving (no deadlock), at one that will not move by itself (held, or parked at
the end of its route: a *held* or *parked* stall), or back at a robot already
on the chain (a *cycle*). The dependency graph is acyclic by construction, so
cycles are a safety net; stalls are the everyday case (a guest slow to take a
dish at a table in an aisle).

This module finds situations, words them, and keeps count once per situation;
acting on them (replan a robot around, or back it out of the way) is
``deadlock_breaker``'s, which works on the manager's tracks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fleet.traffic.records import Deadlock, RobotId, TrafficStats, Wait


@dataclass(frozen=True, slots=True)
class Situation:
    kind: str  # "cycle", "held" or "parked"
    waits: tuple[Wait, ...]
    blocker: RobotId | None = None
    note: str = ""

    @property
    def robots(self) -> tuple[RobotId, ...]:
        return tuple(w.robot for w in self.waits)

    @property
    def direct(self) -> tuple[RobotId, ...]:
        """Robots waiting on the blocker itself (for a cycle: every robot of it)."""
        if self.blocker is None:
            return self.robots
        return tuple(w.robot for w in self.waits if w.blocker == self.blocker)

    @property
    def signature(self) -> frozenset[Wait]:
        return frozenset(self.waits)

    @property
    def reason(self) -> str:
        parts = [str(w) for w in self.waits]
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


def find_situations(waits: Mapping[RobotId, Wait],
                    stuck_note: Callable[[RobotId], tuple[str, str] | None]) -> list[Situation]:
    """Cycles and stalls among ``waits`` (stuck robots only).

    ``stuck_note(robot)`` says why a robot that is not waiting will not move by
    itself, as (kind, words), or None when it is on its way.
    """
    found: list[Situation] = []
    cycles: set[frozenset[RobotId]] = set()
    chains: dict[RobotId, dict[RobotId, Wait]] = {}
    notes: dict[RobotId, tuple[str, str]] = {}
    for robot in sorted(waits):
        path = [robot]
        where = {robot: 0}
        blocker = waits[robot].blocker
        while True:
            if blocker in where:
                cycle = path[where[blocker]:]
                if frozenset(cycle) not in cycles:
                    cycles.add(frozenset(cycle))
                    found.append(Situation("cycle", tuple(waits[r] for r in cycle)))
                break
            if blocker in waits:
                where[blocker] = len(path)
                path.append(blocker)
                blocker = waits[blocker].blocker
                continue
            note = notes.get(blocker) or stuck_note(blocker)
            if note is not None:
                notes[blocker] = note
                chain = chains.setdefault(blocker, {})
                for r in path:
                    chain[r] = waits[r]
            break
    for blocker, chain in sorted(chains.items()):
        kind, words = notes[blocker]
        found.append(Situation(kind, tuple(chain.values()), blocker, words))
    return found


@dataclass
class DeadlockBook:
    """Counts each situation once and retries recovery of lasting ones now and then."""

    retry: int  # ticks between recovery attempts of a lasting situation
    _next_try: dict[frozenset[Wait], int] = field(default_factory=dict)
    _unrecovered: set[frozenset[Wait]] = field(default_factory=set)

    def due(self, situations: list[Situation], now: int, stats: TrafficStats) -> list[Situation]:
        """The situations to act on now; new ones are counted as detected."""
        current = {s.signature for s in situations}
        for gone in [k for k in self._next_try if k not in current]:
            del self._next_try[gone]
            self._unrecovered.discard(gone)
        out: list[Situation] = []
        for s in situations:
            when = self._next_try.get(s.signature)
            if when is None and s.kind == "cycle":
                stats.deadlocks_detected += 1
            elif when is None:
                stats.stalls_detected += 1
            elif when > now:
                continue
            self._next_try[s.signature] = now + self.retry
            out.append(s)
        return out

    def record(self, s: Situation, recovered: bool, action: str, stats: TrafficStats) -> Deadlock:
        """A cycle we could not break counts as unrecovered (once); a stall we could not
        get round counts as a stall: the caller ends it by moving the blocker."""
        if not recovered and s.signature not in self._unrecovered:
            self._unrecovered.add(s.signature)
            if s.kind == "cycle":
                stats.deadlocks_unrecovered += 1
            else:
                stats.stalls += 1
        blockers = (s.blocker,) if s.blocker is not None else s.robots
        return Deadlock(robots=s.robots, reason=s.reason, recovered=recovered, action=action,
                        kind=s.kind, blockers=blockers)
