"""A robot is (manufacturer, serial): two vendors' "sim1" may share a site, the same
pair twice may not, and each robot has one key on the site (``fleet.domain.identity``)."""

from pathlib import Path

import msgspec
import pytest

from fleet.access.userbook import UserBook, local_users
from fleet.api.messages import PauseRobot
from fleet.config import load_config
from fleet.domain.identity import robot_ids, split_robot_id
from fleet.errors import ConfigError

MAP = '[plan]\nname = "tiny"\n[outline]\npolygon = [[0, 0], [3, 0], [3, 3], [0, 3]]\n'
MODELS = """
[[robot_models]]
name = "ours"
manufacturer = "fleet-sim"
[[robot_models]]
name = "theirs"
manufacturer = "acme"
"""


def write(tmp_path: Path, robots: str) -> Path:
    (tmp_path / "tiny.toml").write_text(MAP)
    path = tmp_path / "config.toml"
    path.write_text('[site]\nmap = "tiny.toml"\n' + MODELS + robots)
    return path


def robot(serial: str, model: str, manufacturer: str | None = None) -> str:
    own = f'manufacturer = "{manufacturer}"\n' if manufacturer else ""
    return f'[[robots]]\nserial = "{serial}"\nmodel = "{model}"\n{own}'


def test_keys_stay_plain_serials_when_serials_are_unique() -> None:
    got = robot_ids([("fleet-sim", "R1"), ("acme", "A1")])
    assert [w.robot_id for w in got] == ["R1", "A1"]


def test_a_serial_two_makers_share_is_keyed_with_its_maker() -> None:
    got = robot_ids([("fleet-sim", "sim1"), ("acme", "sim1"), ("acme", "R2")])
    assert [w.robot_id for w in got] == ["sim1@fleet-sim", "sim1@acme", "R2"]
    assert split_robot_id("sim1@acme") == ("sim1", "acme")
    assert split_robot_id("R2") == ("R2", None)


def test_two_makers_sim1_load_with_their_own_manufacturers(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, robot("sim1", "ours") + robot("sim1", "theirs")
                            + robot("R3", "ours", "other-maker")), env={})
    assert [(w.manufacturer, w.serial, w.robot_id) for w in cfg.identities()] == [
        ("fleet-sim", "sim1", "sim1@fleet-sim"), ("acme", "sim1", "sim1@acme"),
        ("other-maker", "R3", "R3")]
    assert cfg.model_of(cfg.robots[2]).manufacturer == "other-maker"
    assert cfg.model_of(cfg.robots[1]).manufacturer == "acme"
    users = {u.name: u.robot for u in local_users(cfg)}
    assert users["robot-sim1-at-acme"] == "sim1@acme"
    assert users["robot-sim1-at-fleet-sim"] == "sim1@fleet-sim"
    book = UserBook.open(cfg)
    book.provision_local(cfg)
    acl = book.acl_text(cfg)
    for maker in ("acme", "fleet-sim"):
        block = acl.split(f"user robot-sim1-at-{maker}\n", 1)[1].split("\n\n", 1)[0]
        assert f"topic write uagv/v2/{maker}/sim1/state" in block
        assert "sim1/state" not in block.replace(f"uagv/v2/{maker}/sim1/state", "")


@pytest.mark.parametrize("robots", [
    robot("sim1", "ours") + robot("R2", "ours") + robot("sim1", "ours"),
    # its own manufacturer makes it the same vehicle as a robot of the other model
    robot("sim1", "theirs") + robot("R2", "ours") + robot("sim1", "ours", "acme"),
])
def test_the_same_maker_and_serial_twice_names_both_entries(tmp_path: Path,
                                                            robots: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, robots), env={})
    text = str(err.value)
    assert "robots[0] (sim1) and robots[2] (sim1) are the same robot" in text
    assert "serial 'sim1' must be unique" in text
    assert str(tmp_path / "config.toml") in text


def test_a_robots_manufacturer_must_be_one_topic_level(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"robots\[0\] \(sim1\)\.manufacturer: must be one "
                                          "MQTT topic level"):
        load_config(write(tmp_path, robot("sim1", "ours", "ac/me")), env={})


def test_the_fleet_api_takes_a_robot_key_with_its_maker_and_no_slash() -> None:
    for ok in ("R1", "sim1@acme"):
        assert msgspec.convert({"serial": ok}, PauseRobot).serial == ok
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"serial": "acme/sim1"}, PauseRobot)
