"""The embedded broker's lifetime is its controller's: no broker is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drivers.mqtt.broker import available_kinds

pytestmark = pytest.mark.integration


def test_the_embedded_broker_dies_with_a_controller_killed_hard(tmp_path: Path) -> None:
    """A controller killed with SIGKILL (no cleanup) leaves no broker process behind."""
    if not available_kinds():
        pytest.skip("no embedded broker implementation installed")
    script = ("import asyncio, os\n"
              "from drivers.mqtt.broker import EmbeddedBroker\n"
              "async def main():\n"
              "    broker = EmbeddedBroker()\n"
              "    await broker.__aenter__()\n"
              "    print(broker.pid, flush=True)\n"
              "    os._exit(0)\n"
              "asyncio.run(main())\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1], timeout=60)
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"broker {pid} outlived the process that started it")
