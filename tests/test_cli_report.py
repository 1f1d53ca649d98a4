"""``fleet report`` over the SQLite store of a short simulated service: the same figures
as the simulator's own report, CSVs that agree with them, one dish's story, and
errors that say what is wrong and where."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from fleet.cli import main
from fleet.domain import Dish, Event, Order
from fleet.domain import events as ev
from fleet.domain.orders import DishState
from fleet.reporting import Records, Window, shift_report
from fleet.store import SqliteStore

REPO = Path(__file__).resolve().parents[1]
SERVICE = ["--map", str(REPO / "maps" / "bistro.toml"), "--config", str(REPO / "config.toml"),
           "--robots", "4", "--duration", "10m", "--faults", "none", "--seed", "1",
           "--scenario", "lunch-rush"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A ten-minute lunch rush (on the virtual clock) written to a store, and the
    simulator's own report of it."""
    where = tmp_path_factory.mktemp("service")
    db, out = where / "lunch.db", where / "sim.json"
    assert main(["sim", *SERVICE, "--store", str(db), "--json", str(out)]) == 0
    return db, json.loads(out.read_text())


def records_of(db: Path) -> Records:
    with SqliteStore(db, read_only=True) as store:
        return Records(store.dishes(), store.trips(), store.events())


def report(db: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    assert main(["report", "--db", str(db), "--json", str(out), *extra]) == 0
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def test_report_figures_equal_the_sims_own_report(
        service: tuple[Path, dict[str, Any]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    db, sim = service
    got = report(db, tmp_path)
    assert sim["dishes"]["served"] > 0 and sim["dishes"]["failed"] + sim["dishes"]["served"] > 0
    for key in ("dishes", "wait_s", "failed_reasons", "cancelled_reasons"):
        assert got[key] == sim[key], key
    assert sum(r["trips"] for r in got["per_robot"]) == sim["trips"]
    assert {r["robot"] for r in got["per_robot"]} == set(sim["utilisation"]["per_robot"])
    assert sum(r["dishes_served"] for r in got["per_robot"]) == sim["dishes"]["served"]
    printed = capsys.readouterr().out
    w = sim["wait_s"]
    for figure in (w["mean"], w["p95"], w["max"]):
        assert f"{figure:,.1f}" in printed
    for title in ("Per hour", "Per table", "Per pass", "Per robot"):
        assert title in printed


def test_the_store_holds_every_dish_in_its_final_state(
        service: tuple[Path, dict[str, Any]]) -> None:
    """What the report counts is complete: every event's dish is in the dishes table, and
    every served dish's DishServed event is there too."""
    db, _ = service
    records = records_of(db)
    ids = {d.dish_id for d in records.dishes}
    assert {e.dish_id for e in records.events if e.dish_id} <= ids
    served_events = {e.dish_id for e in records.events if e.kind == ev.DISH_SERVED}
    assert served_events == {d.dish_id for d in records.dishes if d.state is DishState.SERVED}


def test_csv_files_parse_and_agree_with_the_figures(
        service: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    db, sim = service
    got = report(db, tmp_path, "--csv", str(tmp_path / "csv"))
    files = sorted(p.name for p in (tmp_path / "csv").iterdir())
    assert files == ["late_dishes.csv", "outcome_reasons.csv", "per_hour.csv", "per_pass.csv",
                     "per_robot.csv", "per_table.csv", "summary.csv"]

    def rows(name: str) -> list[dict[str, str]]:
        with (tmp_path / "csv" / f"{name}.csv").open(newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    summary = {r["figure"]: r["value"] for r in rows("summary")}
    assert int(summary["dishes_ordered"]) == sim["dishes"]["ordered"]
    assert float(summary["wait_p95_s"]) == sim["wait_s"]["p95"]
    for name in ("per_hour", "per_table", "per_pass"):
        table = rows(name)
        for column in ("ordered", "served", "failed", "cancelled"):
            assert sum(int(r[column]) for r in table) == sim["dishes"][column], (name, column)
    by_table = {r["table"]: r for r in rows("per_table")}
    for row in got["per_table"]:
        mean = by_table[row["table"]]["wait_mean_s"]
        assert (float(mean) if mean else None) == row["wait_mean_s"]
    assert sum(int(r["trips"]) for r in rows("per_robot")) == sim["trips"]
    reasons = {r["reason"]: int(r["dishes"]) for r in rows("outcome_reasons")
               if r["outcome"] == "failed"}
    assert reasons == sim["failed_reasons"]
    assert len(rows("late_dishes")) == len(got["late"])


def test_late_dishes_follow_the_bound_given(service: tuple[Path, dict[str, Any]],
                                            tmp_path: Path) -> None:
    db, sim = service
    got = report(db, tmp_path, "--late", str(sim["wait_s"]["p50"]))
    waits = [r["wait_s"] for r in got["late"]]
    assert waits and all(w > sim["wait_s"]["p50"] for w in waits)
    assert waits == sorted(waits, reverse=True)
    assert max(waits) == sim["wait_s"]["max"]


def test_a_time_window_counts_the_dishes_ordered_in_it(
        service: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    db, _ = service
    got = report(db, tmp_path, "--from", "5m", "--to", "10m")
    records = records_of(db)
    start = min(e.at for e in records.events)
    inside = [d for d in records.dishes if start + 300 <= d.created_at < start + 600]
    assert 0 < got["dishes"]["ordered"] == len(inside) < len(records.dishes)
    assert got["span"]["seconds"] == 300.0
    assert got["dishes"] == shift_report(records, Window(start + 300, start + 600))["dishes"]


def test_dish_lists_its_events_in_order(service: tuple[Path, dict[str, Any]],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = service
    served = next(d for d in records_of(db).dishes if d.state is DishState.SERVED)
    capsys.readouterr()
    assert main(["report", "--db", str(db), "dish", served.dish_id]) == 0
    printed = capsys.readouterr().out
    assert served.dish_id in printed and served.table in printed
    steps = [ev.ORDER_RECEIVED, ev.DISH_READY, ev.DISH_ASSIGNED, ev.TRIP_ASSIGNED,
             ev.DISH_LOADED, ev.DISH_AT_TABLE, ev.DISH_SERVED]
    where = [printed.index(kind) for kind in steps]
    assert where == sorted(where)


@pytest.mark.parametrize(("argv", "message"), [
    (["--from", "noon"], "--from 'noon': expected a time since the start"),
    (["--from", "12:30"], "holds no wall clock"),
    (["--from", "1h", "--to", "30m"], "--to '30m' is not after --from '1h'"),
    (["dish", "nope/1"], "no dish 'nope/1'; it holds"),
    (["dish"], "expected `fleet report dish ID`"),
    (["lunch"], "expected `fleet report dish ID`"),
])
def test_bad_requests_say_what_is_wrong(service: tuple[Path, dict[str, Any]],
                                        capsys: pytest.CaptureFixture[str], argv: list[str],
                                        message: str) -> None:
    db, _ = service
    capsys.readouterr()
    assert main(["report", "--db", str(db), *argv]) == 1
    err = capsys.readouterr().err
    assert message in " ".join(err.split())


def test_an_unknown_dish_of_a_known_order_lists_its_dishes(
        service: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = service
    first = records_of(db).dishes[0]
    capsys.readouterr()
    assert main(["report", "--db", str(db), "dish", f"{first.order_id}/99"]) == 1
    assert f"order {first.order_id} has {first.dish_id}" in " ".join(
        capsys.readouterr().err.split())


def test_missing_corrupt_and_foreign_stores_are_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    assert main(["report", "--db", str(missing)]) == 1
    assert "typo.db: no store here" in capsys.readouterr().err
    assert not missing.exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database " * 100)
    assert main(["report", "--db", str(junk)]) == 1
    assert "junk.db: cannot open the store" in " ".join(capsys.readouterr().err.split())
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as raw:
        raw.execute("CREATE TABLE notes (text TEXT)")
    assert main(["report", "--db", str(foreign)]) == 1
    assert "not a fleet store" in " ".join(capsys.readouterr().err.split())


def test_csv_into_a_file_is_an_error_naming_it(service: tuple[Path, dict[str, Any]],
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = service
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a directory")
    assert main(["report", "--db", str(db), "--csv", str(blocker)]) == 1
    assert f"--csv {blocker}: cannot write" in " ".join(capsys.readouterr().err.split())


def test_help_explains_times_and_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for needle in ("--from", "--csv", "--html", "dish ID", "1h30m", "12:30", "examples:",
                   "fleet sim --duration 2h --store"):
        assert needle in text, needle


def test_a_production_store_takes_clock_times(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A controller run records its wall-clock offset: --from 12:30 means half past twelve
    on the day the record starts, and rows show clock times."""
    noon = datetime(2026, 12, 6, 12, 0).timestamp()
    db = tmp_path / "fleet.db"
    with SqliteStore(db) as store:
        store.record(Event(ev.CONTROLLER_STARTED, 0.0, data={"epoch": noon}))
        for order_id, at in (("early", 120.0), ("half-past", 1800.0), ("late", 5400.0)):
            store.save_order(Order(order_id, "T1", created_at=at, dishes=[
                Dish(f"{order_id}/1", order_id, "T1", created_at=at)]))
    got = report(db, tmp_path, "--from", "12:30", "--to", "2026-12-06T13:00")
    assert got["dishes"]["ordered"] == 1
    assert got["span"]["start"] == 1800.0
    assert "from 12:30:00 to 13:00:00" in capsys.readouterr().out
    assert report(db, tmp_path, "--from", "12:05:00")["dishes"]["ordered"] == 2
    capsys.readouterr()
    assert main(["report", "--db", str(db), "--from", "25:00"]) == 1
    assert "not a time of day" in capsys.readouterr().err


def _day_store(db: Path) -> None:
    """A controller run from 10:00 with dishes ordered at 10:30, 12:00, 14:00, 18:00 and
    23:30 on 2026-12-06, and 00:30 the next day."""
    ten = datetime(2026, 12, 6, 10, 0).timestamp()
    with SqliteStore(db) as store:
        store.record(Event(ev.CONTROLLER_STARTED, 0.0, data={"epoch": ten}))
        for order_id, hours in (("morning", 0.5), ("noon", 2.0), ("two", 4.0),
                                ("evening", 8.0), ("late", 13.5), ("after-midnight", 14.5)):
            at = hours * 3600.0
            store.save_order(Order(order_id, "T1", created_at=at, dishes=[
                Dish(f"{order_id}/1", order_id, "T1", created_at=at)]))


def _config(tmp_path: Path, shifts: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[site]\nmap = "{REPO / "maps" / "bistro.toml"}"\n[shifts]\n{shifts}')
    return path


def test_a_shift_from_the_config_is_its_clock_times(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "fleet.db"
    _day_store(db)
    config = _config(tmp_path, 'lunch = "11:00-14:30"\nlate = "22:00-02:00"\n')
    lunch = report(db, tmp_path, "--config", str(config), "--shift", "lunch")
    assert lunch["dishes"]["ordered"] == 2, "noon and two"
    assert lunch == report(db, tmp_path, "--from", "11:00", "--to", "14:30")
    assert "from 11:00:00 to 14:30:00" in capsys.readouterr().out
    late = report(db, tmp_path, "--config", str(config), "--shift", "late")
    assert late["dishes"]["ordered"] == 2, "a shift past midnight ends the next day"


@pytest.mark.parametrize(("argv", "message"), [
    (["--shift", "brunch"], "has no shift of that name; its shifts: lunch (11:00-14:30)"),
    (["--shift", "lunch", "--from", "12:00"], "give it or --from/--to, not both"),
])
def test_a_shift_the_config_lacks_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           argv: list[str], message: str) -> None:
    db = tmp_path / "fleet.db"
    _day_store(db)
    config = _config(tmp_path, 'lunch = "11:00-14:30"\n')
    assert main(["report", "--db", str(db), "--config", str(config), *argv]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert message in err
    assert argv[1] == "lunch" or str(config) in err


def test_a_shift_on_a_simulated_store_asks_for_times_since_the_start(
        service: tuple[Path, dict[str, Any]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = service
    config = _config(tmp_path, 'lunch = "11:00-14:30"\n')
    capsys.readouterr()
    assert main(["report", "--db", str(db), "--config", str(config), "--shift", "lunch"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "--shift lunch (11:00-14:30) '11:00'" in err and "holds no wall clock" in err


def test_html_page_has_its_plots_and_the_sims_numbers(
        service: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    db, sim = service
    page = tmp_path / "lunch.html"
    report(db, tmp_path, "--html", str(page))
    text = page.read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
    assert len(svgs) == 3
    for svg, title in zip(svgs, ("Waits per hour", "Wait distribution",
                                 "Robot utilisation"), strict=True):
        assert title in svg  # drawn as text, so the plot is the one named
        assert "<path" in svg
    assert f"({sim['dishes']['served']} served dishes)" in svgs[1]
    for robot in sim["utilisation"]["per_robot"]:
        assert f">{robot} (" in svgs[2]
    # Offline: nothing is fetched (SVG's xmlns is a name, not a request).
    assert "<script" not in text and "<link" not in text
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text)
    summary = dict(re.findall(r"<tr><td>(\w+)</td><td>([^<]*)</td></tr>", text))
    assert summary["dishes_served"] == str(sim["dishes"]["served"])
    for key in ("mean", "p50", "p95", "max"):
        assert summary[f"wait_{key}_s"] == str(sim["wait_s"][key])


def test_a_sim_will_not_write_into_an_existing_store(
        service: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    """Its report counts every dish in the store: a second service there would mix in
    the first one's dishes (and overwrite those whose order ids repeat)."""
    db, _ = service
    before = db.stat().st_mtime_ns
    capsys.readouterr()
    assert main(["sim", *SERVICE, "--store", str(db)]) == 1
    assert f"--store {db}: the file exists" in " ".join(capsys.readouterr().err.split())
    assert db.stat().st_mtime_ns == before
