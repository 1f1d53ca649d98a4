"""Bad arguments end in one line naming the problem and a non-zero exit, never a
traceback: here, the web dashboard's port."""

from __future__ import annotations

import socket

import pytest

from fleet.cli import main


def test_demo_web_on_a_port_in_use_says_so_before_starting_anything(
        capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["demo", "--web", "--host", "127.0.0.1", "--port", str(port)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"cannot serve the dashboard on 127.0.0.1:{port}" in err
    assert "pick another --port" in err and "Traceback" not in err


def test_demo_web_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--web", "--port", "70000"]) == 1
    assert "--port must be 1..65535; got 70000" in capsys.readouterr().err
