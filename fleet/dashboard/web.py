"""The dashboard served to browsers (``fleet demo --web``): textual-serve runs one
``fleet dashboard`` process per browser tab and streams it over a websocket.

A module of its own, run as a child process (``python -m fleet.dashboard.web``),
because textual-serve's ``Server.serve`` owns its event loop and its signal
handlers until it ends; the demo's parent keeps its own, and stops this child
with the rest of the site.

The page must load nothing from the internet: a restaurant's LAN may have no way
out, and a host-stand tablet would then wait on a font. textual-serve's page asks
Google Fonts for Roboto Mono, which textual-serve itself ships in its static files;
``offline_page`` rewrites that page to load the font from the server instead, and
the server is given the rewritten page (``templates_path``, its public setting).

Roboto Mono has no Hangul, and a browser with no Korean font of its own (a kiosk
image, a headless one) drew the Korean dashboard's words as blanks. The page
declares NanumGothic (the font ``fleet.floor.lettering`` finds) as more of "Roboto
Mono" for the Hangul code points only (``unicode-range``), so the terminal's one
font family covers both and the browser fetches the 4.7 MB file only when a Hangul
letter is on screen. It is served with textual-serve's own files from a copy of
its static folder (``statics_path``, its public setting), cleaned of the tables
that made Chrome refuse it (``web_font``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import textual_serve
from aiohttp import web
from textual_serve.server import Server

PAGE = "app_index.html"
SERVE_DIR = Path(textual_serve.__file__).resolve().parent
FONTS = {"normal": "RobotoMono-VariableFont_wght.ttf",
         "italic": "RobotoMono-Italic-VariableFont_wght.ttf"}
"""The font the page names, as textual-serve ships it in ``static/fonts``."""
HANGUL_FONT = "NanumGothic.ttf"
"""Served from ``static/fonts`` beside Roboto Mono, for the code points of ``HANGUL``."""
HANGUL = "U+1100-11FF, U+3130-318F, U+A960-A97F, U+AC00-D7AF, U+D7B0-D7FF"
"""Hangul jamo, compatibility jamo, jamo extended A and B, and the syllables."""
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"'](?:https?:)?//[^>]*>", re.I)
_FONT_FACE = """<style>
{faces}    </style>
    <script>
      // fleet: start the terminal once its fonts are in. It caches each glyph the
      // first time it draws it, so a Hangul letter drawn while the font was still on
      // its way stayed blank for good. textual.js (above) set window.onload.
      (() => {
        const start = window.onload;
        window.onload = (event) => {
          const faces = ["normal", "bold"].flatMap((weight) => ["a", "\uac00"].map(
            (text) => document.fonts.load(weight + ' 16px "Roboto Mono"', text)));
          Promise.allSettled(faces).then(() => start && start(event));
        };
      })();
    </script>
  </head>"""


def offline_page(page: str) -> str:
    """textual-serve's page without the stylesheets it takes from other hosts (the
    web font), with the fonts declared from the server's own static files, and the
    terminal started only once they have loaded."""
    faces = "".join(
        f"      @font-face {{ font-family: \"Roboto Mono\"; font-style: {style}; "
        f"font-weight: 100 700; src: url(\"{{{{ config.static.url }}}}fonts/{file}\") "
        f"format(\"truetype\"); }}\n"
        for style, file in FONTS.items())
    faces += (f"      @font-face {{ font-family: \"Roboto Mono\"; font-weight: 100 700; "
              f"src: url(\"{{{{ config.static.url }}}}fonts/{HANGUL_FONT}\") "
              f"format(\"truetype\"); unicode-range: {HANGUL}; }}\n")
    page = _EXTERNAL_LINK.sub("", page)
    return page.replace("</head>", _FONT_FACE.replace("{faces}", faces), 1)


def write_offline_page(directory: Path) -> Path:
    """The offline page in ``directory``, to serve as the templates folder."""
    source = (SERVE_DIR / "templates" / PAGE).read_text(encoding="utf-8")
    (directory / PAGE).write_text(offline_page(source), encoding="utf-8")
    return directory


def write_statics(directory: Path) -> Path:
    """textual-serve's static files with the Hangul font added, in ``directory``, to
    serve as the statics folder."""
    from fleet.floor.lettering import WEB_FONT_FILE, font_path  # noqa: PLC0415

    statics = directory / "static"
    shutil.copytree(SERVE_DIR / "static", statics)
    web_font(font_path(WEB_FONT_FILE), statics / "fonts" / HANGUL_FONT)
    return statics


def web_font(source: Path, target: Path) -> None:
    """``source`` without the tables browsers refuse: NanumGothic keeps its hinting
    tool's sources (the TSI tables, one of them empty), and Chrome's font sanitizer
    rejects the whole font for an empty table ("OTS parsing error: TSI3: zero-length
    table"). They are for font editors only; the glyphs are untouched."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415

    with TTFont(source, lazy=True) as font:
        tags = list(font.keys())  # a TTFont is not iterable over its tags
        for tag in (t for t in tags if t.startswith("TSI")):
            del font[tag]
        font.save(target)


class AnyAddressServer(Server):
    """textual-serve's server, with the page's URLs (its script, styles, fonts and
    websocket) on the address the browser asked for.

    textual-serve writes them on the address it listens on, so with ``--host
    0.0.0.0`` (every interface, for tablets on the restaurant's LAN) the page told
    each browser to fetch ``http://0.0.0.0:8000/static/...``: nothing from another
    machine, no dashboard. The ``Host`` header of the page's request is the address
    that browser reached, so the page is written on it. ``public_url`` is read only
    while the page is rendered, with no wait in between, so one request's address
    never lands in another's page."""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)


def lan_address() -> str | None:
    """This machine's address on its LAN (of the interface its default route uses),
    or None with no route but loopback: what to tell people to open when the
    dashboard listens on every interface. Connecting a UDP socket sends nothing; the
    kernel only picks the interface a packet to that address would leave by."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # a documentation address (RFC 5737)
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _orphaned(parent: int) -> None:
    """Stop when the demo that started this process is gone (killed, not asked)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fleet.dashboard.web", description=__doc__)
    p.add_argument("--host", default="localhost")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--title", default="fleet")
    p.add_argument("command", help="the shell command a browser tab runs, quoted")
    a = p.parse_args(argv)
    threading.Thread(target=_orphaned, args=(os.getppid(),), daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="fleet-web-") as pages:
        AnyAddressServer(a.command, host=a.host, port=a.port, title=a.title,
                         statics_path=write_statics(Path(pages)),
                         templates_path=write_offline_page(Path(pages))).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
