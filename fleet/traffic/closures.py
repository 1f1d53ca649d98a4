"""Areas of the floor the manager has closed for a while (a spill, a party, a cart).

A closed cell is kept in the planning graph (closing is temporary, and the
distance fields stay valid as lower bounds) but offers a robot no safe interval,
so no new plan enters it. A robot that stands inside a closed area when it is
closed may still leave: its own search treats the closed cells connected to
where it starts as open, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fleet.traffic.adg import Track


class Closures:
    """Named sets of closed cells (flat indices) and their union."""

    def __init__(self) -> None:
        self._areas: dict[str, frozenset[int]] = {}
        self.closed: frozenset[int] = frozenset()

    def close(self, name: str, cells: Iterable[int]) -> None:
        self._areas[name] = frozenset(cells)
        self._update()

    def reopen(self, name: str) -> bool:
        """False when no area of that name was closed."""
        if self._areas.pop(name, None) is None:
            return False
        self._update()
        return True

    def area(self, name: str) -> frozenset[int]:
        return self._areas.get(name, frozenset())

    def names(self) -> list[str]:
        return sorted(self._areas)

    def names_at(self, cells: Iterable[int]) -> list[str]:
        """The closed areas any of ``cells`` lies in (to say why a route failed)."""
        cells = set(cells)
        return [n for n, area in sorted(self._areas.items()) if area & cells]

    def _update(self) -> None:
        self.closed = frozenset().union(*self._areas.values())


def way_out(closed: frozenset[int], start: int, indptr: Sequence[int],
            succ: Sequence[int]) -> frozenset[int]:
    """The closed cells connected to ``start`` through closed cells (empty when
    ``start`` is open): a robot standing there may drive through them to get out."""
    if start not in closed:
        return frozenset()
    seen = {start}
    stack = [start]
    while stack:
        cell = stack.pop()
        for nxt in succ[indptr[cell]:indptr[cell + 1]]:
            if nxt in closed and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return frozenset(seen)


def crosses(track: Track, closed: frozenset[int], exempt: frozenset[int]) -> bool:
    """True when the unreleased rest of ``track``'s route enters a closed cell it may
    not use (``exempt``: the closed cells around where its release ends)."""
    return any(v.cell in closed and v.cell not in exempt
               for v in track.visits[track.released + 1:])
