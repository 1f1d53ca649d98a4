"""``fleet bench serial``: what the serial protocol costs, beside VDA 5050 JSON.

Three measures, all in one process and one run:

- **Size.** Bytes per message on the line, measured as what the sending
  ``Session`` writes until the message is delivered on a clean line (header,
  CRC, COBS, delimiters, and every frame if the session splits a message), and
  the same message as VDA 5050 JSON (``drivers.vda5050``, what MQTT carries
  without its own overhead). Messages: a typical state (3 node and 3 edge states,
  2 action states, 2 loads, a position), a cancelOrder instant action, a 10-node
  order, and the same order with a serving stop (2 drops and a waitForTrigger, as
  ``fleet.controller.stops`` builds it). They are the ones the sizes table of
  ``docs/serial-protocol.md`` lists.
- **Decoding.** State frames per second through the controller's
  ``Session.feed`` (COBS, CRC, header, sequence, body) on one core, in reads of
  ``READ`` bytes, against ``decode_state`` on the same state as JSON in the same
  run; and the body decoder alone, to show what the framing adds.
- **A lossy line.** Commands at ``error_rate`` byte errors on a modelled line
  (``sim/bench/serial_line.py``) and on a clean one with the same seed:
  exactly-once delivery, retries, and the latency the errors add.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.serial.codec import InstantActions, Message, decode_body, encode_body
from drivers.serial.session import Session
from drivers.vda5050 import Vehicle, decode_state, encode_instant_actions, encode_order
from drivers.vda5050 import encode_state as encode_json_state
from fleet.bench.text import figure as _f
from fleet.bench.text import markdown_table as _table
from fleet.controller.stops import stop_actions
from fleet.domain import Stop, StopKind
from fleet.vda import (
    Action,
    ActionState,
    ActionStatus,
    BatteryState,
    Edge,
    EdgeState,
    Load,
    Node,
    NodePosition,
    NodeState,
    Order,
    Position,
    RobotState,
)
from sim.bench.serial_line import Trial, add_paired_latency, run_trial

READ = 4096
"""Bytes per ``Session.feed`` call in the decoding measure (``drivers.serial.port.MAX_READ``)."""
ROUND = 200
"""State messages the robot end writes before the controller end acks them all (its
window and queue are opened wide enough for them, fragments included)."""
VEHICLE = Vehicle("acme", "bot1")

Progress = Callable[[int, int, str], None]


# -- the messages ---------------------------------------------------------------------


def typical_state() -> RobotState:
    """A robot driving to a table: 3 nodes left, 2 drops waiting, 2 dishes on board."""
    return RobotState(
        "bot1", 1700000000.25, "trip-12.1", 0, "r4c9", 12,
        tuple(NodeState(f"r4c{c}", 2 * i + 14, i < 2) for i, c in enumerate(range(10, 13))),
        tuple(EdgeState(f"r4c{c - 1}-r4c{c}", 2 * i + 13, i < 2)
              for i, c in enumerate(range(10, 13))),
        (ActionState("trip-12.1/drop/tray1", ActionStatus.WAITING, "drop"),
         ActionState("trip-12.1/drop/tray2", ActionStatus.WAITING, "drop")),
        driving=True, battery=BatteryState(76.4), position=Position(4.61, 3.25, 0.0),
        loads=(Load("tray1", "order-41/1", "dish"), Load("tray2", "order-41/2", "dish")))


def order_10(order_id: str = "trip-12.1", *, serve: bool = False) -> Order:
    """A leg across a restaurant: 10 cells in a row, 7 released; with ``serve``, the
    serving stop at its end (2 drops, a waitForTrigger)."""
    actions = stop_actions(Stop("T12", StopKind.SERVE, ("order-41/1", "order-41/2"),
                                ("tray1", "tray2")), order_id) if serve else ()
    nodes = tuple(Node(f"r4c{c}", 2 * i, i < 7, NodePosition(round(0.25 + 0.5 * c, 3), 3.25),
                       actions if i == 9 else ()) for i, c in enumerate(range(3, 13)))
    edges = tuple(Edge(f"{a.node_id}-{b.node_id}", a.sequence_id + 1, b.released, a.node_id,
                       b.node_id) for a, b in itertools.pairwise(nodes))
    order = Order(order_id, 0, nodes, edges)
    order.check()
    return order


def cancel(action_id: str = "cancel-1") -> InstantActions:
    return InstantActions((Action("cancelOrder", action_id),))


COMMANDS: dict[str, Callable[[int], Message]] = {
    # Order ids as long as the sized orders' ("trip-12.1"), so their frames are the same
    # size; cancel ids are 3 bytes longer than the sized one's.
    "cancelOrder": lambda i: cancel(f"cancel-{i:04d}"),
    "order-10": lambda i: order_10(f"trip-{i:04d}"),
    "order-10-serve": lambda i: order_10(f"trip-{i:04d}", serve=True),
}
"""The commands sent over the lossy line, by the name the tables use."""


def _json(msg: Message) -> int:
    if isinstance(msg, RobotState):
        return len(encode_json_state(msg, VEHICLE, header_id=1, at=1.7e9))
    if isinstance(msg, Order):
        return len(encode_order(msg, VEHICLE, header_id=1, at=1.7e9))
    assert isinstance(msg, InstantActions)
    return len(encode_instant_actions(msg.actions, VEHICLE, header_id=1, at=1.7e9))


# -- size ---------------------------------------------------------------------------------


def _pair(seed: int = 1, *, wide: bool = False) -> tuple[Session, Session]:
    rng = random.Random(seed)
    ctl = Session("controller", now=0.0, session_id=rng.randrange(1, 2**32))
    bot_id = rng.randrange(1, 2**32)
    bot = (Session("robot", now=0.0, session_id=bot_id, window=0x7FFF, max_queue=4 * ROUND)
           if wide else Session("robot", now=0.0, session_id=bot_id))
    _exchange(ctl, bot, 0.0, lambda: ctl.alive and bot.alive)
    return ctl, bot


def _exchange(a: Session, b: Session, now: float, done: Callable[[], bool],
              got: list[Message] | None = None) -> tuple[int, float]:
    """Pass bytes straight between two ends (no line time) until ``done``; returns the
    bytes ``a`` wrote and the clock (1 ms a round, far from any timer)."""
    written = 0
    for _ in range(200):
        out = a.outgoing(now)
        written += len(out)
        received = b.feed(out, now)
        if got is not None:
            got += received
        a.feed(b.outgoing(now), now)
        if done():
            return written, now
        now += 0.001
    raise RuntimeError("the two sessions did not finish an exchange in 200 rounds")


def measure_size(name: str, msg: Message) -> dict[str, Any]:
    """What the sender writes for ``msg`` until it is delivered and acked."""
    ctl, bot = _pair()
    sender, receiver = (bot, ctl) if isinstance(msg, RobotState) else (ctl, bot)
    frames_before = sender.stats.frames_out
    got: list[Message] = []
    sender.send(msg, 0.01)
    wire, _ = _exchange(sender, receiver, 0.01, lambda: bool(got) and not sender.pending, got)
    if got != [msg]:
        raise RuntimeError(f"{name}: the receiving session returned {got!r}")
    body = len(encode_body(msg)[1])
    json_bytes = _json(msg)
    return {"measure": "size", "message": name, "body": body, "wire": wire,
            "frames": sender.stats.frames_out - frames_before, "json": json_bytes,
            "json_over_wire": json_bytes / wire}


def size_rows() -> list[dict[str, Any]]:
    messages: dict[str, Message] = {"state (typical)": typical_state(),
                                    "instant cancelOrder": cancel(), "order 10 nodes": order_10(),
                                    "order 10 nodes + serving stop": order_10(serve=True)}
    return [measure_size(name, msg) for name, msg in messages.items()]


# -- decoding -------------------------------------------------------------------------------


def time_session_feed(state: RobotState, frames: int) -> tuple[float, int]:
    """Seconds ``Session.feed`` took for ``frames`` states, and how many it returned."""
    ctl, bot = _pair(wide=True)
    seconds, delivered, now = 0.0, 0, 1.0
    left = frames
    while left:
        batch = min(ROUND, left)
        stream = bytearray()
        for _ in range(batch):
            bot.send(state, now)
            stream += bot.outgoing(now)
        data = bytes(stream)
        t0 = time.perf_counter()
        for off in range(0, len(data), READ):
            delivered += len(ctl.feed(data[off:off + READ], now))
        seconds += time.perf_counter() - t0
        bot.feed(ctl.outgoing(now), now)  # one cumulative ack frees the robot's window
        left -= batch
        now += 0.01
    return seconds, delivered


def time_body_decode(state: RobotState, frames: int) -> float:
    kind, body = encode_body(state)
    t0 = time.perf_counter()
    for _ in range(frames):
        decode_body(kind, body)
    return time.perf_counter() - t0


def time_json_decode(state: RobotState, frames: int) -> float:
    payload = encode_json_state(state, VEHICLE, header_id=1, at=1.7e9)
    t0 = time.perf_counter()
    for _ in range(frames):
        decode_state(payload)
    return time.perf_counter() - t0


def decode_rows(frames: int, repeats: int) -> list[dict[str, Any]]:
    """Each decoder ``repeats`` times, interleaved; the median time."""
    state = typical_state()
    times: dict[str, list[float]] = {"serial Session.feed": [], "serial body only": [],
                                     "VDA 5050 JSON decode_state": []}
    for _ in range(repeats):
        seconds, delivered = time_session_feed(state, frames)
        if delivered != frames:
            raise RuntimeError(f"Session.feed returned {delivered} of {frames} states")
        times["serial Session.feed"].append(seconds)
        times["serial body only"].append(time_body_decode(state, frames))
        times["VDA 5050 JSON decode_state"].append(time_json_decode(state, frames))
    size = measure_size("state", state)
    bytes_each = {"serial Session.feed": size["wire"], "serial body only": size["body"],
                  "VDA 5050 JSON decode_state": size["json"]}
    json_s = statistics.median(times["VDA 5050 JSON decode_state"])
    rows = []
    for method, samples in times.items():
        seconds = statistics.median(samples)
        rows.append({"measure": "decode", "method": method, "frames": frames,
                     "repeats": repeats, "bytes_each": bytes_each[method], "seconds": seconds,
                     "per_s": frames / seconds, "us_each": 1e6 * seconds / frames,
                     "x_json": json_s / seconds})
    return rows


# -- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SerialBenchOptions:
    frames: int = 20_000
    """State frames per decoding run."""
    repeats: int = 3
    commands: int = 100
    """Commands of each kind over the lossy line."""
    error_rate: float = 0.01
    baud: int = 115_200
    seed: int = 1
    state_hz: float = 2.0
    """The robot's state reports on the uplink meanwhile."""
    limit_s: float = 1800.0
    """Simulated seconds one command may take before the trial gives up."""


def run_serial_bench(opts: SerialBenchOptions,
                     progress: Progress | None = None) -> list[dict[str, Any]]:
    def tell(done: int, total: int, doing: str) -> None:
        if progress is not None:
            progress(done, total, doing)

    tell(0, 1, "sizes")
    rows = size_rows()
    tell(0, 1, "decoding")
    rows += decode_rows(opts.frames, opts.repeats)
    state = typical_state()
    def counting(label: str) -> Callable[[int], None]:
        return lambda done: tell(done, opts.commands, label)

    for name, make in COMMANDS.items():
        pair = []
        for rate in (0.0, opts.error_rate):
            label = f"{name}, {'clean' if not rate else f'{100 * rate:g} % errors'}"
            trial = Trial(name, opts.commands, rate, opts.baud, opts.seed, opts.state_hz,
                          opts.limit_s)
            pair.append(run_trial(trial, make, state, counting(label)))
        add_paired_latency(*pair)
        rows += pair
    return rows


# -- text ---------------------------------------------------------------------------------






def format_serial_bench(rows: list[dict[str, Any]]) -> str:
    """Three Markdown tables (size, decoding, lossy line) and a line of verdicts."""
    size = [r for r in rows if r["measure"] == "size"]
    decode = [r for r in rows if r["measure"] == "decode"]
    line = [r for r in rows if r["measure"] == "line"]
    parts = ["### Bytes per message", _table(
        ["message", "body", "frames", "serial on the line", "VDA 5050 JSON", "JSON / serial"],
        [[r["message"], _f(r["body"]), _f(r["frames"]), _f(r["wire"]), _f(r["json"]),
          f"{r['json_over_wire']:.1f}x"] for r in size], left=1)]
    parts += ["", "### Decoding state messages, one core", _table(
        ["decoder", "messages", "bytes each", "per s", "us each", "x json"],
        [[r["method"], _f(r["frames"]), _f(r["bytes_each"]), _f(round(r["per_s"])),
          _f(r["us_each"], 2), f"{r['x_json']:.2f}x"] for r in decode], left=1)]
    if line:
        noisy = next((r for r in line if r["line"] == "noisy"), line[0])
        parts += ["", f"### Commands at {100 * noisy['error_rate']:g} % byte errors, "
                      f"{noisy['baud']:,} baud (seed {noisy['seed']})", _table(
            ["command", "line", "sent", "exactly once", "lost", "dup", "wrong",
             "frames resent/cmd",
             "mean ms", "p95 ms", "max ms", "added mean ms", "added p95 ms", "bytes damaged"],
            [[r["command"], r["line"], _f(r["sent"]), _f(r["exactly_once"]), _f(r["lost"]),
              _f(r["duplicated"]), _f(r["wrong"]), _f(r["retries_mean"], 2), _f(r["mean_ms"]),
              _f(r["p95_ms"]), _f(r["max_ms"]), _f(r.get("added_mean_ms")),
              _f(r.get("added_p95_ms")), f"{100 * r['damaged_rate']:.2f} %"] for r in line],
            left=2)]
        ok = all(r["exactly_once"] == r["sent"] and not r["wrong"] and r["in_order"]
                 and not r["timed_out"] for r in line)
        parts += ["", "every command delivered exactly once, in order, intact: "
                      + ("yes" if ok else "NO")]
    return "\n".join(parts)
