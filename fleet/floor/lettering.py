"""Names in Hangul (and any letter the pixel font lacks) for the PNG painter, and
the Hangul font the web dashboard serves.

The painter's own 3x5 pixel font (``fleet.floor.png``) has Latin capitals, digits
and arrows: a Korean restaurant's tables (창가1, 벽2) came out as "??1". This module
letters such names with NanumGothic Bold, an OFL font that the PyPI package
``koreanize-matplotlib`` ships (a dependency of fleet, so ``pip install`` brings it
to a fresh machine with no system fonts and no internet), drawn by Pillow's
FreeType renderer.

The font file is found with ``importlib.util.find_spec``, without importing the
package: its ``__init__`` changes matplotlib's global font settings and imports
``distutils`` (gone in Python 3.12), neither of which the painter wants. Pillow
and fontTools (both already matplotlib's dependencies) are imported only when a
name needs them, so painting a Latin-only plan stays stdlib and numpy.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fleet.errors import FleetError

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

FONT_PACKAGE = "koreanize_matplotlib"
FONT_FILE = "fonts/NanumGothicBold.ttf"
"""Where in ``FONT_PACKAGE`` the PNG's font lies (its wheel's layout since 0.1.1)."""
WEB_FONT_FILE = "fonts/NanumGothic.ttf"
"""The regular weight, which the web dashboard serves for Hangul (``fleet.dashboard.web``)."""
INSTALL_HINT = "pip install 'koreanize-matplotlib>=0.1.1,<0.2'"


@functools.cache
def font_path(file: str = FONT_FILE) -> Path:
    """A Hangul font's file in ``FONT_PACKAGE``; a ``FleetError`` saying how to
    install it if absent."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    places = list(spec.submodule_search_locations or []) if spec is not None else []
    for place in places:
        path = Path(place) / file
        if path.is_file():
            return path
    where = f" (looked in {', '.join(places)})" if places else ""
    raise FleetError(f"the Hangul font {file} of the package {FONT_PACKAGE} is not "
                     f"installed{where}; install it with: {INSTALL_HINT}")


@functools.cache
def _characters() -> frozenset[int]:
    """The code points the font has a glyph for (its Unicode cmap)."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415

    with TTFont(font_path(), lazy=True) as font:
        return frozenset(font.getBestCmap())


def covers(text: str) -> bool:
    """Whether the font has a real glyph (not the empty box) for every character."""
    have = _characters()
    return all(ord(ch) in have or ch.isspace() for ch in text)


@functools.cache
def _font(size: int) -> FreeTypeFont:
    from PIL import ImageFont  # noqa: PLC0415

    return ImageFont.truetype(str(font_path()), size)


def lettered(text: str, size: int) -> npt.NDArray[np.uint8]:
    """``text`` at ``size`` pixels (em height) as coverage, 0 (none) to 255 (full),
    shape (height, width), cropped to the ink with one line's height kept, so names
    of one size share a baseline when centred."""
    from PIL import Image, ImageDraw  # noqa: PLC0415

    if size < 1:
        msg = f"a letter size must be at least 1 pixel, got {size}"
        raise ValueError(msg)
    font = _font(size)
    left, _top, right, _bottom = font.getbbox(text)
    ascent, descent = font.getmetrics()
    width = max(1, math.ceil(right) - math.floor(left))
    canvas = Image.new("L", (width, ascent + descent), 0)
    ImageDraw.Draw(canvas).text((-math.floor(left), 0), text, font=font, fill=255)
    return np.asarray(canvas, dtype=np.uint8).copy()
