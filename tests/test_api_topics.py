"""Topic plan: built and parsed alike; names that would change a subscription refused."""

from __future__ import annotations

import pytest

from fleet.api.topics import Topics
from fleet.errors import ProtocolError


def test_topics_round_trip() -> None:
    t = Topics("bistro")
    assert t.robot("R1") == "fleet/v1/bistro/robots/R1"
    assert t.parse_state(t.robot("R1")) == ("robot", "R1")
    assert t.parse_state(t.order("o-17")) == ("order", "o-17")
    assert t.parse_state(t.summary) == ("summary", None)
    assert t.parse_request(t.request("pos", "till-2")) == ("pos", "till-2")
    assert t.parse_request(t.request("manager", "dash")) == ("manager", "dash")
    assert t.reply("dash") == "fleet/v1/bistro/reply/dash"
    assert t.request_filters() == ["fleet/v1/bistro/pos/+", "fleet/v1/bistro/manager/+"]


@pytest.mark.parametrize("name", ["", "a/b", "a+", "#", "x\0"])
def test_levels_that_would_change_matching_are_refused(name: str) -> None:
    with pytest.raises(ProtocolError, match=r"topic level|empty"):
        Topics("s").robot(name)
    with pytest.raises(ProtocolError):
        Topics(name)


@pytest.mark.parametrize("topic", ["fleet/v1/other/pos/a", "fleet/v1/s/pos", "fleet/v1/s/pos/a/b",
                                   "fleet/v1/s/reply/a", "fleet/v1/s/pos/"])
def test_other_topics_are_not_requests(topic: str) -> None:
    with pytest.raises(ProtocolError, match="topic"):
        Topics("s").parse_request(topic)
