"""Stay on the road and keep clear of the object ahead (object avoidance and head-to-bot).

The idea of the AWS DeepRacer documentation's object-avoidance example, written anew:

    on the road, clear of the edges                    -> lane reward 1.0 (else 0.001)
    the closest object ahead is in the car's lane      -> the further away it is, the more
                                                          the car earns (nearly nothing when
                                                          it is about to touch it)
    ... and it is in the other lane                    -> full avoidance reward, and the car
                                                          earns more the further it sits
                                                          into its own lane, away from it
    crashed or off the road                            -> 0.001

The object keys it reads: ``closest_objects`` ([behind, ahead] indices), ``objects_distance``
(each object's distance along the lap, m), ``objects_left_of_center`` and, for the car,
``projection_distance``, ``is_left_of_center``, ``distance_from_center``, ``track_length``,
``track_width``, ``is_crashed``. In a time trial (no objects) it rewards staying on the road.
"""

LOOK_AHEAD_M = 2.0  # objects farther ahead along the lap than this do not matter yet
CLEAR_M = 0.4  # closer than this (centre to centre, along the lap) the car is about to touch it


def reward_function(params):
    if params["is_crashed"] or params["is_offtrack"]:
        return 1e-3
    half_width = 0.5 * params["track_width"]
    off_centre = params["distance_from_center"]
    lane = 1.0 if params["all_wheels_on_track"] and half_width - off_centre >= 0.05 else 1e-3

    avoid = 1.0
    distances = params["objects_distance"]
    if distances:
        ahead = params["closest_objects"][1]
        # Along the lap, forwards, wrapping at the finish line.
        gap = (distances[ahead] - params["projection_distance"]) % params["track_length"]
        if gap < LOOK_AHEAD_M:
            same_lane = params["objects_left_of_center"][ahead] == params["is_left_of_center"]
            if same_lane:
                # Reward distance to it: nearly nothing when touching, full at LOOK_AHEAD_M.
                closeness = max(0.0, (gap - CLEAR_M) / (LOOK_AHEAD_M - CLEAR_M))
                avoid = 1e-3 + closeness ** 2
            else:
                # The other lane: the further into it (away from the object), the better.
                avoid = 0.5 + 0.5 * min(1.0, off_centre / (0.5 * half_width))
    return float(lane + 2.0 * avoid)
