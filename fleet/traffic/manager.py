"""The traffic manager: plans legs into the dependency graph and releases routes along it.

Time runs in ticks of ``tick_s`` seconds (by default the first robot's
``step_s``, the time it takes to cross one cell); a robot with another speed
takes ``round(step_s / tick_s)`` ticks per cell (more in slow zones). Plans only
set the order in which robots pass each footprint; ``release`` lets each robot
drive on only as far as that order allows, so however late a robot is, others
wait for it instead of meeting it.

Long because planning a leg and releasing routes work on the same tracks and board,
one class by design; deadlocks are already apart (``deadlock``,
``deadlock_breaker``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from fleet.floor.model import Cell, FloorPlan
from fleet.routing import StationFields
from fleet.traffic.adg import Track, Visit
from fleet.traffic.closures import Closures, crosses, way_out
from fleet.traffic.deadlock_breaker import DeadlockBreaker
from fleet.traffic.floorsolve import BUDGET_S, commit, solve_floor
from fleet.traffic.giveway import in_the_way, lane_of, retreat_cell, stepped_aside_in
from fleet.traffic.planning import Board, blockers, free_path, plan_tail
from fleet.traffic.records import Deadlock, PlanFailed, RobotId, Route, TrafficStats, Wait
from fleet.traffic.sipp import Found, NoPath


class TrafficManager:
    """Lifelong multi-robot traffic on one floor plan. Pure state; the caller owns time."""

    def __init__(self, plan: FloorPlan, *, fields: StationFields | None = None,
                 max_release_ahead: int = 6, budget: int = 20000, tick_s: float | None = None,
                 retry_s: float = 5.0, floor_budget_s: float | None = BUDGET_S) -> None:
        self.plan = plan
        self.floor_budget_s = floor_budget_s
        """Wall time a whole-floor solve may take (``floorsolve``); None: never solve."""
        self._floor_tried: object = None
        self.max_release_ahead = max_release_ahead
        self.budget = budget
        self.tick_s = tick_s
        self.retry_s = retry_s
        self.stats = TrafficStats()
        self._board = Board(plan, fields)
        self._tracks: dict[RobotId, Track] = {}
        self._deadlocks = DeadlockBreaker(self)
        self._closures = Closures()

    # -- robots ------------------------------------------------------------------
    def add_robot(self, robot: RobotId, cell: Cell, *, step_s: float, now: float,
                  turn_s: float = 0.0) -> None:
        """A robot standing on ``cell``, parked there until its first leg. ``turn_s`` is
        what a 90-degree turn costs it (plans then prefer straight runs)."""
        if robot in self._tracks:
            raise ValueError(f"robot {robot} is already known to traffic")
        if not self.plan.is_passable(cell):
            raise ValueError(f"robot {robot} cannot stand on {cell}: not a passable cell "
                             f"of plan {self.plan.name!r}")
        if step_s <= 0:
            raise ValueError(f"robot {robot}: step_s must be positive, got {step_s}")
        if self.tick_s is None:
            self.tick_s = step_s
        board = self._board
        index = self.plan.index(cell)
        # A robot released into the cell may drive in: the newcomer waits for it to
        # pass. One merely standing in the footprint is a fact to plan from, not a
        # reason to leave the newcomer out: robots restarted, pushed by staff or
        # placed by hand stand closer than plans would put them, and refusing froze
        # a restarted site (two robots side by side at a pass, neither ever placed).
        for f in board.foot[index]:
            for w in board.at.get(f, ()):
                owner = w.owner
                at = w.seq - owner.base
                if w.left() or at > owner.released:
                    continue
                if at > owner.progress:
                    raise ValueError(f"robot {robot} cannot stand on {cell}: {owner.robot} "
                                     f"is released to {board.cell(w.cell)}")
                if w.cell == index:
                    raise ValueError(f"robot {robot} cannot stand on {cell}: {owner.robot} "
                                     f"is on it")
        d = max(1, round(step_s / self.tick_s))
        track = Track(robot, cell, index, step_s=step_s, d=d, moves=board.moves(d),
                      now=self._tick(now), turn=round(turn_s / self.tick_s))
        first = track.visits[0]
        for f in board.foot[index]:
            for w in board.at.get(f, ()):
                if not w.left() and w.seq - w.owner.base > w.owner.progress:
                    w.preds.append(first)  # others' later visits now wait for it to leave
        board.add(first)
        self._tracks[robot] = track

    def remove_robot(self, robot: RobotId) -> None:
        track = self._track(robot)
        for v in track.visits:
            v.dead = True
            self._board.prune(v.cell)
        del self._tracks[robot]

    def hold(self, robot: RobotId, reason: str) -> None:
        """Paused, e-stopped, faulted or offline: it keeps its cells and gets no more."""
        self._track(robot).held = reason or "held"

    def unhold(self, robot: RobotId) -> None:
        self._track(robot).held = None

    # -- legs --------------------------------------------------------------------
    def route(self, robot: RobotId, goals: Sequence[Cell], *, now: float,
              dwell_s: float | None = None) -> Route:
        """A new leg from where the robot stands to the nearest reachable of ``goals``,
        staying there ``dwell_s`` (None: until its next leg). PlanFailed when it cannot go."""
        track = self._track(robot)
        if not track.finished:
            raise ValueError(f"robot {robot} is still on leg {track.leg} "
                             f"(at {track.progress} of {len(track.cells) - 1})")
        if not goals:
            raise ValueError(f"route for {robot} names no goal cell")
        bad = [g for g in goals if not self.plan.is_passable(g)]
        if bad:
            raise PlanFailed(f"{robot}: goal {bad[0]} is not a passable cell of plan "
                             f"{self.plan.name!r}")
        if track.held is not None:
            raise PlanFailed(f"{robot} is held ({track.held})")
        wanted = frozenset(self.plan.index(g) for g in goals)
        targets = wanted - self._board.closed
        if not targets:
            raise PlanFailed(f"{robot}: every goal is in a closed area "
                             f"({', '.join(self._closures.names_at(wanted))})")
        dwell = None if dwell_s is None else math.ceil(dwell_s / self._tick_len())
        tick = self._tick(now)
        started = time.perf_counter()
        moved: list[Track] = []
        try:
            try:
                found, overlaps = self._plan_leg(track, targets, dwell, tick)
            except NoPath as first:
                moved = self._make_way(track, targets, now)
                if not moved:
                    raise
                self.stats.expansions += first.expanded
                found, overlaps = self._plan_leg(track, targets, dwell, tick)
        except NoPath as exc:
            self.stats.plan_failures += 1
            self.stats.expansions += exc.expanded
            if not self.solve_floor(now, asking=(track, targets)):
                raise self._failure(track, targets, tick, exc) from None
        else:
            self.stats.plans += 1
            self.stats.expansions += found.expanded
            self.stats.overlaps += overlaps
        finally:
            self.stats.plan_s += time.perf_counter() - started
            for other in moved:
                self._continue(other, now)
        k = track.progress
        track.visits = track.visits[k:]
        track.base = track.visits[0].seq
        track.cells = tuple(self._board.cell(v.cell) for v in track.visits)
        track.progress = track.released = 0
        track.leg += 1
        track.version = 0
        track.kept = 1
        track.goals = targets
        track.dwell = dwell
        track.arrived = tick if track.finished else None
        return self.route_of(robot)

    def _plan_leg(self, track: Track, targets: frozenset[int], dwell: int | None,
                  tick: int) -> tuple[Found, int]:
        return plan_tail(self._board, list(self._tracks.values()), track, track.progress,
                         goals=targets, dwell=dwell, now=tick, budget=self.budget)

    def solve_floor(self, now: float, *,
                    asking: tuple[Track, frozenset[int]] | None = None,
                    for_aside: bool = False) -> bool:
        """Plan every robot that may move at once (``floorsolve``) and commit it: robots
        on a leg keep their goal, the others step aside where needed and come back.
        ``asking``: a robot at the end of its leg and where its next leg may end (the
        caller records that leg). False, with nothing changed, when it is not solved
        in the budget or its plan cannot be run; a floor that failed is not tried
        again until a robot has moved or a route has changed. ``for_aside``: for robots
        waiting aside, so a plan that sends none of them on to its real goal is not
        committed (it would only move the others about, and be tried again)."""
        if self.floor_budget_s is None:
            return False
        tracks = list(self._tracks.values())
        key = (tuple((t.robot, t.at, t.leg, t.version, t.held is None) for t in tracks),
               None if asking is None else (asking[0].robot, asking[1]), for_aside)
        if key == self._floor_tried:
            return False
        before = {t.robot: t.cells for t in tracks}
        outcome = solve_floor(self._board, tracks, asking=asking,
                              budget_s=self.floor_budget_s, seed=self.stats.floor_solves)
        self.stats.floor_solves += 1
        self.stats.floor_solve_ms.append(round(outcome.elapsed_s * 1000, 2))
        if outcome.planned is None:
            self._floor_tried = key
            self.stats.floor_refusals[outcome.reason.split(":")[0][:60]] += 1
            return False
        planned = outcome.planned
        if for_aside and not any(a.pending is not None and g in a.pending[0]
                                 for a, g in zip(planned.agents, planned.goals, strict=True)):
            self._floor_tried = key
            self.stats.floor_refusals["no robot waiting aside would go on"] += 1
            return False
        self._floor_tried = None
        self.stats.floor_solved += 1
        changed = commit(self._board, planned)
        for agent, goal in zip(planned.agents, planned.goals, strict=True):
            if asking is not None and agent is asking[0]:
                continue  # its new leg is recorded by ``route``
            if agent.pending is not None and goal in agent.pending[0]:
                agent.goals, agent.dwell = agent.pending  # on to its real goal
                agent.pending = None
            elif goal not in agent.goals:
                agent.pending = agent.pending or (agent.goals, agent.dwell)
                agent.goals, agent.dwell = frozenset({goal}), None
        for agent in changed:
            if asking is not None and agent is asking[0]:
                continue
            old = before[agent.robot]
            agent.cells = tuple(self._board.cell(v.cell) for v in agent.visits)
            agent.kept = next((i for i, (a, b) in enumerate(zip(old, agent.cells, strict=False))
                               if a != b), min(len(old), len(agent.cells)))
            agent.version += 1
            if agent.finished:
                agent.arrived = self._tick(now)
        return True

    def _make_way(self, track: Track, targets: frozenset[int], now: float, *,
                  aside_only: bool = False) -> list[Track]:
        """Send robots queueing in ``track``'s way aside, and take back the unreleased
        part of routes that would cross its way later; all continue in ``_continue``.
        A robot that stepped aside earlier and now stands in the way steps further
        aside: parked there with its real goal pending, it is traffic's own doing, and
        planned as a wall two such robots sat on each other's goals for good (a random
        diner, six robots). ``aside_only`` moves only those.

        The second: a robot planned earlier may have been given a route through the
        cells ``track`` now needs, to be passed after ``track`` leaves its spot. The
        planner then sees those cells taken from the moment that robot arrives, which
        waits on ``track`` itself: ``track`` can neither leave nor end anywhere on that
        route. Two robots parked on their way down a one-lane aisle behind a robot at
        a table, bound for bays beside the charger it needed, held it 600 s. Taken
        back, their routes are planned again after ``track``'s leg."""
        lane = lane_of(self._board, track.visits[-1].cell, targets)
        moved: list[Track] = []
        for other in list(self._tracks.values()):
            if other is track or other.held is not None:
                continue
            if other.finished:
                if not stepped_aside_in(other, lane):
                    continue
            elif aside_only:
                continue
            elif not in_the_way(other, lane):
                if any(v.cell in lane for v in other.visits[other.released + 1:]):
                    pending = other.pending or (other.goals, other.dwell)
                    self.stop(other.robot, now=now)
                    other.pending = pending
                    self.stats.yields += 1
                    moved.append(other)
                continue
            if self._send_aside(other, lane, now):
                moved.append(other)
        return moved

    def _continue(self, track: Track, now: float) -> None:
        """On to the real goal after stepping aside (retried until it plans)."""
        if track.pending is None or track.held is not None:
            return
        goals, dwell = track.pending
        self._replan(track, now, target=track.pending)
        if (track.goals, track.dwell) != (goals, dwell) and self._make_way(
                track, goals, now, aside_only=True):
            self._replan(track, now, target=track.pending)
        if (track.goals, track.dwell) == (goals, dwell):
            track.pending = None

    def leg_done(self, robot: RobotId) -> bool:
        """True when the robot stands at the end of its leg (not at a cell it gave way at)."""
        track = self._track(robot)
        return track.finished and track.pending is None

    def aside(self, robot: RobotId) -> bool:
        """True when the robot waits where it gave way, its real goal still ahead."""
        track = self._track(robot)
        return track.finished and track.pending is not None

    def giving_way(self, robot: RobotId) -> bool:
        """True while the robot's route ends short of its real goal (it gave way)."""
        return self._track(robot).pending is not None

    def replan(self, robot: RobotId, *, now: float) -> Route | None:
        """The same leg planned afresh after its last released cell; None when the cells
        stay the same (the order of passing may still change) or no plan is found."""
        track = self._track(robot)
        if track.held is not None or track.finished or track.released >= len(track.visits) - 1:
            return None
        return self._replan(track, now)

    def stop(self, robot: RobotId, *, now: float, at: int | None = None) -> Route | None:
        """End the robot's leg at its last released cell (the base cannot be taken
        back): it stops there and stays until its next leg. For a trip called off
        mid-way. ``at`` ends it earlier, at a cell the robot has reached: only for a
        robot known not to drive on (it never took the order that released more).
        None when the leg already ends there."""
        track = self._track(robot)
        track.pending = None
        k = track.released
        if at is not None:
            if not track.progress <= at <= track.released:
                raise ValueError(f"robot {robot}: cannot stop at {at}: it has reached "
                                 f"{track.progress} and is released to {track.released}")
            k = track.released = at
        track.goals = frozenset({track.visits[k].cell})
        track.dwell = None
        if k >= len(track.visits) - 1:
            return None
        tail = track.visits[k + 1:]
        track.visits = track.visits[:k + 1]
        for v in tail:
            v.dead = True
        for v in tail:
            self._board.prune(v.cell)
        track.cells = tuple(self._board.cell(v.cell) for v in track.visits)
        track.version += 1
        track.kept = k + 1
        if track.finished:
            track.arrived = self._tick(now)
        return self.route_of(robot)

    def _replan(self, track: Track, now: float, via: int | None = None,
                target: tuple[frozenset[int], int | None] | None = None) -> Route | None:
        tick = self._tick(now)
        old = track.cells
        goals, dwell = target if target is not None else (track.goals, track.dwell)
        started = time.perf_counter()
        self.stats.replans += 1
        try:
            found, overlaps = plan_tail(self._board, list(self._tracks.values()), track,
                                        track.released, goals=goals, dwell=dwell,
                                        now=tick, budget=self.budget, via=via)
        except NoPath as exc:
            self.stats.replan_failures += 1
            self.stats.expansions += exc.expanded
            return None
        finally:
            self.stats.plan_s += time.perf_counter() - started
        self.stats.expansions += found.expanded
        self.stats.overlaps += overlaps
        track.goals, track.dwell = goals, dwell
        track.cells = tuple(self._board.cell(v.cell) for v in track.visits)
        if track.cells == old:
            return None
        self.stats.replans_changed += 1
        same = next((i for i, (a, b) in enumerate(zip(old, track.cells, strict=False)) if a != b),
                    min(len(old), len(track.cells)))
        track.version += 1
        track.kept = same
        if track.finished:
            track.arrived = tick
        return self.route_of(track.robot)

    def _failure(self, track: Track, targets: frozenset[int], tick: int,
                 exc: NoPath) -> PlanFailed:
        board = self._board
        goal = " or ".join(board.name(g) for g in sorted(targets))
        start = board.name(track.visits[-1].cell)
        if math.isinf(board.heuristic(targets)[track.visits[-1].cell]):
            return PlanFailed(f"{track.robot}: no way from {start} to {goal} on plan "
                              f"{self.plan.name!r} (not connected)")
        who = blockers(board, list(self._tracks.values()), track, targets, tick)
        why = ("every way is blocked" if exc.exhausted
               else f"gave up after {exc.expanded} expansions (budget {self.budget})")
        shut = self._closures.names_at(free_path(board, track.visits[-1].cell, targets))
        if shut:
            why += f" (closed: {', '.join(shut)})"
        return PlanFailed(f"{track.robot} cannot go from {start} to {goal} now: {why}", who)

    # -- closed areas --------------------------------------------------------------
    def close(self, name: str, cells: Sequence[Cell], *, now: float) -> list[RobotId]:
        """Close ``cells`` under ``name`` (closing a name again replaces its cells).
        No new plan enters them; robots whose unreleased route does are planned
        again around them, and those that cannot be are stopped at their last
        released cell (returned: their caller must give them a new leg)."""
        bad = [c for c in cells if not self.plan.in_bounds(c)]
        if bad:
            raise ValueError(f"area {name!r}: cell {bad[0]} is outside plan {self.plan.name!r}")
        self._closures.close(name, (self.plan.index(c) for c in cells))
        closed = self._board.closed = self._closures.closed
        stopped: list[RobotId] = []
        for track in list(self._tracks.values()):
            exempt = way_out(closed, track.visits[track.released].cell, self._board.indptr,
                             self._board.succ)
            if not crosses(track, closed, exempt):
                continue
            self._replan(track, now)
            if crosses(track, closed, exempt):
                self.stop(track.robot, now=now)
                stopped.append(track.robot)
        return stopped

    def reopen(self, name: str) -> bool:
        """Open the area again (new plans may use it); False when it was not closed."""
        found = self._closures.reopen(name)
        self._board.closed = self._closures.closed
        return found

    def closed_cells(self, name: str | None = None) -> frozenset[Cell]:
        """The cells of the closed area ``name``, or of every closed area."""
        cells = self._closures.area(name) if name is not None else self._closures.closed
        return frozenset(self.plan.cell_at(i) for i in cells)

    # -- progress and release ------------------------------------------------------
    def reached(self, robot: RobotId, index: int, *, now: float) -> None:
        """The robot stands on ``route.cells[index]``; older reports are ignored."""
        track = self._track(robot)
        if index > track.released or index < 0:
            raise ValueError(f"robot {robot} reports cell {index} of leg {track.leg} but only "
                             f"0..{track.released} are released")
        if index > track.progress:
            passed = track.visits[track.progress:index]
            track.progress = index
            track.at = track.base + index
            self._forget(passed)
            if track.finished:
                track.arrived = self._tick(now)

    def release(self, *, now: float) -> dict[RobotId, int]:
        """Extend every robot's released part as far as its dependencies allow."""
        ahead = self.max_release_ahead
        out: dict[RobotId, int] = {}
        for robot, track in self._tracks.items():
            if track.held is None:
                visits = track.visits
                limit = min(len(visits) - 1, track.progress + ahead)
                while track.released < limit:
                    visit = visits[track.released + 1]
                    if visit.preds:
                        pending = [w for w in visit.preds if not w.left()]
                        visit.preds = pending
                        if pending:
                            break
                    track.released += 1
            out[robot] = track.released
        return out

    def released(self, robot: RobotId) -> int:
        return self._track(robot).released

    def version(self, robot: RobotId) -> tuple[int, int]:
        """(leg, version) of the robot's route: cheap, for callers that poll for changes."""
        track = self._track(robot)
        return (track.leg, track.version)

    def route_of(self, robot: RobotId) -> Route:
        t = self._track(robot)
        return Route(robot=robot, leg=t.leg, version=t.version, cells=t.cells, kept=t.kept)

    def position(self, robot: RobotId) -> Cell:
        track = self._track(robot)
        return track.cells[track.progress]

    def lane(self, robot: RobotId, goals: Sequence[Cell]) -> frozenset[Cell]:
        """Every cell the robot's empty-floor way to ``goals`` makes unusable for others
        (its footprints included): where robots must not stand for it to pass."""
        track = self._track(robot)
        wanted = frozenset(self.plan.index(g) for g in goals if self.plan.is_passable(g))
        if not wanted:
            return frozenset()
        return frozenset(self._board.cell(i)
                         for i in lane_of(self._board, track.visits[-1].cell, wanted))

    def in_use(self, besides: RobotId | None = None) -> frozenset[Cell]:
        """Every cell a robot (other than ``besides``) stands on or has still to pass,
        footprints included: a robot sent to wait there would be in someone's way."""
        board = self._board
        return frozenset(board.cell(f) for t in self._tracks.values() if t.robot != besides
                         for v in t.live() for f in board.foot[v.cell])

    def robots(self) -> list[RobotId]:
        return list(self._tracks)

    def waiting_for(self, robot: RobotId) -> Wait | None:
        """Why the robot is not released further (None when it is, or when it is held)."""
        track = self._track(robot)
        if track.held is not None or track.released >= len(track.visits) - 1:
            return None
        if track.released - track.progress >= self.max_release_ahead:
            return None
        blocker = self._blocker(track.visits[track.released + 1])
        if blocker is None:
            return None
        return Wait(robot, blocker.owner.robot, self._board.cell(blocker.cell))

    @staticmethod
    def _blocker(visit: Visit) -> Visit | None:
        return next((w for w in visit.preds if not w.left()), None)

    # -- deadlocks (see ``deadlock_breaker``) ----------------------------------------------
    def resolve_deadlocks(self, *, now: float) -> list[Deadlock]:
        """Find robots that cannot move until something changes and try to end it."""
        return self._deadlocks.resolve(now)

    # -- helpers -------------------------------------------------------------------
    # -- what deadlock recovery works with (``deadlock_breaker.TrafficView``) ---------
    def tick_of(self, now: float) -> int:
        return self._tick(now)

    @property
    def tick_length(self) -> float:
        return self._tick_len()

    @property
    def board(self) -> Board:
        return self._board

    def tracks(self) -> Mapping[RobotId, Track]:
        """Every robot's track, read-only: recovery reads them; only the manager plans."""
        return MappingProxyType(self._tracks)

    def continue_all(self, now: float) -> None:
        """Robots that stepped aside go on to their real goals where they now can, and
        one parked aside in the way of a robot on its leg steps further aside: the
        robot on its leg waited for it to leave, and it for that robot to leave its
        real goal (a random diner, 6 robots: 300 steps, until others moved by chance)."""
        for track in list(self._tracks.values()):
            self._continue(track, now)
        for track in list(self._tracks.values()):
            wait = self.waiting_for(track.robot)
            if wait is None or track.finished:
                continue
            blocker = self._tracks[wait.blocker]
            lane = {f for v in track.visits[track.progress:] for f in self._board.foot[v.cell]}
            if stepped_aside_in(blocker, lane):
                self._send_aside(blocker, lane, now)

    def _send_aside(self, track: Track, lane: set[int], now: float) -> bool:
        """Send the robot to the nearest cell off ``lane``, its real goal kept pending
        (the first one, when it is already aside); False when no such cell plans."""
        cell = retreat_cell(self._board, self._tracks.values(), track, lane)
        pending = track.pending or (track.goals, track.dwell)
        if cell is None or self._replan(track, now, target=(frozenset({cell}), None)) is None:
            return False
        track.pending = pending
        self.stats.backouts += 1
        return True

    def replan_robot(self, robot: RobotId, now: float, *, via: int | None = None
                     ) -> Route | None:
        """The robot's leg planned afresh (through board cell ``via`` when given)."""
        return self._replan(self._track(robot), now, via=via)

    def _forget(self, passed: Sequence[Visit]) -> None:
        """Visits a robot has driven past leave the board and drop their edges.

        Nothing reads them again (plans, release and recovery look at the visits from
        each robot's progress on), but left on the board they stayed there for the
        rest of the day: a 30-robot dinner kept 165,000 of them after 4 hours, and
        each one's edges held older visits of other robots alive in turn."""
        for v in passed:
            v.preds = []
            self._board.prune(v.cell)

    def _track(self, robot: RobotId) -> Track:
        try:
            return self._tracks[robot]
        except KeyError:
            raise KeyError(f"robot {robot} is not known to traffic") from None

    def _tick_len(self) -> float:
        return self.tick_s if self.tick_s is not None else 1.0

    def _tick(self, now: float) -> int:
        return round(now / self._tick_len())
