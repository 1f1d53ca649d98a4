"""The one error root of the project, with a branch per area.

Callers catch the branch they can act on; the CLI catches ``FleetError`` and
prints its message, which always says what went wrong and where.

    FleetError
    ├── ConfigError          a config file or FLEET_* variable is wrong
    ├── FloorPlanError       a floor plan cannot be read or fails validation
    ├── RouteError           no route exists, or a route request names no place
    ├── LinkError            a robot link cannot deliver a message (closed, down)
    ├── ProtocolError        a message on a wire is malformed or breaks its protocol
    │                        (bad JSON, wrong types, wrong topic, too big, too deep)
    ├── OrderError           an order from the POS or a person is refused (unknown
    │                        table, duplicate id, more trays than any robot has)
    ├── CommandError         a manager's or the POS's command names something unknown
    │                        (robot, table, zone, order) or cannot be done now
    ├── StoreError           the order/event store cannot be opened, read or written
    ├── AccessError          the broker's users cannot be read or written, or a user
    │                        command is wrong (unknown role, duplicate or missing user)
    ├── ReportError          a report asks for what the store cannot answer (an unknown
    │                        dish, a time range that is malformed, empty or needs a
    │                        wall clock the store never recorded)
    ├── BenchmarkFileError   a benchmark instance (MovingAI .scen, LoRR .json/.agents/
    │                        .tasks) is missing or malformed
    └── TillLogError         a till's log given to ``fleet replay`` cannot be read or
                             has a bad row (missing column, unparsable time, unknown
                             table, ready before ordered)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class FleetError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(FleetError):
    """Raised when a config file or an environment override is missing, malformed or
    out of range; the message names the file (or variable) and the key."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a floor plan, located well enough for a person to fix it."""

    severity: Severity
    source: str
    message: str
    place: str | None = None
    at: tuple[float, float] | None = None

    def __str__(self) -> str:
        where = self.source
        if self.place:
            where += f": {self.place}"
        if self.at is not None:
            where += f" at ({self.at[0]:.2f}, {self.at[1]:.2f}) m"
        return f"{self.severity}: {where}: {self.message}"


class FloorPlanError(FleetError):
    """Raised when a floor plan cannot be parsed or has errors (not mere warnings).

    ``problems`` holds every finding, so a person fixes them all in one pass
    rather than one per run.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RouteError(FleetError):
    """Raised when a route is asked between places or cells that are unknown,
    blocked, or not connected."""


class LinkError(FleetError):
    """Raised by a robot link when a message certainly cannot be delivered now."""


class ProtocolError(FleetError):
    """Raised when a message from a robot or a peer cannot be taken as it is (not
    JSON, a field of the wrong type or missing, an unknown enum value, too large or
    too deep, sent on a topic that names another robot), or when a value cannot be
    put on the wire (NaN, a forbidden topic level). The message says what arrived
    where and which field is wrong, so a driver can log and count it and go on."""


class OrderError(FleetError):
    """Raised when an order is refused; the message says why in the guest's terms
    (unknown table T99, duplicate POS id, 5 trays but robots carry 3). ``dish`` is
    the 0-based index of the dish at fault, when one is; ``code`` a stable word for
    programs (``unknown_table``, ``duplicate``, ``refused``) and ``field`` the
    request field at fault (``table``, ``dishes[1].pass_place``), so the fleet API
    answers with both without reading the words."""

    def __init__(self, message: str, *, dish: int | None = None, code: str = "refused",
                 field: str | None = None) -> None:
        super().__init__(message)
        self.dish = dish
        self.code = code
        self.field = field if field is not None or dish is None else f"dishes[{dish}]"


class CommandError(FleetError):
    """Raised when a command (pause a robot, block a table, re-prioritise an order ...)
    names something the site does not have, or cannot be carried out now. ``code``
    is a stable word for programs (``unknown_robot``, ``unknown_table``,
    ``unknown_zone``, ``unknown_order``, ``refused``) and ``field`` the request field
    at fault, so the fleet API can answer with both."""

    def __init__(self, message: str, *, code: str = "refused", field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class StoreError(FleetError):
    """Raised when the store cannot be opened, read or written (names the file), or is
    used after ``close()``."""


class AccessError(FleetError):
    """Raised by ``fleet users`` and at start-up when the site's broker users (in the
    state folder) cannot be read or written, or a command names an unknown role, a user
    that exists already or one that does not; the message names the file or the user."""


class ReportError(FleetError):
    """Raised when ``fleet report`` is asked for a dish the store never saw or a time
    range it cannot place; the message names the store and what it does hold."""


class BenchmarkFileError(FleetError):
    """Raised when a benchmark instance file cannot be read or is malformed; the message
    names the file and, where there is one, the line."""


class TillLogError(FleetError):
    """Raised when a till's log (``fleet replay``) cannot be replayed: the file is
    missing or not CSV, a required column is missing, or a row has a time that cannot
    be read, a table the floor plan does not have, or a dish ready before it was
    ordered. The message is one line naming the file, the line and the column."""
