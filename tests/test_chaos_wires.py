"""``fleet chaos`` with serial robots and half-open sockets: half the robots on serial
lines over ptys get bursts of broken frames and their lines unplugged, while TCP
sockets that never finish CONNECT sit on the broker and the broker is killed once;
every invariant of the campaign must still hold, each broken frame be refused with
its reason, every line be back, and the serial robots have served. The verdict
lines for the wires are checked on made-up reports in milliseconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO

from fleet.cli import main
from fleet.cli.chaos_cmd import verdicts
from sim.hostile_frames import LINE_REASONS
from sim.wire_faults import BURST, half_connect

ROOT = Path(__file__).resolve().parents[1]


def _report(wires: dict[str, object]) -> dict[str, object]:
    return {"dishes": {"ordered": 10, "open": 0, "failed_without_reason": 0},
            "violations": 0, "liveness": {}, "still_at_end": [],
            "chaos": {"served_twice": 0, "kitchen_refused": {}, "rss_mb": [100.0, 101.0],
                      "acknowledged": 4, "acknowledged_lost": [], "restarts": [],
                      "controller_crashes": 0, "wires": wires}}


def _wires(offline: list[str]) -> dict[str, object]:
    return {"serial_robots": ["R2", "R4"], "garbage_frames": 40,
            "frames_refused": {"crc": 30, "cobs": 10}, "line_drops": 3,
            "lines_offline_at_end": offline, "half_open": 4,
            "half_open_closed_by_broker": 3, "half_open_longest_wall_s": 92.4}


def test_a_serial_line_offline_at_the_end_fails_the_campaign() -> None:
    said = {name: (ok, figure) for name, ok, figure in verdicts(_report(_wires([])))}
    assert said["every serial line online at the end"] == (
        True, "2 of 2 online (3 drops); 40 broken frames written, 40 frames refused with a "
              "reason")
    ok, figure = said["half-open sockets"]
    assert ok and figure.startswith("4 opened, 3 closed by the broker (or its kill) within "
                                    "92 wall s, 1 still open at the end")
    said = {name: (ok, figure) for name, ok, figure in verdicts(_report(_wires(["R4"])))}
    ok, figure = said["every serial line online at the end"]
    assert not ok and figure.endswith("offline: R4")


def test_no_wire_lines_without_serial_robots_or_sockets() -> None:
    names = {name for name, _, _ in verdicts(_report({}))}
    assert not names & {"every serial line online at the end", "half-open sockets"}


def test_half_a_connect_is_a_connect_cut_short() -> None:
    half = half_connect("half-open-1")
    assert half[0] == 0x10, "a CONNECT's fixed header"
    assert half[1] > len(half) - 2, "it announces more than it sends"


def test_line_faults_without_serial_robots_are_refused_with_the_fix(
        capsys: pytest.CaptureFixture[str]) -> None:
    bistro = str(ROOT / "maps" / "bistro.toml")
    assert main(["chaos", "--map", bistro, "--line-drops", "1"]) == 1
    assert "add --serial-lines" in capsys.readouterr().err
    assert main(["chaos", "--map", bistro, "--half-open", "-2"]) == 1
    assert "--half-open must be 0 or more" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.timeout(240)
@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
def test_a_campaign_with_serial_lines_and_half_open_sockets_holds_every_invariant(
        tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    code = main(["chaos", "--map", str(ROOT / "maps" / "bistro.toml"), "--config",
                 str(ROOT / "config.toml"), "--scenario", "counter", "--duration", "6m",
                 "--speed", "20",
                 "--broker-kills", "1", "--broker-freezes", "0", "--hostile", "100",
                 "--serial-lines", "--line-garbage", "4", "--line-drops", "2",
                 "--half-open", "6", "--seed", "2", "--json", str(out)])
    data = json.loads(out.read_text())
    failed = [v for v in data["verdicts"] if not v["held"]]
    assert code == 0 and not failed, failed
    report = data["report"]
    injected, wires = report["chaos"]["injected"], report["chaos"]["wires"]
    assert wires["serial_robots"] == ["R2", "R4"]
    sent = injected.get("serial: garbage frames", 0)
    assert sent >= BURST, injected  # at least one burst found a line up
    assert sent + BURST * injected.get("serial: garbage not sent (no line up)", 0) \
        == 4 * BURST
    refused = wires["frames_refused"]
    assert sum(refused.values()) >= sent, "a broken frame went unrefused"
    assert set(refused) <= set().union(*LINE_REASONS.values()), refused
    assert injected["serial: line dropped"] == 2 and wires["lines_offline_at_end"] == []
    assert "serial: line not reopened in time" not in injected, injected
    assert wires["line_reopened_within_s"] is not None
    assert injected["half-open socket"] + injected.get(
        "half-open: not opened (broker down)", 0) == 6
    served = report["served_per_robot"]
    assert served.get("R2", 0) + served.get("R4", 0) > 0, served


@pytest.mark.integration
@pytest.mark.timeout(240)
@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
def test_serial_robots_reach_a_controller_killed_and_restarted_in_its_own_process(
        tmp_path: Path) -> None:
    """Each new controller process opens the serial lines afresh (through the symlink
    that follows an unplugged pty); the serial robots serve before and after."""
    out = tmp_path / "chaos.json"
    code = main(["chaos", "--map", str(ROOT / "maps" / "bistro.toml"), "--config",
                 str(ROOT / "config.toml"), "--scenario", "counter", "--duration", "6m",
                 "--speed", "20", "--broker-kills", "1", "--broker-freezes", "0",
                 "--hostile", "100", "--serial-lines", "--line-garbage", "3",
                 "--line-drops", "2", "--half-open", "4", "--controller-kills", "2",
                 "--seed", "3", "--workdir", str(tmp_path / "w"), "--json", str(out)])
    data = json.loads(out.read_text())
    failed = [v for v in data["verdicts"] if not v["held"]]
    assert code == 0 and not failed, failed
    report = data["report"]
    chaos = report["chaos"]
    assert chaos["injected"]["controller killed"] == 2
    assert chaos["injected"]["serial: line dropped"] == 2
    assert chaos["wires"]["serial_robots"] == ["R2", "R4"]
    assert chaos["wires"]["lines_offline_at_end"] == []
    assert chaos["wires"]["refusals_of_last_run_only"] is True
    assert report["controller"]["starts"] == 3
    served = report["served_per_robot"]
    assert served.get("R2", 0) > 0 and served.get("R4", 0) > 0, served
