"""Commands over a modelled lossy serial line, for ``fleet bench serial``.

Two ``Session`` ends (the controller's and the robot's) are joined by two wires,
one each way, on simulated time: a byte takes 10 bits of line time at ``baud``
(start, 8 data, stop), so a write waits for the previous one to leave, and bytes
arrive in chunks of ``CHUNK`` as a UART driver would hand them over. Each byte
is damaged with probability ``error_rate``, a third each flipped (one bit),
dropped or sent twice, as ``sim.noisy_line.Noise.byte_errors`` splits it, from
a seeded generator. The robot reports a state at ``state_hz`` all along, so the
uplink carries what it would in service and acks queue behind states.

The controller sends one command, waits until it is acknowledged, idles
``GAP_S`` and sends the next; each command's latency runs from ``Session.send``
to the robot's ``Session.feed`` returning it, and its retries are the frames the
controller sent again meanwhile. Whatever the robot receives is checked against
what was sent: each command exactly once, in order, equal to the original.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drivers.serial.codec import InstantActions, Message
from drivers.serial.session import Session
from fleet.bench.mqtt import percentile
from fleet.vda import Order, RobotState

CHUNK = 32
"""Bytes a UART read hands over at once (2.8 ms of line at 115200 baud)."""
GAP_S = 0.05
"""Idle time between one command's ack and the next command."""
BITS_PER_BYTE = 10


@dataclass
class Wire:
    """One direction of the line. ``damaged`` counts bytes flipped, dropped or doubled."""

    rng: random.Random
    error_rate: float
    baud: int
    free_at: float = 0.0
    sent: int = 0
    damaged: int = 0
    arriving: deque[tuple[float, bytes]] = field(default_factory=deque)

    def _mangle(self, data: bytes) -> bytes:
        p = self.error_rate
        if not p:
            return data
        out = bytearray()
        for byte in data:
            r = self.rng.random()
            if r >= p:
                out.append(byte)
                continue
            self.damaged += 1
            if r < p / 3:
                continue  # dropped
            if r < 2 * p / 3:
                out.append(byte ^ (1 << self.rng.randrange(8)))
            else:
                out += bytes((byte, byte))
        return bytes(out)

    def write(self, data: bytes, now: float) -> None:
        """Line time is the sender's: bytes that get dropped still took theirs."""
        self.sent += len(data)
        at = max(now, self.free_at)
        for i in range(0, len(data), CHUNK):
            chunk = data[i:i + CHUNK]
            at += len(chunk) * BITS_PER_BYTE / self.baud
            self.arriving.append((at, self._mangle(chunk)))
        self.free_at = at

    def due(self, now: float) -> bytes:
        out = bytearray()
        while self.arriving and self.arriving[0][0] <= now:
            out += self.arriving.popleft()[1]
        return bytes(out)

    def next_at(self) -> float | None:
        return self.arriving[0][0] if self.arriving else None


class Line:
    """A controller and a robot session joined by two ``Wire``s."""

    def __init__(self, *, seed: int, error_rate: float, baud: int, state: RobotState,
                 state_hz: float) -> None:
        rng = random.Random(seed)
        self.now = 0.0
        self.ctl = Session("controller", now=0.0, session_id=rng.randrange(1, 2**32))
        self.bot = Session("robot", now=0.0, session_id=rng.randrange(1, 2**32))
        self.down = Wire(random.Random(rng.random()), error_rate, baud)
        self.up = Wire(random.Random(rng.random()), error_rate, baud)
        self.state = state
        self.state_every = 1.0 / state_hz if state_hz > 0 else None
        self.next_state = 0.0 if self.state_every else None
        self.at_bot: list[tuple[float, Message]] = []
        self.states_at_ctl = 0

    def step(self, until: float) -> None:
        """Advance to the next event (bytes arriving, a session deadline, a state
        report due) or ``until``, and let both ends read and write."""
        times = [until, *(t for t in (self.down.next_at(), self.up.next_at(),
                                      self.ctl.next_deadline(), self.bot.next_deadline(),
                                      self.next_state) if t is not None)]
        now = self.now = max(self.now, min(times))
        self.at_bot += [(now, m) for m in self.bot.feed(self.down.due(now), now)]
        self.states_at_ctl += len(self.ctl.feed(self.up.due(now), now))
        if self.next_state is not None and self.state_every and now >= self.next_state:
            self.bot.send(self.state, now)
            self.next_state = now + self.state_every
        for session, wire in ((self.ctl, self.down), (self.bot, self.up)):
            out = session.outgoing(now)
            if out:
                wire.write(out, now)

    def run_while(self, busy: Callable[[], bool], limit: float) -> bool:
        """Step while ``busy()`` and before ``limit``; False when the limit came first."""
        spins = 0
        while busy():
            if self.now >= limit:
                return False
            before = self.now
            self.step(limit)
            spins = spins + 1 if self.now == before else 0
            if spins > 1000:
                raise RuntimeError(f"the simulated line makes no progress at t={self.now}")
        return True

    def run_for(self, seconds: float) -> None:
        end = self.now + seconds
        self.run_while(lambda: self.now < end, end)


def ident(msg: Message) -> str:
    """The id a command is checked by: the order id, or the first action id."""
    if isinstance(msg, Order):
        return msg.order_id
    if isinstance(msg, InstantActions):
        return msg.actions[0].action_id
    return type(msg).__name__


@dataclass(frozen=True, slots=True)
class Trial:
    command: str
    commands: int
    error_rate: float
    baud: int
    seed: int
    state_hz: float
    limit_s: float


def run_trial(trial: Trial, make: Callable[[int], Message], state: RobotState,
              progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Send ``trial.commands`` commands one after the other; see the module docstring.
    A command not acknowledged within ``limit_s`` simulated seconds ends the trial
    (the rest count as not sent)."""
    line = Line(seed=trial.seed, error_rate=trial.error_rate, baud=trial.baud, state=state,
                state_hz=trial.state_hz)
    established = line.run_while(lambda: not (line.ctl.alive and line.bot.alive),
                                 trial.limit_s)
    sent: list[Message] = []
    latencies: list[float] = []
    retries: list[int] = []
    timed_out = not established
    for i in range(trial.commands if established else 0):
        msg = make(i)
        start, before = line.now, line.ctl.stats.retransmissions
        seen = len(line.at_bot)
        line.ctl.send(msg, start)
        sent.append(msg)
        if not line.run_while(lambda: line.ctl.pending > 0, start + trial.limit_s):
            timed_out = True
            break
        arrived = [at for at, m in line.at_bot[seen:] if ident(m) == ident(msg)]
        latencies.append((arrived[0] if arrived else line.now) - start)
        retries.append(line.ctl.stats.retransmissions - before)
        line.run_for(GAP_S)
        if progress is not None:
            progress(i + 1)
    line.run_for(1.0)  # anything still on its way arrives (a late duplicate would show)
    return trial_row(trial, line, sent, latencies=latencies, retries=retries,
                     timed_out=timed_out)


def trial_row(trial: Trial, line: Line, sent: list[Message], *, latencies: list[float],
              retries: list[int], timed_out: bool) -> dict[str, Any]:
    """The figures of one trial, and the check of what the robot received against
    ``sent``: exactly once, in order, equal."""
    got = [m for _, m in line.at_bot]
    counts = Counter(ident(m) for m in got)
    sent_ids = [ident(m) for m in sent]
    once = sum(1 for s in sent_ids if counts[s] == 1)
    wrong = sum(1 for m in got if m not in sent)
    in_order = [ident(m) for m in got] == [s for s in sent_ids if counts[s]]
    wires = (line.down, line.up)
    rejected = line.ctl.stats.rejected + line.bot.stats.rejected
    ms = [1000 * x for x in latencies]
    return {
        "measure": "line", "command": trial.command,
        "line": "clean" if not trial.error_rate else "noisy",
        "error_rate": trial.error_rate, "baud": trial.baud, "seed": trial.seed,
        "state_hz": trial.state_hz, "sent": len(sent), "delivered": len(got),
        "exactly_once": once, "lost": sum(1 for s in sent_ids if counts[s] == 0),
        "duplicated": sum(max(0, counts[s] - 1) for s in sent_ids),
        "wrong": wrong, "in_order": in_order, "timed_out": timed_out,
        "retries_mean": sum(retries) / len(retries) if retries else None,
        "retries_max": max(retries, default=None),
        "latency_ms": ms,
        "mean_ms": sum(ms) / len(ms) if ms else None, "p95_ms": percentile(ms, 95),
        "max_ms": max(ms, default=None), "sim_s": line.now,
        "bytes_on_line": sum(w.sent for w in wires),
        "damaged_rate": (sum(w.damaged for w in wires) / max(1, sum(w.sent for w in wires))),
        "frames_rejected": sum(rejected.values()),
        "states_delivered": line.states_at_ctl,
    }


def add_paired_latency(clean: dict[str, Any], noisy: dict[str, Any]) -> None:
    """Added latency of each command on the noisy line over the same command on the
    clean one (same seed, same sequence), into ``noisy``: mean and p95."""
    added = [n - c for n, c in zip(noisy["latency_ms"], clean["latency_ms"], strict=False)]
    noisy["added_mean_ms"] = sum(added) / len(added) if added else None
    noisy["added_p95_ms"] = percentile(added, 95)
