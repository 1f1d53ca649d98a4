"""Issue 13, done when: a lunch service with a mixed fleet (2.1 vehicles, strict 2.0
vehicles, minimal third-party vehicles, serial robots) serves every dish with no
violation, over Mosquitto, with nothing but configuration telling the kinds apart.

The site is one config file, read as ``fleet run`` reads it; ``sim.configured``
plays each robot as its model and transport say (``sim_strict``, ``sim_minimal``,
``transport = "serial"``), the controller is built from the same models. No code
below knows one kind from another except to count who served what.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO

from fleet.config import load_config
from fleet.floor import load_floor
from sim.configured import fleet_of
from sim.run import SimOptions, run_simulation

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")]

SITE = """\
[site]
map = "{map}"

# fleet's own vehicles, VDA 5050 2.1, refusing any other version
[[robot_models]]
name = "v21"
manufacturer = "fleet-sim"
protocol_version = "2.1.0"
sim_strict = true

# an older vendor's vehicles: 2.0 only (header version, instantActions key), own map id
[[robot_models]]
name = "v20"
manufacturer = "oldco"
protocol_version = "2.0.0"
map_id = "oldco-bistro"
sim_strict = true

# a minimal third-party vehicle: standard actions only, needs map and deviations,
# no guest-wait action (the stop waits for the tray to be emptied)
[[robot_models]]
name = "minimal"
manufacturer = "acme"
map_id = "bistro-ground"
allowed_deviation_xy = 0.2
allowed_deviation_theta = 0.35
sim_minimal = true
[robot_models.actions]
serve_wait = ""
dwell_s = 20.0

# robots on serial lines
[[robot_models]]
name = "wired"
manufacturer = "fleet-sim"

[[robots]]
serial = "V1"
model = "v21"
transport = "mqtt"

[[robots]]
serial = "V2"
model = "v21"
transport = "mqtt"

[[robots]]
serial = "O1"
model = "v20"
transport = "mqtt"

[[robots]]
serial = "O2"
model = "v20"
transport = "mqtt"

[[robots]]
serial = "A1"
model = "minimal"
transport = "mqtt"

[[robots]]
serial = "A2"
model = "minimal"
transport = "mqtt"

[[robots]]
serial = "S1"
model = "wired"
transport = "serial"
port = "/dev/ttyUSB0"

[[robots]]
serial = "S2"
model = "wired"
transport = "serial"
port = "/dev/ttyUSB1"
"""

GUEST_REASON = "nobody took it"
"""How a dish failed for its guest (who never came), not for its robot."""


@pytest.mark.timeout(600)
def test_a_mixed_fleet_serves_a_lunch_over_mosquitto_by_configuration_alone(
        tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(SITE.format(map=ROOT / "maps" / "bistro.toml"), encoding="utf-8")
    cfg = load_config(config, env={})
    fleet = fleet_of(cfg)
    kind = {f.robot_id: cfg.robots[i].model for i, f in enumerate(fleet)}
    report = run_simulation(SimOptions(
        plan=load_floor(cfg.map_path), model=cfg.robot_model(), fleet=fleet,
        scenario="lunch-rush", duration_s=900.0, seed=5, faults="none", transport="mqtt",
        broker_kind="mosquitto", speed=30.0, drain_s=1200.0, staff_help_s=None))

    dishes = report["dishes"]
    assert report["violations"] == 0, report["violation_examples"]
    assert report["deadlocks"]["unrecovered"] == 0
    assert dishes["ordered"] > 0 and dishes["open"] == 0, dishes
    assert dishes["by_staff"] == 0, dishes
    assert dishes["failed_without_reason"] == 0, dishes
    vehicle_failures = {r: n for r, n in report["failed_reasons"].items()
                        if not r.startswith(GUEST_REASON)}
    assert vehicle_failures == {}, report["failed_reasons"]
    assert dishes["served"] + dishes["failed"] + dishes["cancelled"] == dishes["ordered"]
    by_kind: Counter[str] = Counter()
    for robot, n in report["served_per_robot"].items():
        by_kind[kind[robot]] += n
    assert set(by_kind) == {"v21", "v20", "minimal", "wired"}, report["served_per_robot"]
    assert all(n > 0 for n in by_kind.values()), by_kind
