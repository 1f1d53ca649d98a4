"""The manager's actions: one table for the keys, the help screen and the command
palette, so the three cannot disagree.

The palette lists every action, and for each robot its own commands ("Pause R3"),
so a manager who knows the robot's name need not find it in the table first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from fleet.api.messages import ClientCommand, PauseRobot, ResumeRobot, SendToCharge, SendToDock
from fleet.dashboard.language import _
from fleet.words import N_

if TYPE_CHECKING:
    from fleet.dashboard.app import FleetDashboard


@dataclass(frozen=True, slots=True)
class Action:
    key: str
    action: str
    """The app's action name (``action_<name>``)."""
    label: str
    """Short, for the footer: all shown fit 80 columns beside the palette's key, so a
    small terminal at the pass never cuts one off."""
    title: str
    """For the palette and the help screen."""
    show: bool = True
    """In the footer (all are in the help screen and the palette). Release is not:
    the e-stop banner names its key when it is needed."""
    alias: bool = False
    """A second key for an action listed already."""


ACTIONS: tuple[Action, ...] = (
    Action("n", "new_order", N_("New"), N_("New order for a table")),
    Action("r", "mark_ready", N_("Ready"),
           N_("Mark the selected order's dishes ready at the pass")),
    Action("x", "cancel_order", N_("Cancel"), N_("Cancel the selected order")),
    Action("b", "by_staff", N_("By staff"), N_(
        "The selected order's table: its dishes waiting at the pass were carried by staff "
        "(asks first)"), show=False),
    Action("i", "dish_history", N_("History"),
           N_("Every event of the selected dish, with times (also Enter in the orders)"),
           show=False),
    Action("h", "hurry", N_("Hurry"), N_("High priority for the selected order (again: normal)"),
           show=False),
    Action("p", "pause_robot", N_("Pause"), N_("Pause the selected robot (resume if paused)")),
    Action("c", "charge", N_("Charge"), N_("Send the selected robot to charge"), show=False),
    Action("d", "dock", N_("Dock"), N_("Send the selected robot to its dock"), show=False),
    Action("s", "stop_all", N_("E-STOP"), N_("E-stop all robots (asks first)")),
    Action("g", "release_all", N_("Release"), N_("Release all robots after an e-stop"),
           show=False),
    Action("t", "block_table", N_("Table"), N_("Block or unblock a table"), show=False),
    Action("z", "block_zone", N_("Zone"), N_("Block or unblock a zone"), show=False),
    Action("m", "draw_area", N_("Draw"), N_("Draw a blocked area on the map (a spill)"),
           show=False),
    Action("a", "acknowledge", N_("Ack"), N_("Acknowledge the selected alert")),
    Action("k", "toggle_kpis", N_("Hour"), N_(
        "Show or hide the last hour's figures under the header (hidden at first on a "
        "small screen)"), show=False),
    Action("question_mark", "help", N_("Help"), N_("Show the keys")),
    Action("f1", "help", N_("Help"), N_("Show the keys"), show=False, alias=True),
    Action("q", "quit", N_("Quit"), N_("Quit the dashboard")),
)


def bindings() -> list[Binding]:
    return [Binding(a.key, a.action, a.label, show=a.show,
                    id=f"fleet.{a.action}" + (".alt" if a.alias else ""))
            for a in ACTIONS]


def help_keys() -> list[tuple[str, str]]:
    """(keys, what) for the help screen, one line per action."""
    keys: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for a in ACTIONS:
        keys.setdefault(a.action, []).append("?" if a.key == "question_mark" else a.key.upper()
                                             if a.key.startswith("f") else a.key)
        titles.setdefault(a.action, _(a.title))
    out = [(" / ".join(k), titles[name]) for name, k in keys.items()]
    out += [("↑ ↓", _("Move the cursor in the focused table")),
            ("Tab", _("Next table (robots, orders, alerts)")),
            ("ctrl+p", _("Command palette: every action, and each robot's commands"))]
    return out


PALETTE = N_("palette")
"""Textual's own footer word for ctrl+p, translated with ours."""


class ManagerPalette(Provider):
    """The command palette's entries for the floor manager."""

    def _app(self) -> FleetDashboard:
        return cast("FleetDashboard", self.app)

    def _entries(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self._app()
        seen: set[str] = set()
        out: list[tuple[str, Callable[[], object], str]] = []
        for a in ACTIONS:
            if a.action in seen or a.action == "quit":
                continue
            seen.add(a.action)
            out.append((_(a.title), partial(app.run_action, a.action),
                        _("key: {key}", key=a.key)))
        for serial in sorted(app.mirror.robots):
            commands: list[tuple[str, ClientCommand]] = [
                (_("Pause {robot}", robot=serial), PauseRobot(serial=serial)),
                (_("Resume {robot}", robot=serial), ResumeRobot(serial=serial)),
                (_("Send {robot} to charge", robot=serial), SendToCharge(serial=serial)),
                (_("Send {robot} to its dock", robot=serial), SendToDock(serial=serial)),
            ]
            for title, command in commands:
                out.append((title, partial(app.send_command, command, title), _("robot")))
        return out

    async def discover(self) -> Hits:
        for title, run, help_text in self._entries():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, help_text in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, text=title, help=help_text)
