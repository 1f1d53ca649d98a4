"""Hangul table names in the PNG floor plan (issue 14, finding 9): the painter letters
them in NanumGothic, which the package ``koreanize-matplotlib`` ships, and the
picture carries those glyphs, not the font's empty box (.notdef) nor "?"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from fleet.floor import FloorPlan, load_floor
from fleet.floor.lettering import covers, font_path, lettered
from fleet.floor.png import LABEL, TABLE_EDGE, draw_plan, letter_size

REPO = Path(__file__).resolve().parents[1]
SCALE = 10
NOT_IN_THE_FONT = ("\ue000", "\ue001")
"""Private-use code points: no font has them, so both are drawn as the .notdef box."""


@pytest.fixture(scope="module")
def bulgogi() -> FloorPlan:
    return load_floor(REPO / "maps" / "bulgogi-house.toml", robot_radius=0.25)


def test_the_font_comes_from_the_installed_package_and_has_every_table_name(
        bulgogi: FloorPlan) -> None:
    assert font_path().name == "NanumGothicBold.ttf"
    assert "koreanize_matplotlib" in font_path().parts
    names = [t.name for t in bulgogi.tables]
    assert any("창" in n for n in names), "the Korean plan still has Hangul names"
    assert all(covers(name) for name in names)
    assert not covers("창" + NOT_IN_THE_FONT[0]) and not covers("क1")


def test_a_hangul_letter_is_a_glyph_of_its_own_not_the_empty_box() -> None:
    size = letter_size(SCALE)
    box, box_too = (lettered(ch, size) for ch in NOT_IN_THE_FONT)
    assert np.array_equal(box, box_too), "two missing letters draw the same .notdef box"
    seen: list[np.ndarray] = []
    for ch in "창가벽소파나다":
        ink = lettered(ch, size)
        assert ink.max() == 255, f"{ch} has ink"
        assert not _same(ink, box), f"{ch} is drawn as the empty box"
        assert not any(_same(ink, other) for other in seen), f"{ch} looks like another"
        seen.append(ink)


def test_the_png_carries_each_hangul_name_on_its_table(bulgogi: FloorPlan) -> None:
    """Where a name's ink is solid the picture is the label colour, where it has none
    the label's box: the name's own glyphs, pixel for pixel, at its table."""
    image = draw_plan(bulgogi, scale=SCALE)
    height, width = image.shape[:2]
    boxes = {t.name: _label_box(bulgogi, t.name, Polygon(t.outline).centroid, height)
             for t in bulgogi.tables}
    checked = 0
    for name, (top, left, ink) in boxes.items():
        bottom, right = top + ink.shape[0], left + ink.shape[1]
        if top < 1 or left < 1 or bottom >= height or right >= width:
            continue  # a name cut by the picture's edge (창가 on the west wall)
        if any(_meet((top, left, bottom, right), (t, lf, t + i.shape[0], lf + i.shape[1]))
               for other, (t, lf, i) in boxes.items() if other != name):
            continue  # another label painted over part of it
        crop = image[top:bottom, left:right]
        assert np.all(crop[ink == 255] == LABEL), f"{name}: its solid ink is not there"
        assert np.all(crop[ink == 0] == TABLE_EDGE), f"{name}: ink where it has none"
        checked += 1
    assert checked >= len(bulgogi.tables) // 2, f"only {checked} names could be checked"


def _label_box(plan: FloorPlan, name: str, middle: Point,
               height: int) -> tuple[int, int, np.ndarray]:
    """Top, left and ink of a name as the painter centres it on its table."""
    ink = lettered(name, letter_size(SCALE))
    per_pixel = plan.resolution / SCALE
    row = height - 1 - int(np.floor((middle.y - plan.origin[1]) / per_pixel))
    col = int(np.floor((middle.x - plan.origin[0]) / per_pixel))
    return row - ink.shape[0] // 2, col - ink.shape[1] // 2, ink


def _meet(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two boxes (top, left, bottom, right), each with its one-pixel margin of
    background, share a pixel."""
    return a[0] - 1 < b[2] + 1 and b[0] - 1 < a[2] + 1 and a[1] - 1 < b[3] + 1 \
        and b[1] - 1 < a[3] + 1


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b)
