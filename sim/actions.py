"""What a simulated robot's actions do, and the VDA 5050 rules for running them.

Node actions run in list order when their node is reached: a HARD action runs
alone, SOFT ones run together, NONE ones also while driving; the robot drives
on only when no HARD or SOFT action is queued or running (§6.8).

Restaurant meanings (the brief's mapping):

- ``pick`` (``lhd`` = tray): staff load the tray (``World.staff_load_s``), then
  the load (``loadId``, ``loadType``) appears on it;
- ``drop`` (``lhd``): the robot presents the tray for about a second; when a
  later ``waitForTrigger`` of the same node covers that tray, the guest takes the
  dish then; otherwise staff unload it (dish return) and the load leaves with
  the drop;
- ``waitForTrigger`` (``trays``, fleet's own parameter: a minimal vehicle ignores
  it and waits on the trays presented at the node): finishes when the guest has
  taken the dishes
  (``World.guest_take_s``); when the guest is absent (``World.guest_absent``)
  it stays RUNNING until the controller cancels the order;
- ``finePositioning``: about 2 s; ``startCharging``: charging starts when the
  robot stands on a charger's cell (FAILED with ``noCharger`` elsewhere) and
  runs until full or ``stopCharging``, or the robot drives off.

Instant actions: ``startPause``/``stopPause``, ``cancelOrder`` (§6.6.3: queued
and running order actions FAILED, nodes cleared, RUNNING until the robot stands
still, then FINISHED; FAILED with ``noOrderToCancel`` when there is no order),
``startCharging``/``stopCharging``, ``stateRequest``, ``factsheetRequest``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from fleet.floor.model import PlaceKind
from fleet.vda import Action, ActionState, ActionStatus, BlockingType, Load

if TYPE_CHECKING:
    from sim.acceptance import Step
    from sim.robot import SimRobot

_RUNNING = ActionStatus.RUNNING
_WAITING = ActionStatus.WAITING


def _tray_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, Iterable):
        return [str(t) for t in value]
    return []


class ActionRunner:
    """Runs one robot's node and instant actions. See the module docstring."""

    def __init__(self, robot: SimRobot) -> None:
        self.robot = robot
        self.states: dict[str, ActionState] = {}
        self._order_ids: set[str] = set()
        self._queue: deque[Action] = deque()
        self._running: dict[str, tuple[Action, asyncio.TimerHandle | None]] = {}
        self._cancelling: list[Action] = []
        self._cancelled = False
        self._presented: list[str] = []
        """Trays the drops at the current node presented to the guest."""
        self._chargers = frozenset(
            c for p in robot.plan.places_of(PlaceKind.CHARGER) for c in p.cells)

    # -- the robot asks ---------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return any(not s.status.done for s in self.states.values())

    @property
    def blocks_driving(self) -> bool:
        if self._queue:
            return True
        return any(a.blocking_type is not BlockingType.NONE for a, _ in self._running.values())

    def new_order(self, steps: list[Step]) -> None:
        """A new order: keep only running instant actions, list the order's as WAITING."""
        self.states = {i: s for i, s in self.states.items()
                       if i not in self._order_ids and not s.status.done}
        self._order_ids = set()
        self._cancelled = False
        self._queue.clear()
        self.extend(steps)

    def extend(self, steps: list[Step]) -> None:
        for step in steps:
            for action in step.node.actions:
                self._order_ids.add(action.action_id)
                self._set(action, _WAITING)

    def forget(self, action_ids: Iterable[str]) -> None:
        """Actions of horizon nodes an order update took away: no longer the robot's."""
        for action_id in action_ids:
            state = self.states.get(action_id)
            if state is not None and state.status is ActionStatus.WAITING:
                del self.states[action_id]
                self._order_ids.discard(action_id)

    def node_reached(self, step: Step) -> None:
        self._presented = []
        if step.node.actions:
            self._queue.extend(step.node.actions)
            self._pump()

    def stopped(self) -> None:
        """The robot stands still after a cancelOrder caught it between nodes."""
        for action in self._cancelling:
            self._set(action, ActionStatus.FINISHED)
        self._cancelling.clear()

    def close(self) -> None:
        for _, handle in self._running.values():
            if handle is not None:
                handle.cancel()

    # -- bookkeeping ------------------------------------------------------------------
    def _set(self, action: Action, status: ActionStatus, why: str = "") -> None:
        self.states[action.action_id] = ActionState(action.action_id, status,
                                                    action.action_type, why)
        self.robot.changed()

    def _pump(self) -> None:
        queue = self._queue
        while queue:
            kinds = {a.blocking_type for a, _ in self._running.values()}
            if BlockingType.HARD in kinds:
                return
            action = queue[0]
            if action.blocking_type is BlockingType.HARD and BlockingType.SOFT in kinds:
                return
            queue.popleft()
            self._start(action)
            if action.blocking_type is BlockingType.HARD and action.action_id in self._running:
                return  # a HARD action that failed at once holds nothing up

    def _after(self, action: Action, seconds: float | None,
               effect: Callable[[], None] | None = None) -> None:
        """Run ``action`` for ``seconds`` (None: until cancelled), then apply ``effect``."""
        handle = None
        if seconds is not None:
            loop = self.robot.loop
            handle = loop.call_at(loop.time() + seconds, self._finish, action, effect)
        self._running[action.action_id] = (action, handle)
        self._set(action, _RUNNING)

    def _finish(self, action: Action, effect: Callable[[], None] | None) -> None:
        self._running.pop(action.action_id, None)
        if effect is not None:
            effect()
        self._set(action, ActionStatus.FINISHED)
        self._pump()
        self.robot.advance()

    def _fail(self, action: Action, why: str) -> None:
        self._set(action, ActionStatus.FAILED, why)

    # -- what each action does ----------------------------------------------------------
    def _start(self, action: Action) -> None:
        robot = self.robot
        world = robot.world
        kind = action.action_type
        params = action.parameters
        tray = str(params.get("lhd", ""))
        if kind == "pick":
            if tray not in robot.trays:
                self._fail(action, f"no tray {tray!r} (trays: {', '.join(robot.trays)})")
            elif tray in robot.loads:
                self._fail(action, f"{tray} already holds {robot.loads[tray].load_id}")
            else:
                load = Load(tray, str(params.get("loadId", "")),
                            str(params.get("loadType", "dish")))
                self._after(action, world.staff_load_s(), lambda: self._load(load))
        elif kind == "drop":
            if tray not in robot.loads:
                self._fail(action, f"{tray or 'lhd'}: nothing to drop")
            elif self._guest_takes(tray):
                self._presented.append(tray)
                self._after(action, robot.rng.uniform(0.8, 1.2))
            else:
                self._after(action, world.staff_load_s(), lambda: self._unload([tray]))
        elif kind == "waitForTrigger":
            trays = (self._presented if robot.minimal else _tray_list(params.get("trays"))
                     ) or sorted(robot.loads)
            if world.guest_absent():
                self._after(action, None)
            else:
                self._after(action, world.guest_take_s(), lambda: self._unload(trays))
        elif kind == "finePositioning":
            self._after(action, robot.rng.uniform(1.5, 2.5))
        elif kind == "startCharging":
            if robot.cell in self._chargers:
                self._after(action, 0.5, lambda: robot.set_charging(True))
            else:
                self._fail(action, "not on a charger")
                robot.add_error("noCharger", f"startCharging away from a charger at "
                                f"r{robot.cell[0]}c{robot.cell[1]}", action_id=action.action_id)
        elif kind == "stopCharging":
            self._after(action, 0.0, lambda: robot.set_charging(False))
        else:
            self._fail(action, f"{kind} is not supported")

    def _guest_takes(self, tray: str) -> bool:
        for later in self._queue:
            if later.action_type == "waitForTrigger":
                if self.robot.minimal:
                    return True
                trays = _tray_list(later.parameters.get("trays"))
                return not trays or tray in trays
        return False

    def _load(self, load: Load) -> None:
        self.robot.loads[load.load_position] = load
        self.robot.changed()

    def _unload(self, trays: list[str]) -> None:
        for tray in trays:
            self.robot.loads.pop(tray, None)
        self.robot.changed()

    # -- instant actions ------------------------------------------------------------------
    def instant(self, action: Action) -> None:
        robot = self.robot
        kind = action.action_type
        done = ActionStatus.FINISHED
        if kind in ("startPause", "stopPause"):
            robot.set_paused(kind == "startPause")
            self._set(action, done)
        elif kind == "cancelOrder":
            self._cancel(action)
        elif kind in ("startCharging", "stopCharging"):
            self._start(action)
        elif kind == "stateRequest":
            self._set(action, done)
            robot.request_state()
        elif kind == "factsheetRequest":
            self._set(action, done)
        else:
            self._fail(action, f"{kind} is not an instant action this robot knows")
            robot.add_error("instantActionError", f"unsupported instant action {kind}",
                            action_id=action.action_id)

    def _cancel(self, action: Action) -> None:
        robot = self.robot
        open_actions = [i for i in self._order_ids if not self.states[i].status.done]
        has_order = robot.track.has_nodes or robot.moving or bool(open_actions)
        if self._cancelled or not has_order:
            self._fail(action, "no order to cancel")
            robot.add_error("noOrderToCancel", "cancelOrder without an order",
                            action_id=action.action_id)
            return
        self._cancelled = True
        self._queue.clear()
        for action_id in sorted(open_actions):
            running = self._running.pop(action_id, None)
            if running is not None and running[1] is not None:
                running[1].cancel()
            state = self.states[action_id]
            self.states[action_id] = ActionState(action_id, ActionStatus.FAILED,
                                                 state.action_type, "order cancelled")
        robot.track.clear()
        if robot.moving:
            self._cancelling.append(action)
            self._set(action, _RUNNING)
        else:
            self._set(action, ActionStatus.FINISHED)
            robot.advance()
