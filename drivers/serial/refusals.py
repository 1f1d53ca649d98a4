"""What a serial line refused, told to people: each refused frame or message, with
what was wrong and on which line, kept (the latest ``KEEP``) for the dashboard and
tests, and logged.

A robot speaking another protocol, a miswired line or a fuzzing tester can send
hundreds of bad frames a second; one log line each would bury everything else. So
at most ``BURST`` lines are written per ``WINDOW_S`` wall seconds, and the next
line after that says how many more were refused meanwhile, by reason. The
counters (``counts``) see every one.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable

log = logging.getLogger(__name__)

KEEP = 100
BURST = 10
WINDOW_S = 5.0


class Refusals:
    """Refusals on one line; ``where`` names it in every line ("R1 on /dev/ttyUSB0")."""

    def __init__(self, where: str, *, keep: int = KEEP, burst: int = BURST,
                 window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.where = where
        self.counts: Counter[str] = Counter()
        """Every refusal since the link was made, by reason."""
        self.recent: deque[str] = deque(maxlen=keep)
        """The latest refusals as logged (or as they would have been), oldest first."""
        self.burst = burst
        self.window_s = window_s
        self._clock = clock  # wall seconds: the log is read by people, at any site speed
        self._window_at = -float("inf")
        self._logged = 0
        self._held: Counter[str] = Counter()

    def frame(self, reason: str, text: str) -> None:
        """A frame, or a message in frames, the session refused (``Session.take_refusals``)."""
        self._add(reason, f"{self.where}: frame refused, {text}")

    def message(self, reason: str, detail: str) -> None:
        """A message that decoded but is not for this link to take."""
        self._add(reason, f"{self.where}: message refused, {reason} ({detail[:60]})")

    def _add(self, reason: str, line: str) -> None:
        self.counts[reason] += 1
        self.recent.append(line)
        now = self._clock()
        if now - self._window_at >= self.window_s:
            self.flush()
            self._window_at = now
        if self._logged < self.burst:
            self._logged += 1
            log.warning("%s (%d refused on this line so far)", line, self.counts.total())
        else:
            self._held[reason] += 1

    def flush(self) -> None:
        """Say how many were refused and not logged one by one; start a new window."""
        if self._held:
            by_reason = ", ".join(f"{n} {r}" for r, n in self._held.most_common())
            log.warning("%s: %d more refused, not logged one by one (%s)", self.where,
                        self._held.total(), by_reason)
        self._held.clear()
        self._logged = 0
