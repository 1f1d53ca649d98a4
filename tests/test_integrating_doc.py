"""docs/integrating-a-robot.md stays true: its worked example is a config that
loads and passes ``fleet config check`` against the factsheet it describes, and
fails it (naming the model and the action) without the profile line the guide
explains; every config key it names in backquotes exists; every ``fleet``
command it shows parses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import msgspec
import pytest

from drivers.vda5050.factsheet import encode_factsheet
from fleet.cli.main import build_parser, main
from fleet.config import Config, load_config
from fleet.link import PREDEFINED_ACTIONS, Capabilities

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "integrating-a-robot.md").read_text(encoding="utf-8")
NO_WAIT = 'serve_wait = ""                # none: the stop waits for the tray to be emptied\n'


def example() -> str:
    found = re.search(r"## 2\. The robot model.*?```toml\n(.*?)```", DOC, re.S)
    assert found is not None, "the worked example is in section 2"
    return found[1]


def site(tmp_path: Path, body: str) -> Path:
    """The example on the bistro, beside the factsheet it describes (no waitForTrigger)."""
    sheet = encode_factsheet(Capabilities(manufacturer="acme", serial="A1", trays=4,
                                          supported_actions=PREDEFINED_ACTIONS
                                          - {"waitForTrigger"}),
                             header_id=1, at=0.0, version="2.0.0")
    (tmp_path / "acme-factsheet.json").write_bytes(sheet)
    path = tmp_path / "config.toml"
    path.write_text(f'[site]\nmap = "{ROOT / "maps" / "bistro.toml"}"\n\n'
                    '[[robot_models]]\nname = "tray-bot"\n\n'
                    '[broker]\nurl = "mqtt://10.0.0.5:1883"\n\n' + body)
    return path


def test_the_worked_example_passes_config_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = load_config(site(tmp_path, example()), env={})
    model = cfg.robot_model("acme-server")
    assert (model.protocol_version, model.map_id, model.actions.serve_wait) == \
        ("2.0.0", "bistro-ground", "")
    assert main(["config", "check", str(tmp_path / "config.toml")]) == 0
    assert "A1: acme acme-server, 4 trays, mqtt" in capsys.readouterr().out


def test_without_its_profile_line_config_check_names_the_missing_action(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert NO_WAIT in example()
    path = site(tmp_path, example().replace(NO_WAIT, ""))
    assert main(["config", "check", str(path)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "robot_models[1] (acme-server).actions.serve_wait" in out
    assert "does not list action 'waitForTrigger'" in out


def _keys(struct: type[msgspec.Struct], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, kind in zip(struct.__struct_fields__, msgspec.structs.fields(struct), strict=True):
        out.add(prefix + name)
        sub = kind.type
        inner = getattr(sub, "__args__", (sub,))
        for t in inner:
            if isinstance(t, type) and issubclass(t, msgspec.Struct):
                out |= _keys(t, f"{prefix}{name}.")
    return out


def test_every_config_key_the_guide_names_exists() -> None:
    known = _keys(Config)
    leaves = {k.rsplit(".", 1)[-1] for k in known}
    named = set(re.findall(r"`((?:robot_models|robots|broker|site|dispatch|store)"
                           r"(?:\[\])?\.[a-z_.]+)`", DOC))
    assert named, "the guide names config keys"
    for key in sorted(named):
        assert key.replace("[]", "") in known, f"{key} is not a config key"
    profile = re.search(r"\[robot_models\.actions\]\n(.*?)\n\n", example(), re.S)
    assert profile is not None
    for line in profile[1].splitlines():
        assert line.split("=")[0].strip() in leaves


def test_every_fleet_command_in_the_guide_parses() -> None:
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", DOC, re.S))
    commands = re.findall(r"^(fleet [^\n#]+?)\s*(?:#.*)?$", blocks, re.M)
    commands += [" ".join(c.split()) for c in re.findall(r"`(fleet [^`]+)`", DOC)]
    assert len(commands) >= 5
    parser = build_parser()
    for line in commands:
        argv = shlex.split(line.replace("PLAN", "maps/bistro.toml"))[1:]
        parser.parse_args(argv)
