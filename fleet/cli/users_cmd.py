"""``fleet users``: who may log in to the site's broker, and as what.

Users live in the site's state folder (``store.state_dir``, beside the config);
``add`` and ``remove`` rewrite the broker's password file and ACL there at once
and have the broker of a running ``fleet run`` reread them, so a till can be
added during service. ``acl`` prints the ACL for a broker of your own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fleet.access.passwords import new_password
from fleet.access.roles import ROLES, check_name, check_role
from fleet.access.userbook import UserBook
from fleet.config import Config, load_config
from fleet.errors import AccessError

EPILOG = """\
examples:
  fleet users add till-1 --role pos --password-file till-1.secret
  printf '%s\\n' "$PW" | fleet users add floor-tablet --role dashboard --stdin
  fleet users add R7 --role robot --robot R7      # prints a generated password once
  fleet users list
  fleet users remove till-1
  fleet users acl > /etc/mosquitto/fleet.acl      # for a broker of your own

roles:
""" + "\n".join(f"  {role:<11} {what}" for role, what in ROLES.items())


def register(sub: Any) -> None:
    p = sub.add_parser(
        "users", help="the site broker's users: add, list, remove; print the ACL",
        description="Manage who may log in to the site's broker and what each may do. Users "
                    "are kept (passwords hashed) in the state folder beside the config; "
                    "fleet run starts the broker with them and an ACL made from the config.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, default=Path("config.toml"))
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="add a user with a role")
    add.add_argument("name")
    add.add_argument("--role", required=True, help=f"one of: {', '.join(ROLES)}")
    add.add_argument("--robot", metavar="SERIAL",
                     help="with --role robot: the robot's serial (default: NAME)")
    source = add.add_mutually_exclusive_group()
    source.add_argument("--password-file", type=Path, metavar="FILE",
                        help="read the password from the first line of FILE")
    source.add_argument("--stdin", action="store_true",
                        help="read the password from the first line of standard input")
    verbs.add_parser("list", help="list the users and their roles")
    remove = verbs.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    verbs.add_parser("acl", help="print the ACL generated from the config and the users")
    p.set_defaults(run=run_users)


def _config(path: Path) -> Config:
    if not path.is_file():
        raise AccessError(f"{path}: no such config file (give --config FILE): the users live "
                          "in its state folder")
    return load_config(path)


def _robot(args: argparse.Namespace, cfg: Config) -> str | None:
    """A robot user's robot, by its key on the site (default the user's name): the
    serial, or ``serial@manufacturer`` for a serial two manufacturers share."""
    if args.role != "robot":
        if args.robot is not None:
            raise AccessError(f"user {args.name}: --robot goes with --role robot")
        return None
    robot: str = args.robot or args.name
    serials = [who.robot_id for who in cfg.identities()]
    if robot not in serials:
        raise AccessError(f"user {args.name}: no robot {robot!r} in {args.config} "
                          f"(robots: {', '.join(serials) or 'none'}); give --robot SERIAL")
    return robot


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated): from the file or stdin given, else a fresh one."""
    if args.password_file is not None:
        try:
            text = args.password_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not a text file"
            raise AccessError(f"{args.password_file}: cannot read the password: {why}") from exc
        return text.splitlines()[0] if text else "", False
    if args.stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return new_password(), True


def _reloaded(book: UserBook) -> str:
    """Have a running fleet run's broker reread the users; say what became of it."""
    from drivers.mqtt.broker import reload_users  # noqa: PLC0415  (MQTT only when needed)
    from fleet.cli.credentials import broker_auth  # noqa: PLC0415

    pid = reload_users(broker_auth(book))
    if pid is None:
        return "fleet run's broker reads it when it starts"
    return (f"the running broker (pid {pid}) reread the users (a removed user still "
            "connected keeps its session, but the ACL grants it nothing)")


def run_users(args: argparse.Namespace, console: Console) -> int:
    cfg = _config(args.config)
    if args.verb == "add":
        check_name(args.name)
        check_role(args.role)
        robot, (password, generated) = _robot(args, cfg), _password(args)
        with UserBook.editing(cfg) as book:  # the password is read before: no lock held on it
            user = book.add(args.name, args.role, password, robot=robot)
            book.save(cfg)
            console.print(f"added {user.name} ({user.role}{' ' + robot if robot else ''}) to "
                          f"{book.users_path}; {_reloaded(book)}")
        if generated:
            console.print(f"password (shown once): {password}", markup=False, highlight=False)
        return 0
    if args.verb == "remove":
        with UserBook.editing(cfg) as book:
            user = book.remove(args.name)
            book.save(cfg)
            console.print(f"removed {user.name} ({user.role}) from {book.users_path}; "
                          f"{_reloaded(book)}")
        return 0
    book = UserBook.open(cfg)
    if args.verb == "list":
        table = Table("user", "role", "robot", "password", box=None, pad_edge=False)
        for user in sorted(book.users, key=lambda u: u.name):
            table.add_row(user.name, user.role, user.robot or "",
                          "local" if user.local else "given")
        console.print(table)
        if any(u.local for u in book.users):
            console.print(f"local: made by fleet run for its own clients; passwords in "
                          f"{book.folder / 'local'}", soft_wrap=True)
        if not book.users:
            console.print(f"no users yet in {book.users_path}: fleet run makes its own on the "
                          "first start; add others with fleet users add NAME --role ROLE")
        return 0
    if args.verb == "acl":
        console.print(book.acl_text(cfg), markup=False, highlight=False, soft_wrap=True)
        return 0
    raise AssertionError(f"unknown verb {args.verb}")  # argparse allows no other
