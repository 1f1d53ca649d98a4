"""The ACL generated from a site's config and users: what each role is granted."""

from __future__ import annotations

from pathlib import Path

from accesskit import site_config, site_users

from fleet.access.acl import Grantee, grants, render_acl
from fleet.access.userbook import UserBook

MAKERS = {"R1": ("acme", "R1"), "R2": ("acme", "R2"), "sim1@acme": ("acme", "sim1"),
          "sim1@other": ("other", "sim1")}


def granted(user: Grantee) -> set[tuple[str, str]]:
    return set(grants(user, site="bistro", interface="uagv", vehicles=MAKERS))


PUBLIC = {("read", f"fleet/v1/bistro/{t}") for t in
          ("status", "floor", "summary", "alerts", "events", "robots/+", "orders/+")}


def test_a_robot_publishes_only_its_own_reports_and_reads_only_its_commands() -> None:
    got = granted(Grantee("robot-R1", "robot", "R1"))
    own = "uagv/v2/acme/R1"
    assert got - PUBLIC == {
        ("write", f"{own}/state"), ("write", f"{own}/connection"),
        ("write", f"{own}/visualization"), ("write", f"{own}/factsheet"),
        ("read", f"{own}/order"), ("read", f"{own}/instantActions")}


def test_two_makers_robots_of_one_serial_each_publish_only_their_own() -> None:
    for maker in ("acme", "other"):
        got = granted(Grantee(f"robot-sim1-at-{maker}", "robot", f"sim1@{maker}"))
        own = f"uagv/v2/{maker}/sim1"
        assert got - PUBLIC == {
            ("write", f"{own}/state"), ("write", f"{own}/connection"),
            ("write", f"{own}/visualization"), ("write", f"{own}/factsheet"),
            ("read", f"{own}/order"), ("read", f"{own}/instantActions")}


def test_a_robot_no_longer_configured_gets_no_robot_topics() -> None:
    assert granted(Grantee("robot-R9", "robot", "R9")) == PUBLIC


def test_a_till_writes_its_own_request_topic_and_reads_its_own_replies() -> None:
    assert granted(Grantee("till-1", "pos")) - PUBLIC == {
        ("write", "fleet/v1/bistro/pos/till-1"), ("read", "fleet/v1/bistro/reply/till-1")}


def test_managers_and_dashboards_write_their_own_manager_topic() -> None:
    for role in ("manager", "dashboard"):
        assert granted(Grantee("boss", role)) - PUBLIC == {  # type: ignore[arg-type]
            ("write", "fleet/v1/bistro/manager/boss"), ("read", "fleet/v1/bistro/reply/boss")}


def test_an_observer_reads_the_public_views_only() -> None:
    assert granted(Grantee("wall", "observer")) == PUBLIC


def test_only_the_controller_writes_commands_to_robots_and_the_sites_state() -> None:
    ctl = granted(Grantee("fleet-controller", "controller"))
    assert ("write", "uagv/v2/+/+/order") in ctl
    assert ("write", "uagv/v2/+/+/instantActions") in ctl
    assert ("readwrite", "fleet/v1/bistro/#") in ctl
    for user in (Grantee("robot-R1", "robot", "R1"), Grantee("till-1", "pos"),
                 Grantee("boss", "manager"), Grantee("tablet", "dashboard"),
                 Grantee("wall", "observer")):
        writes = {topic for access, topic in granted(user) if "write" in access}
        assert not any(t.endswith(("/order", "/instantActions")) for t in writes), user
        assert not any(t.startswith("fleet/v1/bistro/") and "/pos/" not in t
                       and "/manager/" not in t for t in writes), user


def test_the_file_has_no_line_before_the_first_user_and_no_patterns() -> None:
    text = render_acl([Grantee("b", "observer"), Grantee("a", "pos")], site="bistro",
                      interface="uagv", vehicles=MAKERS)
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "user a"
    assert not any(ln.startswith("pattern") for ln in lines)
    assert lines.index("user b") > lines.index("user a")


def test_the_acl_follows_the_config_interface_and_manufacturer(tmp_path: Path) -> None:
    cfg = site_config(tmp_path)
    book = site_users(cfg)
    text = book.acl_path.read_text(encoding="utf-8")
    assert "user robot-R1\ntopic write uagv/v2/acme/R1/state\n" in text
    assert "user robot-R2\n" in text
    assert "robot-S1" not in text  # a serial robot needs no broker user
    assert "user till-1\ntopic write fleet/v1/bistro/pos/till-1\n" in text
    again = UserBook.open(cfg)
    assert again.acl_text(cfg) == text


def test_the_acl_in_the_fleet_api_doc_is_what_fleet_generates() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "fleet-api.md").read_text("utf-8")
    block = doc.split("<!-- generated acl -->\n```\n", 1)[1].split("```", 1)[0]
    assert block == render_acl(
        [Grantee("fleet-controller", "controller"), Grantee("robot-R1", "robot", "R1"),
         Grantee("till-1", "pos")], site="bistro", interface="uagv",
        vehicles={"R1": ("fleet-sim", "R1")})
