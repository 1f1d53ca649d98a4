"""aiomqtt's socket race after a broker dies is recognised (and only it): the loop's
add_writer called with aiomqtt's callback on a socket already closed."""

from __future__ import annotations

import asyncio
import errno

from drivers.mqtt_races import socket_gone_under_aiomqtt


def _aiomqtt_style_callback() -> object:
    class Client:
        def _on_socket_register_write(self) -> object:
            def callback() -> None:
                pass
            return callback
    cb = Client()._on_socket_register_write()
    cb.__module__ = "aiomqtt.client"  # type: ignore[attr-defined]
    return cb


def test_the_race_is_recognised_whatever_the_repr_shortens() -> None:
    loop = asyncio.new_event_loop()
    try:
        handle = asyncio.Handle(loop.add_writer, (16, _aiomqtt_style_callback()), loop)
        assert "aiomqtt" not in repr(handle), "asyncio shortens the argument's repr"
        gone = OSError(errno.EBADF, "Bad file descriptor")
        assert socket_gone_under_aiomqtt({"exception": gone, "handle": handle})
        ours = asyncio.Handle(loop.add_writer, (16, lambda: None), loop)
        assert not socket_gone_under_aiomqtt({"exception": gone, "handle": ours})
        assert not socket_gone_under_aiomqtt({"exception": ValueError("x"), "handle": handle})
    finally:
        loop.close()
