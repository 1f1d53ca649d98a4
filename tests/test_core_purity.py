"""The core must not pull in I/O libraries: drivers, the API and the dashboard
depend on it, never the other way round."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

FORBIDDEN = ("paho", "aiomqtt", "serial", "textual", "amqtt", "matplotlib")


def test_importing_the_core_loads_no_io_library() -> None:
    code = (
        "import sys, fleet, fleet.config, fleet.errors, fleet.floor, fleet.routing\n"
        "import fleet.reporting, fleet.reporting.tables\n"
        "import fleet.floor.vector, fleet.floor.rosmap, fleet.floor.movingai\n"
        "from fleet.floor import load_floor\n"
        "load_floor('maps/bistro.toml')\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
