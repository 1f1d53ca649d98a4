"""Whether a robot leaving a pass should wait there for a dish the kitchen expects soon.

Dispatch holds a ready dish while another robot serves its table or is bound for it
(the table's spots are that robot's). A dish ready a few seconds after that robot
left the pass therefore waits out its whole visit and then a trip of its own: on the
bistro's lunch rush 39 dishes of seed 1 were ready within 10 s of their table's
robot leaving. A kitchen display knows roughly when a fired dish will be done; with
that estimate the robot can wait at the pass and take the dish along
(``fleet.controller.passhold`` holds it; ``fleet.controller.ridealong`` loads it).

Waiting is a trade of seconds: every dish on the robot waits as long as it holds
(plus the late dish's loading), against the late dish's own wait otherwise: the
robot's time at its table and the drive there again, and a robot's trip to do it.
Both are weighed in dish-seconds, as the policy weighs a batch, and the hold is
bounded whatever the sums say: a dish expected too far out is not waited for, a
kitchen running late is waited for only a little past its estimate, and no dish on
board is held near the cold-food limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fleet.dispatch.serving import ServeSettings


@dataclass(frozen=True, slots=True)
class HoldRule:
    settings: ServeSettings
    robot_weight: float = 0.5
    """Dish-seconds a second of robot time is worth (the policy's own weight)."""
    horizon_s: float = 15.0
    """A dish expected further out than this is not waited for."""
    max_hold_s: float = 20.0
    """The longest a robot waits at the pass in all for dishes not yet ready."""
    grace_s: float = 5.0
    """How long past its estimate a late dish is still waited for."""
    cold_margin_s: float = 60.0
    """No dish on board may get within this of the cold-food limit by the hold."""

    def until(self, now: float, expected_at: float) -> float:
        """When a hold begun at ``now`` for a dish expected at ``expected_at`` ends,
        ready or not."""
        return min(now + self.max_hold_s, expected_at + self.grace_s)

    def worth(self, now: float, expected_at: float, trays: int, *,
              aboard_ready_at: Sequence[float], pass_to_table_s: float,
              to_last_s: float) -> bool:
        """Whether waiting for one dish expected at ``expected_at`` (``trays`` trays)
        costs less than leaving without it.

        ``aboard_ready_at``: when each dish the robot takes anyway was ready;
        ``pass_to_table_s``: the drive from the pass to the late dish's table, which a
        trip of its own would make; ``to_last_s``: from leaving the pass to the trip's
        last table (earlier visits included), where a dish on board is presented last."""
        s = self.settings
        hold_s = max(0.0, expected_at - now)
        if hold_s > self.horizon_s or now > expected_at + self.grace_s:
            return False
        extra_s = hold_s + s.load_s_per_tray * trays
        for ready_at in aboard_ready_at:
            if now - ready_at + extra_s + to_last_s > s.cold_food_s - self.cold_margin_s:
                return False
        # Held, it waits for its loading and the drive with the others; left behind,
        # for those, the guest at its table, and a drive there again from the pass,
        # less the seconds the robot would have waited for it:
        saved = max(0.0, s.guest_s + pass_to_table_s - hold_s)
        # ... and a robot's trip of its own (load, there and back, the guest).
        saved += self.robot_weight * (2 * pass_to_table_s + s.guest_s)
        cost = len(aboard_ready_at) * extra_s + self.robot_weight * extra_s
        return saved > cost
