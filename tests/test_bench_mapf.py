"""``fleet bench mapf``: the benchmark files are read or refused naming file and line,
each planner's run yields a checked row, and the command prints and saves them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fleet.bench.mapf import LifelongJob, OneShotJob, run_lifelong, run_one_shot
from fleet.bench.mapf_files import load_grid, read_lorr, read_scen
from fleet.bench.mapf_tables import format_lifelong, format_one_shot, summary
from fleet.cli import main
from fleet.errors import BenchmarkFileError
from fleet.traffic.plancheck import plan_problems

DATA = Path(__file__).parent / "data" / "mapf"
POCKET = DATA / "pocket.map"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_scen_gives_the_first_n_agents_as_row_col_cells() -> None:
    scen = read_scen(DATA / "pocket.scen", load_grid(POCKET), 2)
    assert scen.starts == [(1, 0), (1, 6)]
    assert scen.goals == [(1, 6), (1, 0)]
    assert read_scen(DATA / "pocket.scen", load_grid(POCKET), 1).starts == [(1, 0)]


@pytest.mark.parametrize(("text", "message"), [
    ("version 2\n", "line 1: expected 'version 1'"),
    ("version 1\n0\tpocket.map\t7\t3\t0\t1\n", "line 2: expected 9 fields"),
    ("version 1\n0\tpocket.map\t7\t3\t0\t1\t6\t1\t6\n0\tpocket.map\t7\t3\t0\t0\t6\t1\t6\n",
     "line 3: start (x=0, y=0) is a blocked cell"),
    ("version 1\n0\tpocket.map\t7\t3\t0\t1\t9\t1\t6\n", "line 2: goal (x=9, y=1) is off"),
    ("version 1\n0\tpocket.map\t8\t3\t0\t1\t6\t1\t6\n", "line 2: the scenario is for a 8x3"),
    ("version 1\n0\tpocket.map\t7\t3\ta\t1\t6\t1\t6\n", "line 2: width, height and"),
    ("version 1\n0\tpocket.map\t7\t3\t0\t1\t6\t1\t6\n", "asked for 2 agents, the file has 1"),
    ("version 1\n0\tpocket.map\t7\t3\t0\t1\t6\t1\t6\n0\tpocket.map\t7\t3\t1\t1\t6\t1\t6\n",
     "agents 0 and 1 share the goal (x=6, y=1)"),
])
def test_bad_scen_lines_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad.scen", text)
    with pytest.raises(BenchmarkFileError) as err:
        read_scen(path, load_grid(POCKET), 2)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_bad_map_is_a_benchmark_file_error(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.map", "type octile\nheight 1\nwidth 2\nmap\n.X\n")
    with pytest.raises(BenchmarkFileError, match="line 5, column 2"):
        load_grid(path)


def lorr_files(tmp_path: Path, *, agents: str = "2\n7\n13\n", tasks: str = "3\n13\n7\n10\n",
               spec: dict[str, object] | None = None) -> Path:
    (tmp_path / "maps").mkdir()
    write(tmp_path / "maps" / "pocket.map", POCKET.read_text())
    write(tmp_path / "a.agents", agents)
    write(tmp_path / "t.tasks", tasks)
    body = {"mapFile": "maps/pocket.map", "agentFile": "a.agents", "teamSize": 2,
            "taskFile": "t.tasks", "numTasksReveal": 1, "taskAssignmentStrategy": "roundrobin"}
    body.update(spec or {})
    write(tmp_path / "simulation_time.json", '{"I-07": 30}')
    return write(tmp_path / "MR23-I-07.json", json.dumps(body))


def test_lorr_instance_hands_tasks_out_round_robin(tmp_path: Path) -> None:
    inst = read_lorr(lorr_files(tmp_path))
    assert inst.starts == [(1, 0), (1, 6)]
    assert inst.tasks == [(1, 6), (1, 0), (1, 3)]
    assert inst.steps == 30
    # agent k's j-th task is tasks[(j * agents + k) % len(tasks)]
    assert [inst.task(0, j) for j in range(3)] == [(1, 6), (1, 3), (1, 0)]
    assert [inst.task(1, j) for j in range(3)] == [(1, 0), (1, 6), (1, 3)]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"agents": "2\n7\n"}, "line 1 announces 2 agents, 1 follow"),
    ({"agents": "2\n7\n0\n"}, "a.agents, line 3: agent (x=0, y=0) is a blocked cell"),
    ({"agents": "2\n7\nseven\n"}, "a.agents, line 3: expected a cell number"),
    ({"tasks": "1\n99\n"}, "t.tasks, line 2: cell 99 is off the 7x3 map"),
    ({"spec": {"teamSize": 0}}, "teamSize must be a positive integer"),
    ({"spec": {"taskAssignmentStrategy": "greedy"}}, "'greedy' is not supported"),
    ({"spec": {"mapFile": "maps/none.map"}}, "none.map: cannot read"),
])
def test_bad_lorr_files_are_named(tmp_path: Path, kwargs: dict[str, object],
                                  message: str) -> None:
    path = lorr_files(tmp_path, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(BenchmarkFileError) as err:
        read_lorr(path)
    assert message in str(err.value)


def test_lorr_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "x.json", '{\n  "mapFile": \n}')
    with pytest.raises(BenchmarkFileError, match=r"x.json, line 3: not JSON"):
        read_lorr(path)


def test_one_shot_rows_of_both_planners_are_checked(tmp_path: Path) -> None:
    rows = []
    for planner in ("lacam", "prioritised"):
        out = run_one_shot(OneShotJob(POCKET, DATA / "pocket.scen", 2, planner, 10.0,
                                      want_plan=True))
        rows.append(out["row"])
        if out["row"]["solved"]:
            paths = [[tuple(p) for p in agent] for agent in out["plan"]]
            assert plan_problems(load_grid(POCKET), paths, [(0, 1), (6, 1)],
                                 [(6, 1), (0, 1)]) == []
    ours = rows[0]
    assert ours["solved"] and ours["valid"]
    assert ours["lb"] == 12 and ours["soc"] >= 12 and ours["soc_lb"] == ours["soc"] / 12
    table = format_one_shot(rows)
    assert "| pocket" in table and "scen" in table
    assert "lacam: solved 1/1, invalid 0" in summary(rows)


def test_refined_row_keeps_the_first_figures_beside_the_better_ones() -> None:
    row = run_one_shot(OneShotJob(POCKET, DATA / "pocket.scen", 2, "lacam", 10.0,
                                  refine_s=0.5))["row"]
    assert row["valid"] and row["soc"] <= row["soc_first"]
    assert row["soc_lb_first"] == row["soc_first"] / 12
    assert "SoC/LB refined" in format_one_shot([row])


def test_budgeted_row_has_the_first_plan_and_the_whole_time() -> None:
    row = run_one_shot(OneShotJob(POCKET, DATA / "pocket.scen", 2, "lacam", 10.0,
                                  budget_s=0.2))["row"]
    assert row["valid"] and row["soc"] <= row["soc_first"] and row["budget_s"] == 0.2
    assert row["first_s"] <= row["time_s"]
    assert "whole time (first plan + LNS)" in summary([row])
    # A plan already good enough is not refined at all.
    lazy = run_one_shot(OneShotJob(POCKET, DATA / "pocket.scen", 2, "lacam", 10.0,
                                   budget_s=0.2, good_enough=100.0))["row"]
    assert lazy["soc"] == lazy["soc_first"] and "refine_rounds" not in lazy


def test_cli_refuses_budget_with_refine_and_good_enough_alone(
        capsys: pytest.CaptureFixture[str]) -> None:
    scen = ["--map", str(POCKET), "--scen", str(DATA / "pocket.scen")]
    assert main(["bench", "mapf", *scen, "--budget", "1", "--refine", "1"]) == 1
    assert main(["bench", "mapf", *scen, "--good-enough", "1.1"]) == 1
    assert "--good-enough needs --budget" in capsys.readouterr().err


@pytest.mark.parametrize("guided", [True, False])
def test_lifelong_row_counts_goals_and_checks_the_trajectory(tmp_path: Path,
                                                             guided: bool) -> None:
    out = run_lifelong(LifelongJob(lorr_files(tmp_path), 30, "lacam", 10.0, want_plan=True,
                                   guided=guided))
    row = out["row"]
    assert row["steps_done"] == 30 and row["valid"] and row["guided"] is guided
    assert row["goals"] >= 2 and row["throughput"] == row["goals"] / 30
    assert len(out["plan"]) == 2 and len(out["plan"][0]) == 31
    assert ("pibt guided" in format_lifelong([row])) is guided


@pytest.mark.parametrize("guided", [True, False])
def test_one_shot_row_says_whether_guides_were_used(guided: bool) -> None:
    row = run_one_shot(OneShotJob(POCKET, DATA / "pocket.scen", 2, "lacam", 10.0,
                                  guided=guided))["row"]
    assert row["solved"] and row["valid"] and row["guided"] is guided


def test_cli_needs_an_instance(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "mapf"]) == 1
    assert "give --map with --scen" in capsys.readouterr().err
    assert main(["bench", "mapf", "--map", str(POCKET)]) == 1
    assert "--map and --scen go together" in capsys.readouterr().err


@pytest.mark.integration
def test_cli_runs_both_planners_in_workers_and_writes_plans(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "mapf", "--map", str(POCKET), "--scen", str(DATA / "pocket.scen"),
                 "--agents", "1,2,5", "--time-limit", "10", "--json", str(tmp_path / "r.json"),
                 "--plans-out", str(tmp_path / "plans")])
    assert code == 0
    out = capsys.readouterr().out
    assert "skipped: pocket.scen N=5 (the file has 2 agents)" in out
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    assert [(r["agents"], r["planner"]) for r in rows] == [
        (1, "lacam"), (1, "prioritised"), (2, "lacam"), (2, "prioritised")]
    saved = json.loads((tmp_path / "plans" / "pocket-2-lacam.json").read_text())
    assert saved["map"] == str(POCKET)
    grid = load_grid(Path(saved["map"]))
    assert plan_problems(np.asarray(grid), [[tuple(p) for p in a] for a in saved["agents"]],
                         [(0, 1), (6, 1)], [(6, 1), (0, 1)]) == []
