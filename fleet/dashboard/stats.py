"""How long the dashboard's refreshes take, for ``fleet bench dashboard``.

A refresh is one ``FleetDashboard.flush``: the rows of every table that changed,
the header, and the map's overlay and the strips of the rows it touches (built
there, not lazily at paint time, so that the figure includes them). Textual's
own painting of the result comes after and is only in the benchmark's CPU share.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

KEPT = 100_000


@dataclass(slots=True)
class RefreshStats:
    period_s: float
    """The refresh timer's period."""
    count: int = 0
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=KEPT))

    def record(self, seconds: float) -> None:
        self.count += 1
        self.durations.append(seconds)

    def copy(self) -> RefreshStats:
        return RefreshStats(self.period_s, self.count, deque(self.durations, maxlen=KEPT))

    def since(self, earlier: RefreshStats) -> dict[str, float | int | None]:
        """Refreshes after ``earlier`` (a ``copy``): their number and cost in ms."""
        n = min(self.count - earlier.count, len(self.durations))
        recent = sorted(list(self.durations)[len(self.durations) - n:]) if n > 0 else []
        ms = [d * 1000 for d in recent]
        return {
            "refreshes": n,
            "mean_ms": round(math.fsum(ms) / n, 3) if n else None,
            "p95_ms": round(ms[min(n - 1, math.ceil(0.95 * n) - 1)], 3) if n else None,
            "max_ms": round(ms[-1], 3) if n else None,
            "period_ms": round(self.period_s * 1000, 1),
        }
