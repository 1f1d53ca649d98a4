"""The work at each stop of a trip, as VDA 5050 actions on the leg's goal node."""

from __future__ import annotations

from fleet.domain import Stop, StopKind
from fleet.vda import Action, BlockingType


def stop_actions(stop: Stop, prefix: str) -> tuple[Action, ...]:
    """Actions for ``stop``; ids start with ``prefix`` (the leg's order id) so that
    a state report's action states map back to this stop unambiguously."""
    pairs = list(zip(stop.trays, stop.dishes, strict=False))
    if stop.kind is StopKind.LOAD:
        return tuple(
            Action("pick", f"{prefix}/pick/{tray}", BlockingType.HARD,
                   {"lhd": tray, "loadId": dish, "loadType": "dish", "stationType": "pass"},
                   description=f"staff load {dish} on {tray}")
            for tray, dish in pairs)
    if stop.kind is StopKind.SERVE:
        drops = tuple(
            Action("drop", f"{prefix}/drop/{tray}", BlockingType.HARD,
                   {"lhd": tray, "loadId": dish, "stationType": "table", "stationName": stop.place},
                   description=f"present {dish} on {tray}")
            for tray, dish in pairs)
        wait = Action("waitForTrigger", f"{prefix}/wait", BlockingType.HARD,
                      {"triggerType": "trayEmptied", "trays": list(stop.trays)},
                      description=f"wait for the guest at {stop.place}")
        return (*drops, wait)
    if stop.kind is StopKind.COLLECT:
        return tuple(
            Action("pick", f"{prefix}/pick/{tray}", BlockingType.HARD,
                   {"lhd": tray, "loadType": "dirty", "stationType": "table",
                    "stationName": stop.place}, description=f"collect dirty dishes on {tray}")
            for tray in stop.trays)
    if stop.kind is StopKind.UNLOAD:
        return tuple(
            Action("drop", f"{prefix}/drop/{tray}", BlockingType.HARD,
                   {"lhd": tray, "stationType": "return", "stationName": stop.place},
                   description=f"staff unload {tray}")
            for tray in stop.trays)
    if stop.kind is StopKind.CHARGE:
        return (Action("finePositioning", f"{prefix}/dock", BlockingType.HARD,
                       {"stationType": "charger", "stationName": stop.place}),
                Action("startCharging", f"{prefix}/charge", BlockingType.HARD))
    return ()
