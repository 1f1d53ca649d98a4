"""Guide tables for lifelong PIBT: each robot's way home priced by the others' planned flow.

PIBT moves every robot one step down its distance table. In a dense lifelong run
(LoRR I-05: 400 robots on 819 free cells) the shortest ways of many robots run
through the same narrow gaps in opposite directions, and PIBT spends its steps
on robots pushing each other back and forth there. The remedy of Chen et al.,
"Traffic Flow Optimisation for Lifelong Multi-Agent Path Finding" (AAAI 2024),
read and written afresh here: when a robot is given a goal, price every move by
how many robots already intend to make the opposite move (contraflow) and how
many intend to pass through the cell entered (crowding), take the cheapest way
under those prices as the robot's guide, and add it to the flow the next robots
will see. PIBT then ranks a robot's moves by this priced table instead of the
plain one; a guide only ever steers (every move costs at least 1, so the goal
stays the one minimum and the robot never stops heading for it).

Flow is kept for the part of each guide still ahead of its robot: when a robot
stands on a later cell of its guide, the part behind it is taken out.

One-shot plans (``lacam``) also price entering other robots' goals (``avoid``),
so guides pass round robots already home instead of pushing them off.

Cost: one Dijkstra (scipy, in C) per goal handed out, all of a step's new goals
in one call; the bookkeeping is linear in the length of the guides.

Pure: numpy, scipy and the traffic grid module.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from fleet.traffic.gridgraph import GridGraph


class FlowGuide:
    """Guide tables and the flow of guides still ahead, for ``robots`` robots.

    ``contraflow``: extra cost of a move per robot planning the opposite move;
    ``crowding``: extra cost of entering a cell per robot planning to pass it.
    The defaults were the best of a small grid (contraflow 0-2, crowding 0-0.5) on
    LoRR I-03/I-04/I-05, seeds 0-2. Both terms matter: over I-05's first 300 steps
    1.0/0.25 made 9.3 goals a step, 0/0.25 8.5, 1.0/0 8.0, no guide 6.7.
    Holds mutable state: one instance per run, not shared between threads."""

    def __init__(self, graph: GridGraph, robots: int, *, contraflow: float = 1.0,
                 crowding: float = 0.1) -> None:
        self.graph = graph
        self.contraflow = contraflow
        self.crowding = crowding
        compact = graph.compact
        # Directed edges numbered in CSR order (by source, then by target).
        sources: list[int] = []
        targets: list[int] = []
        self._edge: list[dict[int, int]] = [{} for _ in range(graph.size)]
        for v in graph.free_cells.tolist():
            for u in sorted(graph.neighbours[v]):
                self._edge[v][u] = len(sources)
                sources.append(v)
                targets.append(u)
        n_free = len(graph.free_cells)
        self._indices = compact[np.array(targets, dtype=np.int64)].astype(np.int32)
        counts = np.bincount(compact[np.array(sources, dtype=np.int64)], minlength=n_free)
        self._indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
        # reverse[e]: the edge going the other way; entering[e]: the cell e enters.
        self._reverse = np.array([self._edge[u][v] for v, u in zip(sources, targets,
                                                                   strict=True)],
                                 dtype=np.int64)
        self._entering = np.array(targets, dtype=np.int64)
        self._shape = (n_free, n_free)
        self._free: list[int] = graph.free_cells.tolist()
        self._compact: list[int] = compact.tolist()
        self.flow = np.zeros(len(sources), dtype=np.float64)  # robots planning edge e
        self.through = np.zeros(graph.size, dtype=np.float64)  # robots planning to pass v
        self.fixed = np.zeros(graph.size, dtype=np.float64)  # a cost of entering v, set once
        self.tables: list[array[float]] = [array("d") for _ in range(robots)]
        self._paths: list[list[int]] = [[] for _ in range(robots)]
        self._index: list[dict[int, int]] = [{} for _ in range(robots)]
        self._done = [0] * robots  # how much of each guide lies behind its robot

    def _weights(self) -> np.ndarray:
        """Cost of each directed edge under today's flow."""
        return (1.0 + self.contraflow * self.flow[self._reverse]
                + (self.crowding * self.through + self.fixed)[self._entering])

    def avoid(self, cells: Sequence[int], cost: float) -> None:
        """Make entering ``cells`` cost ``cost`` more for guides assigned from now on.

        One-shot plans use it for the robots' goals: a robot that has arrived and is
        pushed off its goal by one passing through walks out and back, and in PIBT's
        first plans most of the excess cost is that (warehouse-10-20-10-2-1, 30
        robots: 359 of 404 steps above the lower bound come after a robot first
        reached its goal). A guide around other robots' goals, where a way of about
        the same length exists, avoids it; a robot's own goal is entered by every
        way to it, so pricing it changes nothing for that robot."""
        self.fixed[np.asarray(cells, dtype=np.int64)] += cost

    def assign(self, robots: Sequence[int], starts: Sequence[int],
               goals: Sequence[int], *, batch: int = 16) -> None:
        """New guides for ``robots`` (standing on ``starts``, bound for ``goals``), in
        order, ``batch`` at a time: each batch is priced by the flow of all guides
        before it (one scipy call per batch; a batch's robots do not see each other)."""
        for i in robots:
            self._drop(i)
        for k in range(0, len(robots), batch):
            self._assign(robots[k:k + batch], starts[k:k + batch], goals[k:k + batch])

    def _assign(self, robots: Sequence[int], starts: Sequence[int],
                goals: Sequence[int]) -> None:
        weights = self._weights()
        # Cost *to* a goal is cost from it on the reversed graph: edge v->u of the
        # reversed graph carries the weight of u->v, stored at v->u's reverse.
        reversed_graph = sparse.csr_matrix(
            (weights[self._reverse], self._indices, self._indptr), shape=self._shape)
        sources = self.graph.compact[np.array(goals, dtype=np.int64)]
        dist, after = csgraph.dijkstra(reversed_graph, directed=True, indices=sources,
                                       return_predecessors=True)
        full = np.full(self.graph.size, np.inf)
        free = self.graph.free_cells
        for i, start, goal, row, towards in zip(robots, starts, goals, np.atleast_2d(dist),
                                                 np.atleast_2d(after), strict=True):
            full[free] = row
            self.tables[i] = array("d", full.tobytes())  # 8 bytes a cell, read fast
            self._trace(i, start, goal, towards.tolist())

    def _trace(self, i: int, start: int, goal: int, towards: list[int]) -> None:
        """Add the cheapest way from ``start`` to the flow. ``towards``: for each free
        cell (compact number), the next one on its cheapest way to ``goal`` (Dijkstra's
        predecessors on the reversed graph), negative where there is none."""
        edge, cell, compact = self._edge, self._free, self._compact
        flow, through = self.flow, self.through
        path = [start]
        v = start
        while v != goal:
            c = towards[compact[v]]
            if c < 0:
                break  # the goal cannot be reached from here: no guide beyond
            u = cell[c]
            flow[edge[v][u]] += 1.0
            through[u] += 1.0
            path.append(u)
            v = u
        self._paths[i] = path
        self._index[i] = {c: k for k, c in enumerate(path)}
        self._done[i] = 0

    def advance(self, current: Sequence[int]) -> None:
        """Take out the parts of guides their robots have passed."""
        for i, v in enumerate(current):
            k = self._index[i].get(v)
            if k is not None and k > self._done[i]:
                self._release(i, self._done[i], k)
                self._done[i] = k

    def _drop(self, i: int) -> None:
        path = self._paths[i]
        if path:
            self._release(i, self._done[i], len(path) - 1)
        self._paths[i] = []
        self._index[i] = {}
        self._done[i] = 0

    def _release(self, i: int, begin: int, end: int) -> None:
        path, edge = self._paths[i], self._edge
        for k in range(begin, end):
            self.flow[edge[path[k]][path[k + 1]]] -= 1.0
            self.through[path[k + 1]] -= 1.0
