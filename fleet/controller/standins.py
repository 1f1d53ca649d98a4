"""What tells the controller that work it did not send a vehicle is done.

A stop's work the vehicle does not take (``fleet.controller.stops``: configured
as none, or missing from its factsheet) is still part of the stop: the robot
stands there while staff or the guest do it. Evidence stands in for the action
state the vehicle would have reported: on a robot that senses its trays, the
trays themselves (a dish appears at the pass, leaves at the table or the dish
return); otherwise the model's ``dwell_s``. Presenting a tray at a table and
docking need no evidence: arriving is doing them. Charging on contact shows in
``batteryState.charging`` (or the stop ends after ``dwell_s``, so that a charger
that does not charge cannot hold the robot); a robot whose vehicle cannot be told
to charge at all is not sent to charge (``RobotRecord.can_charge``).
"""

from __future__ import annotations

from fleet.controller.robots import RobotRecord
from fleet.controller.stops import StandIn
from fleet.domain import Stop, StopKind
from fleet.vda import ActionStatus


def stand_in_status(stand_in: StandIn, stop: Stop, rec: RobotRecord,
                    waited_s: float) -> ActionStatus:
    """The state the stood-in action would be in after ``waited_s`` at the stop."""
    role, tray = stand_in
    if role == "dock" or (role == "drop" and stop.kind is StopKind.SERVE):
        return ActionStatus.FINISHED
    if role == "charge":
        # Charging on contact shows in its battery state; a charger that does not
        # charge it must not hold it there for ever.
        done = rec.charging or waited_s >= rec.model.actions.dwell_s
        return ActionStatus.FINISHED if done else ActionStatus.RUNNING
    if rec.senses_trays:
        if role == "pick":
            done = tray in rec.loads
        elif role == "drop":
            done = tray not in rec.loads
        else:  # the guest's wait: every tray presented here is empty
            done = not any(t in rec.loads for t in stop.trays)
    else:
        done = waited_s >= rec.model.actions.dwell_s
    return ActionStatus.FINISHED if done else ActionStatus.RUNNING
