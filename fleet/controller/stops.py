"""The work at each stop of a trip, as VDA 5050 actions on the leg's goal node.

Each piece of work has a role (``fleet.domain.actionprofile``): the robot model's
action profile says which ``actionType`` expresses it, and the vehicle's
factsheet whether it takes that action at all. Work with no action to express it
is not sent; it becomes a *stand-in* the controller watches for itself
(``fleet.controller.standins``) under the same action id, so that following a
stop reads the same whichever way its work is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from fleet.domain import ActionProfile, Stop, StopKind
from fleet.link import PREDEFINED_ACTIONS
from fleet.vda import Action, BlockingType

STANDARD = ActionProfile()


class StandIn(NamedTuple):
    """Work the vehicle is not asked to do: its role, and the tray it concerns ("")."""

    role: str
    tray: str


@dataclass(frozen=True, slots=True)
class StopWork:
    actions: tuple[Action, ...]
    """What is sent on the goal node."""
    stand_ins: Mapping[str, StandIn]
    """Action id -> the work watched for instead of sent."""
    unsupported: tuple[str, ...]
    """Configured action types the vehicle does not list (so not sent)."""

    @property
    def action_ids(self) -> tuple[str, ...]:
        """Every piece of work the stop waits for, sent or stood in for."""
        return (*(a.action_id for a in self.actions), *self.stand_ins)


def stop_work(stop: Stop, prefix: str, profile: ActionProfile = STANDARD,
              supported: frozenset[str] = PREDEFINED_ACTIONS) -> StopWork:
    """The work for ``stop``; ids start with ``prefix`` (the leg's order id) so that a
    state report's action states map back to this stop unambiguously. An action the
    profile sets to none, or ``supported`` (the factsheet's) does not list, is a
    stand-in."""
    sent: list[Action] = []
    stand_ins: dict[str, StandIn] = {}
    unsupported: list[str] = []
    for role, tray, action in _standard_work(stop, prefix):
        kind = profile.action_type(role)
        if kind and kind in supported:
            params = profile.parameters(role, action.parameters)
            same = kind == action.action_type and params == dict(action.parameters)
            sent.append(action if same
                        else replace(action, action_type=kind, parameters=params))
            continue
        if kind and kind not in unsupported:
            unsupported.append(kind)
        stand_ins[action.action_id] = StandIn(role, tray)
    return StopWork(tuple(sent), stand_ins, tuple(unsupported))


def stop_actions(stop: Stop, prefix: str) -> tuple[Action, ...]:
    """The standard actions for ``stop``, as a vehicle that takes them all is sent."""
    return stop_work(stop, prefix).actions


def _standard_work(stop: Stop, prefix: str) -> list[tuple[str, str, Action]]:
    """(role, tray, action) for the stop, with the standard action types."""
    pairs = list(zip(stop.trays, stop.dishes, strict=False))
    if stop.kind is StopKind.LOAD:
        return [("pick", tray, Action(
            "pick", f"{prefix}/pick/{tray}", BlockingType.HARD,
            {"lhd": tray, "loadId": dish, "loadType": "dish", "stationType": "pass"},
            description=f"staff load {dish} on {tray}")) for tray, dish in pairs]
    if stop.kind is StopKind.SERVE:
        drops = [("drop", tray, Action(
            "drop", f"{prefix}/drop/{tray}", BlockingType.HARD,
            {"lhd": tray, "loadId": dish, "stationType": "table", "stationName": stop.place},
            description=f"present {dish} on {tray}")) for tray, dish in pairs]
        wait = Action("waitForTrigger", f"{prefix}/wait", BlockingType.HARD,
                      {"triggerType": "trayEmptied", "trays": list(stop.trays)},
                      description=f"wait for the guest at {stop.place}")
        return [*drops, ("serve_wait", "", wait)]
    if stop.kind is StopKind.COLLECT:
        return [("pick", tray, Action(
            "pick", f"{prefix}/pick/{tray}", BlockingType.HARD,
            {"lhd": tray, "loadType": "dirty", "stationType": "table",
             "stationName": stop.place}, description=f"collect dirty dishes on {tray}"))
            for tray in stop.trays]
    if stop.kind is StopKind.UNLOAD:
        return [("drop", tray, Action(
            "drop", f"{prefix}/drop/{tray}", BlockingType.HARD,
            {"lhd": tray, "stationType": "return", "stationName": stop.place},
            description=f"staff unload {tray}")) for tray in stop.trays]
    if stop.kind is StopKind.CHARGE:
        return [("dock", "", Action("finePositioning", f"{prefix}/dock", BlockingType.HARD,
                                    {"stationType": "charger", "stationName": stop.place})),
                ("charge", "", Action("startCharging", f"{prefix}/charge", BlockingType.HARD))]
    return []
