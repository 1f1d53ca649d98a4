"""Dispatch: which robot takes which dishes, in what order. Pure: no I/O, no clock.

On every event (dish ready, robot freed, robot arrived at the pass) the
controller first sends robots a trip left with dishes on their trays to unload
(``plan_unloading``), then calls a policy with snapshots of the waiting dishes
and the other robots, then
``plan_bussing`` and ``housekeeping`` with the robots left over, and executes
the ``TripPlan`` values it gets back. Nothing is remembered between calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from fleet.dispatch.baseline import BaselinePolicy
from fleet.dispatch.battery import battery_ok, needs_charge
from fleet.dispatch.fleet_policy import FleetPolicy
from fleet.dispatch.housekeeping import housekeeping, plan_bussing, plan_unloading
from fleet.dispatch.ordering import TableOrder, best_table_order, dish_cost
from fleet.dispatch.passhold import HoldRule
from fleet.dispatch.serving import ServeSettings
from fleet.dispatch.snapshots import BussingRequest, DishView, RobotView, TripPlan, tray_slot
from fleet.dispatch.travel_times import Travel, TravelTimes


class Policy(Protocol):
    name: str
    rides_along: bool
    """A ready dish may join a trip about to take dishes from its pass to its table
    (``fleet.controller.ridealong``); a one-dish-a-trip policy says no."""
    pass_hold: HoldRule | None
    """When a robot leaving a pass may wait there for a dish the kitchen expects soon
    for one of its tables (``fleet.controller.passhold``); None: it never waits."""

    def plan(self, now: float, dishes: Sequence[DishView], robots: Sequence[RobotView],
             times: Travel) -> list[TripPlan]: ...


def make_policy(name: Literal["fleet", "baseline"], *, cold_food_s: float = 300.0,
                guest_s: float = 20.0, load_s_per_tray: float = 5.0,
                robot_weight: float = 0.5) -> Policy:
    """The policy called ``name`` (``dispatch.policy`` in config.toml)."""
    settings = ServeSettings(cold_food_s=cold_food_s, guest_s=guest_s,
                             load_s_per_tray=load_s_per_tray)
    if name == "fleet":
        return FleetPolicy(settings, robot_weight=robot_weight)
    if name == "baseline":
        return BaselinePolicy(settings)
    raise ValueError(f"unknown dispatch policy {name!r} (known: fleet, baseline)")


__all__ = [
    "BaselinePolicy",
    "BussingRequest",
    "DishView",
    "FleetPolicy",
    "HoldRule",
    "Policy",
    "RobotView",
    "ServeSettings",
    "TableOrder",
    "Travel",
    "TravelTimes",
    "TripPlan",
    "battery_ok",
    "best_table_order",
    "dish_cost",
    "housekeeping",
    "make_policy",
    "needs_charge",
    "plan_bussing",
    "plan_unloading",
    "tray_slot",
]
