"""Follow the centre line.

The first reward function most people write. The car earns the most when it
drives close to the middle of the road, and less the further it strays:

    within 10% of the track width from the centre  -> 1.0
    within 25%                                     -> 0.5
    within 50% (still on the road)                 -> 0.1
    further out                                    -> 0.001 (about to leave the road)

Half the track width is the road's edge, so the last band covers the whole road.
The reward is never exactly 0: a tiny value still tells the learner "bad",
without looking like a missing number.
"""


def reward_function(params):
    track_width = params["track_width"]
    distance_from_center = params["distance_from_center"]

    # Three bands around the centre line, as shares of the road's width.
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

    return float(reward)
