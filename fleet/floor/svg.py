"""Floor plans as SVG pictures whose names stay text.

The PNG painter (``fleet.floor.png``) writes names in a 3x5 pixel font of Latin
letters and digits, and Hangul (창가1) in NanumGothic (``fleet.floor.lettering``);
a name neither has letters for (an emoji, a rare script) would come out as boxes.
An SVG keeps each name as text, drawn by the viewer's own fonts (every Korean
system has Hangul ones; ``FONT_FAMILY`` names the common ones first), searchable
and copyable as well. The floor under the names is the PNG painter's picture,
embedded, so the two pictures never disagree. Stdlib and numpy only.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from shapely.geometry import Polygon

from fleet.floor.model import Cell, FloorPlan
from fleet.floor.png import draw_plan, drawable, encode_png

FONT_FAMILY = ("'Noto Sans KR', 'Noto Sans CJK KR', 'Malgun Gothic', 'Apple SD Gothic Neo', "
               "'NanumGothic', sans-serif")


def plan_svg(plan: FloorPlan, *, route: Sequence[Cell] = (), scale: int = 10) -> str:
    """The plan at ``scale`` pixels per cell, as ``draw_plan`` paints it, with each
    table's name as text at its middle."""
    image = draw_plan(plan, route=route, scale=scale, labels=False)
    height, width = image.shape[0], image.shape[1]
    data = base64.b64encode(encode_png(image)).decode("ascii")
    size = max(8, round(scale * 1.2))
    x0, y0 = plan.origin
    per_pixel = plan.resolution / scale
    lines = [
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(plan.name)}</title>",
        f'<image x="0" y="0" width="{width}" height="{height}" '
        f'xlink:href="data:image/png;base64,{data}"/>',
        f'<g font-family={quoteattr(FONT_FAMILY)} font-size="{size}" font-weight="bold" '
        'text-anchor="middle" dominant-baseline="central" fill="#ffffff" '
        'stroke="#5c3818" stroke-width="3" paint-order="stroke">',
    ]
    for table in plan.tables:
        if len(table.outline) < 3:
            continue
        middle = Polygon(table.outline).centroid
        x = (middle.x - x0) / per_pixel
        y = height - (middle.y - y0) / per_pixel
        lines.append(f'<text x="{x:.1f}" y="{y:.1f}">{escape(table.name)}</text>')
    lines += ["</g>", "</svg>", ""]
    return "\n".join(lines)


def undrawn_in_png(plan: FloorPlan) -> list[str]:
    """The tables whose names the PNG's fonts cannot draw: neither the pixel font nor
    the Hangul font has all their letters."""
    from fleet.floor.lettering import covers  # noqa: PLC0415

    return [t.name for t in plan.tables if not (drawable(t.name) or covers(t.name))]
