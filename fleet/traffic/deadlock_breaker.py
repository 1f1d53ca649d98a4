"""Breaking deadlocks: the traffic manager's attempt to end what ``deadlock`` finds.

``deadlock`` finds situations (cycles, held and parked stalls) and counts each
once; this module acts on the ones due: replan a robot that waits on the blocker
round it, else back a robot of a cycle out to a cell no one plans to use, else
solve the whole floor at once (``floorsolve``). A stall it cannot get round is
reported for the caller to end (move the parked robot, release the held one).

Split from the manager so that planning and release read in one file and
recovery in another. It reads the tracks and asks for replans through the narrow
``TrafficView`` the manager offers, never through its private fields, and is
reached only through ``TrafficManager.resolve_deadlocks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from fleet.floor.model import Cell
from fleet.traffic.adg import Track
from fleet.traffic.deadlock import DeadlockBook, Situation, find_situations
from fleet.traffic.giveway import retreat_cell
from fleet.traffic.planning import Board
from fleet.traffic.records import Deadlock, RobotId, Route, TrafficStats, Wait


class TrafficView(Protocol):
    """What recovery needs of the traffic manager."""

    retry_s: float
    stats: TrafficStats

    @property
    def tick_length(self) -> float: ...
    @property
    def board(self) -> Board: ...
    def tick_of(self, now: float) -> int: ...
    def tracks(self) -> Mapping[RobotId, Track]: ...
    def continue_all(self, now: float) -> None: ...
    def waiting_for(self, robot: RobotId) -> Wait | None: ...
    def replan_robot(self, robot: RobotId, now: float, *, via: int | None = None
                     ) -> Route | None: ...
    def solve_floor(self, now: float, *, for_aside: bool = False) -> bool: ...


def stuck_note(track: Track, board: Board, tick: int) -> tuple[str, str] | None:
    """Why a robot that waits for no one will not move by itself, as (kind, words);
    None when it is on its way."""
    robot = track.robot
    where = board.name(track.visits[track.progress].cell)
    if track.held is not None:
        return "held", f"{robot} is held ({track.held}) at {where}"
    if track.finished:
        if track.dwell is None:
            return "parked", f"{robot} is parked at {where} until its next leg"
        if track.arrived is not None and track.arrived + track.dwell < tick:
            return "parked", f"{robot} stays at {where} past its dwell"
    return None


ASIDE_S = 10.0
"""How long a robot may wait aside, unable to go on to its real goal, before every
robot is planned at once (a floor the last solve failed on is not tried again until
something moves)."""


class DeadlockBreaker:
    """One per traffic manager; keeps the book of situations between calls."""

    def __init__(self, traffic: TrafficView) -> None:
        self._traffic = traffic
        self._book: DeadlockBook | None = None

    def resolve(self, now: float) -> list[Deadlock]:
        """Find robots that cannot move until something changes and try to end it."""
        t = self._traffic
        tick = t.tick_of(now)
        if self._book is None:
            self._book = DeadlockBook(retry=max(1, round(t.retry_s / t.tick_length)))
        t.continue_all(now)
        tracks = t.tracks()
        aside = round(ASIDE_S / t.tick_length)
        if any(tr.pending is not None and tr.finished and tr.arrived is not None
               and tick - tr.arrived >= aside for tr in tracks.values()):
            # Waiting aside is no one's wait in the graph: the robot that stepped aside
            # retries its own way each tick, and the floor solve plans it with the rest.
            t.solve_floor(now, for_aside=True)
        waits: dict[RobotId, Wait] = {}
        for robot, track in tracks.items():
            if track.released == track.progress:
                wait = t.waiting_for(robot)
                if wait is not None:
                    waits[robot] = wait
        if not waits:
            self._book.due([], tick, t.stats)
            return []
        situations = find_situations(waits, lambda r: stuck_note(tracks[r], t.board, tick))
        return [self._recover(s, now) for s in self._book.due(situations, tick, t.stats)]

    def _recover(self, s: Situation, now: float) -> Deadlock:
        assert self._book is not None
        stats = self._traffic.stats
        for robot in s.direct:
            if robot in self._traffic.tracks() and self._unstuck_by_replan(robot, now):
                return self._book.record(s, True, f"replanned {robot} around", stats)
        if s.kind == "cycle":
            for robot in s.robots:
                cell = self._back_out(robot, now)
                if cell is not None:
                    return self._book.record(s, True, f"{robot} backs out to {cell}", stats)
        # Last: every robot that may move planned at once, parked ones stepping aside
        # and back (``floorsolve``); a held robot stays a wall to it.
        if self._traffic.solve_floor(now):
            return self._book.record(s, True, "solved the whole floor at once", stats)
        if s.kind == "cycle":
            return self._book.record(s, False, "no robot of the cycle could move", stats)
        verb = "released from hold" if s.kind == "held" else "sent away"
        return self._book.record(s, False, f"no way round: wait for {s.blocker} to be {verb}",
                                 stats)

    def _unstuck_by_replan(self, robot: RobotId, now: float) -> bool:
        """Replan and tell whether the robot now waits for someone else, or no one."""
        t = self._traffic
        before = t.waiting_for(robot)
        t.replan_robot(robot, now)
        after = t.waiting_for(robot)
        return after is None or before is None or after.blocker != before.blocker

    def _back_out(self, robot: RobotId, now: float) -> Cell | None:
        """Send ``robot`` to a nearby cell no one else plans to use, then on to its goal."""
        t = self._traffic
        tracks = t.tracks()
        cell = retreat_cell(t.board, tracks.values(), tracks[robot], set())
        if cell is None or t.replan_robot(robot, now, via=cell) is None:
            return None
        t.stats.backouts += 1
        return t.board.cell(cell)
