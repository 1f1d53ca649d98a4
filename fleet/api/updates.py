"""What a fleet API client hands its user: typed updates, and the seam the
dashboard reads them through.

An update is either one of the state messages of ``fleet.api.messages`` as it
arrived (``ControllerStatus``, ``FloorView``, ``Summary``, ``RobotView``,
``OrderView``, ``Alerts``, ``EventView``) or one of the two facts below that no
message carries by itself: an order's retained state was cleared, and the link
to the broker went down or came back. ``FleetMirror`` folds them into the
present; ``FleetClient`` (MQTT) produces them; a test can produce them by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from fleet.api.messages import (
    Alerts,
    ClientCommand,
    ControllerStatus,
    EventView,
    FloorView,
    OrderView,
    Reply,
    RobotView,
    Summary,
)
from fleet.errors import FleetError


class NoReplyError(FleetError):
    """Raised by ``FleetSource.request`` when the controller did not answer in time
    (it is down, the broker is unreachable, or the request was lost on the way)."""


@dataclass(frozen=True, slots=True)
class OrderCleared:
    """The controller dropped a closed order from the retained state (an empty
    retained message on ``orders/{order_id}``)."""

    order_id: str


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """The client's connection to the broker went down (``up=False``) or came back.

    After ``up=True`` the retained state is delivered again (a resync); until then
    what a mirror holds may be stale. ``reason`` is for people ("broker lost:
    connection refused")."""

    up: bool
    reason: str = ""


Update = (ControllerStatus | FloorView | Summary | RobotView | OrderView | Alerts | EventView
          | OrderCleared | LinkChanged)
STATE_UPDATES: tuple[type, ...] = (ControllerStatus, FloorView, Summary, RobotView, OrderView,
                                    Alerts, EventView)


class FleetSource(Protocol):
    """Where a dashboard gets the fleet from, and sends the manager's commands to.

    ``FleetClient`` implements it over MQTT; tests may implement it in memory.
    """

    def updates(self) -> AsyncIterator[Update]:
        """Every update in arrival order, starting with the retained present; ends
        when the source is closed. Broker loss and return come as ``LinkChanged``."""
        ...

    async def request(self, command: ClientCommand, *, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        """Send one command and wait for its reply; raises ``NoReplyError``
        (a ``FleetError``) when the controller does not answer within ``timeout``
        seconds. A refusal is a ``Reply`` with ``ok=False``, not an exception."""
        ...
