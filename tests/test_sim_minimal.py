"""fleet's simulated vehicle in its minimal mode: a strict third-party vehicle that
knows only the standard actions, refuses any other with the spec's error, and
requires every node's map and deviations (issue 13). Fleet's controller serves
with such vehicles unchanged; the link contract runs against it in
``test_inproc_link`` and ``test_mqtt_link``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from e2e import Rig, run_rig, small_room
from linkcontract import make_order
from simkit import MODEL, ROW, errors_of, fixed_world, run_checked, until

from fleet.domain import ActionProfile, DishState
from fleet.vda import Action, NodePosition, Order
from sim.robot import SimRobot

ROOT = Path(__file__).resolve().parents[1]


def refusal(order: Order, *, minimal: bool = True) -> tuple[list[str], dict[str, str], str]:
    """What a (minimal) robot standing at ``ROW[0]`` says to ``order``: its error
    types, the references and description of the first, and the order it holds."""
    async def main() -> tuple[list[str], dict[str, str], str]:
        robot = SimRobot("bot-1", MODEL, fixed_world(), ROW[0], minimal=minimal)
        robot.start()
        try:
            robot.receive_order(order)
            first = robot.errors[0] if robot.errors else None
            return (errors_of(robot), dict(first.references) if first else {},
                    (first.description if first else "") + "|" + robot.track.order_id)
        finally:
            robot.close()
    return run_checked(main())


def without(order: Order, **changes: object) -> Order:
    """``order`` with each node's position changed."""
    def moved(position: NodePosition | None) -> NodePosition:
        assert position is not None
        return dataclasses.replace(position, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(order, nodes=tuple(
        dataclasses.replace(n, position=moved(n.position)) for n in order.nodes))


def test_a_minimal_vehicle_takes_an_order_with_every_field_fleet_sends() -> None:
    types, _, held = refusal(make_order(fixed_world().plan, "o1", ROW[:3]))
    assert types == [] and held.endswith("|o1")


@pytest.mark.parametrize(("changes", "error", "field"), [
    ({"allowed_deviation_xy": None}, "validationError", "allowedDeviationXY"),
    ({"allowed_deviation_theta": None}, "validationError", "allowedDeviationTheta"),
    ({"map_id": "cellar"}, "orderError", "map 'cellar' is not on this vehicle"),
])
def test_a_minimal_vehicle_refuses_nodes_without_map_or_deviations(
        changes: dict[str, object], error: str, field: str) -> None:
    order = without(make_order(fixed_world().plan, "o1", ROW[:3]), **changes)
    types, refs, said = refusal(order)
    assert types == [error] and field in said
    assert refs["orderId"] == "o1" and refs["nodeId"] == "r2c1"
    assert said.endswith("|"), "not taken"
    assert refusal(order, minimal=False)[0] == [], "fleet's own vehicle is lenient"


def test_an_action_it_does_not_know_is_refused_with_order_error_naming_it() -> None:
    order = make_order(fixed_world().plan, "o1", ROW[:3],
                       actions={2: (Action("loadTray", "a-1", parameters={"lhd": "tray1"}),)})
    types, refs, said = refusal(order)
    assert types == ["orderError"] and "loadTray" in said
    assert refs == {"orderId": "o1", "orderUpdateId": "0", "actionId": "a-1",
                    "actionType": "loadTray"}


def test_fleet_serves_every_dish_with_minimal_vehicles() -> None:
    async def scene(rig: Rig) -> list[DishState]:
        for i in range(4):
            await rig.order(f"table-{1 + i % 3}")
        await until(rig.all_final, timeout_s=1200.0)
        assert not any(r.errors for r in rig.robots.values()), rig.describe()
        return [d.state for d in rig.dishes]

    states = run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene, minimal=True)
    assert states == [DishState.SERVED] * 4


def test_a_minimal_vehicle_with_no_serving_wait_is_served_on_tray_evidence() -> None:
    """The model's profile sends no waitForTrigger: the vehicle has staff (the guest)
    empty the tray at the drop, and the dish counts served when the tray is empty."""
    model = dataclasses.replace(MODEL, actions=ActionProfile(serve_wait=""))

    async def scene(rig: Rig) -> list[DishState]:
        await rig.order("table-2")
        await until(rig.all_final, timeout_s=600.0)
        assert not any(r.errors for r in rig.robots.values()), rig.describe()
        assert "waitForTrigger" not in {
            s.action_type for r in rig.robots.values() for s in r.actions.states.values()}
        return [d.state for d in rig.dishes]

    states = run_rig(small_room(), {"A": (1, 0)}, scene, model=model, minimal=True)
    assert states == [DishState.SERVED]


def test_sim_robots_refuses_minimal_vehicles_on_serial_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The serial protocol carries no allowedDeviationTheta: a minimal vehicle behind
    it would refuse every order, so it is not started at all."""
    from fleet.cli.main import main  # noqa: PLC0415

    path = tmp_path / "config.toml"
    path.write_text(f'[site]\nmap = "{ROOT / "maps" / "bistro.toml"}"\n'
                    '[[robot_models]]\nname = "strict-bot"\nsim_minimal = true\n')
    assert main(["sim-robots", "--serial", "--count", "1", "--config", str(path)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "'strict-bot' has sim_minimal = true, which needs MQTT" in err
