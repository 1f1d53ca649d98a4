"""Issue 17, finding 2: the floor froze after broker faults. Mosquitto killed and
restarted five times and frozen (SIGSTOP) once during a service left dishes open
for good: an order or a cancel lost while the broker was down was never sent
again or reconciled. Here the same campaign runs against a small site of four
robots with orders streaming in, and every dish must end, with no violation."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from random import Random

import pytest
from brokers import HAVE_MOSQUITTO
from e2e import ONE_TRAY, STARTS, blocks
from mqttsite import ROOT, Site, run_site

from fleet.config import load_config
from fleet.domain import DishState, RobotMode
from fleet.floor import load_floor
from sim.run import start_cells

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed "
                                 "(.ci/run installs it)")]

TABLES = ("t1", "t2", "t3", "t4")


async def _outage(site: Site, rng: Random) -> None:
    """The broker dies (SIGKILL, no will sent for anyone, retained state lost) and
    comes back after a few seconds."""
    await site.broker.kill()
    await site.settle(rng.uniform(2.0, 12.0))
    await site.broker.start()


async def _freeze(site: Site, seconds: float) -> None:
    """The broker is alive but answers nothing (SIGSTOP): sockets stay open, messages
    pile up, keep-alives time out."""
    pid = site.broker.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        await site.settle(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("floor", "seed"), [("blocks", 1), ("bistro", 3)])
def test_a_service_through_broker_kills_and_a_freeze_ends_every_dish(
        tmp_path: Path, floor: str, seed: int) -> None:
    rng = Random(seed)
    if floor == "bistro":
        cfg = load_config(ROOT / "config.toml", env={})
        plan, model = load_floor(ROOT / "maps" / "bistro.toml"), cfg.robot_model()
        tables = tuple(t.name for t in plan.tables)
        starts = dict(zip(("R1", "R2", "R3", "R4"), start_cells(plan, 4), strict=True))
    else:
        plan, model, tables = blocks(), ONE_TRAY, TABLES
        starts = {f"R{i + 1}": STARTS[i] for i in range(4)}

    async def scene(site: Site) -> None:
        faults = ["kill"] * 5 + ["freeze"]
        rng.shuffle(faults)
        for fault in faults:
            for _ in range(2):
                await site.order(rng.choice(tables), dishes=rng.randint(1, 2))
                await site.settle(rng.uniform(3.0, 15.0))
            if fault == "kill":
                await _outage(site, rng)
            else:
                await _freeze(site, 30.0)
        await site.until(lambda: all(r.mode is not RobotMode.OFFLINE
                                     for r in site.controller.robots.values()), 120.0,
                         what="every robot back after the last fault")
        await site.until(site.all_final, 900.0, what="every dish ends")
        unfinished = [d for d in site.dishes if d.state is not DishState.SERVED
                      and not d.reason.strip()]
        assert not unfinished, "every dish not served says why"
        served = sum(d.state is DishState.SERVED for d in site.dishes)
        assert served >= len(site.dishes) // 2, site.describe()

    run_site(plan, starts, scene, tmp=tmp_path, model=model, speed=10.0)
