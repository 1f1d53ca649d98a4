"""The simulated kitchen and dining room: parties arrive, order, eat and leave.

The whole service is drawn up front from the seed (``Kitchen.timeline()``), so
the same seed gives the same guests whatever the controller does, and a run of
two policies on one seed compares like with like. ``run()`` then plays the
timeline on the running loop's clock, calling the ``Pos`` as a till and a
kitchen display would.

Rules of the dining room: a party takes the smallest free table that seats it
(ties drawn at random) or waits at the door, first come first seated, until
``patience_s`` runs out. No one is seated and no order taken after closing
(``duration_s``); the kitchen still cooks every order it took, so a run ends
when the last dish is on the pass. Bussing is asked for when a party leaves.

A real kitchen display knows when a fired dish will be done, roughly: the kitchen
tells the controller ``Scenario.expect_lead_s`` before each dish is on the pass, off
by a normal error of ``expect_error_s``. Those estimates are drawn after the rest,
from a generator of their own, so the guests and the cooking of a seed are the same
whether or not (and however well) the kitchen tells.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import Counter, deque
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from random import Random

from fleet.domain.orders import Priority
from fleet.errors import FleetError
from fleet.floor.model import FloorPlan, Place, PlaceKind
from fleet.intake import DishRequest, OrderRequest, Pos
from sim.report import ScenarioSummary
from sim.scenarios import Scenario

log = logging.getLogger(__name__)

DEFAULT_SEATS = 4
"""Seats assumed for a table whose plan gives none (MovingAI grids, bare ROS maps)."""

STARTERS = ("soup", "salad", "bruschetta", "dumplings", "calamari")
MAINS = ("risotto", "burger", "ramen", "curry", "pizza", "steak", "tacos", "pasta")
CANCEL_REASONS = ("guest left", "changed order", "out of stock")


class Call(StrEnum):
    SUBMIT = "submit"
    READY = "ready"
    EXPECT = "expect"
    CANCEL = "cancel"
    BUS = "bus"


@dataclass(frozen=True, slots=True)
class KitchenEvent:
    """One call to the POS at time ``at`` (loop seconds)."""

    at: float
    call: Call
    order_id: str = ""
    order: OrderRequest | None = None
    dish_index: int = -1
    table: str = ""
    reason: str = ""
    in_s: float = 0.0
    """For ``EXPECT``: seconds from ``at`` until the kitchen expects the dish ready."""


@dataclass(frozen=True, slots=True)
class Seating:
    """A party at a table from ``seated`` until ``leaves`` (loop seconds)."""

    party: int
    table: str
    guests: int
    seated: float
    leaves: float


@dataclass(slots=True)
class _Drawn:
    events: list[KitchenEvent] = field(default_factory=list)
    seatings: list[Seating] = field(default_factory=list)
    parties: int = 0
    turned_away: int = 0
    orders: int = 0
    cancelled_orders: int = 0
    submit_times: list[float] = field(default_factory=list)
    """One entry per ordered dish: when its order was submitted."""


class Kitchen:
    """Guests, orders and cooking for one service on one plan. See the module docstring."""

    def __init__(self, plan: FloorPlan, scenario: Scenario, pos: Pos, *, seed: int,
                 duration_s: float | None = None, start_s: float = 0.0) -> None:
        if not plan.tables:
            raise ValueError(f"plan {plan.name!r} has no tables to seat guests at")
        self.plan = plan
        self.scenario = scenario
        self.pos = pos
        self.seed = seed
        self.duration_s = scenario.duration_s if duration_s is None else float(duration_s)
        if self.duration_s <= 0:
            raise ValueError(f"duration must be > 0 s, got {self.duration_s}")
        self.start_s = float(start_s)
        self.done = 0
        """Timeline events played so far (for a progress bar)."""
        self.refused: Counter[Call] = Counter()
        """POS calls that raised a FleetError, by call."""
        self.acknowledged: set[str] = set()
        """Orders the POS took (their submit returned): each must end in the store."""

    # -- the service, drawn up front ---------------------------------------------
    @cached_property
    def _drawn(self) -> _Drawn:
        drawn = _draw(self.plan, self.scenario, Random(self.seed), self.start_s,
                      self.duration_s)
        _tell_estimates(drawn, self.scenario, Random(f"expect-ready {self.seed}"))
        return drawn

    def timeline(self) -> list[KitchenEvent]:
        """Every POS call of the service in time order (ties keep the drawing order)."""
        return list(self._drawn.events)

    def seatings(self) -> list[Seating]:
        """Who sat where and when (simulated guests and tests read it)."""
        return list(self._drawn.seatings)

    @property
    def ordered_dishes(self) -> int:
        return len(self._drawn.submit_times)

    @property
    def dishes_per_hour(self) -> list[int]:
        """Dishes ordered in each hour since opening (the last bin may be partial)."""
        return dishes_per_hour(self._drawn.submit_times, self.start_s, self.duration_s)

    @property
    def peak_hour_dishes(self) -> int:
        """Most dishes ordered in any 60-minute window."""
        return peak_hour_dishes(self._drawn.submit_times)

    def summary(self) -> ScenarioSummary:
        d = self._drawn
        return ScenarioSummary(name=self.scenario.name, parties=d.parties,
                               turned_away=d.turned_away, orders=d.orders,
                               ordered_dishes=self.ordered_dishes,
                               cancelled_orders=d.cancelled_orders,
                               dishes_per_hour=tuple(self.dishes_per_hour),
                               peak_hour_dishes=self.peak_hour_dishes)

    @property
    def total(self) -> int:
        return len(self._drawn.events)

    # -- playing it ----------------------------------------------------------------
    async def run(self) -> None:
        """Play the timeline on the loop's clock; returns after the last call.

        A refused call (``FleetError`` from the POS) is logged and counted in
        ``refused``; a refused order's later calls are skipped.
        """
        loop = asyncio.get_running_loop()
        refused_orders: set[str] = set()
        for event in self._drawn.events:
            delay = event.at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.done += 1
            if event.order_id in refused_orders:
                continue
            try:
                await self._call(event)
            except FleetError as exc:
                self.refused[event.call] += 1
                if event.call is Call.SUBMIT:
                    refused_orders.add(event.order_id)
                log.info("POS refused %s %s%s: %s", event.call, event.order_id or event.table,
                         f"/{event.dish_index + 1}" if event.dish_index >= 0 else "", exc)

    async def _call(self, event: KitchenEvent) -> None:
        if event.call is Call.SUBMIT:
            assert event.order is not None
            await self.pos.submit(event.order)
            self.acknowledged.add(event.order_id)
        elif event.call is Call.READY:
            await self.pos.mark_ready(event.order_id, event.dish_index)
        elif event.call is Call.EXPECT:
            await self.pos.expect_ready(event.order_id, event.dish_index, event.in_s)
        elif event.call is Call.CANCEL:
            await self.pos.cancel(event.order_id, event.reason)
        else:
            await self.pos.request_bussing(event.table)


def dishes_per_hour(submit_times: list[float], start_s: float, duration_s: float) -> list[int]:
    """Dishes ordered in each hour since ``start_s`` (the last bin may be partial)."""
    bins = [0] * max(1, -(-int(duration_s) // 3600))
    for t in submit_times:
        bins[min(len(bins) - 1, int((t - start_s) // 3600))] += 1
    return bins


def peak_hour_dishes(submit_times: list[float]) -> int:
    """Most dishes ordered in any 60-minute window."""
    times = sorted(submit_times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - 3600.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# -- drawing -----------------------------------------------------------------------
_ARRIVE, _FREE = 1, 0  # a table freed at t is free for a party arriving at t


def _seats(table: Place) -> int:
    return table.seats or DEFAULT_SEATS


def _draw(plan: FloorPlan, sc: Scenario, rng: Random, start: float, duration: float) -> _Drawn:
    tables = sorted(plan.tables, key=lambda p: p.name)
    seats = sum(_seats(t) for t in tables)
    biggest = max(_seats(t) for t in tables)
    passes = sorted(p.name for p in plan.places_of(PlaceKind.PASS))
    stalls = passes if len(passes) > 1 else []
    out = _Drawn()
    seats_of = {t.name: _seats(t) for t in tables}
    free = dict(seats_of)
    queue: deque[tuple[float, int, int]] = deque()  # (arrived, party no, guests)
    heap: list[tuple[float, int, int, str, int]] = []  # (t, kind, seq, table, guests)
    seq = 0

    for t in _arrivals(sc, rng, seats, duration):
        heapq.heappush(heap, (t, _ARRIVE, seq, "", min(biggest, sc.party_size(rng))))
        seq += 1

    def seat(now: float, guests: int, party: int) -> bool:
        fits = [n for n, s in free.items() if s >= guests]
        if not fits:
            return False
        smallest = min(free[n] for n in fits)
        table = rng.choice(sorted(n for n in fits if free[n] == smallest))
        del free[table]
        nonlocal seq
        leaves = _serve_party(out, sc, rng, start=start, duration=duration, seated=now,
                              party=party, table=table, guests=guests, stalls=stalls)
        heapq.heappush(heap, (leaves + sc.table_reset_s, _FREE, seq, table, seats_of[table]))
        seq += 1
        return True

    party_no = 0
    while heap:
        now, kind, _, table, guests = heapq.heappop(heap)
        if now >= duration:
            break
        waiting = [q for q in queue if q[0] + sc.patience_s >= now]
        out.turned_away += len(queue) - len(waiting)
        queue = deque(waiting)
        if kind == _FREE:
            free[table] = guests
            for i, (_, waiting_no, size) in enumerate(queue):
                if seat(now, size, waiting_no):
                    del queue[i]
                    break
        else:
            party_no += 1
            if not seat(now, guests, party_no):  # queued parties did not fit what is free
                queue.append((now, party_no, guests))
    out.turned_away += len(queue)
    out.events.sort(key=lambda e: e.at)
    return out


def _tell_estimates(out: _Drawn, sc: Scenario, rng: Random) -> None:
    """Add the kitchen display's estimate for each dish that will be ready (see the
    module docstring): never before its order is taken, never a negative wait."""
    if sc.expect_lead_s <= 0:
        return
    taken = {e.order_id: e.at for e in out.events if e.call is Call.SUBMIT}
    told: list[KitchenEvent] = []
    for e in out.events:
        if e.call is not Call.READY:
            continue
        error = max(-3.0, min(3.0, rng.gauss(0.0, 1.0))) * sc.expect_error_s
        at = max(taken[e.order_id], e.at - sc.expect_lead_s)
        told.append(KitchenEvent(at, Call.EXPECT, e.order_id, dish_index=e.dish_index,
                                 table=e.table, in_s=max(0.0, e.at + error - at)))
    out.events.extend(told)
    out.events.sort(key=lambda e: e.at)  # stable: an order is taken before it is told of


def _arrivals(sc: Scenario, rng: Random, seats: int, duration: float) -> list[float]:
    """Arrival times: a renewal process with Gamma(k) gaps run in operational time.

    Operational time is the expected number of arrivals so far (the integral of
    the rate profile), so arrivals follow the profile; ``k = arrival_regularity``
    (1 = Poisson) makes the count steadier than Poisson, as bookings do.
    """
    k = sc.arrival_regularity
    out: list[float] = []
    t, expected = 0.0, 0.0
    target = rng.gammavariate(k, 1.0 / k)
    while t < duration:
        rate = sc.rate_per_hour(t / 60.0, seats) / 3600.0
        step_end = min(duration, _next_change(sc, t))
        if rate > 0 and expected + rate * (step_end - t) >= target:
            t += (target - expected) / rate
            expected = target
            out.append(t)
            target = expected + rng.gammavariate(k, 1.0 / k)
        else:
            expected += rate * (step_end - t)
            t = step_end
    return out


def _next_change(sc: Scenario, t: float) -> float:
    later = [m * 60.0 for m, _ in sc.profile if m * 60.0 > t]
    return min(later) if later else float("inf")


def _serve_party(out: _Drawn, sc: Scenario, rng: Random, *, start: float, duration: float,
                 seated: float, party: int, table: str, guests: int,
                 stalls: list[str]) -> float:
    """Draw one seated party's orders, cooking and bussing; returns when it leaves."""
    out.parties += 1
    n = sc.dishes_for(rng, guests)
    courses = [n - guests, guests] if sc.courses >= 2 and n > guests else [n]
    at = seated + sc.order_delay.draw(rng)
    last = seated
    for k, count in enumerate(courses, start=1):
        if k > 1:
            at += sc.course_gap.draw(rng)
        if at >= duration:
            break
        menu = STARTERS if len(courses) > 1 and k == 1 else MAINS
        order_id = f"P{party:04d}-{k}"
        dishes = tuple(
            DishRequest(name=rng.choice(menu), trays=2 if rng.random() < sc.two_tray_share else 1,
                        pass_place=rng.choice(stalls) if stalls else None)
            for _ in range(count))
        priority = Priority.HIGH if rng.random() < sc.high_priority_p else Priority.NORMAL
        request = OrderRequest(order_id=order_id, table=table, dishes=dishes,
                               priority=priority, party=guests)
        out.orders += 1
        out.events.append(KitchenEvent(start + at, Call.SUBMIT, order_id, order=request,
                                       table=table))
        out.submit_times.extend([start + at] * count)
        ready = [at + sc.prep.draw(rng) for _ in range(count)]
        cancel_at = None
        if rng.random() < sc.cancel_p:
            cancel_at = at + rng.uniform(0.1, 0.9) * (max(ready) - at)
            out.cancelled_orders += 1
            out.events.append(KitchenEvent(start + cancel_at, Call.CANCEL, order_id,
                                           table=table, reason=rng.choice(CANCEL_REASONS)))
        for i, t in enumerate(ready):
            if cancel_at is None or t < cancel_at:
                out.events.append(KitchenEvent(start + t, Call.READY, order_id, dish_index=i,
                                               table=table))
        last = max(last, cancel_at if cancel_at is not None else max(ready))
    leaves = max(seated + sc.stay.draw(rng), last + sc.eat_after_last_s)
    out.seatings.append(Seating(party, table, guests, start + seated, start + leaves))
    if rng.random() < sc.bussing_p and leaves < duration:
        out.events.append(KitchenEvent(start + leaves, Call.BUS, table=table))
    return leaves
