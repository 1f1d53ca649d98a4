"""``fleet run`` with two makers' "sim1" on its own broker (Mosquitto, with the ACL
made from the config): each simulated vehicle logs in as its own robot user, may
publish only under its own manufacturer and serial, and both come online under
their keys on the site (issue 13, D10)."""

from __future__ import annotations

from pathlib import Path

from accesskit import ROOT
from sitevisit import (
    SIM1_TWICE,
    SITE_MARKS,
    dashboard_login,
    load_site,
    until_shown,
    visit_site,
)

from fleet.access.userbook import UserBook
from fleet.api.client import FleetClient

pytestmark = SITE_MARKS

SITE = """\
[site]
id = "bistro"
map = "{map}"

[[robot_models]]
name = "ours"

[[robot_models]]
name = "theirs"
manufacturer = "acme"

{robots}
[store]
path = "site.db"
"""


async def test_fleet_run_serves_two_makers_sim1_each_on_its_own_topics(
        tmp_path: Path) -> None:
    cfg = load_site(tmp_path,
                    SITE.format(map=ROOT / "maps" / "bistro.toml", robots=SIM1_TWICE))

    async def visit(url: str, robots: list[str]) -> None:
        assert robots == ["sim1@fleet-sim", "sim1@acme"]
        acl = UserBook.open(cfg).acl_path.read_text(encoding="utf-8")
        for user, maker in (("robot-sim1-at-acme", "acme"),
                            ("robot-sim1-at-fleet-sim", "fleet-sim")):
            block = acl.split(f"user {user}\n", 1)[1].split("\n\n", 1)[0]
            writes = [line for line in block.splitlines() if line.startswith("topic write uagv")]
            assert writes and all(f"uagv/v2/{maker}/sim1/" in line for line in writes), block
        async with FleetClient(dashboard_login(cfg, url), "bistro") as client:
            mirror = await until_shown(client, lambda m: set(m.robots) == {
                "sim1@fleet-sim", "sim1@acme"} and all(
                    v.online and v.x is not None for v in m.robots.values()), 30)
            assert {k: v.manufacturer for k, v in mirror.robots.items()} == {
                "sim1@fleet-sim": "fleet-sim", "sim1@acme": "acme"}

    await visit_site(cfg, visit)
