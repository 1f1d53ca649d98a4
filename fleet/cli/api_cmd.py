"""``fleet api schemas``: the fleet API's JSON schemas, written or checked."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from fleet.api.schemas import DEFAULT_DIR, rendered, stale, write


def register(sub: Any) -> None:
    p = sub.add_parser("api", help="the fleet API (JSON over MQTT for tills and dashboards)",
                       description="Tools for the fleet API; see docs/fleet-api.md.")
    api = p.add_subparsers(dest="api_command", metavar="ACTION", required=True)
    schemas = api.add_parser(
        "schemas", help="write (or --check) the JSON schema of every message",
        description="Write docs/api/<message>.schema.json from the message types. With "
                    "--check, write nothing and exit 1 when a file is missing or differs.")
    schemas.add_argument("--out", type=Path, default=DEFAULT_DIR,
                         help=f"directory (default {DEFAULT_DIR})")
    schemas.add_argument("--check", action="store_true",
                         help="only compare; exit 1 if the files are stale")
    schemas.set_defaults(run=run_schemas)


def run_schemas(args: argparse.Namespace, console: Console) -> int:
    out: Path = args.out
    if args.check:
        bad = stale(out)
        if bad:
            console.print(f"{out}: stale or missing: {', '.join(bad)}; run "
                          f"'fleet api schemas --out {out}'")
            return 1
        console.print(f"{out}: {len(rendered())} schemas up to date")
        return 0
    written = write(out)
    console.print(f"{out}: {len(written)} of {len(rendered())} schemas written"
                  + (f" ({', '.join(p.name for p in written)})" if written else ""))
    return 0
