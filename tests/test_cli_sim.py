"""``fleet sim`` and ``fleet bench sim`` run in-process on the bistro, short services."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fleet.bench.sim import format_bench, improvement, parse_seeds, run_row, summarise
from fleet.cli import main
from fleet.cli.sim_cmd import FAULTS, coloured, parse_duration, problems_of

REPO = Path(__file__).resolve().parents[1]
BISTRO = str(REPO / "maps" / "bistro.toml")
SHORT = ["--map", BISTRO, "--robots", "4", "--duration", "10m", "--faults", "none"]


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default config is ./config.toml, so run where the repo's one is."""
    monkeypatch.chdir(REPO)


def test_sim_writes_a_report_with_every_dish_accounted_for(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    code = main(["sim", *SHORT, "--scenario", "lunch-rush", "--seed", "1",
                 "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    report = json.loads(out.read_text())
    for key in ("dishes", "wait_s", "lower_bound_wait_s", "violations", "deadlocks", "robots",
                "policy", "seed", "sim_seconds", "wall_seconds", "utilisation", "distance_m",
                "traffic_wait_s"):
        assert key in report, key
    d = report["dishes"]
    assert d["ordered"] > 0
    assert d["open"] == 0
    assert d["served"] + d["by_staff"] + d["failed"] + d["cancelled"] \
        == d["ordered"]
    assert d["served"] > 0
    assert report["violations"] == 0
    assert report["deadlocks"]["unrecovered"] == 0
    assert report["robots"] == 4
    assert report["policy"] == "fleet"
    assert report["seed"] == 1
    assert report["sim_seconds"] >= 600
    w = report["wait_s"]
    assert 0 < w["p50"] <= w["p95"] <= w["max"]
    assert report["lower_bound_wait_s"]["mean"] > 0
    assert f"ordered {d['ordered']}" in printed


def test_sim_quiet_service_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", *SHORT, "--scenario", "quiet", "--policy", "baseline"]) == 0
    assert "policy baseline" in capsys.readouterr().out


def test_unknown_scenario_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sim", *SHORT, "--scenario", "brunch"])
    err = capsys.readouterr().err
    assert code != 0
    assert "'brunch'" in err
    for name in ("lunch-rush", "dinner", "quiet"):
        assert name in err


@pytest.mark.parametrize("text", ["x", "2x", "h", "", "-5m", "0", "1h30", "m30"])
def test_bad_duration_is_a_usage_error_that_says_what_to_write(
        text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sim", f"--duration={text}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--duration" in err
    assert "expected e.g. 2h, 90m, 300s" in err
    assert repr(text) in err


@pytest.mark.parametrize(("text", "seconds"), [
    ("2h", 7200.0), ("90m", 5400.0), ("45s", 45.0), ("3600", 3600.0), ("1h30m", 5400.0),
    (" 1.5H ", 5400.0), ("2m30s", 150.0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_problems_name_what_fails_a_run() -> None:
    clean = {"violations": 0, "deadlocks": {"unrecovered": 0},
             "dishes": {"open": 0, "failed_without_reason": 0}}
    assert problems_of(clean) == []
    bad = {"violations": 2, "deadlocks": {"unrecovered": 1},
           "dishes": {"open": 3, "failed_without_reason": 1}}
    found = " | ".join(problems_of(bad))
    assert "2 safety violation" in found
    assert "1 deadlock" in found
    assert "3 dish(es) still" in found
    assert "1 dish(es) failed without a reason" in found


def test_bench_sim_prints_both_policies_side_by_side(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = main(["bench", "sim", "--map", BISTRO, "--seeds", "1", "--duration", "10m",
                 "--robots", "4", "--faults", "none", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "| fleet " in printed
    assert "| baseline " in printed
    assert "### seed 1" in printed
    assert "### summary" in printed
    data = json.loads(out.read_text())
    assert [(r["seed"], r["policy"]) for r in data["rows"]] == [(1, "fleet"), (1, "baseline")]
    assert data["summary"]["fleet"]["violations"] == 0


@pytest.mark.parametrize(("text", "seeds"), [
    ("1-5", [1, 2, 3, 4, 5]), ("1,2,3", [1, 2, 3]), ("1-3,7", [1, 2, 3, 7]), ("4", [4]),
    ("2,2-3", [2, 3])])
def test_seeds(text: str, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a", "5-1", "1-", "1;2"])
def test_bad_seeds(text: str) -> None:
    with pytest.raises(ValueError, match="seed"):
        parse_seeds(text)


def _report(policy: str, seed: int, mean: float, *, violations: int = 0) -> dict[str, object]:
    return {"policy": policy, "seed": seed, "violations": violations,
            "dishes": {"ordered": 10, "served": 9, "failed": 1, "cancelled": 0, "open": 0},
            "wait_s": {"mean": mean, "p95": 2 * mean},
            "lower_bound_wait_s": {"mean": 20.0, "ratio": mean / 20.0},
            "deadlocks": {"detected": 1, "unrecovered": 0},
            "sim_seconds": 100.0, "wall_seconds": 0.1, "speedup": 1000.0}


def test_summary_averages_waits_and_adds_up_counts() -> None:
    rows = [run_row(_report("fleet", 1, 30.0)), run_row(_report("baseline", 1, 120.0)),
            run_row(_report("fleet", 2, 50.0, violations=1)),
            run_row(_report("baseline", 2, 80.0))]
    s = summarise(rows)
    assert s["seeds"] == [1, 2]
    assert s["fleet"]["mean_wait_s"] == 40.0
    assert s["baseline"]["mean_wait_s"] == 100.0
    assert s["improvement_percent"] == 60.0
    assert s["fleet"]["violations"] == 1
    assert s["fleet"]["served"] == 18
    text = format_bench(rows)
    assert "(dishes wait 75.0 % less with fleet)" in text
    assert "60.0 % below baseline" in text


def test_improvement_without_waits_is_unknown() -> None:
    assert improvement(None, 10.0) is None
    assert improvement(5.0, None) is None
    assert improvement(5.0, 10.0) == 50.0


def test_fault_levels_offered_are_the_simulators() -> None:
    from sim.run import FAULT_LEVELS  # noqa: PLC0415  (the CLI must not need it to start)

    assert set(FAULTS) == set(FAULT_LEVELS)


@pytest.mark.integration  # a subprocess
def test_the_cli_starts_without_loading_the_simulator() -> None:
    code = ("import sys\nfrom fleet.cli.main import build_parser\nbuild_parser()\n"
            "heavy = ('sim.run', 'fleet.controller')\n"
            "print(sorted(m for m in sys.modules if m.startswith(heavy)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_the_lines_that_fail_a_run_are_red() -> None:
    report = {"violations": 1, "deadlocks": {"unrecovered": 0},
              "dishes": {"open": 0, "failed_without_reason": 0}}
    text = "dishes  ordered 3\nviolations  1\ndeadlocks  detected 2  unrecovered 0\n  violation  R1"
    styled = coloured(report, text)
    red = {styled.plain[span.start:span.end].strip().split("  ")[0]
           for span in styled.spans if "red" in str(span.style)}
    assert red == {"violations", "violation"}


def test_without_a_config_or_map_the_error_says_to_pass_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["sim", "--duration", "1m"]) == 1
    assert "pass --map PLAN" in capsys.readouterr().err


def test_an_error_of_ours_inside_a_task_group_is_one_line_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from fleet.cli import config_cmd  # noqa: PLC0415
    from fleet.errors import LinkError  # noqa: PLC0415

    def broker_down(*_: object) -> int:
        raise ExceptionGroup("unhandled errors in a TaskGroup",
                             [ExceptionGroup("inner", [LinkError("broker at mqtt://x:1883 "
                                                                 "refused the connection")])])

    monkeypatch.setattr(config_cmd, "run_check", broker_down)
    assert main(["config", "check"]) == 1
    err = capsys.readouterr().err
    assert "fleet config: broker at mqtt://x:1883 refused the connection" in err
    assert "Traceback" not in err and "ExceptionGroup" not in err

    def bug(*_: object) -> int:
        raise ExceptionGroup("unhandled errors in a TaskGroup", [ZeroDivisionError("bug")])

    monkeypatch.setattr(config_cmd, "run_check", bug)
    with pytest.raises(ExceptionGroup):  # a bug keeps its traceback
        main(["config", "check"])
