"""Requests on the fleet API: strict decoding, and carrying a command out on the
controller.

Every refusal is an ``ApiError`` with a stable ``code`` and the request field at
fault as a JSON path, so a till can show "unknown table T99 ($.command.table)"
and a program can branch on the code. The controller is reached only through
``fleet.controller.port``; it checks tables and passes itself and refuses with
a code and field, which are mapped here, never read from the words. Robots and
orders named are checked before a command is carried out, so an unknown one
never half-does it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args

import msgspec

from fleet.api.alerts import AlertBook
from fleet.api.backlog import dish_events, recent_events
from fleet.api.messages import (
    API_VERSION,
    NAME_RULE,
    AcknowledgeAlert,
    ApiError,
    BlockTable,
    BlockZone,
    CancelOrder,
    ClientCommand,
    DishHistory,
    ErrorCode,
    EventView,
    ExpectReady,
    MarkReady,
    PauseRobot,
    RecentEvents,
    ReleaseAll,
    Request,
    RequestBussing,
    ResumeRobot,
    SendToCharge,
    SendToDock,
    ServedByStaff,
    SetPriority,
    StopAll,
    SubmitOrder,
    UnblockTable,
    UnblockZone,
)
from fleet.controller.commands import Command as RobotCommand
from fleet.controller.port import FleetPort
from fleet.domain import Order, Priority
from fleet.domain.orders import Dish, DishState
from fleet.errors import CommandError, OrderError
from fleet.intake import DishRequest, OrderRequest

MAX_PAYLOAD = 64 * 1024
"""Bytes; a request is a few hundred. Bigger is a mistake or an attack."""

_CODES = frozenset(get_args(ErrorCode))
_PATH = re.compile(r" - at `(\$[^`]*)`$")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]*)`")
_DECODER = msgspec.json.Decoder(Request)
_REQUEST_ID = re.compile(rb'"request_id"\s*:\s*"([A-Za-z0-9 ._:/+#-]{1,64})"')


class Refused(Exception):  # noqa: N818 - internal control flow, never escapes this package
    """A request refused with an ``ApiError``; turned into the reply by the service."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.error = ApiError(code=code, message=message, field=field)


@dataclass(frozen=True, slots=True)
class Done:
    """A command carried out: what to tell the client, what to send the robots."""

    result: str
    commands: list[RobotCommand]
    duplicate: bool = False
    events: tuple[EventView, ...] = ()
    """What a reading request (``recentEvents``, ``dishHistory``) asked for."""


def salvage_request_id(payload: bytes, *, max_payload: int = MAX_PAYLOAD) -> str | None:
    """The request id of a request that failed strict decoding, when one can be read
    (so the client can match the refusal to what it sent). An oversize payload is
    not parsed: the id is looked for near its start only."""
    if len(payload) > max_payload:
        match = _REQUEST_ID.search(payload[:1024])
        return match.group(1).decode() if match else None
    try:
        raw = msgspec.json.decode(payload)
    except (msgspec.DecodeError, RecursionError):  # nested past the decoder's depth
        match = _REQUEST_ID.search(payload[:1024])
        return match.group(1).decode() if match else None
    rid = raw.get("request_id") if isinstance(raw, dict) else None
    return rid if isinstance(rid, str) and 0 < len(rid) <= 64 else None


def decode(payload: bytes, *, max_payload: int = MAX_PAYLOAD) -> Request:
    """A request, or ``Refused`` naming the field at fault."""
    if len(payload) > max_payload:
        raise Refused("too_large", f"request of {len(payload)} bytes; at most {max_payload}",
                      "$")
    try:
        request = _DECODER.decode(payload)
    except msgspec.ValidationError as exc:
        text = str(exc)
        match = _PATH.search(text)
        path = match.group(1) if match else "$"
        unknown = _UNKNOWN_FIELD.search(text)
        if unknown:
            path = f"{path}.{unknown.group(1)}"
        if "matching regex" in text and path.endswith("dish_id"):
            text = "not a dish id: ORDER/N, the order's id and the dish's number in it"
        elif "matching regex" in text:
            # A person typed it: say the rule, not the regular expression.
            kind = "an order id" if path.endswith("order_id") else "a name"
            text = f"not {kind}: {NAME_RULE}"
        raise Refused("malformed", _PATH.sub("", text), path) from None
    except msgspec.DecodeError as exc:
        raise Refused("malformed", f"not JSON: {exc}", "$") from None
    except RecursionError:
        raise Refused("malformed", "nested too deeply", "$") from None
    major = API_VERSION.split(".")[0]
    if request.version.split(".")[0] != major:
        raise Refused("malformed", f"API version {request.version!r} not spoken here; this "
                      f"controller speaks {API_VERSION}", "$.version")
    return request


def tag_of(command: ClientCommand) -> str:
    """The command's name on the wire (``submitOrder``)."""
    return str(type(command).__struct_config__.tag)


class Executor:
    """Carries decoded commands out on one controller."""

    def __init__(self, fleet: FleetPort, alerts: AlertBook, *, epoch: float = 0.0) -> None:
        """``epoch``: site time minus the controller's, for the times of events read back."""
        self.fleet = fleet
        self.alerts = alerts
        self.epoch = epoch

    # -- name checks --------------------------------------------------------------------
    def _robot(self, serial: str) -> None:
        if not self.fleet.has_robot(serial):
            raise Refused("unknown_robot", f"unknown robot {serial!r}; robots: "
                          f"{', '.join(self.fleet.serials())}", "$.command.serial")

    def _order(self, order_id: str) -> Order:
        order = self.fleet.order(order_id)
        if order is None:
            raise Refused("unknown_order", f"unknown order {order_id!r}", "$.command.order_id")
        return order

    def _dish(self, dish_id: str) -> Dish:
        """A dish of the order book, or of the store (an order cleared from the book)."""
        order_id = dish_id.rsplit("/", 1)[0]
        order = self.fleet.order(order_id) or self.fleet.store.order(order_id)
        dish = next((d for d in order.dishes if d.dish_id == dish_id), None) if order else None
        if dish is None:
            raise Refused("unknown_order", f"unknown dish {dish_id!r}" + (
                f"; order {order_id} has {', '.join(d.dish_id for d in order.dishes)}"
                if order else ""), "$.command.dish_id")
        return dish

    # -- carrying out ---------------------------------------------------------------------
    def run(self, command: ClientCommand, now: float) -> Done:
        try:
            return self._run(command, now)
        except (CommandError, OrderError) as exc:
            code: ErrorCode = exc.code if exc.code in _CODES else "refused"  # type: ignore[assignment]
            field = exc.field
            if field is not None and not field.startswith("$"):
                field = f"$.command.{field}"
            raise Refused(code, str(exc), field) from None

    def _run(self, command: ClientCommand, now: float) -> Done:
        ctl = self.fleet.commands
        if isinstance(command, SubmitOrder):
            return self._submit(command, now)
        if isinstance(command, MarkReady):
            return self._mark_ready(command, now)
        if isinstance(command, ExpectReady):
            return self._expect_ready(command, now)
        if isinstance(command, CancelOrder):
            order = self._order(command.order_id)
            if not order.open:
                return Done(f"nothing to cancel: every dish of {command.order_id} is "
                            "served, cancelled or failed", [])
            left = sum(not d.state.final for d in order.dishes)
            out = ctl.cancel(command.order_id, command.reason, now)
            return Done(f"order {command.order_id} cancelled ({left} dish(es) not served)", out)
        if isinstance(command, SetPriority):
            self._order(command.order_id)
            prio = Priority.HIGH if command.priority == "high" else Priority.NORMAL
            out = ctl.set_priority(command.order_id, prio, now)
            return Done(f"order {command.order_id} now {command.priority} priority", out)
        if isinstance(command, ServedByStaff):
            self.fleet.check_table(command.table)
            try:
                out = ctl.served_by_staff(command.table, now, command.reason)
            except OrderError as exc:
                raise Refused("refused", str(exc), "$.command.table") from None
            return Done(f"dishes for {command.table} served by staff", out)
        if isinstance(command, RequestBussing):
            self.fleet.check_table(command.table)
            return Done(f"bussing requested at {command.table}",
                        ctl.request_bussing(command.table, now))
        if isinstance(command, PauseRobot | ResumeRobot | SendToCharge | SendToDock):
            self._robot(command.serial)
            if isinstance(command, PauseRobot):
                return Done(f"{command.serial} told to pause", ctl.pause(command.serial, now))
            if isinstance(command, ResumeRobot):
                return Done(f"{command.serial} told to resume", ctl.resume(command.serial, now))
            if isinstance(command, SendToCharge):
                return Done(f"{command.serial} sent to charge",
                            ctl.send_to_charge(command.serial, now))
            return Done(f"{command.serial} sent to its dock, off duty until resumed",
                        ctl.send_to_dock(command.serial, now))
        if isinstance(command, StopAll):
            return Done(f"all {len(self.fleet.serials())} robots told to stop",
                        ctl.stop_all(now))
        if isinstance(command, ReleaseAll):
            return Done(f"all {len(self.fleet.serials())} robots released",
                        ctl.release_all(now))
        if isinstance(command, BlockTable | UnblockTable):
            self.fleet.check_table(command.table)
            if isinstance(command, BlockTable):
                return Done(f"table {command.table} blocked: no robot is sent there",
                            ctl.block_table(command.table, command.reason, now))
            return Done(f"table {command.table} unblocked", ctl.unblock_table(command.table, now))
        if isinstance(command, BlockZone):
            rect = None
            if command.rect is not None:
                x0, y0, x1, y1 = command.rect
                if not (x0 < x1 and y0 < y1):
                    raise Refused("malformed", "rect is [x0, y0, x1, y1] with x0 < x1 and "
                                  "y0 < y1", "$.command.rect")
                rect = (x0, y0, x1, y1)
            out = ctl.block_zone(command.zone, command.reason, now, rect=rect)
            return Done(f"zone {command.zone} blocked: robots keep out", out)
        if isinstance(command, UnblockZone):
            return Done(f"zone {command.zone} unblocked", ctl.unblock_zone(command.zone, now))
        if isinstance(command, AcknowledgeAlert):
            return Done(self.alerts.acknowledge(command.alert_id), [])
        if isinstance(command, DishHistory):
            events = dish_events(self.fleet.store, self._dish(command.dish_id), self.epoch)
            return Done(f"{len(events)} event(s) of dish {command.dish_id}", [],
                        events=tuple(events))
        if isinstance(command, RecentEvents):
            events = recent_events(self.fleet.store, command.limit, self.epoch,
                                   command.leave_out)
            return Done(f"the last {len(events)} event(s)", [], events=tuple(events))
        raise Refused("malformed", f"command {type(command).__name__} is not carried out "
                      "by this controller", "$.command.type")  # pragma: no cover

    def _submit(self, command: SubmitOrder, now: float) -> Done:
        ctl = self.fleet.commands
        request = OrderRequest(
            order_id=command.order_id, table=command.table,
            dishes=tuple(DishRequest(d.name, d.trays, d.pass_place) for d in command.dishes),
            priority=Priority.HIGH if command.priority == "high" else Priority.NORMAL,
            note=command.note, party=command.party)
        known = ctl.take_back_order(command.order_id)
        out = ctl.submit(request, now)  # refused with a code and field (``run`` maps them)
        if known:
            return Done(f"order {command.order_id} was already taken; nothing new done", out,
                        duplicate=True)
        n = len(command.dishes)
        if command.ready:
            for i in range(n):
                out += ctl.mark_ready(command.order_id, i, now)
            return Done(f"order {command.order_id} for {command.table} taken, {n} dish(es) "
                        "ready", out)
        return Done(f"order {command.order_id} for {command.table} taken, {n} dish(es)", out)

    def _numbers(self, order: Order, dishes: list[int] | None) -> list[int]:
        """The 1-based dish numbers a command names (None: all), each one the order has."""
        count = len(order.dishes)
        numbers = dishes if dishes is not None else list(range(1, count + 1))
        for i, n in enumerate(numbers):
            if n > count:
                raise Refused("refused", f"order {order.order_id} has {count} dish(es); no "
                              f"dish {n}", f"$.command.dishes[{i}]")
        return numbers

    def _expect_ready(self, command: ExpectReady, now: float) -> Done:
        ctl = self.fleet.commands
        order = self._order(command.order_id)
        numbers = self._numbers(order, command.dishes)
        out: list[RobotCommand] = []
        told: list[str] = []
        for n in numbers:
            dish = order.dishes[n - 1]
            out += ctl.expect_ready(command.order_id, n - 1, command.in_s, now)
            if dish.expected_at is not None and dish.state is DishState.RECEIVED:
                told.append(str(n))
        if not told:
            return Done(f"nothing new: the dishes of {command.order_id} asked for are "
                        "already on the pass or past it", out)
        return Done(f"{command.order_id}: dish {', '.join(told)} expected ready in "
                    f"{command.in_s:.0f} s", out)

    def _mark_ready(self, command: MarkReady, now: float) -> Done:
        ctl = self.fleet.commands
        order = self._order(command.order_id)
        numbers = self._numbers(order, command.dishes)
        out: list[RobotCommand] = []
        marked: list[str] = []
        for n in numbers:
            before = order.dishes[n - 1].state
            out += ctl.mark_ready(command.order_id, n - 1, now)
            if order.dishes[n - 1].state is not before:
                marked.append(str(n))
        if not marked:
            return Done(f"nothing new: the dishes of {command.order_id} asked for were "
                        "already ready or past it", out)
        return Done(f"{command.order_id}: dish {', '.join(marked)} ready", out)
