"""The roles of a site's broker users, and what makes a user name.

A user name is also the MQTT client id (the broker replaces whatever id a client
sends by its user name) and, for tills and managers, the last level of their
request and reply topics. So it must be one topic level and fit Mosquitto's password
file (no ``:``): we allow ``A-Z a-z 0-9 _ . -``, which also keeps ACL lines free of
anything a broker could read as a wildcard.
"""

from __future__ import annotations

import re
from typing import Literal

from fleet.errors import AccessError

Role = Literal["controller", "robot", "pos", "manager", "dashboard", "observer"]

ROLES: dict[Role, str] = {
    "controller": "commands the robots (order, instantActions) and publishes the fleet "
                  "API's state; reads everything of its site",
    "robot": "publishes only its own state, connection, visualization and factsheet; "
             "reads only its own order and instantActions",
    "pos": "a till or kitchen display: sends on pos/{its name} only, reads its own "
           "replies and the public views",
    "manager": "sends every command on manager/{its name}, reads its own replies and the "
               "public views",
    "dashboard": "a manager's screen (fleet dashboard): the manager's rights, under a "
                 "name of its own per screen",
    "observer": "reads the public views only (a wall display, a report)",
}
"""Each role and what the generated ACL lets it do. A dashboard sends the manager's
commands (stop all, block a zone), so it has the manager's rights; it is a role of
its own so that ``fleet users list`` says which credential sits on which screen."""

NAME_RULE = "1-64 characters of A-Z a-z 0-9 _ . -"
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def check_role(role: str) -> Role:
    """``role`` if it is one; else ``AccessError`` listing the roles."""
    for known in ROLES:
        if role == known:
            return known
    raise AccessError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")


def check_name(name: str, what: str = "user name") -> str:
    """``name`` if it can be a user name; else ``AccessError`` saying why."""
    if not _NAME.fullmatch(name):
        raise AccessError(f"{what} {name!r}: use {NAME_RULE} (it is also the MQTT client "
                          "id and a topic level)")
    return name
