"""``fleet chaos``: a short seeded campaign (the broker killed twice and frozen once,
hostile payloads on every inbound topic, robots dropping their links) ends with
every invariant held; so does one that kills the controller's process with SIGKILL
and restarts it, leaving no process behind; the hostile payloads are the kinds the
campaign promises."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO

from fleet.cli import main
from fleet.cli.chaos_cmd import broker_return_rows, restart_rows, verdicts
from fleet.cli.sim_cmd import load_setup
from fleet.clock import ScaledTimeLoop, run
from sim.controller_process import ControllerProcess, ControllerSpec
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
    returns = data["report"]["chaos"]["broker_returns"]
    assert sorted(r["fault"] for r in returns) == ["freeze", "kill", "kill"]
    assert all(r["first_state_s"] is not None and r["first_state_s"] >= 0 for r in returns), \
        returns
    assert all(r["dishes_waiting"] >= 0 for r in returns), returns


def test_a_scaled_clock_built_from_anothers_origin_agrees_with_it() -> None:
    """The controller's process reads the campaign's clock from its origin alone."""
    first = ScaledTimeLoop(7.0, start=1234.5)
    second = ScaledTimeLoop(7.0, origin=first.origin)
    try:
        before = first.time()
        shared = second.time()
        after = first.time()
        assert before <= shared <= after
        assert first.origin == second.origin
    finally:
        first.close()
        second.close()


def _report(restarts: list[dict[str, float | None]], lost: list[str]) -> dict[str, object]:
    return {"dishes": {"ordered": 10, "open": 0, "failed_without_reason": 0},
            "violations": 0, "liveness": {}, "still_at_end": [],
            "chaos": {"served_twice": 0, "kitchen_refused": {}, "rss_mb": [100.0, 101.0],
                      "acknowledged": 4, "acknowledged_lost": lost, "restarts": restarts,
                      "controller_crashes": 0}}


def test_a_kill_never_followed_by_a_restart_or_a_lost_order_fails_the_campaign() -> None:
    back = {"killed_at_s": 60.0, "online_s": 12.5, "first_order_s": 20.0,
            "online_wall_s": 2.5, "first_order_wall_s": 4.0}
    gone = {"killed_at_s": 300.0, "online_s": None, "first_order_s": None,
            "online_wall_s": None, "first_order_wall_s": None}
    held = {name: ok for name, ok, _ in verdicts(_report([back], []))}
    assert held["every controller kill followed by a restart"] and all(held.values())
    held = {name: ok for name, ok, _ in verdicts(_report([back, gone], ["P0007"]))}
    assert not held["every controller kill followed by a restart"]
    assert not held["no acknowledged order lost"]
    assert restart_rows([back, gone]) == [["1", "60", "12.5 (2.50 wall)", "20.0 (4.00 wall)"],
                                          ["2", "300", "none", "none"]]


def test_each_broker_fault_is_tabled_with_how_soon_service_resumed() -> None:
    back = {"fault": "kill", "at_s": 120.4, "down_s": 8.1, "first_state_s": 3.2,
            "first_order_s": 12.0, "first_state_wall_s": 0.32, "first_order_wall_s": 1.2,
            "dishes_waiting": 3}
    idle = {"fault": "freeze", "at_s": 600.0, "down_s": 30.0, "first_state_s": 0.5,
            "first_order_s": None, "first_state_wall_s": 0.05, "first_order_wall_s": None,
            "dishes_waiting": 2}
    early = {"fault": "kill", "at_s": 30.0, "down_s": 5.0, "first_state_s": 0.4,
             "first_order_s": 500.0, "first_state_wall_s": 0.04, "first_order_wall_s": 50.0,
             "dishes_waiting": 0}
    assert broker_return_rows([back, idle, early]) == [
        ["1", "kill", "120", "8.1", "3", "3.2 (0.32 wall)", "12.0 (1.20 wall)"],
        ["2", "freeze", "600", "30.0", "2", "0.5 (0.05 wall)", "none"],
        ["3", "kill", "30", "5.0", "0", "0.4 (0.04 wall)", "500.0 (50.00 wall)"]]
    report = _report([], [])
    report["chaos"]["broker_returns"] = [back, idle, early]  # type: ignore[index]
    said = {name: (ok, figure) for name, ok, figure in verdicts(report)}
    ok, figure = said["service resumed after each broker fault"]
    # The return with no dish waiting (its order waited for the kitchen) is left out.
    assert ok and figure.startswith("first robot state within 0.32 wall s, first order "
                                    "within 1.20 wall s (1 of 2 none) after the broker was "
                                    "back (left out: 1 return with no dish waiting)")


def _our_children(mark: str) -> list[int]:
    """Processes whose command line names ``mark`` (our temporary folder)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if mark.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.integration
@pytest.mark.timeout(900)
@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
def test_a_campaign_killing_the_controller_loses_no_acknowledged_order(tmp_path: Path) -> None:
    """The controller in a process of its own, killed with SIGKILL three times (and the
    broker once): each kill is followed by a new run online that releases orders again,
    every acknowledged order is in the store and ends, none is served twice."""
    out, work = tmp_path / "chaos.json", tmp_path / "work"
    code = main(["chaos", "--map", str(ROOT / "maps" / "bistro.toml"), "--config",
                 str(ROOT / "config.toml"), "--duration", "10m", "--speed", "10",
                 "--controller-kills", "3", "--broker-kills", "1", "--broker-freezes", "0",
                 "--hostile", "100", "--seed", "4", "--workdir", str(work),
                 "--json", str(out)])
    data = json.loads(out.read_text())
    failed = [v for v in data["verdicts"] if not v["held"]]
    assert code == 0 and not failed, failed
    report = data["report"]
    chaos = report["chaos"]
    assert chaos["injected"]["controller killed"] == 3
    assert report["controller"] == {"process": True, "starts": 4, "crashes": 0,
                                    "last_run": report["controller"]["last_run"]}
    assert [r["online_s"] is not None for r in chaos["restarts"]] == [True] * 3
    assert chaos["acknowledged"] > 0 and chaos["acknowledged_lost"] == []
    assert len(list(work.glob("controller-*.log"))) == 4
    assert _our_children(str(work)) == [], "a controller process was left running"


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_a_controller_process_left_by_an_error_is_killed(tmp_path: Path) -> None:
    """However the campaign ends, no controller process outlives it."""
    model = load_setup(ROOT / "maps" / "bistro.toml", ROOT / "config.toml", "lunch-rush")

    async def fail_while_it_runs() -> int:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, ScaledTimeLoop)
        spec = ControllerSpec(
            plan=model.plan, robots=(), store_path=str(tmp_path / "site.db"),
            broker_url="mqtt://127.0.0.1:9", site="t", site_name="t", speed=1.0,
            origin=loop.origin, epoch=0.0, final_path=str(tmp_path / "final.json"))
        pid = 0
        with pytest.raises(RuntimeError, match="the campaign failed"):
            async with ControllerProcess(spec, tmp_path) as proc:
                await proc.start()
                assert proc.pid is not None
                pid = proc.pid
                raise RuntimeError("the campaign failed")
        return pid

    pid = run(fail_while_it_runs(), clock="scaled", speed=1.0)
    assert pid and not Path(f"/proc/{pid}").exists()
