"""Whole services with robots on serial lines: every robot's firmware behind a pty,
the serial driver as the controller's link, time scaled; some robots on MQTT and
some on serial in one site; and ``fleet run`` reaching ``fleet sim-robots --serial``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from drivers.mqtt.broker import available_kinds
from fleet.config import load_config
from fleet.floor import load_floor
from sim.run import SimOptions, run_simulation

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]


def service(transport: str, **kw: Any) -> dict[str, Any]:
    cfg = load_config(ROOT / "config.toml", env={})
    plan = load_floor(ROOT / "maps" / "bistro.toml")
    options: dict[str, Any] = {"robots": 3, "scenario": "lunch-rush", "duration_s": 600.0,
                               "seed": 2, "faults": "light", "speed": 40.0,
                               "drain_s": 1200.0, **kw}
    return run_simulation(SimOptions(plan=plan, model=cfg.robot_model(),
                                     transport=transport,  # type: ignore[arg-type]
                                     **options))


def assert_served(report: dict[str, Any]) -> None:
    dishes = report["dishes"]
    assert report["violations"] == 0
    assert report["deadlocks"]["unrecovered"] == 0
    assert dishes["ordered"] > 0 and dishes["open"] == 0
    assert dishes["served"] + dishes["by_staff"] + dishes["failed"] + dishes["cancelled"] \
        == dishes["ordered"]
    assert dishes["failed_without_reason"] == 0
    assert dishes["served"] >= 0.8 * dishes["ordered"]


@pytest.mark.slow
@pytest.mark.timeout(300)  # a service at 40x plus the vehicles' goodbyes: about 50 s idle
def test_a_lunch_service_over_serial_lines_breaks_no_rule_and_loses_no_dish() -> None:
    assert_served(service("serial"))


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not available_kinds(), reason="no MQTT broker installed")
def test_a_mixed_fleet_mqtt_and_serial_serves_under_one_referee() -> None:
    report = service("mixed", robots=4)
    assert_served(report)
    moved = report["distance_m"]["per_robot"]
    assert moved["R1"] + moved["R3"] > 0, "no trip over MQTT"
    assert moved["R2"] + moved["R4"] > 0, "no trip over serial"


@pytest.mark.skipif(not available_kinds(), reason="no MQTT broker installed")
def test_fleet_run_drives_robots_from_sim_robots_serial(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    robots = subprocess.Popen(
        [sys.executable, "-m", "fleet", "sim-robots", "--serial", "--count", "2",
         "--config", str(ROOT / "config.toml"), "--map", str(ROOT / "maps" / "bistro.toml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path, env=env)
    try:
        assert robots.stdout is not None
        ports: dict[str, str] = {}
        deadline = time.monotonic() + 30
        while len(ports) < 2 and time.monotonic() < deadline:
            words = robots.stdout.readline().split()
            if len(words) == 2 and words[0] in ("R1", "R2"):
                ports[words[0]] = words[1]
        assert set(ports) == {"R1", "R2"}, ports
        text = (ROOT / "config.toml").read_text()
        head = text[:text.index("[[robots]]")]
        tail = text[text.index("[store]"):]
        head = head.replace('map = "maps/bistro.toml"',
                            f'map = "{ROOT / "maps" / "bistro.toml"}"')
        tail = tail.replace('path = "fleet.db"', f'path = "{tmp_path / "site.db"}"')
        lines = "".join(f'[[robots]]\nserial = "{s}"\nmodel = "tray-bot"\ntransport = "serial"\n'
                        f'port = "{p}"\n\n' for s, p in ports.items())
        config = tmp_path / "site.toml"
        config.write_text(head + lines + tail)
        done = subprocess.run([sys.executable, "-m", "fleet", "run", "--config", str(config),
                               "--duration", "3"], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=60, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "robots: R1, R2" in done.stdout and "stopped cleanly" in done.stdout
    finally:
        robots.send_signal(signal.SIGINT)
        out, _ = robots.communicate(timeout=20)
    assert robots.returncode == 0, out
    assert "online 2/2" in out or "stopping" in out
