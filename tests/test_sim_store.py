"""A simulated service written to SQLite as it happens: what a restarted controller
would read back is the service's own record."""

import sqlite3
from pathlib import Path

from fleet.cli import main
from fleet.domain import events as ev
from fleet.store import SqliteStore


def test_sim_writes_orders_trips_and_events_to_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    code = main(["sim", "--map", "maps/bistro.toml", "--robots", "4", "--scenario", "lunch-rush",
                 "--duration", "10m", "--faults", "none", "--store", str(db)])
    assert code == 0
    store = SqliteStore(db)
    try:
        events = store.events()
        kinds = {e.kind for e in events}
        assert {ev.ORDER_RECEIVED, ev.DISH_READY, ev.TRIP_ASSIGNED, ev.DISH_SERVED} <= kinds
        assert [e.at for e in events] == sorted(e.at for e in events)
        # The service ended with every dish served, failed or cancelled: no order is open,
        # and no trip carries dishes (a robot may still be on its way to park).
        assert store.open_orders() == []
        assert [t.trip_id for t in store.open_trips() if t.dishes] == []
        served = [e for e in events if e.kind == ev.DISH_SERVED]
        assert served and all(e.robot and e.dish_id for e in served)
    finally:
        store.close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
