"""The factsheet's actions are checked before an action is sent (issue 13, D11): an
action a vehicle does not list is never sent; the stop waits for the trays (or the
model's dwell) instead, and the manager is told once which robot lacks which
action. A model's action profile may name a vendor's action instead of the
standard one. The pure controller, fed by hand; ``fleet config check`` on a
factsheet file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from e2e import small_room
from simkit import MODEL
from test_config import MINIMAL_MAP
from test_core_loads import Hand

from drivers.vda5050.factsheet import encode_factsheet
from fleet.api.alerts import classify
from fleet.assembly import build_controller
from fleet.cli.factsheets import configured_capabilities
from fleet.config import load_config
from fleet.controller.core import Controller
from fleet.controller.legs import node_id
from fleet.domain import ActionProfile, DishState, RobotModel, TripKind
from fleet.domain import events as ev
from fleet.errors import ConfigError
from fleet.intake import DishRequest, OrderRequest
from fleet.link import PREDEFINED_ACTIONS, Capabilities
from fleet.store import MemoryStore
from fleet.vda import (
    ActionState,
    ActionStatus,
    BatteryState,
    ConnectionState,
    Load,
    Position,
    RobotState,
)


def caps(actions: frozenset[str], *, sense: bool = True) -> Capabilities:
    return Capabilities(manufacturer="other", serial="A", supported_actions=actions,
                        can_sense_loads=sense)


def setup(model: RobotModel = MODEL, actions: frozenset[str] = PREDEFINED_ACTIONS,
          *, sense: bool = True) -> tuple[Controller, Hand]:
    plan = small_room()
    ctl = build_controller(plan, {"A": model}, store=MemoryStore(), run_id="t")
    ctl.robot_connected("A", caps(actions, sense=sense), 0.0)
    return ctl, Hand(ctl, plan, plan.place("pass").cells[1])


def sent_types(hand: Hand) -> set[str]:
    return {a.action_type for c in hand.sent for n in c.order.nodes for a in n.actions}


def test_a_serving_wait_the_factsheet_lacks_is_not_sent_and_the_stop_waits_for_the_trays(
) -> None:
    ctl, hand = setup(actions=PREDEFINED_ACTIONS - {"waitForTrigger"})
    told = [e for e in ctl.events if e.kind == ev.ACTION_UNSUPPORTED]
    assert len(told) == 1 and told[0].robot == "A"
    assert "'waitForTrigger'" in told[0].text and "serve_wait" in told[0].text
    alert = classify(told[0])
    assert alert is not None and alert.level == "warning"
    ctl.robot_connected("A", caps(PREDEFINED_ACTIONS - {"waitForTrigger"}), 1.0)
    assert len([e for e in ctl.events if e.kind == ev.ACTION_UNSUPPORTED]) == 1, "told once"

    soup = (Load("tray1", "o1/1"),)
    hand.report(0.0, ())
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.take(ctl.mark_ready("o1", 0, 1.0))
    hand.report(2.0, soup)
    now = hand.drive_to("table-1", 2.0, soup)
    for _ in range(5):
        now += 1.0
        hand.report(now, soup)
    assert "waitForTrigger" not in sent_types(hand)
    assert {"pick", "drop"} <= sent_types(hand)
    assert ctl.dish("o1/1").state is DishState.AT_TABLE
    assert ctl.robots["A"].goal_since is not None, "it stays at the table"
    hand.report(now + 1.0, ())  # the guest takes the soup
    assert ctl.dish("o1/1").state is DishState.SERVED


def test_a_robot_that_cannot_sense_its_trays_waits_the_model_s_dwell_instead() -> None:
    model = dataclasses.replace(MODEL, actions=ActionProfile(serve_wait="", dwell_s=7.0))
    ctl, hand = setup(model, sense=False)
    assert not [e for e in ctl.events if e.kind == ev.ACTION_UNSUPPORTED], \
        "configured as none: nothing missing"
    hand.report(0.0, None)
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.take(ctl.mark_ready("o1", 0, 1.0))
    hand.report(2.0, None)
    now = hand.drive_to("table-1", 2.0, None)
    arrived = ctl.robots["A"].goal_since
    assert arrived is not None
    while ctl.dish("o1/1").state is not DishState.SERVED:
        assert now - arrived < 7.0 + 1.5, "served after the dwell"
        now += 1.0
        hand.report(now, None)
    assert now - arrived >= 7.0
    assert "waitForTrigger" not in sent_types(hand)


def test_a_vendor_s_action_name_is_sent_in_place_of_the_standard_one() -> None:
    model = dataclasses.replace(MODEL, actions=ActionProfile(pick="loadTray"))
    ctl, hand = setup(model, PREDEFINED_ACTIONS - {"pick"} | {"loadTray"})
    hand.report(0.0, ())
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.take(ctl.mark_ready("o1", 0, 1.0))
    assert "loadTray" in sent_types(hand) and "pick" not in sent_types(hand)
    assert not [e for e in ctl.events if e.kind == ev.ACTION_UNSUPPORTED]
    hand.report(2.0, (Load("tray1", "o1/1"),))
    assert ctl.dish("o1/1").state.on_robot


def test_a_pick_the_factsheet_lacks_is_not_sent_and_loading_is_seen_on_the_trays() -> None:
    ctl, hand = setup(actions=PREDEFINED_ACTIONS - {"pick"})
    assert [e.data["action"] for e in ctl.events if e.kind == ev.ACTION_UNSUPPORTED] == ["pick"]
    hand.report(0.0, ())
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.take(ctl.mark_ready("o1", 0, 1.0))
    for t in (2.0, 3.0, 4.0):
        hand.report(t, ())
    assert hand.sent and "pick" not in sent_types(hand)
    assert ctl.dish("o1/1").state is DishState.ASSIGNED, "not loaded until the tray says so"
    hand.report(5.0, (Load("tray1", ""),))
    assert ctl.dish("o1/1").state.on_robot


def factsheet_config(tmp_path: Path, actions: frozenset[str], profile: str = "") -> Path:
    (tmp_path / "tiny.toml").write_text(MINIMAL_MAP)
    sheet = encode_factsheet(Capabilities(manufacturer="acme", serial="X1",
                                          supported_actions=actions), header_id=1, at=0.0)
    (tmp_path / "acme.json").write_bytes(sheet)
    path = tmp_path / "config.toml"
    path.write_text('[site]\nmap = "tiny.toml"\n[[robot_models]]\nname = "acme-bot"\n'
                    'manufacturer = "acme"\nfactsheet = "acme.json"\n' + profile)
    return path


def test_config_check_names_a_model_whose_factsheet_lacks_a_configured_action(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fleet.cli.main import main  # noqa: PLC0415

    path = factsheet_config(tmp_path, PREDEFINED_ACTIONS - {"waitForTrigger"})
    assert main(["config", "check", str(path)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "robot_models[0] (acme-bot).actions.serve_wait" in out
    assert "does not list action 'waitForTrigger'" in out
    # Said how the vehicle does it instead: checked clean.
    path = factsheet_config(tmp_path, PREDEFINED_ACTIONS - {"waitForTrigger"},
                            '[robot_models.actions]\nserve_wait = ""\n')
    assert main(["config", "check", str(path)]) == 0


def test_config_names_a_bad_action_type_and_a_missing_factsheet(tmp_path: Path) -> None:
    path = factsheet_config(tmp_path, PREDEFINED_ACTIONS,
                            '[robot_models.actions]\npick = "load tray"\n')
    with pytest.raises(ConfigError, match=r"robot_models\[0\] \(acme-bot\)\.actions\.pick: "
                                          r"must be a VDA 5050 actionType"):
        load_config(path, env={})
    path = factsheet_config(tmp_path, PREDEFINED_ACTIONS)
    (tmp_path / "acme.json").unlink()
    with pytest.raises(ConfigError, match=r"robot_models\[0\] \(acme-bot\)\.factsheet: file "
                                          r"not found"):
        load_config(path, env={})


@pytest.mark.parametrize(("actions", "charges"), [
    (PREDEFINED_ACTIONS, True), (PREDEFINED_ACTIONS - {"startCharging"}, False)],
    ids=["takes-startCharging", "lacks-startCharging"])
def test_a_robot_that_cannot_be_told_to_charge_is_not_sent_to_charge(
        actions: frozenset[str], charges: bool) -> None:
    """Sent to a charger it cannot be told to charge at, it would finish there at once
    and be sent again every tick; it is left out of charging, and told of instead."""
    plan = small_room()
    ctl = build_controller(plan, {"A": MODEL}, store=MemoryStore(), run_id="t")
    ctl.robot_connected("A", caps(actions), 0.0)
    ctl.on_connection("A", ConnectionState.ONLINE, 0.0)
    x, y = plan.anchor_of(plan.place("charger").cells[0])
    for t in range(30):
        ctl.on_state(RobotState("A", float(t), position=Position(x, y), loads=(),
                                battery=BatteryState(10.0)), float(t))
        ctl.tick(float(t))
    kinds = [t.kind for t in ctl.trips.values()]
    if charges:
        assert kinds == [TripKind.CHARGE]
    else:
        assert kinds == []
        told = [e.text for e in ctl.events if e.kind == ev.ACTION_UNSUPPORTED]
        assert len(told) == 1 and "never sent to charge" in told[0]
        assert [e.robot for e in ctl.events if e.kind == ev.BATTERY_LOW] == ["A"]


def test_charging_on_contact_ends_the_stop_when_the_battery_says_so() -> None:
    """``charge = ""``: the stop at the charger lasts until the vehicle reports
    charging (or ``dwell_s``), not a moment."""
    model = dataclasses.replace(MODEL, actions=ActionProfile(charge="", dwell_s=30.0))
    plan = small_room()
    ctl = build_controller(plan, {"A": model}, store=MemoryStore(), run_id="t")
    ctl.robot_connected("A", caps(PREDEFINED_ACTIONS - {"startCharging"}), 0.0)
    ctl.on_connection("A", ConnectionState.ONLINE, 0.0)
    assert not [e for e in ctl.events if e.kind == ev.ACTION_UNSUPPORTED]
    cell = plan.place("charger").cells[0]
    x, y = plan.anchor_of(cell)
    charging = False
    for t in range(25):
        leg = ctl.robots["A"].leg
        held = {} if leg is None else {
            "order_id": leg.order_id, "order_update_id": leg.update_id,
            "last_node_id": node_id(cell),
            "action_states": tuple(ActionState(a, ActionStatus.FINISHED)  # docked at once
                                   for a in leg.action_ids)}
        charging = charging or t >= 20
        ctl.on_state(RobotState("A", float(t), position=Position(x, y), loads=(),
                                battery=BatteryState(10.0, charging), **held),  # type: ignore[arg-type]
                     float(t))
        ctl.tick(float(t))
        trip = next(iter(ctl.trips.values()), None)
        if t < 20:
            assert trip is None or trip.state.value == "active", f"{t}: still at it"
    assert len(ctl.trips) == 1, "one trip, not one a tick"
    assert next(iter(ctl.trips.values())).state.value == "done"


def test_fleet_run_knows_a_vehicle_s_actions_from_its_model_s_factsheet_file(
        tmp_path: Path) -> None:
    """A vehicle that publishes no factsheet (2.0 did not ask it to be retained) is
    checked against the one in the config; without one, the profile is its word."""
    path = factsheet_config(tmp_path, PREDEFINED_ACTIONS - {"waitForTrigger"},
                            '[[robots]]\nserial = "X1"\nmodel = "acme-bot"\n'
                            '[[robots]]\nserial = "T1"\nmodel = "tray-bot"\n'
                            '[[robot_models]]\nname = "tray-bot"\n'
                            '[robot_models.actions]\npick = "loadTray"\n')
    cfg = load_config(path, env={})
    acme = configured_capabilities(cfg, cfg.robots[0], "here")
    assert "waitForTrigger" not in acme.supported_actions and "pick" in acme.supported_actions
    assert (acme.serial, acme.manufacturer) == ("X1", "acme")
    own = configured_capabilities(cfg, cfg.robots[1], "here")
    assert own.supported_actions == PREDEFINED_ACTIONS | {"loadTray"}
    (tmp_path / "acme.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"here: robot_models\[0\] \(acme-bot\)\.factsheet: "
                                          r".*acme.json is not a VDA 5050 factsheet"):
        configured_capabilities(cfg, cfg.robots[0], "here")


def test_a_vendor_s_action_gets_its_parameters_by_its_names_and_the_configured_extras(
        tmp_path: Path) -> None:
    """A vendor's pick reads the tray as ``slot`` and wants ``side``: configured, not
    patched. The profile comes from the config file, and the order carries it."""
    path = factsheet_config(
        tmp_path, PREDEFINED_ACTIONS | {"loadTray"},
        '[robot_models.actions]\npick = "loadTray"\n'
        '[robot_models.actions.parameters.pick]\nside = "left"\nloadType = "plate"\n'
        '[robot_models.actions.parameter_names.pick]\nlhd = "slot"\n')
    model = load_config(path, env={}).robot_model()
    ctl, hand = setup(model, PREDEFINED_ACTIONS | {"loadTray"})
    hand.report(0.0, ())
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.take(ctl.mark_ready("o1", 0, 1.0))
    picks = [a for c in hand.sent for n in c.order.nodes for a in n.actions
             if a.action_type == "loadTray"]
    assert picks and dict(picks[0].parameters) == {
        "slot": "tray1", "loadId": "o1/1", "loadType": "plate", "stationType": "pass",
        "side": "left"}


def test_config_names_parameters_for_an_unknown_piece_of_work(tmp_path: Path) -> None:
    path = factsheet_config(tmp_path, PREDEFINED_ACTIONS,
                            '[robot_models.actions.parameters.serve]\nchime = true\n')
    with pytest.raises(ConfigError, match=r"robot_models\[0\] \(acme-bot\)\.actions\."
                                          r"parameters\.serve: no such piece of work"):
        load_config(path, env={})
