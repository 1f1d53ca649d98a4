"""Refused serial frames are told in words, not only counted: the session says what
was wrong with each (``take_refusals``, bounded), and a line's ``Refusals`` logs
them without letting a line spewing garbage flood the log. Sans I/O, no pty."""

from __future__ import annotations

import logging
from itertools import islice

import pytest

from drivers.serial.refusals import Refusals
from drivers.serial.session import REFUSALS_KEPT, Session
from sim.hostile_frames import LINE_MAKERS, LINE_REASONS, line_frames


def test_every_kind_of_broken_frame_is_refused_with_its_reason_in_words() -> None:
    session = Session("controller", now=0.0)
    for kind, data in islice(line_frames(11), 4 * len(LINE_MAKERS)):
        assert session.feed(data, 0.0) == []
        refusals = session.take_refusals()
        assert refusals, kind
        for reason, text in refusals:
            assert reason in LINE_REASONS[kind], (kind, reason, text)
            assert text.startswith(f"{reason}: ") and len(text) > len(reason) + 20, text
    assert session.take_refusals() == []  # each told once


def test_the_numbers_a_person_needs_are_in_the_text() -> None:
    session = Session("controller", now=0.0)
    texts = {}
    for kind, data in islice(line_frames(3), len(LINE_MAKERS)):
        session.feed(data, 0.0)
        texts[kind] = " | ".join(t for _, t in session.take_refusals())
    assert "carried 0x" in texts["bad_crc"] and "computed 0x" in texts["bad_crc"]
    assert "this end speaks 1" in texts["wrong_version"]
    assert "frame type 0x" in texts["unknown_control"]


def test_refusals_kept_between_two_reads_are_bounded() -> None:
    session = Session("controller", now=0.0)
    session.feed(b"\x01\x00" * (REFUSALS_KEPT * 3), 0.0)
    assert len(session.take_refusals()) == REFUSALS_KEPT
    assert session.stats.rejected.total() == REFUSALS_KEPT * 3  # counted all the same


def test_a_burst_is_logged_line_by_line_then_summed_up(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    now = [100.0]
    refusals = Refusals("R1 on /dev/ttyUSB0", burst=3, window_s=5.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="drivers.serial.refusals"):
        for _ in range(5):
            refusals.frame("crc", "crc: a 20-byte frame, CRC-32 does not match")
        refusals.message("state of another robot", "R9")
        assert len(caplog.messages) == 3
        now[0] += 5.0
        refusals.frame("short", "short: a 3-byte frame")
    assert caplog.messages[0] == ("R1 on /dev/ttyUSB0: frame refused, crc: a 20-byte frame, "
                                  "CRC-32 does not match (1 refused on this line so far)")
    assert caplog.messages[3] == ("R1 on /dev/ttyUSB0: 3 more refused, not logged one by one "
                                  "(2 crc, 1 state of another robot)")
    assert caplog.messages[4].startswith("R1 on /dev/ttyUSB0: frame refused, short: ")
    assert refusals.counts == {"crc": 5, "state of another robot": 1, "short": 1}
    assert refusals.recent[-2] == ("R1 on /dev/ttyUSB0: message refused, state of another "
                                   "robot (R9)")
