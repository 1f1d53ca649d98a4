"""``fleet size``: the answer is the smallest fleet whose mean wait meets the target at
the top of its confidence range, with a p95 target when given and no dish left to
staff; the command runs the sweep and says so, with the table and a plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleet.bench.sizing import answer, by_size, choose
from fleet.cli import main

ROOT = Path(__file__).resolve().parents[1]


def row(robots: int, seed: int, mean: float, p95: float, *, by_staff: int = 0,
        error: str = "") -> dict[str, Any]:
    if error:
        return {"robots": robots, "seed": seed, "error": error}
    return {"robots": robots, "seed": seed, "error": "", "ordered": 100,
            "served": 100 - by_staff, "by_staff": by_staff, "failed": 0, "open": 0,
            "mean_wait_s": mean, "p95_wait_s": p95}


ROWS = [row(2, 1, 200.0, 400.0, by_staff=30), row(2, 2, 180.0, 390.0, by_staff=25),
        row(4, 1, 62.0, 150.0), row(4, 2, 50.0, 140.0), row(4, 3, 70.0, 160.0),
        row(6, 1, 41.0, 90.0), row(6, 2, 43.0, 95.0), row(6, 3, 42.0, 100.0),
        row(8, 1, 0.0, 0.0, error="no room on the floor for 8 robots to start")]


def test_the_confidence_range_decides_not_the_mean_alone() -> None:
    sizes = {s.robots: s for s in by_size(ROWS)}
    four = sizes[4]
    assert four.mean_wait_s == pytest.approx(60.667, abs=1e-3)
    assert four.low_s is not None and four.high_s is not None
    assert four.low_s < 60.0 < four.high_s, "the mean meets 61 s; its range does not"
    assert choose(list(sizes.values()), 61.0) is sizes[6]
    assert choose(list(sizes.values()), 90.0) is sizes[4]
    assert choose(list(sizes.values()), 90.0, target_p95_s=120.0) is sizes[6]
    assert choose(list(sizes.values()), 1000.0) is sizes[4], "2 robots left dishes to staff"
    assert choose(list(sizes.values()), 1000.0, max_staff_share=0.3) is sizes[2]
    assert sizes[8].runs == 0 and sizes[8].errors
    assert choose(list(sizes.values()), 30.0) is None


def test_the_answer_names_the_size_and_its_figures() -> None:
    sizes = by_size(ROWS)
    said = answer(sizes, 61.0)
    assert said.startswith("6 robots for mean wait <= 61 s: mean wait 42 s")
    assert "over 3 seeds" in said
    assert answer(sizes, 30.0).startswith("no fleet size tried (2, 4, 6, 8)")
    assert "0 of 300 carried by staff" in said


@pytest.mark.integration  # worker processes
def test_fleet_size_runs_the_sweep_and_answers(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out, plot = tmp_path / "size.json", tmp_path / "size.svg"
    code = main(["size", "--map", str(ROOT / "maps" / "bistro.toml"),
                 "--config", str(ROOT / "config.toml"), "--duration", "10m",
                 "--robots", "1,3", "--seeds", "1", "--jobs", "2", "--faults", "none",
                 "--target-mean", "10m", "--json", str(out), "--plot", str(plot)])
    assert code == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert sorted(r["robots"] for r in data["rows"]) == [1, 3]
    best = choose(by_size(data["rows"]), 600.0)
    assert data["robots"] == (best.robots if best is not None else None)
    assert data["answer"] == answer(by_size(data["rows"]), 600.0)
    assert data["answer"][:30] in text
    assert "<svg" in plot.read_text()[:500]


def test_bad_arguments_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["size", "--target-mean", "0"])
    assert "--target-mean" in capsys.readouterr().err
    assert main(["size", "--map", str(ROOT / "maps" / "bistro.toml"), "--config",
                 str(ROOT / "config.toml"), "--plot", "x.pdf"]) == 1
    assert "--plot x.pdf: write a .svg or a .png" in capsys.readouterr().err
