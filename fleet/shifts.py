"""Named parts of a day (``[shifts]`` in the config): "lunch" rather than
``--from 11:00 --to 14:30`` each time a manager asks how lunch went.

A shift is two clock times, ``"HH:MM-HH:MM"``; one that ends before it starts
runs past midnight (a bar's ``"22:00-02:00"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
FORMAT = 'HH:MM-HH:MM, e.g. "11:00-14:30" (past midnight: "22:00-02:00")'


@dataclass(frozen=True, slots=True)
class Shift:
    name: str
    start: str
    """HH:MM"""
    end: str
    """HH:MM; before ``start`` when the shift runs past midnight."""

    @property
    def overnight(self) -> bool:
        return self.end < self.start

    def __str__(self) -> str:
        return f"{self.name} ({self.start}-{self.end})"


def parse_shift(name: str, text: str) -> Shift:
    """The shift ``text`` describes; ``ValueError`` saying what is wrong, for the config's
    error (which adds the file and the key)."""
    match = _RANGE.fullmatch(text)
    if match is None:
        raise ValueError(f"expected {FORMAT}, got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"not a time of day in {text!r} (hours 0-23, minutes 0-59)")
    start, end = f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
    if start == end:
        raise ValueError(f"starts and ends at {start}: a shift needs some length")
    return Shift(name, start, end)
