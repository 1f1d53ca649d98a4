"""A floor plan's picture with Hangul table names (issue 14, finding 9): ``fleet map
show --svg`` writes the names as text over the PNG painter's own picture, and
``--png`` says which names neither of its fonts can write (Hangul it can)."""

from __future__ import annotations

import base64
import zlib
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from fleet.cli import main
from fleet.floor import FloorPlan, load_floor
from fleet.floor.png import TABLE, TABLE_EDGE, draw_plan
from fleet.floor.svg import FONT_FAMILY, plan_svg, undrawn_in_png

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


@pytest.fixture(scope="module")
def bulgogi() -> FloorPlan:
    return load_floor(REPO / "maps" / "bulgogi-house.toml", robot_radius=0.25)


def _png_pixels(data: bytes) -> np.ndarray:
    """The RGB pixels of an unfiltered 8-bit RGB PNG, as ``encode_png`` writes it."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    at, idat, size = 8, b"", (0, 0)
    while at < len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            size = (int.from_bytes(body[4:8], "big"), int.from_bytes(body[0:4], "big"))
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(size[0], -1)
    return rows[:, 1:].reshape(size[0], size[1], 3)


def test_the_svg_names_every_table_as_text_on_the_table(bulgogi: FloorPlan) -> None:
    root = ElementTree.fromstring(plan_svg(bulgogi, scale=10))
    image = root.find(f"{SVG}image")
    assert image is not None
    href = image.get(f"{XLINK}href", "")
    assert href.startswith("data:image/png;base64,"), "the floor travels inside the file"
    pixels = _png_pixels(base64.b64decode(href.split(",", 1)[1]))
    assert np.array_equal(pixels, draw_plan(bulgogi, scale=10, labels=False))
    group = root.find(f"{SVG}g")
    assert group is not None and group.get("font-family") == FONT_FAMILY
    assert "Noto Sans KR" in FONT_FAMILY and "Malgun Gothic" in FONT_FAMILY
    texts = {t.text: (float(t.get("x", "-1")), float(t.get("y", "-1")))
             for t in group.iter(f"{SVG}text")}
    assert set(texts) == {t.name for t in bulgogi.tables}
    assert "창가1" in texts and "가3" in texts
    colours = {TABLE, TABLE_EDGE}
    for name, (x, y) in texts.items():
        pixel = tuple(int(v) for v in pixels[int(y), int(x)])
        assert pixel in colours, f"{name} is written off its table at ({x}, {y})"


def test_the_png_says_which_names_it_cannot_write(bulgogi: FloorPlan,
                                                 tmp_path: Path) -> None:
    assert undrawn_in_png(bulgogi) == [], "Hangul is lettered in NanumGothic"
    assert undrawn_in_png(load_floor(REPO / "maps" / "bistro.toml")) == []
    other = load_floor(_devanagari(tmp_path), robot_radius=0.25)
    assert undrawn_in_png(other) == ["क1"]


def _devanagari(folder: Path) -> Path:
    """bulgogi-house with 창가1 renamed in a script neither of the PNG's fonts has."""
    text = (REPO / "maps" / "bulgogi-house.toml").read_text(encoding="utf-8")
    assert 'name = "창가1"\n' in text
    path = folder / "devanagari.toml"
    path.write_text(text.replace('name = "창가1"\n', 'name = "क1"\n'), encoding="utf-8")
    return path


def test_map_show_writes_hangul_in_the_png_and_warns_of_what_it_cannot(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # a temporary path is not wrapped
    plan = str(REPO / "maps" / "bulgogi-house.toml")
    png, svg = tmp_path / "plan.png", tmp_path / "plan.svg"
    assert main(["map", "show", plan, "--width", "80", "--lang", "en", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert f"picture written to {png}" in out and "cannot write" not in out
    assert main(["map", "show", str(_devanagari(tmp_path)), "--width", "80", "--lang", "en",
                 "--png", str(png)]) == 0
    out = capsys.readouterr().out
    warning = next(line for line in out.splitlines() if "cannot write" in line)
    assert "cannot write क1: they show as ? or boxes; --svg" in warning, warning
    assert main(["map", "show", plan, "--width", "80", "--lang", "en", "--svg", str(svg)]) == 0
    assert f"picture written to {svg}" in capsys.readouterr().out
    assert "창가1</text>" in svg.read_text(encoding="utf-8")
