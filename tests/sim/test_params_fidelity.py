"""Params keys compared with a straightforward re-implementation of DeepRacer's own algorithm.

The reference follows deepracer-simapp ``bundle/markov/agent_ctrl/utils.py`` (``set_reward_and_metrics``)
and ``bundle/markov/track_geom/track_data.py`` / ``utils.py`` (``TrackLine.ndists``, ``find_prev_next``,
``get_nearest_points``) line by line with shapely, one car at a time. Its tracks have border rows that are
deliberately not opposite their centre rows (as on older DeepRacer tracks), so a row's inner-to-outer
distance is far from the road width.
"""

import bisect

import numpy as np
import pytest
from shapely.geometry import LinearRing, LineString, Point

from sim.params import PARAM_KEYS, ParamsBuilder, params_at
from sim.track import Track, TrackInfo


def skewed_loop(n=160, width=0.7):
    """A counter-clockwise ellipse loop whose inner rows sit 0.25 rad ahead of their centre row and
    outer rows 0.2 rad behind it."""
    def ring(th, r):
        return np.stack([(3.0 + r) * np.cos(th), (2.0 + r) * np.sin(th)], 1)
    th = np.linspace(0, 2 * np.pi, n + 1)
    arr = np.hstack([ring(th, 0.0), ring(th + 0.25, -width / 2), ring(th - 0.2, width / 2)])
    arr[-1] = arr[0]
    return Track(arr, TrackInfo(name="skewed_loop"))


def skewed_open(n=120, width=0.8):
    """An open S-shaped road along x whose border rows are shifted 0.3 m along it from their centre row."""
    def line(x, off):
        return np.stack([x, 0.8 * np.sin(x / 1.5) + off], 1)
    x = np.linspace(0.0, 9.0, n)
    arr = np.hstack([line(x, 0.0), line(x + 0.3, width / 2), line(x - 0.3, -width / 2)])
    return Track(arr, TrackInfo(name="skewed_open"))


def find_prev_next(a, x):
    """deepracer-simapp ``track_geom/utils.find_prev_next``."""
    next_index = bisect.bisect_right(a, x)
    prev_index = next_index - 1
    if prev_index == -1:
        prev_index = len(a) - 1
    if next_index == len(a):
        next_index = 0
    return prev_index, next_index


def deepracer_lines(arr, reverse):
    """DeepRacer's ``TrackData`` lines for the driving direction and the centre line's ``ndists``."""
    rows = arr[::-1] if reverse else arr
    is_loop = bool(np.all(arr[0] == arr[-1]))
    make = LinearRing if is_loop else LineString
    center, inner, outer = make(rows[:, 0:2]), make(rows[:, 2:4]), make(rows[:, 4:6])
    ndists = [center.project(Point(p), normalized=True) for p in center.coords[:-1]] + [1.0]
    is_ccw = (make(arr[:, 0:2]).is_ccw if is_loop else True) ^ reverse  # TrackData.is_ccw
    return center, inner, outer, ndists, is_ccw


def deepracer_params(lines, x, y):
    """The geometry keys DeepRacer computes for a car at ``(x, y)``, one car, plain Python."""
    center, inner, outer, ndists, is_ccw = lines
    point = Point(x, y)
    ndist = center.project(point, normalized=True)
    prev, nxt = find_prev_next(ndists, ndist)
    near_c = center.interpolate(ndist, normalized=True)
    near_in = inner.interpolate(inner.project(near_c))
    near_out = outer.interpolate(outer.project(near_c))
    coords = list(center.coords)
    d_prev, d_next = point.distance(Point(coords[prev])), point.distance(Point(coords[nxt]))
    return {"track_width": near_in.distance(near_out), "closest_waypoints": [prev, nxt],
            "projection_distance": ndist * center.length, "waypoints": coords,
            "distance_from_center": near_c.distance(point),
            "is_left_of_center": (near_in.distance(point) < near_out.distance(point)) ^ (not is_ccw),
            "sim_trace_closest_waypoint": nxt if d_next < d_prev else prev}


def road_points(track, rng, k, s=None):
    s = rng.uniform(0, track.length, k) if s is None else np.asarray(s, float)
    heading = track.heading_at(s)
    normal = np.stack([-np.sin(heading), np.cos(heading)], 1)
    return track.point_at(s) + normal * rng.uniform(-0.3, 0.3, len(s))[:, None]


def check_against_reference(track, pts, reverse):
    n = len(pts)
    builder = ParamsBuilder(track)
    rev = np.full(n, reverse)
    proj = track.project(pts)
    params = builder.build(proj, pts, np.zeros(n), np.full(n, 1.0), np.zeros(n), np.arange(1, n + 1),
                           np.zeros(n), rev, np.ones((n, 4), bool))
    nearest = builder.nearest_waypoint(pts, builder.driving_s(proj.s, rev), rev)
    lines = deepracer_lines(track.waypoints, reverse)
    for i, (p, (x, y)) in enumerate(zip(params, pts)):
        ref = deepracer_params(lines, x, y)
        assert p["track_width"] == pytest.approx(ref["track_width"], abs=1e-6)
        assert p["closest_waypoints"] == ref["closest_waypoints"]
        assert p["projection_distance"] == pytest.approx(ref["projection_distance"], abs=1e-6)
        assert p["distance_from_center"] == pytest.approx(ref["distance_from_center"], abs=1e-6)
        assert p["is_left_of_center"] == ref["is_left_of_center"]
        assert np.allclose(p["waypoints"], ref["waypoints"], atol=1e-12)
        assert nearest[i] == ref["sim_trace_closest_waypoint"]
        assert isinstance(p["steps"], float) and p["steps"] == float(i + 1)
    return params


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("make", [skewed_loop, skewed_open])
def test_keys_match_deepracer(make, reverse):
    track = make()
    rng = np.random.default_rng(7 + reverse)
    check_against_reference(track, road_points(track, rng, 200), reverse)


def test_border_rows_are_far_from_opposite():
    track = skewed_loop()
    rows = np.hypot(*(track.outer - track.inner).T)
    assert np.median(rows) > 1.3 * np.median(track.widths)  # the old reading would be badly off
    assert 0.6 < track.width < 0.8
    np.testing.assert_allclose(track.widths, track.width_at(track.cum_s), atol=1e-12)  # one reading, two paths


@pytest.mark.parametrize("reverse", [False, True])
def test_across_the_wrap_point(reverse):
    track = skewed_loop()
    n = len(track.center)
    s = np.concatenate([track.length - np.linspace(1e-3, 0.03, 20), np.linspace(1e-3, 0.03, 20)])
    params = check_against_reference(track, road_points(track, np.random.default_rng(3), 40, s), reverse)
    seen = [p["closest_waypoints"] for p in params]
    assert [n - 2, n - 1] in seen and [0, 1] in seen  # both sides of the wrap point were sampled
    assert [n - 2, 0] not in seen  # DeepRacer's bisect gives [N-2, N-1] on the last segment


def test_reversed_episode_reverses_the_waypoints():
    track = skewed_loop()
    x, y = track.center[5]
    fwd = params_at(track, x, y, 0.0)
    assert fwd["waypoints"][0] == tuple(track.center[0])
    p = ParamsBuilder(track)
    proj = track.project(np.array([[x, y]]))
    rev = p.build(proj, np.array([[x, y]]), np.zeros(1), np.ones(1), np.zeros(1), np.ones(1), np.zeros(1),
                  np.array([True]), np.ones((1, 4), bool))[0]
    assert rev["waypoints"] == fwd["waypoints"][::-1]
    assert rev["projection_distance"] == pytest.approx(track.length - fwd["projection_distance"])


def test_object_keys_hold_deepracer_defaults():
    track = skewed_open()
    p = params_at(track, *track.center[3], 0.0)
    assert set(p) == set(PARAM_KEYS)
    assert p["closest_objects"] == [0, 0] and p["object_in_camera"] is False
    for key in ("objects_location", "objects_left_of_center", "objects_speed", "objects_heading",
                "objects_distance_from_center", "objects_distance"):
        assert p[key] == []
    assert p["steps"] == 1.0 and isinstance(p["steps"], float)
