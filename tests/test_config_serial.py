"""A serial robot's line settings: typed in the config, validated there with the robot
and the key named, and handed to the driver as they were written."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from drivers.serial.port import PortSettings
from fleet.cli.site import port_settings
from fleet.config import load_config
from fleet.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

MINIMAL_MAP = """
[plan]
name = "tiny"
[outline]
polygon = [[0, 0], [3, 0], [3, 3], [0, 3]]
"""

SERIAL_ROBOT = """
[[robots]]
serial = "R1"
model = "tray-bot"

[[robots]]
serial = "S1"
model = "tray-bot"
transport = "serial"
port = "socket://localhost:7000"
"""


def write(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "tiny.toml").write_text(MINIMAL_MAP)
    path = tmp_path / "config.toml"
    path.write_text('[site]\nmap = "tiny.toml"\n' + SERIAL_ROBOT + extra)
    return path


def test_defaults_are_115200_8n1_and_reach_the_driver(tmp_path: Path) -> None:
    robot = load_config(write(tmp_path, ""), env={}).robots[1]
    assert (robot.baudrate, robot.parity, robot.bytesize, robot.stopbits) == (115200, "N", 8, 1)
    assert (robot.open_timeout_s, robot.write_timeout_s) == (2.0, 1.0)
    assert port_settings(robot) == PortSettings(open_timeout_s=2.0, write_timeout_s=1.0)


def test_good_settings_load_and_reach_the_driver(tmp_path: Path) -> None:
    path = write(tmp_path, "baudrate = 9600\nparity = 'E'\nbytesize = 7\nstopbits = 1.5\n"
                           "open_timeout_s = 0.5\nwrite_timeout_s = 3\n")
    robot = load_config(path, env={}).robots[1]
    assert port_settings(robot) == PortSettings(baudrate=9600, parity="E", bytesize=7,
                                                stopbits=1.5, open_timeout_s=0.5,
                                                write_timeout_s=3.0)


@pytest.mark.parametrize("stopbits", ["1", "2", "1.5", "2.0"])
def test_every_stop_bit_count_a_uart_has_loads(tmp_path: Path, stopbits: str) -> None:
    robot = load_config(write(tmp_path, f"stopbits = {stopbits}\n"), env={}).robots[1]
    assert robot.stopbits == float(stopbits)
    assert port_settings(robot).stopbits == float(stopbits)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("stopbits = 3\n", "robots[1] (S1).stopbits: must be 1, 1.5 or 2, got 3"),
        ("stopbits = 0\n", "robots[1] (S1).stopbits: must be 1, 1.5 or 2, got 0"),
        ("parity = 'X'\n", "robots[1] (S1).parity: Invalid enum value 'X'"),
        ("parity = 'n'\n", "robots[1] (S1).parity: Invalid enum value 'n'"),
        ("bytesize = 9\n", "robots[1] (S1).bytesize: Invalid enum value 9"),
        ("bytesize = '8'\n", "robots[1] (S1).bytesize: Expected `int`, got `str`"),
        ("baudrate = 0\n", "robots[1] (S1).baudrate: must be > 0, got 0"),
        ("baudrate = 'fast'\n", "robots[1] (S1).baudrate: Expected `int`, got `str`"),
        ("open_timeout_s = 0\n", "robots[1] (S1).open_timeout_s: must be > 0 s, got 0"),
        ("write_timeout_s = -1\n", "robots[1] (S1).write_timeout_s: must be > 0 s, got -1"),
        ("write_timeout_s = nan\n", "robots[1] (S1).write_timeout_s: must be > 0 s, got nan"),
        ("baud = 9600\n", "robots[1] (S1): Object contains unknown field `baud`"),
    ],
)
def test_bad_settings_name_the_file_the_robot_and_the_key(tmp_path: Path, extra: str,
                                                          expected: str) -> None:
    path = write(tmp_path, extra)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_a_robot_without_a_serial_number_is_still_named_by_its_index(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_text(path.read_text() + "\n[[robots]]\nmodel = 'tray-bot'\nparity = 'Q'\n")
    with pytest.raises(ConfigError, match=r"robots\[2\]\.parity: Invalid enum value 'Q'"):
        load_config(path, env={})


def test_the_shipped_config_documents_a_serial_robot_that_loads(tmp_path: Path) -> None:
    """The commented example in config.toml, uncommented, is a valid serial robot."""
    lines = (ROOT / "config.toml").read_text().splitlines()
    start = lines.index("# [[robots]]")
    example = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        example.append(line[2:])
    entry = tomllib.loads("\n".join(example))["robots"][0]
    assert entry["transport"] == "serial"
    assert set(entry) >= {"baudrate", "parity", "bytesize", "stopbits", "open_timeout_s",
                          "write_timeout_s"}
    (tmp_path / "tiny.toml").write_text(MINIMAL_MAP)
    path = tmp_path / "config.toml"
    path.write_text('[site]\nmap = "tiny.toml"\n' + "\n".join(example) + "\n")
    robot = load_config(path, env={}).robots[0]
    assert port_settings(robot) == PortSettings(
        baudrate=entry["baudrate"], parity=entry["parity"], bytesize=entry["bytesize"],
        stopbits=entry["stopbits"], open_timeout_s=entry["open_timeout_s"],
        write_timeout_s=entry["write_timeout_s"])
