"""``fleet replay``: a short night from a till's log on the bistro, in process; a bad
log is one line on stderr naming the file, line and column, and exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleet.cli import main

REPO = Path(__file__).resolve().parents[1]
BISTRO = str(REPO / "maps" / "bistro.toml")
QUICK = ["--map", BISTRO, "--faults", "none"]
NIGHT = """\
order_time,order_id,table,dish,ready_time,trays
19:00,A1,W1,soup,19:03,1
19:00,A1,W1,steak,19:05,1
19:00,A1,W1,wine,19:01,0
19:02,A2,C3,pasta,19:08,1
19:04,A3,S2,pizza,19:09,2
"""


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default config is ./config.toml, so run where the repo's one is."""
    monkeypatch.chdir(REPO)


@pytest.fixture
def night(tmp_path: Path) -> Path:
    path = tmp_path / "night.csv"
    path.write_text(NIGHT, encoding="utf-8")
    return path


def test_replay_prints_the_sim_report_and_the_rows_replayed(
        night: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    code = main(["replay", str(night), *QUICK, "--robots", "2", "--policy", "baseline",
                 "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    report = json.loads(out.read_text())
    assert report["replay"]["replayed"] == 4
    assert report["replay"]["skipped"] == 1
    assert report["dishes"]["ordered"] == 4
    assert report["dishes"]["open"] == 0
    assert (report["robots"], report["policy"]) == (2, "baseline")
    assert f"{night} from 19:00: 4 of 5 rows replayed (3 orders), 1 skipped (1 trays 0" in printed
    assert "ordered 4" in printed
    assert "policy baseline" in printed


def test_several_sizes_are_compared_in_one_table(
        night: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sizes.json"
    assert main(["replay", str(night), *QUICK, "--robots", "1,3", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    reports = json.loads(out.read_text())
    assert [r["robots"] for r in reports] == [1, 3]
    rows = [line.split() for line in printed.splitlines()]
    assert [r[:2] for r in rows if r and r[0] in ("1", "3")] == [
        ["1", str(reports[0]["dishes"]["served"])], ["3", str(reports[1]["dishes"]["served"])]]
    assert "wait mean" in printed


def test_replay_store_is_read_by_fleet_report(
        night: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, out = tmp_path / "night.db", tmp_path / "report.json"
    assert main(["replay", str(night), *QUICK, "--robots", "2", "--store", str(db),
                 "--json", str(out)]) == 0
    capsys.readouterr()
    assert main(["report", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["ordered", "served"])
    d = json.loads(out.read_text())["dishes"]
    assert lines[header + 2].split()[:4] == [str(d["ordered"]), str(d["served"]),
                                             str(d["by_staff"]), str(d["failed"])]
    assert d["ordered"] == 4


@pytest.mark.parametrize(("row", "where"), [
    ("19:05,A4,T99,soup,19:09,1", "line 7, column table: unknown table 'T99'"),
    ("19:05,A4,W2,soup,7pm,1", "line 7, column ready_time: cannot read '7pm' as a time"),
    ("19:05,A4,W2,soup,19:01,1", "line 7, column ready_time: ready at 19:01, before"),
])
def test_a_bad_row_is_one_line_with_file_line_and_column(
        row: str, where: str, night: Path, capsys: pytest.CaptureFixture[str]) -> None:
    night.write_text(NIGHT + row + "\n", encoding="utf-8")
    assert main(["replay", str(night), *QUICK]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"fleet replay: {night}, {where}"), captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_a_missing_column_a_missing_file_and_bad_text_are_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    no_table = tmp_path / "no-table.csv"
    no_table.write_text("order_time,order_id,dish\n19:00,A1,soup\n", encoding="utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("order_time,order_id,table,dish\n19:00,A1,W1,crème\n".encode("latin-1"))
    for path, what in ((no_table, f"{no_table}, line 1, column table: missing from the header"),
                       (tmp_path / "absent.csv", f"{tmp_path / 'absent.csv'}: cannot read"),
                       (latin, f"{latin}: not UTF-8 text")):
        assert main(["replay", str(path), *QUICK]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"fleet replay: {what}"), err
        assert len(err.strip().splitlines()) == 1


def test_store_takes_one_size(night: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(night), *QUICK, "--robots", "2,4",
                 "--store", str(tmp_path / "x.db")]) == 1
    assert "give one --robots size" in capsys.readouterr().err


def test_help_says_what_it_does_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "till's log" in text
    assert "examples:\n  fleet replay examples/bistro-night.csv" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "fleet replay POS.csv" in capsys.readouterr().out
