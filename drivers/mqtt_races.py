"""A race inside aiomqtt that is not ours, recognised so it is not taken for a fault.

When the broker dies, paho may ask aiomqtt to watch a socket it has just closed;
the loop callback that does so then fails with EBADF or "fd is not registered".
The client reconnects by itself and nothing of ours is involved, but an event
loop that treats every failed callback as fatal (the simulator, the tests) would
end the service over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def socket_gone_under_aiomqtt(context: Mapping[str, Any]) -> bool:
    """Whether a loop exception ``context`` is that race."""
    error = context.get("exception")
    if not isinstance(error, OSError | KeyError):
        return False
    handle = context.get("handle")
    # The handle is aiomqtt's own callback, or the loop's add_writer/add_reader that
    # aiomqtt scheduled with that callback as its argument. Its repr cannot tell
    # (asyncio shortens the arguments' reprs), so look at what it calls, and with what.
    parts = [getattr(handle, "_callback", None), *(getattr(handle, "_args", None) or ())]
    names = [f"{getattr(p, '__module__', '')}.{getattr(p, '__qualname__', '')}" for p in parts]
    names.append(repr(handle) + repr(context.get("message", "")))
    ours = any("aiomqtt" in n or "Client._on_socket_" in n for n in names)
    return ours and ("not registered" in str(error) or getattr(error, "errno", None) == 9)
