"""What the controller core asks the runtime to do. The core returns these
instead of doing I/O, so it runs the same under a simulator, a test, or real
links."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.vda import Action, Order


@dataclass(frozen=True, slots=True)
class SendOrder:
    serial: str
    order: Order


@dataclass(frozen=True, slots=True)
class SendInstantActions:
    serial: str
    actions: tuple[Action, ...]


Command = SendOrder | SendInstantActions
