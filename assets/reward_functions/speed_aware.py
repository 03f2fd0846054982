"""Fast laps: stay on the road, point the way it goes, and cover ground quickly.

The centre-line examples teach a car to drive tidily, but not quickly: a racing
car should cut corners and go flat out on straights. This function scores four
things, each between 0 and 1, and adds them up (so a step is worth at most 5):

1. On the road. With a wheel off the road the step is worth almost nothing,
   whatever else the car does. The middle half of the road scores the same, so
   the car is free to take a racing line; towards the edges the score fades.
2. Heading. The car should point the way the road goes. The road's direction
   comes from the two waypoints around the car, ``closest_waypoints`` (the one
   just behind and the one just ahead, in the direction of driving).
3. Speed, but only while pointing the right way: going fast towards the wall
   earns nothing.
4. Pace. ``progress`` (percent of a lap since this episode started) and
   ``steps`` (decisions so far, 15 per second) give the average speed along the
   track since the start. Weaving or braking lowers it; a fast, clean lap
   raises it. This part counts double, because it is what the lap time measures.

Tune MAX_SPEED to the fastest speed in your action space.
"""

import math

MAX_SPEED = 4.0
"""Fastest speed in the action space, metres per second."""
STEPS_PER_SECOND = 15.0
"""The car takes 15 decisions (steps) per second."""
WORST_HEADING = 30.0
"""Pointing this many degrees (or more) away from the road's direction earns no heading score."""
SAFE_SHARE = 0.5
"""Share of the half-width, from the centre out, where the road score is full."""


def reward_function(params):
    # 1. On the road: a wheel off the road makes the whole step nearly worthless.
    if params["is_offtrack"] or not params["all_wheels_on_track"]:
        return 1e-3
    half_width = 0.5 * params["track_width"]
    out = params["distance_from_center"] / half_width  # 0 in the middle, 1 at the edge
    if out <= SAFE_SHARE:
        on_road = 1.0
    else:
        on_road = max(0.0, (1.0 - out) / (1.0 - SAFE_SHARE))  # fades to 0 at the edge

    # 2. Heading: compare the car's heading with the direction from the waypoint
    # behind the car to the one ahead of it.
    waypoints = params["waypoints"]
    behind, ahead = params["closest_waypoints"]
    dx = waypoints[ahead][0] - waypoints[behind][0]
    dy = waypoints[ahead][1] - waypoints[behind][1]
    road_direction = math.degrees(math.atan2(dy, dx))
    error = abs(road_direction - params["heading"]) % 360.0
    if error > 180.0:
        error = 360.0 - error  # the short way round: 350 degrees off is 10 degrees off
    aligned = max(0.0, 1.0 - error / WORST_HEADING)

    # 3. Speed counts only as much as the car points down the road.
    fast = aligned * min(1.0, params["speed"] / MAX_SPEED)

    # 4. Pace: metres along the track per second since the episode started.
    seconds = max(params["steps"], 1) / STEPS_PER_SECOND
    metres = params["progress"] / 100.0 * params["track_length"]
    pace = min(1.0, metres / seconds / MAX_SPEED)

    reward = on_road + aligned + fast + 2.0 * pace
    return float(max(reward, 1e-3))
