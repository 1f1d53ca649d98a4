"""Giving way: a robot mid-leg steps aside so that another can leave a dead end.

Prioritised planning cannot foresee where a robot waiting at a table or the
pass will go next. When its next leg finds the only way out taken by robots
queueing to get in, those robots are sent to a nearby cell off its way (their
real goal kept as *pending*), the leg is planned, and they continue behind it.
"""

from __future__ import annotations

from collections.abc import Iterable

from fleet.traffic.adg import Track
from fleet.traffic.planning import Board, free_path

RETREAT_DEPTH = 12


def lane_of(board: Board, start: int, goals: frozenset[int]) -> set[int]:
    """Every cell a robot on the empty-floor way from ``start`` to ``goals`` makes unusable."""
    return {f for index in free_path(board, start, goals) for f in board.foot[index]}


def in_the_way(track: Track, lane: set[int]) -> bool:
    """True for a robot mid-leg that stands on, or is released into, ``lane``."""
    if track.held is not None or track.finished:
        return False
    return any(v.cell in lane for v in track.visits[track.progress:track.released + 1])


def stepped_aside_in(track: Track, lane: set[int]) -> bool:
    """True for a robot parked at the cell it stepped aside to, on ``lane``."""
    if track.held is not None or not track.finished or track.pending is None:
        return False
    return track.visits[track.progress].cell in lane


def retreat_cell(board: Board, tracks: Iterable[Track], track: Track,
                 lane: set[int]) -> int | None:
    """The nearest cell to ``track``'s last released one that is off ``lane`` and off
    every other robot's remaining route."""
    used = {f for t in tracks if t is not track for v in t.live() for f in board.foot[v.cell]}
    start = track.visits[track.released].cell
    seen = {start}
    frontier = [start]
    for _ in range(RETREAT_DEPTH):
        ring: list[int] = []
        for cell in frontier:
            for nxt in board.succ[board.indptr[cell]:board.indptr[cell + 1]]:
                if nxt not in seen:
                    seen.add(nxt)
                    ring.append(nxt)
        for cell in ring:
            if cell not in lane and cell not in used and cell not in board.closed:
                return cell
        frontier = ring
    return None
