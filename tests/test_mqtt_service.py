"""Whole services over a real broker: the simulator's robots as VDA 5050 vehicles,
the controller as the master, time scaled; and ``fleet run`` in production shape."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO

from drivers.mqtt.broker import available_kinds
from fleet.config import load_config
from fleet.floor import load_floor
from sim.run import SimOptions, run_simulation

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not available_kinds(),
                                 reason="no MQTT broker installed (.ci/run installs mosquitto)")]


@pytest.mark.timeout(300)  # a service at 60x: about 30 s on an idle machine
def test_a_lunch_service_over_mqtt_breaks_no_rule_and_loses_no_dish() -> None:
    cfg = load_config(ROOT / "config.toml", env={})
    plan = load_floor(ROOT / "maps" / "bistro.toml")
    report = run_simulation(SimOptions(plan=plan, model=cfg.robot_model(), robots=4,
                                       scenario="lunch-rush", duration_s=600.0, seed=2,
                                       faults="light", transport="mqtt", speed=60.0,
                                       drain_s=1200.0))
    dishes = report["dishes"]
    assert report["violations"] == 0
    assert report["deadlocks"]["unrecovered"] == 0
    assert dishes["ordered"] > 0 and dishes["open"] == 0
    assert dishes["served"] + dishes["by_staff"] + dishes["failed"] + dishes["cancelled"] \
        == dishes["ordered"]
    assert dishes["failed_without_reason"] == 0
    assert dishes["served"] >= 0.8 * dishes["ordered"]


@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
def test_fleet_run_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    text = (ROOT / "config.toml").read_text()
    text = text.replace('map = "maps/bistro.toml"', f'map = "{ROOT / "maps" / "bistro.toml"}"')
    text = text.replace('path = "fleet.db"', f'path = "{tmp_path / "site.db"}"')
    config.write_text(text)
    proc = subprocess.Popen([sys.executable, "-m", "fleet", "run", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and "robots:" not in line:
            line = proc.stdout.readline()
        assert "robots: R1, R2, R3, R4" in line, line
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "stopped cleanly" in out
    assert (tmp_path / "site.db").exists()
