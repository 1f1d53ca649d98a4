"""The dashboard served to browsers (``fleet demo --web``): textual-serve runs one
``fleet dashboard`` process per browser tab and streams it over a websocket.

A module of its own, run as a child process (``python -m fleet.dashboard.web``),
because textual-serve's ``Server.serve`` owns its event loop and its signal
handlers until it ends; the demo's parent keeps its own, and stops this child
with the rest of the site.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

from textual_serve.server import Server


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
    Server(a.command, host=a.host, port=a.port, title=a.title).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
