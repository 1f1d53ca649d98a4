"""The fleet API's messages: what the POS, the kitchen display and the dashboard
exchange with the controller, as JSON over MQTT under ``fleet/v1/{site}/``.

One msgspec type per message. Decoding is strict (unknown fields, wrong types and
out-of-range values are refused), so a request is either a well-formed value or
a ``ProtocolError`` naming the field; the JSON schemas in ``docs/api/`` are
generated from these types, so the document and the code cannot drift.

Requests carry a ``request_id`` chosen by the client; every request gets exactly
one ``Reply`` with the same id on the client's reply topic. Submitting an order
is idempotent by the POS's ``order_id``: the same order again is acknowledged as
a duplicate, a different order under a used id is refused.

State is retained, so a client that connects late sees the present at once:
``status`` (the controller online or not, with a last will), ``floor`` (the
plan, drawn), ``summary`` (the header figures), ``robots/{serial}``,
``orders/{order_id}`` (cleared with an empty retained message some minutes after
the order closes) and ``alerts``. ``events`` is a stream, not retained.

Times (``at``, ``ready_at``, ``now`` ...) are seconds on the site's clock, which
is Unix time in production and runs ``speed`` times faster in a simulation; a
client measures ages against ``Summary.now``, never against its own clock.

Long because it is the API's schema: one type per message, from which the JSON
schemas in ``docs/api/`` are generated; a client's implementer reads it as one list.
"""

from __future__ import annotations

import inspect
import json
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

API_VERSION = "1.0"

NAME_PATTERN = r"^[^\W_][\w .:-]*$"
"""Letters and digits of any script (a Korean restaurant names a table 창가1),
then those, spaces, ``_ . : -``; never ``/ + #`` (a name may be a topic level)."""
ORDER_ID_PATTERN = r"^[^\W_][\w.:-]*$"
NAME_RULE = ("a name starts with a letter or digit (any language) and goes on with "
             "letters, digits, spaces and _ . : - (not / + #), 64 characters at most")
Name = Annotated[str, Meta(min_length=1, max_length=64, pattern=NAME_PATTERN,
                           description="A table, robot, zone or place name as the site "
                                       "names it (no '/', '+' or '#': it may be a topic level)")]
ROBOT_PATTERN = r"^[^\W_][\w .:@-]*$"
RobotKey = Annotated[str, Meta(min_length=1, max_length=129, pattern=ROBOT_PATTERN,
                               description="A robot's key on the site: its VDA 5050 serial "
                                           "number, or serial@manufacturer for a serial "
                                           "robots of two manufacturers share")]
OrderId = Annotated[str, Meta(min_length=1, max_length=64, pattern=ORDER_ID_PATTERN,
                              description="The POS's own order id; also a topic level")]
RequestId = Annotated[str, Meta(min_length=1, max_length=64,
                                description="Chosen by the client; echoed in the reply")]
Text = Annotated[str, Meta(max_length=200)]
Priority = Literal["normal", "high"]


class _Msg(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=False):
    pass


# -- requests: POS / kitchen display -------------------------------------------------
class DishSpec(_Msg, kw_only=True):
    """One dish, one tray's worth unless ``trays`` says more."""

    name: Annotated[str, Meta(min_length=1, max_length=64)]
    trays: Annotated[int, Meta(ge=1, le=8)] = 1
    pass_place: Name | None = None
    """The pass it is picked up at (a food-court stall); None: the site's only pass."""


class SubmitOrder(_Msg, kw_only=True, tag="submitOrder"):
    order_id: OrderId
    table: Name
    dishes: Annotated[list[DishSpec], Meta(min_length=1, max_length=40)]
    priority: Priority = "normal"
    note: Text = ""
    party: Annotated[int, Meta(ge=0, le=100)] = 0
    ready: bool = False
    """The dishes are already on the pass (a kitchen display that submits late)."""


class MarkReady(_Msg, kw_only=True, tag="markReady"):
    order_id: OrderId
    dishes: Annotated[list[Annotated[int, Meta(ge=1)]], Meta(max_length=40)] | None = None
    """1-based dish numbers as on the ticket; None: every dish of the order."""


class ExpectReady(_Msg, kw_only=True, tag="expectReady"):
    """When the kitchen expects dishes still cooking on the pass (a display that
    knows each dish's cook time): a robot about to leave for their table may wait a
    few seconds for them rather than leave them a trip of their own. Seconds from
    now, not a time of day, so a till's clock need not agree with the site's."""

    order_id: OrderId
    dishes: Annotated[list[Annotated[int, Meta(ge=1)]], Meta(max_length=40)] | None = None
    """1-based dish numbers as on the ticket; None: every dish of the order."""
    in_s: Annotated[float, Meta(ge=0, le=7200, description="Seconds from now until the "
                                "dishes are expected on the pass (at most two hours)")]


class CancelOrder(_Msg, kw_only=True, tag="cancelOrder"):
    order_id: OrderId
    reason: Text = "cancelled"


class SetPriority(_Msg, kw_only=True, tag="setPriority"):
    order_id: OrderId
    priority: Priority


class RequestBussing(_Msg, kw_only=True, tag="requestBussing"):
    table: Name


# -- requests: the floor manager ------------------------------------------------------
class PauseRobot(_Msg, kw_only=True, tag="pauseRobot"):
    serial: RobotKey


class ResumeRobot(_Msg, kw_only=True, tag="resumeRobot"):
    serial: RobotKey


class StopAll(_Msg, kw_only=True, tag="stopAll"):
    """Pause every robot where it stands (the floor's e-stop, in software)."""

    reason: Text = ""


class ReleaseAll(_Msg, kw_only=True, tag="releaseAll"):
    pass


class SendToCharge(_Msg, kw_only=True, tag="sendToCharge"):
    serial: RobotKey


class SendToDock(_Msg, kw_only=True, tag="sendToDock"):
    serial: RobotKey


class BlockTable(_Msg, kw_only=True, tag="blockTable"):
    """No robot is sent to the table (a spill, a party that asked not to be served by
    robot); its dishes wait until it is unblocked or staff take them."""

    table: Name
    reason: Text = ""


class ServedByStaff(_Msg, kw_only=True, tag="servedByStaff"):
    """Staff carried the table's dishes waiting at the pass (ready, or given to a robot
    that has not loaded them): they end as served by staff, and robots drop them.
    From the manager, or a kitchen display at the pass."""

    table: Name
    reason: Text = ""


class UnblockTable(_Msg, kw_only=True, tag="unblockTable"):
    table: Name


class BlockZone(_Msg, kw_only=True, tag="blockZone"):
    """Keep robots out of a zone of the plan, or of an area given as ``rect``
    ``[x0, y0, x1, y1]`` in metres under a new name (a spill, a high chair)."""

    zone: Name
    rect: Annotated[list[float], Meta(min_length=4, max_length=4)] | None = None
    reason: Text = ""


class UnblockZone(_Msg, kw_only=True, tag="unblockZone"):
    zone: Name


class AcknowledgeAlert(_Msg, kw_only=True, tag="acknowledgeAlert"):
    alert_id: Annotated[int, Meta(ge=1)]


class RecentEvents(_Msg, kw_only=True, tag="recentEvents"):
    """The last ``limit`` events from the controller's store, in the reply's
    ``events``: what a dashboard opened mid-shift (or back after a broker outage)
    missed, since ``events`` is a stream and not retained."""

    limit: Annotated[int, Meta(ge=1, le=500)] = 200
    leave_out: Annotated[list[Annotated[str, Meta(min_length=1, max_length=64)]],
                         Meta(max_length=20)] = []
    """Event kinds not wanted: a live log leaves out ``RobotPhaseChanged``, a robot's
    trace every few seconds, which would fill the ``limit`` with little to read."""


class DishHistory(_Msg, kw_only=True, tag="dishHistory"):
    """Every event of one dish (ordered, ready, assigned, loaded, each stop of its
    trips, served or failed and why), in the reply's ``events``: what a manager reads
    when a guest asks where their food went. The same story ``fleet report dish``
    tells from the store."""

    dish_id: Annotated[str, Meta(min_length=3, max_length=80, pattern=r"^[^/]+/\d+$",
                                 description="ORDER/N, the dish's id in every view")]


PosCommand = (SubmitOrder | MarkReady | ExpectReady | CancelOrder | SetPriority | RequestBussing
              | ServedByStaff)
ManagerCommand = (PauseRobot | ResumeRobot | StopAll | ReleaseAll | SendToCharge | SendToDock
                  | BlockTable | UnblockTable | BlockZone | UnblockZone | AcknowledgeAlert
                  | RecentEvents | DishHistory)
ClientCommand = (SubmitOrder | MarkReady | ExpectReady | CancelOrder | SetPriority | RequestBussing
                 | ServedByStaff | PauseRobot | ResumeRobot | StopAll | ReleaseAll | SendToCharge
                 | SendToDock | BlockTable | UnblockTable | BlockZone | UnblockZone
                 | AcknowledgeAlert | RecentEvents | DishHistory)
"""What a client (till, kitchen display, manager) asks of the controller; not the
controller's own commands to robots (``fleet.controller.commands.Command``)."""
POS_COMMANDS: tuple[type[Struct], ...] = (SubmitOrder, MarkReady, ExpectReady, CancelOrder,
                                          SetPriority, RequestBussing, ServedByStaff)
"""What a POS or kitchen display may send on ``pos/{client}``; the manager's topic
takes these and the rest."""


class Request(_Msg, kw_only=True):
    request_id: RequestId
    command: ClientCommand
    site: Name | None = None
    """When given, it must be the site the controller serves (a misrouted request is
    refused rather than carried out on the wrong floor)."""
    version: str = API_VERSION


ErrorCode = Literal["malformed", "not_allowed", "wrong_site", "unknown_table", "unknown_robot",
                    "unknown_order", "unknown_zone", "unknown_alert", "duplicate", "too_large",
                    "refused", "unavailable"]


class ApiError(_Msg, kw_only=True):
    code: ErrorCode
    message: str
    field: str | None = None
    """The request field at fault, as a JSON path (``$.command.table``)."""


class Reply(_Msg, kw_only=True):
    request_id: str | None
    """None only when the request was too malformed to carry one."""
    ok: bool
    result: str = ""
    """What was done, in plain words."""
    error: ApiError | None = None
    duplicate: bool = False
    """An order already taken under this id, with the same content: nothing new done."""
    at: float = 0.0
    events: list[EventView] = []
    """Events a request asked for (``recentEvents``, ``dishHistory``), oldest first;
    empty otherwise."""


# -- state: retained -----------------------------------------------------------------
class ControllerStatus(_Msg, kw_only=True):
    online: bool
    site: str
    name: str = ""
    run_id: str = ""
    version: str = API_VERSION
    speed: float = 1.0
    """How fast the site's clock runs against the wall (1 in production)."""
    at: float = 0.0
    stopped: bool = False
    """Offline because it was stopped on purpose (the service ended, an operator
    stopped it); False while online, and when it went away unannounced (the
    broker's last will: a crash, a lost network)."""


class PlaceView(_Msg, kw_only=True):
    name: str
    kind: str
    """table, pass, dish_return, charger, parking, host_stand"""
    spots: list[tuple[float, float]]
    outline: list[tuple[float, float]] = []
    seats: int = 0


class ZoneView(_Msg, kw_only=True):
    name: str
    kind: str
    """keep_out, slow, one_way, or blocked (by the manager)"""
    rows: list[str]
    """The zone's mask over the whole grid, one string per row: '#' inside."""


class FloorView(_Msg, kw_only=True):
    name: str
    resolution: float
    origin: tuple[float, float]
    rows: int
    cols: int
    grid: list[str]
    """One string per row, north first: '#' obstacle, '.' floor a robot fits, ' ' floor
    too tight for one."""
    places: list[PlaceView]
    zones: list[ZoneView] = []


class TripView(_Msg, kw_only=True):
    trip_id: str
    kind: str
    """serve, bus, charge, park"""
    stops: list[str]
    next_stop: int
    dishes: list[str] = []


class Words(_Msg, kw_only=True):
    """A sentence for a person, as data: ``key`` is its English template (``{name}``
    placeholders), ``args`` fill them, each text or words in turn. A client renders
    it in its own language from its catalogue (``fleet.words``), or shows the English
    text sent beside it."""

    key: str
    args: dict[str, str | Words] = {}


class RobotView(_Msg, kw_only=True):
    serial: str
    manufacturer: str = ""
    model: str = ""
    mode: str
    """idle, working, charging, paused, e-stopped, fault, manual, offline"""
    online: bool
    x: float | None = None
    y: float | None = None
    theta: float | None = None
    battery: float = 0.0
    charging: bool = False
    trays: int = 0
    loads: list[str] = []
    """Dish ids on its trays (or load ids the controller does not know)."""
    trip: TripView | None = None
    doing: str = ""
    """Plain words: "to table 7 with 2 dishes", "charging, 64 %"."""
    waiting: str = ""
    """Plain words for why it is not moving, "" when it is not waiting."""
    doing_words: Words | None = None
    """``doing`` as words to render in the reader's language."""
    waiting_words: Words | None = None
    """``waiting`` as words to render in the reader's language."""
    route: list[tuple[float, float]] = []
    """Released nodes ahead of it, in metres."""
    horizon: list[tuple[float, float]] = []
    """Planned but not yet released, in metres."""
    paused_by_manager: bool = False
    errors: list[str] = []
    at: float = 0.0


class DishView(_Msg, kw_only=True):
    dish_id: str
    name: str
    state: str
    """received, ready, assigned, loaded, on_the_way, at_table, served, cancelled, failed"""
    trays: int = 1
    robot: str | None = None
    ready_at: float | None = None
    at_table_at: float | None = None
    served_at: float | None = None
    reason: str = ""


class OrderView(_Msg, kw_only=True):
    order_id: str
    table: str
    priority: Priority = "normal"
    note: str = ""
    party: int = 0
    created_at: float
    open: bool
    dishes: list[DishView]


class Summary(_Msg, kw_only=True):
    site: str
    name: str = ""
    now: float
    speed: float = 1.0
    robots: int
    active: int
    """Robots on a trip."""
    idle: int
    charging: int
    paused: int
    faulted: int
    """Faulted, e-stopped or in manual mode: a person must look."""
    offline: int
    dishes_waiting: int
    """Ready at the pass, not yet on a robot."""
    dishes_on_robots: int
    oldest_wait_s: float | None = None
    mean_wait_15min_s: float | None = None
    """Mean ready -> at the table over dishes that reached their table in the last 15 min."""
    served_15min: int = 0
    open_orders: int = 0
    blocked_tables: dict[str, str] = {}
    """table -> reason"""
    blocked_zones: dict[str, str] = {}
    stopped_all: bool = False
    deadlocks_broken: int = 0


AlertLevel = Literal["info", "warning", "critical"]


class AlertView(_Msg, kw_only=True):
    alert_id: int
    at: float
    level: AlertLevel
    kind: str
    """The event kind that raised it (RobotErrorReported, BatteryLow, ...)."""
    text: str
    words: Words | None = None
    """``text`` as words to render in the reader's language (its details, such as a
    robot's own error or the controller's reason, stay as they were written)."""
    robot: str | None = None
    order_id: str | None = None
    acknowledged: bool = False
    count: Annotated[int, Meta(ge=1)] = 1
    """How many times it was raised while open (the same alert again is counted, not
    repeated)."""
    last_at: float | None = None
    """When it was last raised."""


class Alerts(_Msg, kw_only=True):
    alerts: list[AlertView]
    """Open ones and those acknowledged lately, newest first."""


class EventView(_Msg, kw_only=True):
    kind: str
    at: float
    text: str = ""
    words: Words | None = None
    """``text`` as words to render in the reader's language; absent for an event the
    controller tells only as written (a detail in it may stay as written too)."""
    robot: str | None = None
    order_id: str | None = None
    dish_id: str | None = None
    trip_id: str | None = None


STATE_TYPES: dict[str, type[Struct]] = {
    "status": ControllerStatus, "floor": FloorView, "summary": Summary, "robot": RobotView,
    "order": OrderView, "alerts": Alerts, "event": EventView, "request": Request, "reply": Reply,
}
"""Every message by the name its schema file has in ``docs/api/``."""


def schema(kind: type[Struct]) -> dict[str, object]:
    """The JSON schema of one message (draft 2020-12), as ``docs/api/`` holds it."""
    out: dict[str, object] = normalise_schema(msgspec.json.schema(kind))
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return out


def normalise_schema(node: Any) -> Any:
    """The schema in one canonical form whatever msgspec release wrote it: every
    ``description`` dedented as ``inspect.cleandoc`` does (0.23 began doing so itself)
    and ``anyOf`` alternatives in a fixed order (releases list ``null`` first or last),
    so the files in ``docs/api`` do not change with the installed msgspec."""
    if isinstance(node, dict):
        out = {k: inspect.cleandoc(v) if k == "description" and isinstance(v, str)
               else normalise_schema(v) for k, v in node.items()}
        if isinstance(out.get("anyOf"), list):
            out["anyOf"] = sorted(out["anyOf"], key=lambda v: json.dumps(v, sort_keys=True))
        return out
    if isinstance(node, list):
        return [normalise_schema(v) for v in node]
    return node
