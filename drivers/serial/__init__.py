"""Robots on serial lines: the framed binary protocol (``docs/serial-protocol.md``)
and the driver that carries it over pyserial.

The protocol modules are pure (stdlib and the controller's values only) and can be
used by firmware simulators and tests without pyserial:

- ``framing``: COBS, CRC-32, frame header, ``FrameDecoder``;
- ``session``: the sans-I/O reliable ``Session`` (handshake, acks, retransmission);
- ``codec`` (with ``reports`` and ``binary``): message bodies.

The driver (``link``, ``port``, ``pump``) imports pyserial; nothing here imports it.
"""
