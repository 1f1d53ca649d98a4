"""The action dependency graph: who must leave a cell before whom, and when.

Every cell a robot's route passes is a *visit*. When two visits by different
robots touch the same one-lane footprint, the one planned later gets an edge:
the second visit may only be released once the first robot has reported a
later node. Edges are only ever added between a new visit and live ones, in the
order of their planned times (strictly apart), so the graph stays acyclic.

Times are integer ticks (``TrafficManager.tick_s`` seconds each). A visit
occupies its cell from ``arrival - move + 1`` (the robot starts crossing into
it) to the arrival at its next cell; a released visit occupies it from now on,
since the robot may already be rolling in.
"""

from __future__ import annotations

from collections.abc import Iterable

from fleet.floor.model import Cell

INF = 1 << 60
"""Never: the time a held or parked robot leaves."""

Interval = tuple[int, int]


class Visit:
    """One pass of one robot through one cell; ``seq`` counts the robot's visits for life."""

    __slots__ = ("cell", "dead", "owner", "preds", "seq")

    def __init__(self, owner: Track, seq: int, cell: int) -> None:
        self.owner = owner
        self.seq = seq
        self.cell = cell
        self.preds: list[Visit] = []
        self.dead = False

    def left(self) -> bool:
        """True once the robot has reported a later node (or the visit was replanned away)."""
        return self.dead or self.owner.at > self.seq


class Track:
    """Everything traffic knows about one robot."""

    __slots__ = ("arrived", "at", "base", "cells", "d", "dwell", "goals", "held", "kept", "leg",
                 "moves", "pending", "progress", "released", "robot", "step_s", "turn",
                 "version", "visits")

    def __init__(self, robot: str, cell: Cell, index: int, *, step_s: float, d: int,
                 moves: list[int], now: int, turn: int = 0) -> None:
        self.robot = robot
        self.step_s = step_s
        self.turn = turn  # ticks per 90-degree turn
        self.d = d
        self.moves = moves  # ticks to move into each cell (slow zones take longer)
        self.leg = 0
        self.version = 0
        self.cells: tuple[Cell, ...] = (cell,)
        self.base = 0  # seq of cells[0]
        self.visits = [Visit(self, 0, index)]
        self.progress = 0
        self.released = 0
        self.at = 0  # seq of the visit the robot last reported
        self.kept = 1
        self.held: str | None = None
        self.goals: frozenset[int] = frozenset({index})
        self.dwell: int | None = None  # ticks at the goal; None = until told otherwise
        self.arrived: int | None = now
        # The real goal and dwell while the robot steps aside for another (see giveway).
        self.pending: tuple[frozenset[int], int | None] | None = None

    @property
    def finished(self) -> bool:
        return self.progress == len(self.visits) - 1

    def next_of(self, visit: Visit) -> Visit | None:
        i = visit.seq - self.base + 1
        return self.visits[i] if 0 < i < len(self.visits) else None

    def live(self) -> list[Visit]:
        return self.visits[self.progress:]


def estimate(tracks: Iterable[Track], now: int, planner: Track | None = None
             ) -> tuple[dict[Visit, int], dict[Visit, Interval]]:
    """Arrival ticks and occupied intervals of every live visit, propagated through the graph.

    A visit starts when its robot has arrived at the previous one plus the move,
    and not before every earlier visitor of its footprint has left. A robot at
    the end of its route leaves after its dwell; never when held, open-ended, or
    past its dwell already (it waits for a new leg nobody has promised). The
    ``planner``'s route is cut at its last kept visit, which it is taken never to
    leave: robots queueing behind it then stay out of the search (they will wait
    for whatever it plans), while robots standing in its way remain obstacles.
    """
    arrive: dict[Visit, int] = {}
    tracks = list(tracks)

    def end_leave(owner: Track, t_arr: int) -> int:
        if owner is planner:
            return INF  # whoever waits for it to leave keeps waiting until its new plan passes
        if owner.held is not None or owner.dwell is None:
            return INF
        if owner.arrived is not None and owner.finished:
            due = owner.arrived + owner.dwell
            return INF if due < now else due
        return min(INF, t_arr + owner.dwell)

    def leave(w: Visit) -> int:
        nxt = w.owner.next_of(w)
        return arrive[nxt] if nxt is not None else end_leave(w.owner, arrive[w])

    def deps(v: Visit) -> list[Visit]:
        owner = v.owner
        i = v.seq - owner.base
        if i <= owner.progress or owner.held is not None:
            return []
        out = [owner.visits[i - 1]]
        for w in v.preds:
            if not w.left():
                nxt = w.owner.next_of(w)
                out.append(nxt if nxt is not None else w)
        return out

    def compute(v: Visit) -> int:
        owner = v.owner
        i = v.seq - owner.base
        if i <= owner.progress:
            return now
        if owner.held is not None:
            return INF
        t = arrive[owner.visits[i - 1]] + owner.moves[v.cell]
        for w in v.preds:
            if not w.left():
                t = max(t, leave(w))
        return min(t, INF)

    for track in tracks:
        for root in track.live():
            if root in arrive:
                continue
            stack = [root]
            onstack = {root}
            while stack:
                v = stack[-1]
                if v in arrive:
                    stack.pop()
                    onstack.discard(v)
                    continue
                missing = next((u for u in deps(v) if u not in arrive), None)
                if missing is None:
                    arrive[v] = compute(v)
                elif missing in onstack:
                    arrive[v] = INF  # a cycle: cannot happen by construction; never wait on it
                else:
                    stack.append(missing)
                    onstack.add(missing)
                    continue
                stack.pop()
                onstack.discard(v)

    occupied: dict[Visit, Interval] = {}
    for track in tracks:
        if track is planner:
            continue
        for i, v in enumerate(track.visits[track.progress:], start=track.progress):
            start = -INF if i <= track.released else arrive[v] - track.moves[v.cell] + 1
            occupied[v] = (start, leave(v))
    return arrive, occupied
