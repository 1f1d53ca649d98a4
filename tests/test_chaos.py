"""``fleet chaos``: a short seeded campaign (the broker killed twice and frozen once,
hostile payloads on every inbound topic, robots dropping their links) ends with
every invariant held; the hostile payloads are the kinds the campaign promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO

from fleet.cli import main
from sim.hostile import MAKERS, hostile_payloads

ROOT = Path(__file__).resolve().parents[1]


def test_hostile_payloads_are_seeded_and_cover_every_kind() -> None:
    first = [p for _, (_, p) in zip(range(30), hostile_payloads(5), strict=False)]
    again = [p for _, (_, p) in zip(range(30), hostile_payloads(5), strict=False)]
    assert first == again
    kinds = {k for _, (k, _) in zip(range(len(MAKERS)), hostile_payloads(1), strict=False)}
    assert kinds == {m.__name__.lstrip("_") for m in MAKERS}
    assert any(len(p) > 64 * 1024 for p in first), "some exceed the API's size limit"


@pytest.mark.integration
@pytest.mark.timeout(600)
@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
def test_a_short_campaign_holds_every_invariant(tmp_path: Path) -> None:
    out = tmp_path / "chaos.json"
    code = main(["chaos", "--map", str(ROOT / "maps" / "bistro.toml"), "--config",
                 str(ROOT / "config.toml"), "--duration", "15m", "--speed", "20",
                 "--broker-kills", "2", "--broker-freezes", "1", "--freeze", "10s",
                 "--hostile", "400", "--seed", "2", "--json", str(out)])
    data = json.loads(out.read_text())
    failed = [v for v in data["verdicts"] if not v["held"]]
    assert code == 0 and not failed, failed
    injected = data["report"]["chaos"]["injected"]
    assert injected["broker killed"] == 2 and injected["broker frozen"] == 1
    assert sum(v for k, v in injected.items() if k.startswith("hostile: ")
               and "not sent" not in k) > 300
