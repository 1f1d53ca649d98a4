"""Config: the shipped default works, every mistake names the file and the key."""

from pathlib import Path

import pytest

from fleet.config import load_config
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
         "model = 'tray-bot'\n", {}, "repeated: R1"),
        ("[[robots]]\nserial = 'S1'\nmodel = 'tray-bot'\ntransport = 'serial'\n", {},
         "robots[0] (S1).port: a serial robot needs port"),
        ("[[robot_models]]\nname = 'm'\ntrays = 0\n", {},
         "robot_models[0] (m).trays: must be 1..8"),
        ("[[robot_models]]\nname = 'm'\nradius = -1\n", {}, "radius: must be > 0"),
        ("[[robot_models]]\nname = 'm'\n[robot_models.battery]\nlow_percent = 99\n", {},
         "low_percent < full_percent"),
        ("", {"FLEET_NOPE__X": "1"}, "FLEET_NOPE__X: no section 'nope'"),
        ("", {"FLEET_BROKERURL": "1"}, "expected FLEET_SECTION__KEY"),
        ("", {"FLEET_BROKER__KEEPALIVE": "'many'"}, "broker.keepalive: Expected `int`, got `str`"),
        ("[site]\nmap = 'missing.toml'\n", {}, "site.map: floor plan not found"),
        ("[broker\n", {}, "not valid TOML"),
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
