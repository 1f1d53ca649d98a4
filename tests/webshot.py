"""A headless browser's look at the web dashboard with no way off this machine's
loopback: what it asked for, what it showed, and a screenshot.

A restaurant's LAN may have no way out, so the page ``fleet demo --web`` serves must
need nothing from the internet (issue 14). Reading the served HTML for foreign URLs
(``test_web_offline.py``) cannot see what a script asks for when it runs; a browser
can. Chromium is started with every host name but 127.0.0.1 unresolvable and every
other connection sent to a proxy on a dead port, writes its own net log of every
request the browser makes (its background services' too), and is driven over the
DevTools protocol, which reports each request and websocket frame of the page.
Rendered means: the words asked for came in the terminal's websocket frames, the
page's fonts finished loading, and textual-serve marked the body ``-first-byte``
(the terminal was written to) and not ``-closed`` (the session ended).

Run by ``tests/test_web_browser.py`` inside a network namespace of its own, and by
hand (docs/operations.md)::

    python tests/webshot.py http://127.0.0.1:8765/ web.png --expect 창가1

It prints what it saw as JSON, and exits 1 if the page asked for anything beyond
loopback or did not render in time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
SIZE = (1280, 800)
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
_NET_LOG_URL = re.compile(r'"(?:url|original_url|location)":"([^"]+)"')


def browser() -> str | None:
    """The first Chromium on PATH, or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def local(url: str) -> bool:
    """Whether fetching ``url`` stays on this machine: a loopback host, or a scheme
    that is no network request at all (data:, blob:, about:, chrome:)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss", "ftp"):
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def routes() -> list[str]:
    """This network namespace's routes other than loopback's (none in an empty one)."""
    out = []
    for table in (Path("/proc/net/route"), Path("/proc/net/ipv6_route")):
        with contextlib.suppress(OSError):
            rows = table.read_text().splitlines()
            body = rows[1:] if table.name == "route" else rows
            out += [r for r in body if r.split() and r.split()[-1] != "lo"]
    return out


def _dead_port() -> int:
    """A loopback port nobody listens on: connecting there is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chromium_args(binary: str, profile: Path) -> list[str]:
    return [binary, "--headless", "--no-sandbox", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            f"--window-size={SIZE[0]},{SIZE[1]}", f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            f"--log-net-log={profile / 'net-log.json'}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--proxy-server=http://127.0.0.1:{_dead_port()}",
            "--proxy-bypass-list=127.0.0.1", "about:blank"]


class Devtools:
    """One page's DevTools connection: calls answered by id, events kept in order;
    ``framed`` is set at each websocket frame the page receives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.framed = asyncio.Event()
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next = 0

    async def read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data:
                self._waiting.pop(data["id"]).set_result(data)
            else:
                self.events.append(data)
                if data.get("method") == "Network.webSocketFrameReceived":
                    self.framed.set()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = reply
        await self.ws.send_json({"id": self._next, "method": method, "params": params})
        async with asyncio.timeout(30):
            got = await reply
        if "error" in got:
            raise RuntimeError(f"DevTools {method}: {got['error']}")
        return dict(got.get("result", {}))

    async def evaluate(self, expression: str) -> Any:
        got = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                              returnByValue=True)
        return got.get("result", {}).get("value")

    def of(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.events if e.get("method") == method]

    def terminal_text(self) -> str:
        """What the page's websockets received, escapes stripped: the screen's text."""
        data = b"".join(base64.b64decode(f["response"]["payloadData"]) if
                        f["response"]["opcode"] != 1 else
                        f["response"]["payloadData"].encode()
                        for f in self.of("Network.webSocketFrameReceived"))
        return _ESCAPES.sub("", data.decode("utf-8", "replace"))


def look(url: str, png: Path, expect: Sequence[str], timeout: float) -> dict[str, Any]:
    """Open ``url`` in headless Chromium, wait (at most ``timeout`` seconds) until it
    rendered, save a screenshot to ``png``; what the page and the browser asked for
    and showed, as a dict."""
    binary = browser()
    if binary is None:
        raise RuntimeError(f"no Chromium on PATH (looked for {', '.join(BROWSERS)})")
    with tempfile.TemporaryDirectory(prefix="fleet-webshot-") as folder:
        profile = Path(folder)
        # A session of its own: Debian's launcher is a shell script that does not exec,
        # so stopping the browser means its whole process group.
        process = subprocess.Popen(chromium_args(binary, profile), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        progress: list[str] = []
        try:
            shot, image = asyncio.run(asyncio.wait_for(
                _drive(process, profile, url=url, expect=expect, progress=progress), timeout))
        except TimeoutError:
            raise RuntimeError(f"{url} did not render {list(expect)} within {timeout:g} s; "
                               f"the last it did: {progress[-3:]}") from None
        finally:
            _stop_group(process)
        log = (profile / "net-log.json").read_text(encoding="utf-8", errors="replace")
    png.write_bytes(image)
    shot["png"] = str(png)
    shot["net_log_urls"] = sorted(set(_NET_LOG_URL.findall(log)))
    shot["net_log_bytes"] = len(log)
    return shot


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """End the browser's whole process group and wait until none of it is left:
    the launcher ends first, and a renderer still writing the profile made removing
    it fail ("Directory not empty: 'Default'") once in CI."""
    for sig, patience in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 15.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=patience)
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


async def _port_of(process: subprocess.Popen[bytes], profile: Path) -> int:
    """The DevTools port, once Chromium has written it to its profile (nothing to
    wait on but the file: poll it)."""
    marker = profile / "DevToolsActivePort"
    while not await asyncio.to_thread(lambda: marker.is_file() and marker.read_text()):
        if process.poll() is not None:
            raise RuntimeError(f"the browser ended at start with {process.returncode}")
        await asyncio.sleep(0.1)
    return int((await asyncio.to_thread(marker.read_text)).split()[0])


async def _drive(process: subprocess.Popen[bytes], profile: Path, *, url: str,
                 expect: Sequence[str], progress: list[str]) -> tuple[dict[str, Any], bytes]:
    """Drive the browser; each step's outcome goes on ``progress``, for the error
    when it does not finish in time."""
    async with aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{await _port_of(process, profile)}"
        progress.append(f"the browser's DevTools are at {base}")
        async with http.get(f"{base}/json/list") as reply:
            page = next(t for t in await reply.json() if t["type"] == "page")
        async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            tools = Devtools(ws)
            async with asyncio.TaskGroup() as group:
                reader = group.create_task(tools.read())
                try:
                    return await _render(tools, url, expect, progress)
                finally:
                    with contextlib.suppress(RuntimeError, TimeoutError):
                        await tools.call("Browser.close")
                    reader.cancel()


async def _render(tools: Devtools, url: str, expect: Sequence[str],
                  progress: list[str]) -> tuple[dict[str, Any], bytes]:
    await tools.call("Network.enable")
    await tools.call("Page.enable")
    # The server may still be starting (refused): nothing tells when, so ask again.
    while error := (await tools.call("Page.navigate", url=url)).get("errorText"):
        progress.append(f"opening {url}: {error}")
        await asyncio.sleep(0.5)
    progress.append(f"opened {url}")
    while not all(word in (text := tools.terminal_text()) for word in expect):
        progress.append(f"{len(tools.of('Network.webSocketFrameReceived'))} frames, "
                        f"their text ends {text[-200:]!r}")
        tools.framed.clear()
        await tools.framed.wait()
    await tools.evaluate("document.fonts.ready.then(() => true)")
    await tools.evaluate(  # the terminal paints what it was written on the next frames
        "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
    fonts = await tools.evaluate(
        "[...document.fonts].map(f => [f.family.replaceAll('\"', ''), f.unicodeRange, "
        "f.status])")
    image = await tools.call("Page.captureScreenshot", format="png")
    body = await tools.evaluate("[...document.body.classList]")
    return {
        "url": url,
        "requests": [r["request"]["url"] for r in tools.of("Network.requestWillBeSent")],
        "websockets": [w["url"] for w in tools.of("Network.webSocketCreated")],
        "failed": [f"{f.get('errorText')} ({f['requestId']})"
                   for f in tools.of("Network.loadingFailed")],
        "fonts": fonts or [],
        "body": body or [],
        "seen": [word for word in expect if word in tools.terminal_text()],
        "terminal_chars": len(tools.terminal_text()),
        "routes": routes(),
    }, base64.b64decode(image["data"])


def leaks(shot: dict[str, Any]) -> list[str]:
    """Every URL the page or the browser asked for beyond loopback."""
    urls = [*shot["requests"], *shot["websockets"], *shot["net_log_urls"]]
    return sorted({u for u in urls if not local(u)})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="the dashboard's page, e.g. http://127.0.0.1:8765/")
    p.add_argument("png", type=Path, help="where to save the screenshot")
    p.add_argument("--expect", action="append", default=[],
                   help="a word the dashboard must show (repeatable)")
    p.add_argument("--timeout", type=float, default=120.0)
    a = p.parse_args(argv)
    # Stopped (a test's deadline), still close the browser: ``look`` does in ``finally``.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("webshot.py: stopped (SIGTERM)"))
    shot = look(a.url, a.png, a.expect, a.timeout)
    shot["leaks"] = leaks(shot)
    print(json.dumps(shot, ensure_ascii=False, indent=1))
    rendered = "-first-byte" in shot["body"] and "-closed" not in shot["body"]
    return 1 if shot["leaks"] or not rendered else 0


if __name__ == "__main__":
    sys.exit(main())
