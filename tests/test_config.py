"""Config: the shipped default works, every mistake names the file and the key."""

import dataclasses
from pathlib import Path

import pytest

from drivers.mqtt.settings import BrokerSettings
from fleet.cli.credentials import broker_settings
from fleet.config import BrokerConfig, load_config
from fleet.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

MINIMAL_MAP = """
[plan]
name = "tiny"
[outline]
polygon = [[0, 0], [3, 0], [3, 3], [0, 3]]
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "tiny.toml").write_text(MINIMAL_MAP)
    path = tmp_path / "config.toml"
    path.write_text('[site]\nmap = "tiny.toml"\n' + text)
    return path


def test_shipped_config_loads() -> None:
    cfg = load_config(ROOT / "config.toml", env={})
    assert cfg.site.id == "bistro"
    assert cfg.map_path.resolve() == (ROOT / "maps" / "bistro.toml").resolve()
    assert {r.serial for r in cfg.robots} == {"R1", "R2", "R3", "R4"}
    assert cfg.model("tray-bot").trays == 3
    assert cfg.broker.url == "embedded"


def test_environment_overrides_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    cfg = load_config(path, env={"FLEET_BROKER__URL": "mqtt://localhost:1883",
                                 "FLEET_BROKER__KEEPALIVE": "45",
                                 "FLEET_SITE__ID": "mall-2", "HOME": "/root"})
    assert cfg.broker.url == "mqtt://localhost:1883"
    assert cfg.broker.keepalive == 45
    assert cfg.site.id == "mall-2"


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("[broker]\nurl = 5\n", {}, "broker.url: Expected `str`, got `int`"),
        ("[broker]\nhost = 'x'\n", {}, "unknown field `host`"),
        ("[broker]\nurl = 'http://x'\n", {}, "broker.url: expected 'embedded'"),
        ("[[robots]]\nserial = 'R1'\nmodel = 'nope'\n", {}, "robots[0] (R1).model: unknown robot "
         "model 'nope'; known: tray-bot"),
        ("[[robots]]\nserial = 'R1'\nmodel = 'tray-bot'\n[[robots]]\nserial = 'R1'\n"
         "model = 'tray-bot'\n", {}, "robots[0] (R1) and robots[1] (R1) are the same robot: "
         "manufacturer 'fleet-sim' and serial 'R1' must be unique"),
        ("[[robots]]\nserial = 'S1'\nmodel = 'tray-bot'\ntransport = 'serial'\n", {},
         "robots[0] (S1).port: a serial robot needs port"),
        ("[[robot_models]]\nname = 'm'\ntrays = 0\n", {},
         "robot_models[0] (m).trays: must be 1..8"),
        ("[[robot_models]]\nname = 'm'\nradius = -1\n", {}, "radius: must be > 0"),
        ("[[robot_models]]\nname = 'm'\n[robot_models.battery]\nlow_percent = 99\n", {},
         "low_percent < full_percent"),
        ("[[robot_models]]\nname = 'm'\nprotocol_version = '2.2.0'\n", {},
         "robot_models[0] (m).protocol_version: must be one of 2.0.0, 2.1.0, got '2.2.0'"),
        ("[[robot_models]]\nname = 'm'\nprotocol_version = 2.0\n", {},
         "robot_models[0].protocol_version: Expected `str`, got `float`"),
        ("[[robot_models]]\nname = 'm'\nmap_id = ''\n", {},
         "robot_models[0] (m).map_id: must be a non-empty name"),
        ("[[robot_models]]\nname = 'm'\nallowed_deviation_xy = 0.0\n", {},
         "robot_models[0] (m).allowed_deviation_xy: must be > 0 m"),
        ("[[robot_models]]\nname = 'm'\nallowed_deviation_theta = 4.0\n", {},
         "robot_models[0] (m).allowed_deviation_theta: must be > 0 and <= pi rad, got 4"),
        ("[[robot_models]]\nname = 'm'\nsim_strict = 'yes'\n", {},
         "robot_models[0].sim_strict: Expected `bool`, got `str`"),
        ("", {"FLEET_NOPE__X": "1"}, "FLEET_NOPE__X: no section 'nope'"),
        ("", {"FLEET_BROKERURL": "1"}, "expected FLEET_SECTION__KEY"),
        ("", {"FLEET_BROKER__KEEPALIVE": "'many'"}, "broker.keepalive: Expected `int`, got `str`"),
        ("[site]\nmap = 'missing.toml'\n", {}, "site.map: floor plan not found"),
        ("[broker\n", {}, "not valid TOML"),
        ("[broker]\nurl = 'mqtt://broker:99999'\n", {}, "broker.url: the port must be 1..65535"),
        ("[broker]\nurl = 'mqtt://user:pw@broker'\n", {}, "broker.url: no user or password"),
        ("", {"FLEET_SITE__ID": "a/b#"}, "site.id: must be 1-64 characters and one MQTT topic"),
        ("", {"FLEET_SITE__ID": "''"}, "site.id: must be 1-64"),
        ("[shifts]\nlunch = '11-14'\n", {}, "shifts.lunch: expected HH:MM-HH:MM"),
        ("[shifts]\nlunch = '11:00-24:30'\n", {}, "shifts.lunch: not a time of day in"),
        ("[shifts]\nlunch = '11:00-11:00'\n", {}, "shifts.lunch: starts and ends at 11:00"),
        ("[shifts]\nlunch = 11\n", {}, "shifts.lunch: Expected `str`, got `int`"),
        ("", {"FLEET_SHIFTS__BRUNCH": "noon"}, "shifts.brunch: expected HH:MM-HH:MM"),
        ("[dispatch]\nstall_abort_s = 400.0\n", {},
         "dispatch.stall_abort_s: must be at most cold_food_s (300 s)"),
        ("[dispatch]\nno_progress_s = 200.0\nstall_abort_s = 150.0\n", {},
         "dispatch.no_progress_s: must be > 0 s and at most stall_abort_s (150 s)"),
    ],
)
def test_mistakes_name_file_and_key(tmp_path: Path, text: str, env: dict[str, str],
                                    expected: str) -> None:
    if text.startswith("[site]"):
        path = tmp_path / "config.toml"
        path.write_text(text)
    else:
        path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env=env)
    assert str(path) in str(err.value) or "environment variable" in str(err.value)
    assert expected in str(err.value)


def test_shifts_are_named_parts_of_the_day(tmp_path: Path) -> None:
    path = write(tmp_path, '[shifts]\nlunch = "11:00-14:30"\nlate = " 22:00 - 2:00 "\n')
    cfg = load_config(path, env={"FLEET_SHIFTS__BREAKFAST": "'7:00-10:00'"})
    lunch, late, breakfast = cfg.shift("lunch"), cfg.shift("late"), cfg.shift("breakfast")
    assert lunch is not None and (lunch.start, lunch.end, lunch.overnight) == \
        ("11:00", "14:30", False)
    assert late is not None and (late.start, late.end, late.overnight) == ("22:00", "02:00", True)
    assert breakfast is not None and str(breakfast) == "breakfast (07:00-10:00)"
    assert cfg.shift("dinner") is None
    assert load_config(ROOT / "config.toml", env={}).shift("lunch") is not None


def test_a_binary_file_is_named_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(bytes(range(128, 256)))
    with pytest.raises(ConfigError, match=r"config\.toml: not a text file"):
        load_config(path, env={})


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: cannot read"):
        load_config(tmp_path / "nowhere.toml", env={})


def test_broker_password_comes_from_environment_or_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[broker]\npassword_env = 'BROKER_PW'\n")
    cfg = load_config(path, env={})
    with pytest.raises(ConfigError, match="BROKER_PW is not set"):
        cfg.broker_password()
    (tmp_path / "pw").write_text("s3cret\n")
    path = write(tmp_path, "[broker]\npassword_file = 'pw'\n")
    assert load_config(path, env={}).broker_password() == "s3cret"


def test_a_robot_model_names_its_protocol_map_and_node_tolerances(tmp_path: Path) -> None:
    path = write(tmp_path, "[[robot_models]]\nname = 'old-bot'\nprotocol_version = '2.0.0'\n"
                           "map_id = 'ground'\nallowed_deviation_xy = 0.3\n"
                           "allowed_deviation_theta = 0.2\nsim_strict = true\n"
                           "[[robot_models]]\nname = 'new-bot'\n")
    cfg = load_config(path, env={})
    old = cfg.robot_model("old-bot")
    assert (old.protocol_version, old.map_id, old.allowed_deviation_xy,
            old.allowed_deviation_theta) == ("2.0.0", "ground", 0.3, 0.2)
    assert cfg.model("old-bot").sim_strict
    new = cfg.robot_model("new-bot")  # the defaults: nothing changes for existing configs
    assert (new.protocol_version, new.map_id, new.allowed_deviation_xy) == ("2.1.0", "floor", None)
    assert 0 < new.allowed_deviation_theta <= 3.15 and not cfg.model("new-bot").sim_strict


def test_config_check_warns_when_robots_outnumber_their_homes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fleet.cli.main import main  # noqa: PLC0415

    (tmp_path / "room.toml").write_text(MINIMAL_MAP.replace('name = "tiny"', 'name = "room"') + """
[[stations]]
name = "pass"
kind = "pass"
spots = [[0.5, 2.5]]
[[stations]]
name = "dock"
kind = "charger"
spots = [[2.5, 0.5]]
""")
    robots = "".join(f"[[robots]]\nserial = 'R{i}'\nmodel = 'tray-bot'\n" for i in (1, 2))
    path = tmp_path / "config.toml"
    path.write_text('[site]\nmap = "room.toml"\n' + robots)
    assert main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 robots but only 1 chargers and parking spots on 'room'" in " ".join(out.split())


def test_the_broker_section_reaches_the_mqtt_driver_whole() -> None:
    """The CLI converts ``[broker]`` into the driver's own settings: every field the
    driver has is carried, none left at its default (a field added to one side only
    fails here)."""
    given = BrokerConfig(url="mqtts://b:8884", client_id="ctl-2", keepalive=17, username="ctl",
                         ca_file="ca.pem", cert_file="c.pem", key_file="k.pem",
                         listen_host="0.0.0.0", listen_port=1999)
    got = broker_settings(given)
    default = BrokerSettings()
    for f in dataclasses.fields(BrokerSettings):
        assert getattr(got, f.name) == getattr(given, f.name), f.name
        assert getattr(got, f.name) != getattr(default, f.name), f"{f.name}: test a new value"
