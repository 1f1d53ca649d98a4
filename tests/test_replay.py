"""``fleet replay``'s log: the schema read (``sim.till_log``), each kind of bad line
named by file, line and column, and a short night on the bistro played end to end
(``sim.replay``): every dish ordered and ready at its logged time, and every one
ending served, carried by staff or failed with a reason."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from fleet.config import Config
from fleet.domain.orders import DishState
from fleet.errors import TillLogError
from fleet.floor import FloorPlan, load_floor
from fleet.intake import dish_id
from fleet.store import MemoryStore
from sim.replay import replay_orders
from sim.run import SimOptions, run_simulation
from sim.till_log import TillLog, parse_till_log

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "bistro-night.csv"
TABLES = {"W1", "W2", "E1", "A5", "창가1"}
HEADER = "order_time,order_id,table,dish,ready_time\n"


def parse(text: str, *, default_prep_s: float = 600.0) -> TillLog:
    return parse_till_log(text, source="night.csv", tables=TABLES, passes={"pass"},
                          default_prep_s=default_prep_s)


def test_the_sample_night_parses_against_the_bistro() -> None:
    plan = load_floor(REPO / "maps" / "bistro.toml")
    till = parse_till_log(SAMPLE.read_text(encoding="utf-8"), source=str(SAMPLE),
                          tables={t.name for t in plan.tables}, passes={"pass"})
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert till.rows == len(lines) - 1
    assert till.skipped and all(s.why.startswith("trays 0") for s in till.skipped)
    assert all(",0," in lines[s.line - 1] for s in till.skipped)
    assert till.opened == lines[1].split(",")[0]
    assert min(d.ordered_s for d in till.dishes) == 0.0
    assert all(d.ready_s >= d.ordered_s for d in till.dishes)


def test_times_columns_and_orders_are_read_as_documented() -> None:
    till = parse(
        "Order Time;Order-ID;TABLE;Dish;Ready Time;prep;trays;note;pass;waiter\n"
        "19:00;A1;W1;soup;19:08:30;;1;no nuts;pass;Ann\n"
        "19:00;A1;W1;steak;;12m;2;;;Ann\n"
        "19:01:15;A2;창가1;pasta;;;;;;Bo\n"
        "19:00;A1;W1;wine;;;0;;;Ann\n"
        "\n"
        "19:20;A1;W1;tiramisu;19:24;;1;gluten free;;Ann\n", default_prep_s=300.0)
    soup, steak, pasta, tiramisu = till.dishes
    assert (soup.ordered_s, soup.ready_s, soup.note, soup.pass_place) == (0, 510, "no nuts", "pass")
    assert (steak.ready_s, steak.trays) == (720, 2)
    assert (pasta.table, pasta.ordered_s, pasta.ready_s) == ("창가1", 75, 375)
    assert [s.line for s in till.skipped] == [5]
    assert (tiramisu.line, tiramisu.order_id, tiramisu.ordered_s) == (7, "A1+2", 1200)
    orders = replay_orders(till)
    assert [(o.request.order_id, o.at, len(o.request.dishes)) for o in orders] == [
        ("A1", 0, 2), ("A2", 75, 1), ("A1+2", 1200, 1)]
    assert orders[0].request.note == "no nuts"
    assert till.opened == "19:00"


def test_a_night_past_midnight_and_other_kinds_of_time() -> None:
    late = parse(HEADER + "23:50,A1,W1,soup,00:05\n00:10,A2,W2,soup,00:20:30\n")
    assert [(d.ordered_s, d.ready_s) for d in late.dishes] == [(0, 900), (1200, 1830)]
    iso = parse(HEADER + "2026-03-14T19:00:00,A1,W1,soup,2026-03-14 19:10:05\n"
                         "2026-03-14T19:02:00,A2,W1,soup,\n", default_prep_s=60.0)
    assert [(d.ordered_s, d.ready_s) for d in iso.dishes] == [(0, 605), (120, 180)]
    seconds = parse(HEADER + "30,A1,W1,soup,95.5\n0,A2,E1,salad,40\n")
    assert [(d.ordered_s, d.ready_s) for d in seconds.dishes] == [(30, 95.5), (0, 40)]
    assert seconds.opened == "0"


BAD = [
    ("order_time,order_id,dish\n19:00,A1,soup\n", 1, "table", "missing from the header"),
    (HEADER + "19:00,A1,W1,soup,19:05\n19:0x,A2,W1,soup,19:10\n", 3, "order_time",
     "cannot read '19:0x' as a time"),
    (HEADER + "19:00,A1,W1,soup,25:00\n", 2, "ready_time", "cannot read '25:00'"),
    (HEADER + "19:00,A1,W1,soup,19:05\n19:02,A2,T99,soup,19:10\n", 3, "table",
     "unknown table 'T99'; the floor plan has 5: A5, E1, W1, W2, 창가1"),
    (HEADER + "19:00,A1,W1,soup,18:58\n", 2, "ready_time",
     "ready at 18:58, before it was ordered at 19:00"),
    (HEADER + "19:00,A1,W1,soup,19:05\n19:01,A1,W2,soup,19:10\n", 3, "table",
     "order 'A1' is for table 'W2' here but for 'W1' on line 2"),
    (HEADER + "19:00,A1,W1,soup,300\n", 2, "ready_time",
     "'300' is seconds from the start but line 2 gave a clock time"),
    (HEADER + "19:00,A1,W1,,19:05\n", 2, "dish", "empty"),
    (HEADER + "19:00,A1,W1,soup,19:05,extra\n", 2, None, "6 fields but the header has 5"),
    ("order_time,order_id,table,dish,trays\n19:00,A1,W1,soup,two\n", 2, "trays",
     "expected a whole number of trays"),
    ("order_time,order_id,table,dish,prep\n19:00,A1,W1,soup,soon\n", 2, "prep",
     "cannot read 'soon' as a prep time"),
    ("order_time,order_id,table,dish,pass\n19:00,A1,W1,soup,bar\n", 2, "pass",
     "unknown pass 'bar'"),
    ('order_time,order_id,table,dish\n19:00,A1,W1,"soup,\nwith bread"\n19:0,A2,W1,x\n', 4,
     "order_time", "cannot read '19:0'"),
    ('order_time,order_id,table,dish\n19:00,A1,W1,soup\n19:01,A2,W1,"soup\n19:02,A3,W1,x\n',
     3, None, "not CSV (unexpected end of data)"),
    ('order_time,order_id,table,dish\n19:01,A2,W1,"soup" du jour\n', 2, None, "not CSV"),
]


@pytest.mark.parametrize(("text", "line", "column", "what"), BAD)
def test_a_bad_line_is_one_line_naming_file_line_and_column(
        text: str, line: int, column: str | None, what: str) -> None:
    with pytest.raises(TillLogError) as raised:
        parse(text)
    message = str(raised.value)
    where = f"night.csv, line {line}" + (f", column {column}" if column else "")
    assert message.startswith(where + ": "), message
    assert what in message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "what"), [
    ("", "empty file"), ("\n\n", "empty file"), (HEADER, "no rows after the header"),
    ("order_time,order_id,table,dish,trays\n19:00,A1,W1,wine,0\n", "no dish to replay")])
def test_a_log_with_nothing_to_replay_says_so(text: str, what: str) -> None:
    with pytest.raises(TillLogError, match=what):
        parse(text)


@pytest.fixture(scope="module")
def bistro() -> FloorPlan:
    return load_floor(REPO / "maps" / "bistro.toml")


SHORT_NIGHT = """\
order_time,order_id,table,dish,ready_time,prep,trays,note
19:00:00,T1,W1,soup,19:03:00,,1,
19:00:00,T1,W1,steak,19:05:30,,2,
19:00:00,T1,W1,lemonade,19:01:00,,0,
19:01:30,T2,A5,ramen,,4m,1,no nuts
19:02:00,T3,E1,banquet platter,19:06:00,,4,
19:04:00,T4,B2,pizza,19:09:10,,1,
19:04:00,T4,B2,salad,19:04:00,,1,
19:07:00,T1,W1,tiramisu,19:08:00,,1,
"""


def test_a_short_night_is_replayed_at_its_logged_times_and_every_dish_ends(
        bistro: FloorPlan) -> None:
    till = parse_till_log(SHORT_NIGHT, source="short.csv",
                          tables={t.name for t in bistro.tables}, passes={"pass"})
    store = MemoryStore()
    model = Config().robot_model()
    report = run_simulation(SimOptions(plan=bistro, model=model, robots=3, faults="none",
                                       seed=2, store=store, replay=till))
    dishes = {d.dish_id: d for d in store.dishes()}
    refused = [o for o in replay_orders(till) if o.request.order_id == "T3"]
    assert refused[0].request.dishes[0].trays > model.trays  # no robot carries it
    replayed = [(o, i, row) for o in replay_orders(till) if o not in refused
                for i, row in enumerate(o.rows)]
    assert len(dishes) == len(replayed) == 6
    opened = min(d.created_at for d in dishes.values())
    for order, i, row in replayed:
        dish = dishes[dish_id(order.request.order_id, i)]
        assert (dish.table, dish.name, dish.trays) == (row.table, row.name, row.trays)
        assert dish.created_at - opened == pytest.approx(row.ordered_s, abs=1e-6)
        assert dish.ready_at is not None
        assert dish.ready_at - opened == pytest.approx(row.ready_s, abs=1e-6)
        assert dish.state in (DishState.SERVED, DishState.BY_STAFF, DishState.FAILED), dish
        if dish.state is DishState.FAILED:
            assert dish.reason
    assert dishes["T1+2/1"].name == "tiramisu"
    replay = report["replay"]
    assert (replay["rows"], replay["replayed"], replay["skipped"], replay["orders"]) == (8, 6, 2, 4)
    assert [x["line"] for x in replay["skipped_lines"]] == [4, 6]
    assert "refused by the controller" in replay["skipped_lines"][1]["why"]
    assert report["dishes"]["ordered"] == 6
    assert report["dishes"]["open"] == 0
    assert report["violations"] == 0
    assert report["scenario"]["name"] == "replay of short.csv"


def _blocks(language: str) -> list[str]:
    text = (REPO / "docs" / "replay.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_documented_example_and_converter_give_a_log_that_parses(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    example, export = _blocks("csv")
    till = parse(example)
    assert [(d.order_id, d.name) for d in till.dishes] == [
        ("A17", "risotto"), ("A17", "steak"), ("A17+2", "tiramisu")]
    assert [s.line for s in till.skipped] == [4]
    (converter,) = _blocks("python")
    monkeypatch.setattr(sys, "stdin", io.StringIO(export))
    exec(compile(converter, "docs/replay.md", "exec"), {"__name__": "convert"})
    converted = parse_till_log(capsys.readouterr().out, source="night.csv",
                               tables={"W1", "A1"}, passes={"pass"})
    assert [(d.order_id, d.table, d.name, d.ordered_s, d.ready_s, d.note)
            for d in converted.dishes] == [
        ("1042", "W1", "Margherita", 0, 720, ""), ("1042", "W1", "Margherita", 0, 720, ""),
        ("1043", "A1", "Sea bass", 180, 1140, "no butter"),
        ("1042+2", "W1", "Tiramisu", 2280, 2460, ""), ("1042+2", "W1", "Tiramisu", 2280, 2460, "")]
    assert [s.line for s in converted.skipped] == [4]
