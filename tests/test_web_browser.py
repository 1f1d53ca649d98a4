"""The browser dashboard renders with the network cut (issue 14): ``fleet demo --web``
on the Korean floor plan, opened in headless Chromium, in a network namespace with
nothing but loopback when this machine allows one (root with ``unshare``, as CI),
and in any case with every host name but 127.0.0.1 unresolvable and every other
connection sent to a dead proxy (``webshot.py`` says how it looks).

What it shows: the page rendered the dashboard (its Korean words came over the
terminal's websocket, the terminal was written to, the screenshot is a full screen
of many colours, the Hangul font was fetched and loaded) and nothing, by the page's
own record or the browser's net log, was asked of any host beyond loopback.
docs/web-offline.png is such a screenshot; docs/operations.md has the command."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import webshot
from PIL import Image

from drivers.mqtt.broker import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
EXPECT = ("소파1", "진행 주문")
"""A table of maps/bulgogi-house.toml on the map, and a word of the Korean header."""


def _namespaces() -> bool:
    """Whether this process may put the demo in a network namespace of its own."""
    tools = all(shutil.which(t) for t in ("unshare", "nsenter", "ip"))
    return tools and os.geteuid() == 0 and subprocess.run(
        ["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(webshot.browser() is None,
                    reason="no Chromium installed (apt-get install chromium-headless-shell; "
                           ".ci/run installs it)")
@pytest.mark.timeout(300)
def test_the_korean_dashboard_renders_in_a_browser_with_no_way_off_loopback(
        tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    isolated = _namespaces()
    alone = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"']
    demo_log = tmp_path / "demo.log"
    with demo_log.open("w", encoding="utf-8") as log:
        demo = subprocess.Popen(
            [*(alone if isolated else []), sys.executable, "-m", "fleet", "demo", "--web",
             "--host", "127.0.0.1", "--port", str(port), "--map", "maps/bulgogi-house.toml",
             "--lang", "ko", "--duration", "900"],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    png = tmp_path / "web.png"
    try:
        if isolated:
            _until_apart(demo)
        inside = ["nsenter", f"--net=/proc/{demo.pid}/ns/net"] if isolated else []
        out, err = _look(demo, [*inside, sys.executable, str(REPO / "tests" / "webshot.py"),
                                url, str(png), *(a for w in EXPECT for a in ("--expect", w)),
                                "--timeout", "180"], demo_log)
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
    assert out, (f"webshot.py failed:\n{err[-3000:]}\n"
                 f"demo:\n{demo_log.read_text(encoding='utf-8')[-2000:]}")
    shot = json.loads(out)

    assert shot["leaks"] == [] and webshot.leaks(shot) == []
    own = {u for u in shot["requests"] if urlsplit(u).port == port}
    for path in ("/", "/static/js/textual.js", "/static/fonts/RobotoMono-VariableFont_wght.ttf",
                 "/static/fonts/NanumGothic.ttf"):
        assert f"http://127.0.0.1:{port}{path}" in own, f"{path} was not asked for"
    assert shot["websockets"] and all(u.startswith(f"ws://127.0.0.1:{port}/ws")
                                      for u in shot["websockets"])
    assert url in shot["net_log_urls"], "the net log is there and records requests"
    if isolated:
        assert shot["routes"] == [], "the namespace has a route off this machine"

    assert "-first-byte" in shot["body"] and "-closed" not in shot["body"], shot["body"]
    assert shot["seen"] == list(EXPECT)
    hangul = [f for f in shot["fonts"] if "AC00" in f[1]]
    assert hangul and all(status == "loaded" for _, _, status in hangul), shot["fonts"]
    with Image.open(io.BytesIO(png.read_bytes())) as image:
        assert image.size == webshot.SIZE
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 50, "a blank or one-colour page"
    assert max(n for n, _ in colours) < 0.9 * webshot.SIZE[0] * webshot.SIZE[1]


def _until_apart(demo: subprocess.Popen[bytes]) -> None:
    """Wait until ``unshare`` has given the demo its own network namespace: entered
    before that, the browser was in this machine's and found no server (nothing
    signals the moment, so look)."""
    ours = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 30
    while os.readlink(f"/proc/{demo.pid}/ns/net") == ours:
        assert demo.poll() is None, f"the demo ended at start ({demo.returncode})"
        assert time.monotonic() < deadline, "unshare gave the demo no namespace in 30 s"
        time.sleep(0.05)


def _look(demo: subprocess.Popen[bytes], command: list[str], demo_log: Path) -> tuple[str, str]:
    """webshot.py's output and errors; fails at once, with the demo's log, if the demo
    ends before the browser is done (else the browser would wait on a dead port)."""
    looked = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while True:
        try:
            return looked.communicate(timeout=1.0)
        except subprocess.TimeoutExpired:
            gone = demo.poll() is not None
            if gone or time.monotonic() > deadline:
                looked.terminate()  # it closes its browser
                try:
                    looked.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    looked.kill()
                    looked.communicate()
                why = f"the demo ended ({demo.returncode})" if gone else "webshot.py hung"
                pytest.fail(f"{why}:\n{demo_log.read_text(encoding='utf-8')[-3000:]}")
