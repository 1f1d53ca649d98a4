"""Resident memory of a long service's processes, sampled on the site's clock
(``fleet chaos --rss-every``), for the target "a simulated 8-hour day with 30
robots: RSS flat within 10 % after the first hour".

A leak in a service shows as memory that keeps climbing hour after hour; the
first hour is left out because caches, the floor's distance fields and the
store's pages fill then and stay. So the verdict compares every sample after the
first hour with the first one at or after it (the baseline): flat when none
strays more than ``TOLERANCE`` from it.

Each sample also carries the CPU the controller's process used since the last
one (a share of one core) and how late the campaign's own loop woke at worst: on
a machine that cannot carry ``--speed``, site seconds pass without the work in
them, and a memory figure from such a run says less; these two say whether it
kept up. Linux only (``/proc``); elsewhere a figure is None.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TOLERANCE = 0.10
"""Samples after the first hour within this share of the baseline: flat."""
FIRST_HOUR_S = 3600.0

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def rss_mb(pid: int | None = None) -> float | None:
    """Resident memory of ``pid`` (None: this process) in MB; None when it cannot be
    read (gone, or not Linux)."""
    try:
        with open(f"/proc/{pid or 'self'}/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * _PAGE / 1e6


def cpu_s(pid: int) -> float | None:
    """User and system CPU seconds ``pid`` has used; None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            # The command name may hold spaces and parentheses: count after the last ')'.
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / _TICKS
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class RssSample:
    at_s: float
    """Site seconds since the service opened."""
    controller_mb: float | None
    broker_mb: float | None
    campaign_mb: float | None
    """The campaign's own process: the robots, the kitchen, the referee."""
    controller_cpu: float | None
    """Share of one core the controller's process used since the last sample."""
    worst_lag_s: float
    """How late the campaign's loop woke at worst since the last sample, in site
    seconds: near 0 when the machine keeps up with ``--speed``."""

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None, n: int = 1) -> float | None:
            return None if x is None else round(x, n)

        return {"at_s": round(self.at_s), "controller_mb": r(self.controller_mb),
                "broker_mb": r(self.broker_mb), "campaign_mb": r(self.campaign_mb),
                "controller_cpu": r(self.controller_cpu, 2), "worst_lag_s": r(self.worst_lag_s)}


@dataclass(slots=True)
class MemoryWatch:
    """Samples every ``every_s`` site seconds from ``start`` (loop time). The pids are
    asked for at each sample: a restarted controller or broker has a new one."""

    every_s: float
    start: float
    controller_pid: Callable[[], int | None]
    broker_pid: Callable[[], int | None]
    speed: float
    samples: list[RssSample] = field(default_factory=list)
    _lag: float = 0.0
    _cpu: tuple[int, float, float] | None = None
    """(pid, its CPU seconds, monotonic time) at the last sample."""

    async def run(self) -> None:
        """Until cancelled: a tick every wall second measures the loop's lateness, and
        every ``every_s`` a sample is taken (one at the start, too)."""
        if self.every_s <= 0:
            raise ValueError(f"the sampling interval must be above 0, got {self.every_s}")
        loop = asyncio.get_running_loop()
        self.sample()
        due = self.start + self.every_s
        tick = self.speed  # a wall second in loop seconds
        while True:
            wanted = min(due, loop.time() + tick)
            await asyncio.sleep(max(0.0, wanted - loop.time()))
            self._lag = max(self._lag, loop.time() - wanted)
            if loop.time() >= due:
                self.sample()
                due += self.every_s

    def sample(self) -> RssSample:
        now = asyncio.get_running_loop().time()
        pid = self.controller_pid()
        share: float | None = None
        if pid is not None:
            used, wall = cpu_s(pid), time.monotonic()
            if used is not None:
                last = self._cpu
                if last is not None and last[0] == pid and wall > last[2]:
                    share = (used - last[1]) / (wall - last[2])
                self._cpu = (pid, used, wall)
        broker = self.broker_pid()
        taken = RssSample(now - self.start, rss_mb(pid) if pid is not None else None,
                          rss_mb(broker) if broker is not None else None, rss_mb(), share,
                          self._lag)
        self._lag = 0.0
        self.samples.append(taken)
        return taken


def flat_after_first_hour(samples: list[dict[str, Any]], key: str = "controller_mb",
                          ) -> tuple[bool, str]:
    """(held, the figure): every sample of ``key`` after the first hour within
    ``TOLERANCE`` of the first one at or after it. Fewer than two such samples is not
    a verdict but a failure to measure, and says so."""
    late = [(s["at_s"], s[key]) for s in samples
            if s["at_s"] >= FIRST_HOUR_S and s[key] is not None]
    if len(late) < 2:
        return False, (f"not measured: {len(late)} sample(s) after the first hour; run longer "
                       "or sample more often")
    base = late[0][1]
    worst_at, worst = max(late[1:], key=lambda s: abs(s[1] - base))
    change = (worst - base) / base
    return abs(change) <= TOLERANCE, (
        f"{base:.1f} MB at {late[0][0] / 3600:.1f} h; furthest {worst:.1f} MB "
        f"({change:+.1%}) at {worst_at / 3600:.1f} h; {min(v for _, v in late):.1f}-"
        f"{max(v for _, v in late):.1f} MB over {len(late)} samples")


def sample_rows(samples: list[dict[str, Any]]) -> list[list[str]]:
    """One row a sample: site hours, each process's MB, the controller's CPU, the lag."""
    def mb(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}"

    return [[f"{s['at_s'] / 3600:.2f}", mb(s["controller_mb"]), mb(s["broker_mb"]),
             mb(s["campaign_mb"]),
             "-" if s["controller_cpu"] is None else f"{s['controller_cpu']:.0%}",
             f"{s['worst_lag_s']:.1f}"] for s in samples]
