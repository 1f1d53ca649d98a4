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
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import textual_serve
from textual_serve.server import Server

PAGE = "app_index.html"
SERVE_DIR = Path(textual_serve.__file__).resolve().parent
FONTS = {"normal": "RobotoMono-VariableFont_wght.ttf",
         "italic": "RobotoMono-Italic-VariableFont_wght.ttf"}
"""The font the page names, as textual-serve ships it in ``static/fonts``."""
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"'](?:https?:)?//[^>]*>", re.I)
_FONT_FACE = """<style>
{faces}    </style>
  </head>"""


def offline_page(page: str) -> str:
    """textual-serve's page without the stylesheets it takes from other hosts (the
    web font), and with the font declared from the server's own static files."""
    faces = "".join(
        f"      @font-face {{ font-family: \"Roboto Mono\"; font-style: {style}; "
        f"font-weight: 100 700; src: url(\"{{{{ config.static.url }}}}fonts/{file}\") "
        f"format(\"truetype\"); }}\n"
        for style, file in FONTS.items())
    page = _EXTERNAL_LINK.sub("", page)
    return page.replace("</head>", _FONT_FACE.format(faces=faces), 1)


def write_offline_page(directory: Path) -> Path:
    """The offline page in ``directory``, to serve as the templates folder."""
    source = (SERVE_DIR / "templates" / PAGE).read_text(encoding="utf-8")
    (directory / PAGE).write_text(offline_page(source), encoding="utf-8")
    return directory


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
        Server(a.command, host=a.host, port=a.port, title=a.title,
               templates_path=write_offline_page(Path(pages))).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
