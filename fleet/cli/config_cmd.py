"""``fleet config check``: validate a config before a service starts on it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from fleet.cli.factsheets import read_factsheet
from fleet.cli.lang import add_lang, speaker
from fleet.config import Config, load_config
from fleet.floor import PlaceKind, load_floor


def register(sub: Any) -> None:
    p = sub.add_parser("config", help="validate a configuration file",
                       description="Validate config.toml (with FLEET_SECTION__KEY overrides "
                                   "applied) and the floor plan it names.")
    actions = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate and summarise")
    check.add_argument("file", type=Path, nargs="?", default=Path("config.toml"))
    add_lang(check)
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace, console: Console) -> int:
    cfg = load_config(args.file)
    _ = speaker(args, cfg.site.language)
    plan = load_floor(cfg.map_path, robot_radius=max(m.radius for m in cfg.robot_models))
    lacking = _check_factsheets(cfg, str(args.file))
    verdict = (f"[bold red]{_('{n} error(s)', n=str(len(lacking)))}[/]" if lacking
               else f"[bold green]{_('OK')}[/]")
    console.print(f"{verdict}: " + _(
        "site {site} ({name}), plan {plan} with {tables} tables, {robots} robots, broker "
        "{broker}, store {store}", site=repr(cfg.site.id), name=cfg.site.name,
        plan=repr(plan.name), tables=str(len(plan.tables)), robots=str(len(cfg.robots)),
        broker=cfg.broker.url, store=cfg.store.path))
    for robot, who in zip(cfg.robots, cfg.identities(), strict=True):
        model = cfg.model(robot.model)
        line = _("{robot}: {maker} {model}, {trays} trays, {transport}", robot=who.robot_id,
                 maker=who.manufacturer, model=model.name, trays=str(model.trays),
                 transport=robot.transport)
        if robot.port:
            line = _("{line} on {port}", line=line, port=robot.port)
        console.print(f"  {line}")
    for line in lacking:
        console.print(f"[bold red]{_('error')}[/]: {line}", soft_wrap=True)
    homes = sum(len(p.cells) for k in (PlaceKind.CHARGER, PlaceKind.PARKING)
                for p in plan.places_of(k))
    if homes < len(cfg.robots):
        # Idle robots beyond the homes wait on the floor near the pass, in the way of
        # the loaded ones (the liveness issue's "too few homes").
        console.print(f"[bold yellow]{_('warning')}[/]: " + _(
            "{robots} robots but only {homes} chargers and parking spots on {plan}: the "
            "others wait on the floor when idle; add parking spots out of the aisles",
            robots=str(len(cfg.robots)), homes=str(homes), plan=repr(plan.name)))
    return 1 if lacking else 0


def _check_factsheets(cfg: Config, where: str) -> list[str]:
    """One line per action a model's profile names that its factsheet does not list
    (the vehicle would never be sent it: the site would run on stand-ins)."""
    lines: list[str] = []
    for i, model in enumerate(cfg.robot_models):
        caps = read_factsheet(cfg, model.name, where)
        if caps is None:
            continue
        key = f"robot_models[{i}] ({model.name})"
        profile = cfg.robot_model(model.name).actions
        for role, kind in profile.missing(caps.supported_actions):
            lines.append(f"{where}: {key}.actions.{role}: its factsheet {model.factsheet} "
                         f"does not list action {kind!r} (it lists: "
                         f"{', '.join(sorted(caps.supported_actions)) or 'none'}); name the "
                         f"vendor's action, or set {role} = \"\" to wait "
                         f"{profile.dwell_s:g} s or for the trays instead")
    return lines
