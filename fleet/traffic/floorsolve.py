"""Solving the whole floor at once: LaCAM over every robot, committed into the graph.

The manager plans one leg at a time, and to that planner a robot with no leg
(idle, parked, parked aside) is a wall on its cell for good. When a leg cannot
be planned at all, or a deadlock the breaker cannot end persists, that is
usually the reason: the way out is only open if a robot that is not going
anywhere steps aside and comes back. Here every robot that may move is an
agent of one LaCAM search (``lacam.solve``): robots on a leg head for the end of
their route, every other one for the cell it stands on, so it may step off and
return. The few that may not move are walls: held robots (paused, faulted,
offline), robots at work at a spot (a guest is taking dishes from them; their
dwell ends by itself) and robots the controller never gave a leg (it has no
order it could extend to send them a route).

The search plans with one-lane footprints (``FloorPlan.conflicts``,
``Board.foot``): ``footpibt`` keeps every robot's footprint apart in every
configuration and makes only steps that can be driven one robot after another,
so two robots are never side by side in one lane. (When the robots do not stand
footprint-apart now, plain LaCAM over unit cells is used, as before.) The plan
is still blind to turns and speeds, so it is not executed by the clock: it only
fixes, for every footprint, the order in which robots pass it, and that order
becomes edges of the action dependency graph, exactly as the prioritised
planner's orders do. Release then stays delay-robust (a late robot makes the
others wait), and footprints are safe whatever the plan did, because two visits
to one footprint are always ordered. What a plan could break is liveness: an
order where each of two robots waits for the other. So the orders are checked
before anything is committed: every wait must be on a robot that will move on
(not one that stays at its goal, nor a wall), and the waits together with each
robot's own sequence must have no cycle. A plan failing that is refused, and
the manager carries on exactly as before.

Goals: a robot that stepped aside earlier heads for its real goal (the manager
keeps it pending); a robot whose goal is cut off by walls waits where it is (its
goal kept pending by the manager); when every cell the asking robot may end on is some
parked robot's, that robot is given the nearest free cell instead and steps off
for good (it goes back later, as a robot sent aside does).

Pure: numpy, scipy, the standard library and the traffic modules; the budget is
wall time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from fleet.traffic.adg import INF, Track, Visit
from fleet.traffic.floorgoals import settle, step_off
from fleet.traffic.footpibt import apart
from fleet.traffic.footpibt import solve as solve_apart
from fleet.traffic.gridgraph import UNREACHABLE, DistanceTables, GridGraph
from fleet.traffic.lacam import solve
from fleet.traffic.planning import Board

BUDGET_S = 0.04
"""Wall time one floor solve may take (LaCAM's search; building the problem and
checking the plan come on top, a few milliseconds on the floors we serve). The
controller's tick is a fraction of a second; a pause of this size in it goes
unnoticed, and a floor LaCAM cannot solve this fast is not one it will solve in
the next tick either (the call is repeated only when something has changed)."""


ATTEMPTS = 3
"""LaCAM searches (new seeds) per solve while the budget lasts, when a plan is refused
for its orders (cycles, waits on robots that stay) or for wandering."""

LONGEST, SLACK = 3, 20
"""A plan longer than LONGEST times the farthest robot's own way plus SLACK steps is
refused. LaCAM's first plan can wander (its depth-first search keeps the first
way it finds), and a wandering plan is slow to drive and costly to turn into
orders (every two stays at one footprint are compared): on the crowded diner
grid of ``tests/test_traffic_fleet.py`` one took 260 ms to check, against a
median of 1.5 ms for a whole solve."""


class FloorGraph(GridGraph):
    """The board's own moves (walls between cells, one-way aisles) over the cells left
    free, in the shape the configuration generators read.

    ``GridGraph`` connects every pair of passable neighbours; a floor plan may
    forbid some of those steps, so the board's moves are its neighbour lists."""

    def __init__(self, board: Board, blocked: Iterable[int]) -> None:
        rows, cols = board.plan.shape
        free = np.array(board.plan.passable, dtype=bool).ravel()
        for cell in blocked:
            free[cell] = False
        near = [tuple(n for n in board.succ[board.indptr[v]:board.indptr[v + 1]] if free[n])
                if free[v] else () for v in range(free.size)]
        super().__init__(free.reshape(rows, cols), near)


@dataclass(slots=True)
class FloorPlanned:
    """A solve that may be committed: each agent's new cells after the one it is
    released to, and the waits between them."""

    agents: list[Track]
    goals: list[int]
    steps: list[list[int]]
    """Per agent, the cells it enters after its start, in order."""
    waits: list[tuple[int, int, Visit | tuple[int, int]]] = field(default_factory=list)
    """(agent, index of its new cell, what it waits to be left): an existing visit,
    or (other agent, index of that agent's new cell; 0 = its start)."""
    held_back: list[tuple[Visit, int, int]] = field(default_factory=list)
    """(a wall robot's unreleased visit, agent, index): that visit waits for the agent."""


@dataclass(frozen=True, slots=True)
class FloorOutcome:
    """What one call did: a plan to commit, or None and why; and how long it took."""

    planned: FloorPlanned | None
    reason: str
    elapsed_s: float


def movable(track: Track) -> bool:
    """Whether the floor solve may move this robot (see the module docstring)."""
    if track.held is not None:
        return False
    if not track.finished:
        return True
    return track.leg > 0 and track.dwell is None


def solve_floor(board: Board, tracks: Sequence[Track], *,
                asking: tuple[Track, frozenset[int]] | None = None,
                budget_s: float = BUDGET_S, seed: int = 0) -> FloorOutcome:
    """Plan every movable robot at once; ``asking`` is a robot at the end of its leg and
    the cells its next leg may end on. Nothing is changed: ``commit`` does that."""
    t0 = time.perf_counter()

    def refuse(why: str) -> FloorOutcome:
        return FloorOutcome(None, why, time.perf_counter() - t0)

    agents = [t for t in tracks if movable(t) or (asking is not None and t is asking[0])]
    walls = [t for t in tracks if all(t is not a for a in agents)]
    if not agents:
        return refuse("no robot may move")
    starts = [t.visits[t.released].cell for t in agents]
    if len(set(starts)) != len(starts):
        return refuse("two robots are released to one cell")
    standing = set(starts)
    blocked: set[int] = set(board.closed) - standing
    for wall in walls:
        for v in wall.visits[wall.progress:wall.released + 1]:
            blocked.update(f for f in board.foot[v.cell] if f not in standing)
    goals: list[int] = []
    for track, start in zip(agents, starts, strict=True):
        if asking is not None and track is asking[0]:
            goals.append(-1)  # chosen below, once the others' goals are known
        else:
            end = track.visits[-1].cell
            goals.append(end if end not in blocked else start)
    # Plans keep footprints apart when the robots stand apart now (they do when the graph
    # released them: a second visit to a footprint is released once the first robot
    # has gone on); else cells apart only, as before, and the orders' checks decide.
    # On a floor with no one-lane cells LaCAM over cells is the same problem, and its
    # generator passes robots in dead-end corridors, which ``footpibt``'s does not
    # (the crowded diner sweep in BENCHMARKS: 175 solves out of time against 4).
    foot: Sequence[Sequence[int]] | None = (
        board.foot if board.plan.conflicts and apart(starts, board.foot) else None)
    # Two agents bound for one footprint (the one there now will have left by the time
    # the other arrives, in the graph's order): the later one waits where it is instead.
    settle(goals, starts, foot)
    graph = FloorGraph(board, blocked)
    tables = DistanceTables(graph)
    tables.prefetch([g for g in goals if g >= 0])
    # A robot that stepped aside heads for its real goal (the nearest reachable cell of
    # it): planned from where it waits, not as a robot parked there. On a generated
    # narrow floor with 16 robots one waited aside 150 s, shown as driving, while the
    # aisle it needed stayed busy and nothing but its own retries looked at it.
    for i, track in enumerate(agents):
        if track.pending is None or (asking is not None and track is asking[0]):
            continue
        ways = sorted((tables.to(g)[starts[i]], g) for g in track.pending[0] - blocked)
        if ways and ways[0][0] < UNREACHABLE:
            goals[i] = ways[0][1]
    # A goal cut off by robots that stay (at work, held) cannot be reached in this plan:
    # that robot waits where it is, its goal kept pending (as for a goal behind a wall)
    # instead of failing the whole solve.
    for i, (g, s) in enumerate(zip(goals, starts, strict=True)):
        if g >= 0 and tables.to(g)[s] >= UNREACHABLE:
            goals[i] = s
    settle(goals, starts, foot)
    if asking is not None:
        me = next(i for i, t in enumerate(agents) if t is asking[0])
        taken = {f for i, g in enumerate(goals) if i != me
                 for f in (foot[g] if foot is not None else (g,))}
        here = tables.to(starts[me]) if graph.is_free(starts[me]) else None
        options = sorted((here[g] if here is not None else 0, g) for g in asking[1]
                         if g not in blocked and g not in taken)
        reachable = [g for _, g in options if tables.to(g)[starts[me]] < UNREACHABLE]
        if options and not reachable:
            return refuse("it cannot reach any cell it may end on")
        if reachable:
            # A cell another agent stands on is fine when that one is leaving (it is not
            # ``taken``); one that means to stay there is a wall to step round, not aside.
            goals[me] = reachable[0]
        else:
            ours = step_off(graph, agents, starts, goals, me=me, foot=foot,
                             wanted=sorted((g for g in asking[1] - blocked
                                            if tables.to(g)[starts[me]] < UNREACHABLE),
                                           key=lambda g: here[g] if here is not None else 0))
            if ours is None:
                if asking[1] <= blocked:
                    return refuse("every cell it may end on is held by a robot that stays")
                return refuse("every cell it may end on is taken")
            goals[me] = ours
    # A plan whose orders cannot be run may be followed by one that can: LaCAM's
    # tie-breaks change with the seed, and with them where robots stand side by side
    # in a one-lane footprint. Tried again while the budget lasts.
    why = ""
    for attempt in range(ATTEMPTS):
        left = budget_s - (time.perf_counter() - t0)
        if attempt and left <= 0:
            break
        try:
            if foot is not None:
                # No unit-cell search after this one runs out of time: on the narrow
                # floors of ``fleet bench floors`` its plans for those floors were all
                # refused (cycles), and giving it half the budget cost footprint plans.
                result = solve_apart(graph, foot, starts, goals, time_limit_s=max(left, 0.001),
                                     seed=seed * ATTEMPTS + attempt, tables=tables)
            else:
                result = solve(graph, starts, goals, time_limit_s=max(left, 0.001),
                               seed=seed * ATTEMPTS + attempt, tables=tables, restart_s=None,
                               guide=None, polish_s=0.0)
        except ValueError as exc:
            return refuse(str(exc))
        if result.plan is None:
            return refuse(result.reason)
        longest = max(tables.to(g)[v] for v, g in zip(starts, goals, strict=True))
        if len(result.plan) - 1 > LONGEST * longest + SLACK:
            why = "its plan wanders"
            continue
        steps = [_moves(result.plan, i) for i in range(len(agents))]
        if not any(steps):
            # Every goal reached by standing still (goals behind a wall were turned into
            # starts): committing would only take routes back, ending no wait.
            return refuse("no robot would move")
        planned = FloorPlanned(agents, goals, steps)
        why = _order(board, planned, walls, result.plan)
        if not why:
            break
    if why:
        return refuse(why)
    return FloorOutcome(planned, "solved", time.perf_counter() - t0)


def _moves(plan: Sequence[Sequence[int]], i: int) -> list[int]:
    out: list[int] = []
    last = plan[0][i]
    for config in plan[1:]:
        if config[i] != last:
            last = config[i]
            out.append(last)
    return out


def _order(board: Board, planned: FloorPlanned, walls: Sequence[Track],
           plan: Sequence[Sequence[int]]) -> str:
    """Work out the waits the plan implies; a reason when it cannot be run safely
    and live, else ''."""
    n = len(planned.agents)
    # Each agent's stays: (cell, first step there, step it leaves; INF at the end).
    stays: list[list[tuple[int, int, int]]] = []
    for i in range(n):
        mine: list[tuple[int, int, int]] = []
        cell, since = plan[0][i], -1  # its start: held since before the plan
        for t in range(1, len(plan)):
            c = plan[t][i]
            if c != cell:
                if c not in board.succ[board.indptr[cell]:board.indptr[cell + 1]]:
                    return f"the plan steps from {board.name(cell)} to {board.name(c)}"
                mine.append((cell, since, t))
                cell, since = c, t
        mine.append((cell, since, INF))
        stays.append(mine)
    by_cell: dict[int, list[tuple[int, int]]] = {}
    for i, mine in enumerate(stays):
        for k, (cell, _, _) in enumerate(mine):
            by_cell.setdefault(cell, []).append((i, k))
    edges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for j, mine in enumerate(stays):
        for m, (cell, enter, leave) in enumerate(mine):
            if m == 0:
                continue  # where it stands (or is released to) now: already ordered
            for f in board.foot[cell]:
                for i, k in by_cell.get(f, ()):
                    if i == j:
                        continue
                    _, e2, l2 = stays[i][k]
                    if l2 <= enter or (not leave <= e2 and (
                            e2 < enter or (e2 == enter and i < j))):
                        # i passes first (or they overlap in the plan and i came first).
                        if k + 1 >= len(stays[i]):
                            return (f"{planned.agents[j].robot} would wait at "
                                    f"{board.name(cell)} for {planned.agents[i].robot}, "
                                    f"which stays")
                        planned.waits.append((j, m, (i, k)))
                        edges.append(((i, k + 1), (j, m)))
    # Agents' older released visits (driven before their start) are passed first.
    for i, agent in enumerate(planned.agents):
        for v in agent.visits[agent.progress:agent.released]:
            for f in board.foot[v.cell]:
                for j, m in by_cell.get(f, ()):
                    if j != i and m > 0:
                        planned.waits.append((j, m, v))
    # Walls: waiting on one is waiting for good; their later visits come after ours.
    for wall in walls:
        for at, v in enumerate(wall.visits[wall.progress:], start=wall.progress):
            ahead = at > wall.released
            for f in board.foot[v.cell]:
                for j, m in by_cell.get(f, ()):
                    if m == 0:
                        continue
                    if not ahead:
                        return (f"{planned.agents[j].robot} would pass {board.name(f)} "
                                f"where {wall.robot} stays")
                    planned.held_back.append((v, j, m))
    return "" if _acyclic(stays, edges) else "its order of passing has a cycle"


def _acyclic(stays: Sequence[Sequence[object]],
             edges: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
    """Kahn's algorithm over (agent, stay) events: each agent's stays in order, plus
    ``edges`` (the first event must happen before the second is released)."""
    after: dict[tuple[int, int], list[tuple[int, int]]] = {}
    need: dict[tuple[int, int], int] = {}
    for i, mine in enumerate(stays):
        for k in range(len(mine)):
            need[(i, k)] = 0 if k == 0 else 1
            if k > 0:
                after.setdefault((i, k - 1), []).append((i, k))
    for a, b in edges:
        after.setdefault(a, []).append(b)
        need[b] += 1
    ready = deque(e for e, c in need.items() if c == 0)
    done = 0
    while ready:
        e = ready.popleft()
        done += 1
        for b in after.get(e, ()):
            need[b] -= 1
            if need[b] == 0:
                ready.append(b)
    return done == len(need)


def commit(board: Board, planned: FloorPlanned) -> list[Track]:
    """Replace every agent's route after its released cell by its planned cells and add
    the waits; returns the agents whose route changed (the caller bumps versions)."""
    new: list[list[Visit]] = []
    changed: list[Track] = []
    for agent, steps in zip(planned.agents, planned.steps, strict=True):
        k = agent.released
        tail = agent.visits[k + 1:]
        old = [v.cell for v in tail]
        for v in tail:
            v.dead = True
        agent.visits = agent.visits[:k + 1]
        for v in tail:
            board.prune(v.cell)
        start = agent.visits[-1]
        visits = [start]
        for n, cell in enumerate(steps, start=1):
            v = Visit(agent, start.seq + n, cell)
            agent.visits.append(v)
            board.add(v)
            visits.append(v)
        new.append(visits)
        if old != steps:
            changed.append(agent)
    for j, m, what in planned.waits:
        visit = new[j][m]
        if isinstance(what, Visit):
            visit.preds.append(what)
        else:
            visit.preds.append(new[what[0]][what[1]])
    for wall_visit, j, m in planned.held_back:
        wall_visit.preds.append(new[j][m])
    return changed
