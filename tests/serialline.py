"""A simulated serial line for protocol tests: bytes take their line time (10 bits a
byte at ``BAUD``) and suffer seeded faults: bit flips, drops, duplicates, garbage,
truncated writes and stalls. Pure Python, simulated time: nothing sleeps."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

BAUD = 115_200


@dataclass
class Faults:
    """Per-byte probabilities, except ``stall`` and ``truncate`` (per write)."""

    flip: float = 0.0
    drop: float = 0.0
    dup: float = 0.0
    garbage: float = 0.0
    truncate: float = 0.0
    stall: float = 0.0
    stall_s: float = 1.5

    def apply(self, data: bytes, rng: random.Random) -> tuple[bytes, float]:
        if self.truncate and rng.random() < self.truncate:
            data = data[:rng.randrange(len(data) + 1)]
        out = bytearray()
        for byte in data:
            if self.garbage and rng.random() < self.garbage:
                out += rng.randbytes(rng.randint(1, 24))
            if self.drop and rng.random() < self.drop:
                continue
            flip = 1 << rng.randrange(8) if self.flip and rng.random() < self.flip else 0
            out.append(byte ^ flip)
            if self.dup and rng.random() < self.dup:
                out.append(byte ^ flip)
        stall = self.stall_s if self.stall and rng.random() < self.stall else 0.0
        return bytes(out), stall


@dataclass
class Wire:
    """One direction of the line: bytes arrive after their line time, in chunks."""

    rng: random.Random
    faults: Faults = field(default_factory=Faults)
    free_at: float = 0.0
    arriving: deque[tuple[float, bytes]] = field(default_factory=deque)

    def write(self, data: bytes, now: float) -> None:
        data, stall = self.faults.apply(data, self.rng)
        at = max(now, self.free_at) + stall
        for i in range(0, len(data), 16):
            chunk = data[i:i + 16]
            at += len(chunk) * 10 / BAUD
            self.arriving.append((at, chunk))
        self.free_at = at

    def due(self, now: float) -> bytes:
        out = bytearray()
        while self.arriving and self.arriving[0][0] <= now:
            out += self.arriving.popleft()[1]
        return bytes(out)

    def next_at(self) -> float | None:
        return self.arriving[0][0] if self.arriving else None
