"""The fleet a dashboard benchmark follows: synthetic fleet API state at a steady pace.

Run as a child process (``python -m fleet.bench.dashfeed``) so its work is not
counted in the measured process. It publishes what a busy site's controller
would: the floor and status (retained), ``--orders`` open orders (retained, a few
changing every second), every robot's view ``--hz`` times a second as it walks
the floor with a released route and a horizon ahead, the summary once a second,
and an event for each order that changed. The messages are the real types from
``fleet.api.messages``, so the dashboard decodes and draws exactly what it would
in service.

Protocol over the pipes: the child connects, publishes the retained present,
prints ``ready``, waits for a line on stdin, publishes for ``--seconds``, and
prints ``sent N``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

import msgspec

from drivers.mqtt import BrokerSettings, MqttSettings
from drivers.mqtt.client import MqttConnection
from fleet.api.messages import (
    ControllerStatus,
    DishView,
    EventView,
    OrderView,
    RobotView,
    Summary,
    TripView,
)
from fleet.api.snapshot import floor_view
from fleet.api.topics import Topics
from fleet.floor import FloorPlan, PlaceKind, load_floor
from fleet.floor.model import Cell

ROUTE_AHEAD = 12
"""Cells of released route and of horizon drawn ahead of each robot."""


class Walker:
    """One robot wandering the free floor one cell per step, never reversing at once."""

    def __init__(self, plan: FloorPlan, start: Cell, rng: random.Random) -> None:
        self.plan, self.rng = plan, rng
        self.path: list[Cell] = [start]
        while len(self.path) < 2 * ROUTE_AHEAD + 2:
            self._extend()

    def _extend(self) -> None:
        here = self.path[-1]
        back = self.path[-2] if len(self.path) > 1 else None
        options = [n for n in self.plan.neighbours(here) if n != back] or [back or here]
        self.path.append(self.rng.choice(options))

    def step(self) -> None:
        self.path.pop(0)
        self._extend()


def _orders(plan: FloorPlan, count: int, now: float, rng: random.Random) -> list[OrderView]:
    tables = [p.name for p in plan.places_of(PlaceKind.TABLE)]
    states = ("received", "ready", "ready", "assigned", "on_the_way")
    out = []
    for i in range(count):
        dishes = [DishView(dish_id=f"B{i}/{k + 1}", name=rng.choice(("soup", "salad", "steak")),
                           state=rng.choice(states), ready_at=now - rng.uniform(0, 400))
                  for k in range(rng.randint(1, 4))]
        out.append(OrderView(order_id=f"B{i}", table=rng.choice(tables), created_at=now - 600,
                             open=True, dishes=dishes))
    return out


async def feed(url: str, site: str, plan: FloorPlan, *, robots: int, hz: float, orders: int,
               seconds: float) -> int:
    rng = random.Random(1)
    topics = Topics(site)
    enc = msgspec.json.Encoder()
    settings = MqttSettings.from_config(BrokerSettings(url=url), url, client_id=f"dashfeed-{site}")
    free = [(int(r), int(c)) for r, c in zip(*plan.passable.nonzero(), strict=True)]
    walkers = {f"R{i + 1}": Walker(plan, rng.choice(free), rng) for i in range(robots)}
    now = time.time()
    book = _orders(plan, orders, now, rng)
    sent = 0
    async with MqttConnection(settings) as conn:
        await conn.wait_connected(10.0)
        status = ControllerStatus(online=True, site=site, name="bench", at=now)
        await conn.publish(topics.status, enc.encode(status), qos=1, retain=True)
        await conn.publish(topics.floor, enc.encode(floor_view(plan)), qos=1, retain=True)
        for order in book:
            await conn.publish(topics.order(order.order_id), enc.encode(order), qos=1,
                               retain=True)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        start = time.monotonic()
        tick = 1.0 / hz
        n = 0
        while time.monotonic() - start < seconds:
            now = time.time()
            for serial, walker in walkers.items():
                walker.step()
                ahead = [plan.anchor_of(c) for c in walker.path[1:]]
                x, y = plan.anchor_of(walker.path[0])
                view = RobotView(serial=serial, mode="working", online=True, x=x, y=y,
                                 theta=0.0, battery=80.0, trays=3, loads=["B1/1"],
                                 trip=TripView(trip_id=f"t{serial}", kind="serve",
                                               stops=["pass", "T1"], next_stop=1),
                                 doing="to table T1 with 1 dish", waiting="",
                                 route=ahead[:ROUTE_AHEAD], horizon=ahead[ROUTE_AHEAD:], at=now)
                await conn.publish(topics.robot(serial), enc.encode(view), retain=True)
                sent += 1
            for order in rng.sample(book, k=min(len(book), 3)):
                await conn.publish(topics.order(order.order_id), enc.encode(order), qos=1,
                                   retain=True)
                event = EventView(kind="DishReady", at=now, order_id=order.order_id,
                                  text=f"{order.dishes[0].name} for {order.table} ready")
                await conn.publish(topics.events, enc.encode(event), qos=1)
                sent += 2
            if n % max(1, round(hz)) == 0:
                summary = Summary(site=site, now=now, robots=robots, active=robots, idle=0,
                                  charging=0, paused=0, faulted=0, offline=0,
                                  dishes_waiting=orders, dishes_on_robots=robots,
                                  open_orders=orders, mean_wait_15min_s=60.0)
                await conn.publish(topics.summary, enc.encode(summary), retain=True)
                sent += 1
            n += 1
            await asyncio.sleep(max(0.0, start + n * tick - time.monotonic()))
        for serial in walkers:
            await conn.publish(topics.robot(serial), b"", qos=1, retain=True)
        for order in book:
            await conn.publish(topics.order(order.order_id), b"", qos=1, retain=True)
        await conn.publish(topics.status, b"", qos=1, retain=True)
        await conn.publish(topics.floor, b"", qos=1, retain=True)
    print(f"sent {sent}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fleet.bench.dashfeed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--site", default="bench")
    p.add_argument("--map", type=Path, default=Path("maps/bistro.toml"))
    p.add_argument("--robots", type=int, default=30)
    p.add_argument("--hz", type=float, default=2.0)
    p.add_argument("--orders", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20.0)
    a = p.parse_args(argv)
    plan = load_floor(a.map)
    return asyncio.run(feed(a.url, a.site, plan, robots=a.robots, hz=a.hz, orders=a.orders,
                            seconds=a.seconds))


if __name__ == "__main__":
    sys.exit(main())
