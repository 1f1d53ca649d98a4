"""Service scenarios: how busy the floor gets, and with what.

A scenario describes guests, not a floor. Arrival rates are given in *parties
per hour per 100 seats*, so one scenario fits a 36-table bistro and a 65-table
food court alike: the kitchen multiplies them by ``plan seats / 100`` (a plan
whose tables carry no seat count is taken as 4 seats a table). Tables still
cap the load: a party waits at the door for a free table that seats it and
leaves after ``patience_s``, as guests do.

Times in the rate profile are minutes since service opens (the start of the
run), so ``lunch-rush`` opens at its peak; ``duration_s`` is the default run
length.

What the scenarios generate over 2 h (seeds 1-40; ``tests/test_kitchen.py``
checks the targets): ``lunch-rush`` on bistro (36 tables, 124 seats) orders
326-459 dishes (mean 402), 228-313 in its busiest 60 minutes; ``dinner`` on
food-court (65 tables, 224 seats) 823-1040 (mean 945); ``quiet`` on bistro
44-100 (mean 71). Arrival gaps are Gamma-distributed (steadier than Poisson,
as bookings make them), so a seed rarely strays far from the mean.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LogNormal:
    """A duration in seconds: lognormal around ``median_s``, clipped to [min_s, max_s]."""

    median_s: float
    sigma: float
    min_s: float = 0.0
    max_s: float = math.inf

    def draw(self, rng: random.Random) -> float:
        value = rng.lognormvariate(math.log(self.median_s), self.sigma)
        return min(self.max_s, max(self.min_s, value))


def _pick(rng: random.Random, weights: Sequence[tuple[int, float]]) -> int:
    values = [v for v, _ in weights]
    return rng.choices(values, weights=[w for _, w in weights])[0]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A service: guest arrivals over time and what they order. See the module docstring."""

    name: str
    description: str
    profile: tuple[tuple[float, float], ...]
    """(from minute, parties per hour per 100 seats); each rate holds until the next."""
    duration_s: float = 7200.0
    arrival_regularity: float = 4.0
    """Shape of the gaps between arrivals: 1 is Poisson, larger is steadier (bookings)."""
    party_sizes: tuple[tuple[int, float], ...] = ((1, 0.15), (2, 0.45), (3, 0.15), (4, 0.2),
                                                  (6, 0.05))
    """(guests, weight)."""
    dishes_per_guest: tuple[tuple[int, float], ...] = ((1, 0.5), (2, 0.4), (3, 0.1))
    """(dishes, weight): a main, maybe a starter or a dessert."""
    courses: int = 1
    """1: one order per party; 2: the dishes beyond one a guest come first, as starters."""
    course_gap: LogNormal = LogNormal(900.0, 0.3, 300.0, 2400.0)
    order_delay: LogNormal = LogNormal(240.0, 0.4, 60.0, 900.0)
    """Seated -> order at the POS."""
    prep: LogNormal = LogNormal(600.0, 0.35, 180.0, 1800.0)
    """Order -> dish on the pass, per dish."""
    stay: LogNormal = LogNormal(2400.0, 0.3, 900.0, 7200.0)
    """Seated -> leaves, unless still eating."""
    eat_after_last_s: float = 600.0
    """A party stays at least this long after its last dish is ready."""
    table_reset_s: float = 120.0
    patience_s: float = 900.0
    two_tray_share: float = 0.1
    high_priority_p: float = 0.03
    bussing_p: float = 0.6
    """Chance a table asks for bussing after its party has left."""
    cancel_p: float = 0.02
    """Chance an order is cancelled before all its dishes are ready."""
    expect_lead_s: float = 60.0
    """The kitchen display tells when a dish will be on the pass this long before it is
    (or when the order is taken, if it cooks for less); 0: it never tells."""
    expect_error_s: float = 4.0
    """How far off that estimate is: the standard deviation of a normal error, in
    seconds (cut at three of them), drawn per dish from the seed."""

    def rate_per_hour(self, minute: float, seats: int) -> float:
        """Parties per hour arriving ``minute`` minutes into the service on ``seats`` seats."""
        starts = [m for m, _ in self.profile]
        i = bisect.bisect_right(starts, minute) - 1
        return 0.0 if i < 0 else self.profile[i][1] * seats / 100.0

    @property
    def peak_rate(self) -> float:
        return max(rate for _, rate in self.profile)

    def party_size(self, rng: random.Random) -> int:
        return _pick(rng, self.party_sizes)

    def dishes_for(self, rng: random.Random, guests: int) -> int:
        return sum(_pick(rng, self.dishes_per_guest) for _ in range(guests))


SCENARIOS: dict[str, Scenario] = {
    s.name: s for s in (
        Scenario(
            name="lunch-rush",
            description="Weekday lunch that opens at its peak: quick mains, short stays.",
            profile=((0.0, 60.0), (60.0, 30.0), (90.0, 14.0)),
            dishes_per_guest=((1, 0.55), (2, 0.35), (3, 0.1)),
            prep=LogNormal(540.0, 0.35, 180.0, 1500.0),
            stay=LogNormal(1800.0, 0.25, 900.0, 4800.0),
            eat_after_last_s=480.0,
        ),
        Scenario(
            name="dinner",
            description="Evening service in two courses; longer stays, more dishes a guest.",
            profile=((0.0, 40.0), (30.0, 52.0), (90.0, 36.0)),
            dishes_per_guest=((1, 0.1), (2, 0.5), (3, 0.4)),
            courses=2,
            course_gap=LogNormal(600.0, 0.3, 240.0, 1800.0),
            eat_after_last_s=480.0,
            prep=LogNormal(720.0, 0.35, 180.0, 2100.0),
            stay=LogNormal(2100.0, 0.3, 900.0, 7200.0),
            high_priority_p=0.05,
        ),
        Scenario(
            name="counter",
            description="A lunch counter: guests order at once and the kitchen is quick, so "
                        "dishes come from the first minutes (fleet demo's default).",
            profile=((0.0, 50.0), (60.0, 30.0)),
            dishes_per_guest=((1, 0.6), (2, 0.35), (3, 0.05)),
            order_delay=LogNormal(45.0, 0.4, 15.0, 180.0),
            prep=LogNormal(150.0, 0.35, 60.0, 600.0),
            stay=LogNormal(1500.0, 0.25, 600.0, 3600.0),
            eat_after_last_s=420.0,
        ),
        Scenario(
            name="quiet",
            description="A slow afternoon: a few parties, no queue.",
            profile=((0.0, 8.0),),
            dishes_per_guest=((1, 0.6), (2, 0.35), (3, 0.05)),
            cancel_p=0.01,
        ),
    )
}


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; ValueError listing the known names otherwise."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS))
        raise ValueError(f"unknown scenario {name!r}; known: {known}") from None
