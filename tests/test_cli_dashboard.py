"""``fleet dashboard``'s command line: what it needs, and a clear error when it lacks
it (the screen itself is tested with Pilot, and live under textual-serve by
``tests/test_cli_demo.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize(("argv", "words"), [
    (["dashboard"], "broker is embedded"),
    (["dashboard", "--site", "bistro"], "give its address with --broker"),
    (["dashboard", "--config", "nope.toml"], "nope.toml: no such config file"),
    (["dashboard", "--broker", "ftp://x:1", "--site", "bistro", "--config", "nope.toml"],
     "nope.toml: no such config file"),
    (["dashboard", "--broker", "mqtt://localhost:notaport", "--site", "bistro"], "port"),
    (["dashboard", "--broker", "mqtt://localhost:1883", "--site", "a/b"], "site"),
])
def test_what_is_missing_or_wrong_is_named(argv: list[str], words: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "fleet dashboard:" in err and words in err, err
