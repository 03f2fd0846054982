"""Follow the centre line, and do not zig-zag.

The same three bands as centre_line.py (1.0 near the middle, 0.5, 0.1, and
0.001 off the road), with one extra rule: when the car steers harder than
15 degrees either way, the reward is cut to 80% of what it would have been.

A car that weaves from side to side to stay on the centre line steers hard all
the time; this small penalty teaches it to hold a steady line instead.
"""

# Steering above this many degrees (left or right) counts as a sharp turn.
STEERING_THRESHOLD = 15.0


def reward_function(params):
    track_width = params["track_width"]
    distance_from_center = params["distance_from_center"]
    steering = abs(params["steering_angle"])  # positive is left, negative right; only the size matters

    band_1 = 0.1 * track_width
    band_2 = 0.25 * track_width
    band_3 = 0.5 * track_width

    if distance_from_center <= band_1:
        reward = 1.0
    elif distance_from_center <= band_2:
        reward = 0.5
    elif distance_from_center <= band_3:
        reward = 0.1
    else:
        reward = 1e-3  # probably off the road, or about to be

    if steering > STEERING_THRESHOLD:
        reward *= 0.8

    return float(reward)
