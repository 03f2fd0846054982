"""Follow the centre line, and keep up the pace.

The same three bands as centre_line.py (1.0 near the middle, 0.5, 0.1, and
0.001 off the road), with one extra rule: when the car goes slower than
2 metres per second, the reward is halved.

Without it a careful car can learn to crawl round the track, since staying in
the middle is easy when slow. The penalty makes slow driving worth less, so
the car learns to be both tidy and quick. Pick the threshold to suit your action
space: it should sit between your slowest and fastest speeds.
"""

# Speeds below this (metres per second) earn only half the reward.
SPEED_THRESHOLD = 2.0


def reward_function(params):
    track_width = params["track_width"]
    distance_from_center = params["distance_from_center"]
    speed = params["speed"]

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

    if speed < SPEED_THRESHOLD:
        reward *= 0.5

    return float(reward)
