"""``fleet bench mqtt``: a tiny run on real brokers yields a row per broker and
measure and tables of that shape; the formatting on its own, without a broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drivers.mqtt.broker import available_kinds, mosquitto_path
from fleet.bench.mqtt import format_mqtt_bench, full_over_bare, percentile
from fleet.cli import main
from sim.bench.publisher import read_messages, write_messages

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default config and maps are the repo's."""
    monkeypatch.chdir(REPO)


def table_rows(text: str, title: str) -> list[list[str]]:
    """The body rows of the Markdown table under the heading that starts with ``title``."""
    section = text.split(title, 1)[1].split("###", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]


@pytest.mark.skipif(mosquitto_path() is None, reason="mosquitto is not installed "
                    "(.ci/run installs it)")
def test_a_tiny_run_measures_every_broker(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    brokers = ["mosquitto", *(k for k in available_kinds() if k != "mosquitto")]
    out = tmp_path / "mqtt.json"
    code = main(["bench", "mqtt", "--messages", "300", "--robots", "4", "--seconds", "5",
                 "--brokers", ",".join(brokers), "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    rows = json.loads(out.read_text())["rows"]
    assert [(r["broker"], r["measure"], r.get("path")) for r in rows] == [
        (b, m, p) for b in brokers
        for m, p in (("ingest", "bare"), ("ingest", "full"), ("latency", None))]
    for row in rows:
        if row["measure"] == "ingest":
            assert row["sent"] == 300
            assert 0 < row["handled"] <= 300
            assert row["lost"] == 300 - row["handled"]
            assert row["per_s"] > 0 and row["cpu_s"] > 0
            assert row["publisher_per_s"] > 0
        else:
            assert row["robots"] == 4
            assert row["states"] > 0
            # Robots drove within 5 s, and every release counted was tied to a report.
            assert 0 < row["matched"] <= row["releases"]
            assert 0 < row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]
    ingest = table_rows(printed, "### State ingestion")
    assert [(r[0], r[1]) for r in ingest] == [(b, p) for b in brokers for p in ("bare", "full")]
    latency = table_rows(printed, "### State-to-release latency")
    assert [r[0] for r in latency] == brokers
    assert "full path (decode + validate + controller update):" in printed
    assert "state-to-release:" in printed
    assert ("### Brokers side by side" in printed) == (len(brokers) > 1)


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([float(v) for v in range(1, 101)], 99) == pytest.approx(99.01)


def test_tables_put_brokers_side_by_side_with_the_ratio() -> None:
    def ingest(broker: str, path: str, per_s: float) -> dict[str, object]:
        return {"measure": "ingest", "broker": broker, "path": path, "sent": 100,
                "handled": 100, "lost": 0, "wall_s": 100 / per_s, "per_s": per_s,
                "cpu_s": 0.01, "cpu_us_per_msg": 100.0, "per_cpu_s": 1e4,
                "publisher_per_s": 9e4}

    rows = [ingest("mosquitto", "bare", 10_000.0), ingest("mosquitto", "full", 5_000.0),
            ingest("iotcore", "bare", 8_000.0), ingest("iotcore", "full", 6_000.0)]
    assert full_over_bare(rows, "mosquitto") == 0.5
    assert full_over_bare(rows, "iotcore") == 0.75
    text = format_mqtt_bench(rows)
    assert [r[-2] for r in table_rows(text, "### State ingestion")] == ["-", "0.50", "-", "0.75"]
    side = table_rows(text, "### Brokers side by side")
    assert side[0] == ["bare msg/s", "10,000", "8,000", "0.80"]
    assert "State-to-release" not in text


def test_the_publisher_file_round_trips(tmp_path: Path) -> None:
    messages = [("uagv/v2/m/R1/state", b"{}"), ("t/\u00e9", bytes(range(256)))]
    write_messages(tmp_path / "m.bin", messages)
    assert read_messages(tmp_path / "m.bin") == messages
