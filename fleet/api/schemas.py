"""The JSON schemas of the fleet API's messages, as files in ``docs/api/``.

Generated from the msgspec types in ``fleet.api.messages``, never written by hand:
``fleet api schemas`` writes them, ``fleet api schemas --check`` (and a test) fails
when the files on disk differ from what the code would write, so the document a
POS integrator reads is the code's own contract.
"""

from __future__ import annotations

import json
from pathlib import Path

from fleet.api.messages import STATE_TYPES, schema

DEFAULT_DIR = Path("docs/api")


def rendered() -> dict[str, str]:
    """File name -> content, for every message in ``STATE_TYPES``."""
    return {f"{name}.schema.json": json.dumps(schema(kind), indent=2, sort_keys=True) + "\n"
            for name, kind in STATE_TYPES.items()}


def stale(directory: Path) -> list[str]:
    """Files in ``directory`` that are missing or differ from the generated ones, and
    schema files there that no message has any more."""
    wanted = rendered()
    out = [name for name, text in sorted(wanted.items())
           if not (directory / name).is_file()
           or (directory / name).read_text(encoding="utf-8") != text]
    if directory.is_dir():
        out += sorted(p.name for p in directory.glob("*.schema.json") if p.name not in wanted)
    return out


def write(directory: Path) -> list[Path]:
    """Write every schema (and remove ones no message has); the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = rendered()
    for old in directory.glob("*.schema.json"):
        if old.name not in wanted:
            old.unlink()
    written = []
    for name, text in sorted(wanted.items()):
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
