"""The environment under test is the one ``requirements.lock`` pins: what passed here
is what a fresh machine will install. A failure means the virtual environment drifted
(a hand-installed package, an old venv): ``make clean test`` rebuilds it from the lock."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    out = {}
    for n, raw in enumerate(LOCK.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and name and version, f"{LOCK.name}:{n}: not 'name==version': {raw!r}"
        out[canonical(name)] = version
    return out


def installed() -> dict[str, str]:
    return {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}


def test_every_pinned_package_is_installed_at_its_pinned_version() -> None:
    have = installed()
    wrong = {name: (want, have.get(name, "missing")) for name, want in pinned().items()
             if have.get(name) != want}
    assert not wrong, f"not as {LOCK.name} pins (wanted, found): {wrong}; run: make clean test"


def test_the_lock_covers_every_dependency_the_project_declares() -> None:
    requires = metadata.requires("fleet") or []
    names = {canonical(re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0]) for r in requires}
    assert names - set(pinned()) == set()
