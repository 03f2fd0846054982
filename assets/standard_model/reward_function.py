"""Fast laps: reward the pace of the whole episode, not just staying tidy.

Why the centre-line examples make slow cars: they pay a little for every step on
the road, so a car that takes more steps to finish a lap collects more reward.
This function pays for *pace* instead: ``progress / steps`` is the share of a lap
covered per step since the episode started (about 1.1 % per step at 3 m/s on a
17.7 m track, 0.4 % at 1 m/s). Squaring it makes a fast lap worth more in total
than a slow one, even though the slow lap has more steps:

    slow lap: 250 steps x (0.4)^2  =  40
    fast lap:  90 steps x (1.11)^2 = 111

Finishing the lap earns a bonus that is bigger the fewer steps it took. Leaving the
road ends the episode, so it is enough to give almost nothing for that step.
Nothing here needs tuning for a particular track or action space. Pace is capped
at 5 % per step (no car is that fast) so that odd first steps cannot produce a
huge reward.
"""

LAP_BONUS = 1000.0
"""Bonus for a completed lap, divided by the steps it took (90 steps: about 11)."""


def reward_function(params):
    if params["is_offtrack"] or not params["all_wheels_on_track"]:
        return 1e-3
    steps = max(params["steps"], 1)
    pace = min(params["progress"] / steps, 5.0)  # percent of a lap per step, since the episode started
    reward = pace * pace
    if params["progress"] >= 100.0:
        reward += LAP_BONUS / steps
    return float(max(reward, 1e-3))
