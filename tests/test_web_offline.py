"""The browser dashboard on a LAN with no way out (issue 14, finding 10): the page
``--web`` serves, and every stylesheet and script it loads, name no other host, and
the fonts they name (Hangul too) are served by the dashboard's own server. What a
browser really asks for is checked by ``test_web_browser.py``."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest
from fontTools.ttLib import TTFont

from drivers.mqtt.broker import free_port
from fleet.cli.demo_cmd import reachable
from fleet.dashboard.web import HANGUL, PAGE, SERVE_DIR, lan_address, offline_page, web_font
from fleet.floor.lettering import WEB_FONT_FILE, font_path

REPO = Path(__file__).resolve().parents[1]
_LOADED = re.compile(r"""(?:\bsrc|\bhref)\s*=\s*["']([^"']+)["']"""
                     r"""|url\(\s*["']([^"']+)["']|url\(\s*([^"')\s]+)"""
                     r"""|@import\s+["']([^"']+)["']""")
"""What a page or stylesheet makes a browser fetch: src and href attributes, CSS
url(...) and @import (an xmlns or a URL in a comment or a script's text is not)."""


def loaded(text: str) -> list[str]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # CSS comments load nothing
    return [next(g for g in m.groups() if g) for m in _LOADED.finditer(text)]


def foreign(urls: list[str], own: str) -> list[str]:
    """The URLs that point at a host other than ``own`` ("http://host:port")."""
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.netloc and f"{parts.scheme}://{parts.netloc}" != own:
            out.append(url)
    return out


def test_textual_serves_page_asks_the_internet_for_its_font_and_ours_does_not() -> None:
    """The rewrite is needed (textual-serve's page asks Google) and complete."""
    page = (SERVE_DIR / "templates" / PAGE).read_text(encoding="utf-8")
    assert foreign(loaded(page), "http://localhost:8000"), "nothing to rewrite any more?"
    ours = offline_page(page)
    assert foreign(loaded(ours), "http://localhost:8000") == []
    assert "{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf" in loaded(ours)
    assert "{{ config.static.url }}fonts/NanumGothic.ttf" in loaded(ours)
    assert f"unicode-range: {HANGUL};" in ours, "Hangul only: fetched when one is shown"


def test_the_served_hangul_font_has_its_letters_and_none_of_the_tables_chrome_refuses(
        tmp_path: Path) -> None:
    """Chrome refused NanumGothic whole ("OTS parsing error: TSI3: zero-length table")."""
    source = font_path(WEB_FONT_FILE)
    with TTFont(source, lazy=True) as font:
        assert "TSI3" in font and font.reader["TSI3"] == b"", "nothing to clean any more?"
    web_font(source, tmp_path / "web.ttf")
    with TTFont(tmp_path / "web.ttf") as font:
        assert not [tag for tag in font.keys() if tag.startswith("TSI")]  # noqa: SIM118
        cmap = font.getBestCmap()
        assert all(ord(ch) in cmap for ch in "불고기하우스진행주문"), "the glyphs are kept"


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_the_served_page_and_what_it_loads_name_no_other_host() -> None:
    port = free_port()
    own = f"http://localhost:{port}"
    web = subprocess.Popen([sys.executable, "-m", "fleet.dashboard.web", "--port", str(port),
                            "--title", "fleet", "true"], cwd=REPO,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        fetched = asyncio.run(_fetch_all(own))
    finally:
        web.terminate()
        web.wait(timeout=30)
    page = fetched[own + "/"]
    assert "Roboto Mono" in page
    for url, text in fetched.items():
        assert foreign(loaded(text), own) == [], f"{url} loads from another host"
    assert any(url.endswith(".ttf") for url in fetched), "the font comes from the server"


async def _fetch_all(own: str) -> dict[str, str]:
    """The page and each thing it loads (fonts and images as "")."""
    out: dict[str, str] = {}
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(60):
            while True:
                try:
                    async with http.get(own + "/") as reply:
                        if reply.status == 200:
                            out[own + "/"] = await reply.text()
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
        for ref in loaded(out[own + "/"]):
            url = urljoin(own + "/", ref)
            if urlsplit(url).netloc != urlsplit(own).netloc:
                continue  # reported by the caller; never fetched from here
            async with http.get(url) as reply:
                assert reply.status == 200, f"{url}: {reply.status}"
                body = await reply.read()
            out[url] = "" if url.endswith((".ttf", ".png")) else body.decode("utf-8", "replace")
        page = out[own + "/"]
        for style in [u for u in list(out) if u.endswith(".css")] + [own + "/"]:
            for ref in loaded(out[style] if style != own + "/" else page):
                url = urljoin(style, ref)
                if url.endswith(".ttf") and url not in out:
                    async with http.get(url) as reply:
                        assert reply.status == 200, f"{url}: {reply.status}"
                        out[url] = ""
    return out


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_on_every_interface_each_browser_is_sent_back_to_the_address_it_used() -> None:
    """``--host 0.0.0.0`` serves the LAN: a tablet that opened this machine's LAN
    address gets a page whose script, fonts and websocket are on that address (not
    on 0.0.0.0, which it cannot reach), and so does a browser on loopback."""
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no address but loopback")
    port = free_port("0.0.0.0")
    web = subprocess.Popen([sys.executable, "-m", "fleet.dashboard.web", "--host", "0.0.0.0",
                            "--port", str(port), "true"], cwd=REPO,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        seen = asyncio.run(_through_each([f"http://{lan}:{port}", f"http://127.0.0.1:{port}"]))
    finally:
        web.terminate()
        web.wait(timeout=30)
    for own, (page, script, handshake) in seen.items():
        host = urlsplit(own).netloc
        assert f'data-session-websocket-url="ws://{host}/ws"' in page, own
        assert foreign(loaded(page), own) == [], f"{own}: the page sends it elsewhere"
        assert f"{own}/static/js/textual.js" in loaded(page)
        assert script == 200 and handshake, f"{own}: script {script}, websocket {handshake}"


async def _through_each(owns: list[str]) -> dict[str, tuple[str, int, bool]]:
    """For each address: the page, its script's status, and whether the page's
    websocket opened."""
    out: dict[str, tuple[str, int, bool]] = {}
    async with aiohttp.ClientSession() as http, asyncio.timeout(60):
        for own in owns:
            while True:  # the server may still be starting
                try:
                    async with http.get(own + "/") as reply:
                        page = await reply.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
            async with http.get(own + "/static/js/textual.js") as reply:
                script = reply.status
            socket_url = re.search(r'data-session-websocket-url="([^"]+)"', page)
            assert socket_url is not None, f"{own}: no websocket in the page"
            async with http.ws_connect(socket_url.group(1) + "?width=80&height=24") as ws:
                out[own] = (page, script, not ws.closed)
    return out


def test_the_demo_names_an_address_a_tablet_can_open() -> None:
    """Listening on every interface, the demo points at this machine's LAN address
    (0.0.0.0 is no address to open); a given address is named as given."""
    assert reachable("0.0.0.0") == (lan_address() or "localhost") != "0.0.0.0"
    assert reachable("::") == reachable("0.0.0.0")
    assert reachable("127.0.0.1") == "127.0.0.1"
    assert reachable("::1") == "[::1]"
