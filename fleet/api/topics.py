"""The fleet API's topic plan, built and parsed in one place.

Everything lives under ``fleet/v1/{site}/``::

    status               retained ControllerStatus (last will: offline)
    floor                retained FloorView
    summary              retained Summary, about once a second
    robots/{serial}      retained RobotView, on change
    orders/{order_id}    retained OrderView, on change; cleared after it closes
    alerts               retained Alerts
    events               EventView stream, QoS 1, not retained
    pos/{client_id}      requests from a POS or kitchen display (order intake only)
    manager/{client_id}  requests from a manager's client (every command)
    reply/{client_id}    replies to both, QoS 1

Names that become a topic level may not hold '/', '+' or '#' (nor be empty):
they would change which topics a subscription matches. Broker ACLs can then
grant a till ``pos/{its id}`` and ``reply/{its id}`` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fleet.errors import ProtocolError

ROOT = "fleet/v1"

Role = Literal["pos", "manager"]
ROLES: tuple[Role, ...] = ("pos", "manager")

StateKind = Literal["status", "floor", "summary", "robot", "order", "alerts", "events"]


def check_level(name: str, what: str) -> str:
    """``name`` if it can be one topic level, else ``ProtocolError`` saying why."""
    if not name:
        raise ProtocolError(f"{what} is empty; it must be one topic level")
    bad = sorted({c for c in name if c in "/+#\0"})
    if bad:
        raise ProtocolError(f"{what} {name!r} contains {' '.join(repr(c) for c in bad)}; "
                            "a topic level may not hold '/', '+', '#' or NUL")
    return name


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one site."""

    site: str

    def __post_init__(self) -> None:
        check_level(self.site, "site id")

    @property
    def prefix(self) -> str:
        return f"{ROOT}/{self.site}"

    # -- state ------------------------------------------------------------------------
    @property
    def status(self) -> str:
        return f"{self.prefix}/status"

    @property
    def floor(self) -> str:
        return f"{self.prefix}/floor"

    @property
    def summary(self) -> str:
        return f"{self.prefix}/summary"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}/alerts"

    @property
    def events(self) -> str:
        return f"{self.prefix}/events"

    def robot(self, serial: str) -> str:
        return f"{self.prefix}/robots/{check_level(serial, 'robot serial')}"

    def order(self, order_id: str) -> str:
        return f"{self.prefix}/orders/{check_level(order_id, 'order id')}"

    @property
    def robots_filter(self) -> str:
        return f"{self.prefix}/robots/+"

    @property
    def orders_filter(self) -> str:
        return f"{self.prefix}/orders/+"

    # -- requests and replies ---------------------------------------------------------
    def request(self, role: Role, client_id: str) -> str:
        return f"{self.prefix}/{role}/{check_level(client_id, 'client id')}"

    def reply(self, client_id: str) -> str:
        return f"{self.prefix}/reply/{check_level(client_id, 'client id')}"

    def request_filters(self) -> list[str]:
        return [f"{self.prefix}/{role}/+" for role in ROLES]

    # -- parsing ----------------------------------------------------------------------
    def parse_request(self, topic: str) -> tuple[Role, str]:
        """(role, client id) of a request topic; ``ProtocolError`` for any other topic."""
        role, name = self._split(topic, ("pos", "manager"))
        return ("pos" if role == "pos" else "manager"), name

    def parse_state(self, topic: str) -> tuple[StateKind, str | None]:
        """Which state a topic carries, and the robot serial or order id it names."""
        rest = self._rest(topic)
        if rest in ("status", "floor", "summary", "alerts", "events"):
            kind: StateKind = rest  # type: ignore[assignment]
            return kind, None
        level, name = self._split(topic, ("robots", "orders"))
        return ("robot" if level == "robots" else "order"), name

    def _rest(self, topic: str) -> str:
        head = self.prefix + "/"
        if not topic.startswith(head):
            raise ProtocolError(f"topic {topic!r} is not under {head}")
        return topic[len(head):]

    def _split(self, topic: str, levels: tuple[str, ...]) -> tuple[str, str]:
        parts = self._rest(topic).split("/")
        if len(parts) != 2 or parts[0] not in levels or not parts[1]:
            raise ProtocolError(f"topic {topic!r} is not one of "
                                f"{', '.join(f'{self.prefix}/{lv}/<name>' for lv in levels)}")
        return parts[0], parts[1]
