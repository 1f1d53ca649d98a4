"""``fleet bench serial``: a tiny run yields its three tables and checks itself; the line
model takes line time and damages what it is told to; the exactly-once check fails
when a command arrives twice or not at all."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from drivers.serial.codec import decode_body, encode_body
from fleet.cli import main
from sim.bench.serial import COMMANDS, format_serial_bench, measure_size, typical_state
from sim.bench.serial_line import Line, Trial, Wire, run_trial, trial_row


def test_a_tiny_run_prints_and_saves_every_measure(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "serial.json"
    code = main(["bench", "serial", "--frames", "300", "--repeats", "1", "--commands", "3",
                 "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    saved = json.loads(out.read_text())
    rows = saved["rows"]
    assert saved["bench"] == "serial" and saved["error_rate"] == 0.01
    sizes = [r for r in rows if r["measure"] == "size"]
    assert len(sizes) == 4
    for r in sizes:
        assert r["body"] < r["wire"] < r["json"] and r["frames"] >= 1
    decode = {r["method"]: r for r in rows if r["measure"] == "decode"}
    assert set(decode) == {"serial Session.feed", "serial body only",
                           "VDA 5050 JSON decode_state"}
    assert all(r["frames"] == 300 and r["per_s"] > 0 for r in decode.values())
    assert decode["VDA 5050 JSON decode_state"]["x_json"] == pytest.approx(1.0)
    line = [r for r in rows if r["measure"] == "line"]
    assert [(r["command"], r["line"]) for r in line] == [
        (c, kind) for c in COMMANDS for kind in ("clean", "noisy")]
    for r in line:
        assert r["sent"] == r["exactly_once"] == 3
        assert (r["lost"], r["duplicated"], r["wrong"]) == (0, 0, 0) and r["in_order"]
    for clean, noisy in zip(line[::2], line[1::2], strict=True):
        assert clean["retries_mean"] == 0 and clean["damaged_rate"] == 0
        assert clean["states_delivered"] > 0  # the uplink carried states meanwhile
        assert noisy["damaged_rate"] > 0 and noisy["frames_rejected"] > 0
        assert noisy["added_mean_ms"] == pytest.approx(noisy["mean_ms"] - clean["mean_ms"])
    for title in ("### Bytes per message", "### Decoding state messages, one core",
                  "### Commands at 1 % byte errors, 115,200 baud"):
        assert title in printed
    assert "every command delivered exactly once, in order, intact: yes" in printed


def test_sizes_count_what_the_session_writes() -> None:
    state = typical_state()
    row = measure_size("state", state)
    kind, body = encode_body(state)
    assert decode_body(kind, body) == state
    assert row["body"] == len(body)
    # Every frame adds at least a header and CRC (13 bytes) and a delimiter.
    assert row["wire"] >= row["body"] + 14 * row["frames"]


def test_the_wire_takes_ten_bits_a_byte_and_damages_its_share() -> None:
    clean = Wire(random.Random(1), 0.0, 115_200)
    clean.write(bytes(range(1, 256)) * 4, 0.0)
    clean.write(b"\x01" * 100, 0.0)  # queues behind the first write
    assert clean.due(0.0885) == (bytes(range(1, 256)) * 4)[:992]
    assert clean.due(1020 * 10 / 115_200) == (bytes(range(1, 256)) * 4)[992:]
    assert clean.next_at() == pytest.approx((1020 + 32) * 10 / 115_200)
    assert clean.due(1.0) == b"\x01" * 100
    noisy = Wire(random.Random(2), 0.03, 115_200)
    noisy.write(b"\x55" * 100_000, 0.0)
    got = noisy.due(10.0)
    assert 2700 < noisy.damaged < 3300
    assert got != b"\x55" * 100_000 and abs(len(got) - 100_000) < 300


def test_the_check_fails_when_a_command_is_lost_or_doubled() -> None:
    trial = Trial("cancelOrder", 2, 0.0, 115_200, 1, 2.0, 60.0)
    make = COMMANDS["cancelOrder"]
    sent = [make(0), make(1)]
    line = Line(seed=1, error_rate=0.0, baud=115_200, state=typical_state(), state_hz=2.0)
    line.at_bot = [(0.1, sent[0]), (0.2, sent[0])]
    row = trial_row(trial, line, sent, latencies=[0.1, 0.2], retries=[0, 0], timed_out=False)
    assert (row["exactly_once"], row["lost"], row["duplicated"]) == (0, 1, 1)
    assert "NO" in format_serial_bench([row])
    good = run_trial(trial, make, typical_state())
    assert (good["exactly_once"], good["lost"], good["duplicated"]) == (2, 0, 0)
