"""How one robot model's vehicles are asked to do the work at a stop (issue 13, D11).

Vehicles from other vendors do not all take the VDA 5050 actions fleet would use:
one names its loading action its own way, one has no guest wait at all. Each
model says, per piece of work, which ``actionType`` expresses it: the standard
one, a vendor's name for it, or "" for none. A piece of work with no action
(configured so, or missing from the vehicle's factsheet) is done by waiting at
the stop instead: until the trays report what the action would have shown, or,
on a robot that cannot sense its trays, ``dwell_s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ParamValue = str | float | bool
Pairs = tuple[tuple[str, tuple[tuple[str, ParamValue], ...]], ...]
"""Per role, (name, value) pairs: a hashable mapping of mappings."""

ROLES = ("pick", "drop", "serve_wait", "dock", "charge")
"""The pieces of work, as the config's ``actions`` table names them."""


@dataclass(frozen=True, slots=True)
class ActionProfile:
    pick: str = "pick"
    """Staff put a dish on a tray at the pass (and dirty dishes at a table)."""
    drop: str = "drop"
    """The robot presents a tray at a table (and has it emptied at the dish return)."""
    serve_wait: str = "waitForTrigger"
    """The robot waits at a table until the guest has taken the dishes."""
    dock: str = "finePositioning"
    """The robot docks precisely at a charger."""
    charge: str = "startCharging"
    """The robot starts charging on a charger ("": it charges on contact)."""
    dwell_s: float = 20.0
    """How long a stop waits in place of an action the vehicle does not take, when its
    trays cannot tell that the work is done."""
    extra: Pairs = ()
    """Per role, parameters sent with the action beside fleet's own (replacing one of
    the same name): what a vendor's action needs that fleet does not know."""
    names: Pairs = ()
    """Per role, fleet's parameter name -> the vendor's, for a vehicle that reads the
    same value under another key (``lhd`` as ``slot``)."""

    @staticmethod
    def pairs(table: Mapping[str, Mapping[str, ParamValue]]) -> Pairs:
        """``extra`` or ``names`` from a role -> {name: value} table."""
        return tuple(sorted((role, tuple(sorted(values.items())))
                            for role, values in table.items()))

    def parameters(self, role: str, standard: Mapping[str, object]) -> dict[str, object]:
        """The parameters sent for ``role``: fleet's own, renamed for the vendor, then
        the configured extra ones."""
        renames = {k: str(v) for k, v in dict(self.names).get(role, ())}
        out: dict[str, object] = {renames.get(k, k): v for k, v in standard.items()}
        out.update(dict(dict(self.extra).get(role, ())))
        return out

    def action_type(self, role: str) -> str:
        """The ``actionType`` for ``role`` (one of ``ROLES``); "" for none."""
        if role not in ROLES:
            raise ValueError(f"no action role {role!r}; known: {', '.join(ROLES)}")
        return str(getattr(self, role))

    def missing(self, supported: frozenset[str]) -> list[tuple[str, str]]:
        """(role, actionType) of the configured actions a vehicle that lists
        ``supported`` does not take; roles configured as none are not missing."""
        return [(role, kind) for role in ROLES
                if (kind := self.action_type(role)) and kind not in supported]

    def types(self) -> frozenset[str]:
        """Every action type the profile would send."""
        return frozenset(t for role in ROLES if (t := self.action_type(role)))
