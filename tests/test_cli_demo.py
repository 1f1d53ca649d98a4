"""``fleet demo`` as a newcomer runs it, in a process of its own: headless (progress
and the report) and ``--web`` (the dashboard in a browser, here a websocket
client), and stopped as a person or a service manager would stop it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from drivers.mqtt.broker import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
FLEET = [sys.executable, "-m", "fleet"]


def _children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split()[2] == "Z")


@pytest.mark.timeout(300)
def test_headless_demo_prints_progress_and_a_clean_report() -> None:
    done = subprocess.run([*FLEET, "demo", "--headless", "--duration", "4m", "--speed", "30"],
                          cwd=REPO, capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Bistro (site bistro): 4 simulated robots, counter" in out
    assert "starting the embedded broker" in out
    # The loop looks every 30 simulated seconds; on a loaded machine at 30x a look
    # lands a few seconds late, and the line says when it was taken.
    assert re.search(r"\b0:02:[0-2]\d  served", out), "a progress line every two minutes"
    report = out[out.index("scenario "):]
    dishes = next(line for line in report.splitlines() if line.startswith("dishes"))
    assert " open 0 " in dishes and "served 0 " not in dishes, dishes
    assert "violations         0" in report


@pytest.mark.timeout(300)
def test_web_demo_serves_the_dashboard_and_stops_cleanly_on_sigterm() -> None:
    port = free_port()
    demo = subprocess.Popen([*FLEET, "demo", "--web", "--port", str(port), "--speed", "5"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        screen = asyncio.run(_browse(port))
        assert b"Robots" in screen and b"floor: bistro" in screen, screen[-2000:]
        children = _children_of(demo.pid)
        assert len(children) >= 2, "the site and the web server run as children"
        demo.send_signal(signal.SIGTERM)
        out, _ = demo.communicate(timeout=120)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode == 0, out
    assert "the dashboard is at http://localhost:" in out
    assert "stopped early (SIGINT or SIGTERM)" in out, "the site's report is shown"
    deadline = time.monotonic() + 30
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(c) for c in children), "no child outlives the demo"


async def _browse(port: int) -> bytes:
    """What a browser gets: the page, then the dashboard's screen over the websocket."""
    url = f"http://localhost:{port}"
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(90):
            while True:
                try:
                    async with http.get(url + "/") as page:
                        if page.status == 200:
                            assert "fleet: Bistro" in await page.text()
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.2)
        screen = b""
        async with http.ws_connect(url + "/ws?width=140&height=44") as ws:
            async with asyncio.timeout(90):
                while b"Robots" not in screen or b"floor: bistro" not in screen:
                    message = await ws.receive()
                    if message.type == aiohttp.WSMsgType.BINARY:
                        screen += message.data
                    elif message.type == aiohttp.WSMsgType.TEXT:
                        screen += message.data.encode()
                    else:
                        break
        return screen


@pytest.mark.timeout(300)
def test_headless_demo_serves_the_korean_map_in_korean() -> None:
    """Issue 14, finding 9: the Korean floor plan (tables 창가1, 가3 ...) served by
    ``fleet demo --map ... --lang ko``; the demo's own lines in Korean, the
    simulation's report as it is."""
    done = subprocess.run([*FLEET, "demo", "--headless", "--map", "maps/bulgogi-house.toml",
                           "--lang", "ko", "--duration", "3m", "--speed", "30"],
                          cwd=REPO, capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "시뮬레이션 로봇 4대" in out and "불고기 하우스" in out
    assert "15분간 서빙" in out
    report = out[out.index("scenario "):]
    dishes = next(line for line in report.splitlines() if line.startswith("dishes"))
    assert " open 0 " in dishes and "served 0 " not in dishes, dishes
    assert "violations         0" in report
