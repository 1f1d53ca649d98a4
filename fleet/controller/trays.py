"""Which dish sits on which tray, from what a vehicle reports in ``state.loads``.

VDA 5050 makes every field of a load optional: a vehicle may name the tray
(``loadPosition``), name the load (``loadId``, its own id or the one the pick
action gave it), both, or neither (its tray sensors only count). The controller
needs tray slots it can send back in a drop's ``lhd`` and dish ids it can serve,
so each report is matched against what the controller believes is aboard, in this
order (issue 13, D9):

1. by tray position, when the vehicle names one of the robot's trays: the dish
   put on that tray is still there, whatever the vehicle calls the load;
2. else by ``loadId``, when it is the id of a dish believed aboard;
3. else by count: each remaining load stands for one dish still believed aboard,
   those to be served last first (a guest takes the dish of the table the robot
   stands at, not one meant for a table further on); loads beyond them are
   unknown ones on free trays.

A load matched nowhere never becomes tray ``""``: it is put on a free tray of the
robot, or, with every tray taken, counted as surplus for the caller to report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fleet.vda import Load


@dataclass(frozen=True, slots=True)
class TrayMatch:
    """A report matched: ``trays`` maps each occupied tray slot to the dish on it (or
    the vehicle's own load id, or "" when nothing names it); ``surplus`` counts the
    loads that found no tray (a vehicle reporting more loads than it has trays)."""

    trays: dict[str, str]
    surplus: int = 0


def match_loads(loads: Sequence[Load], slots: Sequence[str],
                aboard: Sequence[tuple[str, str]]) -> TrayMatch:
    """Match ``loads`` (as reported) to the robot's tray ``slots``. ``aboard`` is what
    the controller believes is on (or about to be put on) the robot: (tray, dish id)
    pairs in the order the dishes leave it; a tray not among ``slots`` (unknown
    after a restart) is matched by id or count only."""
    trays: dict[str, str] = {}
    expected = {tray: dish for tray, dish in aboard if tray in slots}
    rest: list[Load] = []
    for load in loads:
        position = load.load_position
        if position in slots and position not in trays:
            trays[position] = expected.get(position) or load.load_id
        else:
            rest.append(load)
    unmatched = [(tray, dish) for tray, dish in aboard if tray not in trays]
    anonymous: list[Load] = []
    surplus = 0
    for load in rest:
        hit = next((pair for pair in unmatched if load.load_id and pair[1] == load.load_id),
                   None)
        if hit is None:
            anonymous.append(load)
            continue
        unmatched.remove(hit)
        slot = _slot_for(hit[0], slots, trays)
        if slot:
            trays[slot] = hit[1]
        else:
            surplus += 1
    for load in anonymous:
        if unmatched:
            tray, dish = unmatched.pop()  # the last to leave stays aboard longest
        else:
            tray, dish = "", load.load_id
        slot = _slot_for(tray, slots, trays)
        if not slot:
            surplus += 1
            continue
        trays[slot] = dish
    return TrayMatch(trays, surplus)


def _slot_for(tray: str, slots: Sequence[str], taken: dict[str, str]) -> str:
    """``tray`` if it is one of the robot's and free, else its first free slot; "" when
    every slot is taken."""
    if tray in slots and tray not in taken:
        return tray
    return next((s for s in slots if s not in taken), "")
