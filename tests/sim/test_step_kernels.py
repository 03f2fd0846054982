"""The step's compiled loops (:mod:`sim.step_kernels`) give their numpy references' values to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from sim.library import load_track
from sim.track import Track, TrackInfo
from sim.vehicle import CarState, VehicleConfig, step_cars


@pytest.fixture(scope="module")
def track():
    return load_track("workshop_loop")


def _points(track, rng, n: int = 4000) -> np.ndarray:
    """Points near the road (most of them) and anywhere around it, some off every lookup grid."""
    x0, y0, x1, y1 = track.bounds
    near = track.point_at(rng.uniform(0, track.length, n), compiled=False) + rng.normal(0, 0.4, (n, 2))
    anywhere = rng.uniform([x0 - 4, y0 - 4], [x1 + 4, y1 + 4], (n, 2))
    return np.vstack([near, anywhere])


def test_physics_substeps_match_numpy():
    rng = np.random.default_rng(0)
    n, cfg = 500, VehicleConfig()
    start = CarState(rng.uniform(-5, 5, n), rng.uniform(-5, 5, n), rng.uniform(-4, 4, n), rng.uniform(0, 4, n))
    steer, speed = rng.uniform(-40, 40, n), rng.uniform(-1, 5, n)
    fast = step_cars(cfg, start.copy(), steer, speed)
    slow = step_cars(cfg, start.copy(), steer, speed, compiled=False)
    for name in ("x", "y", "yaw", "speed"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)


def test_nearest_segments_and_projection_match_numpy(track):
    p = _points(track, np.random.default_rng(1))
    on_grid = p[:4000]  # near the road: the compiled path answers
    assert track._grid.nearest_compiled(on_grid[:, 0], on_grid[:, 1]) is not None
    for fast, slow in zip(track._grid.nearest(p), track._grid.nearest(p, compiled=False)):
        np.testing.assert_array_equal(fast, slow)
    for fast, slow in zip(track._grid.nearest(on_grid), track._grid.nearest(on_grid, compiled=False)):
        np.testing.assert_array_equal(fast, slow)


def test_border_points_match_each_grids_numpy_answer(track):
    s = np.random.default_rng(2).uniform(-5, track.length + 5, 3000)
    centre = track.point_at(s, compiled=False)
    np.testing.assert_array_equal(track.point_at(s), centre)
    for got, grid in zip(track.border_points_at(s), track._border_grids):
        seg, t, _, _ = grid.nearest(centre, compiled=False)
        np.testing.assert_array_equal(got, grid.start[seg] + t[:, None] * grid.vec[seg])


def test_open_track_points_clip_to_the_line():
    x = np.linspace(0.0, 10.0, 51)
    centre = np.column_stack([x, 0.1 * np.sin(x)])
    track = Track(np.hstack([centre, centre + [0.0, 0.4], centre - [0.0, 0.4]]), TrackInfo(name="open"))
    assert not track.closed
    s = np.array([-1.0, 0.0, 3.3, track.length, track.length + 2.0])
    np.testing.assert_array_equal(track.point_at(s), track.point_at(s, compiled=False))


def test_on_road_table_answers_as_the_polygon(track):
    p = _points(track, np.random.default_rng(3), 20000)
    got = track.on_road(p)
    assert got.dtype == bool and got.shape == (len(p),)
    np.testing.assert_array_equal(got, shapely.intersects_xy(track.road, p[:, 0], p[:, 1]))
    border = np.vstack([track.inner, track.outer])  # on the border lines: road
    assert track.on_road(border).all()
    assert track.on_road(p.reshape(-1, 4, 2)).shape == (len(p) // 4, 4)


def test_along_matches_driving_s_and_closest_waypoints(track):
    from sim.params import ParamsBuilder

    builder = ParamsBuilder(track)
    rng = np.random.default_rng(4)
    s = np.concatenate([rng.uniform(0, track.length, 3000), [0.0, track.length - 1e-12], track.cum_s])
    reverse = rng.random(len(s)) < 0.5
    s_drive, (prev, nxt) = builder.along(s, reverse)
    np.testing.assert_array_equal(s_drive, builder.driving_s(s, reverse))
    for got, want in zip((prev, nxt), builder.closest_waypoints(builder.driving_s(s, reverse), reverse)):
        np.testing.assert_array_equal(got, want)


def test_pose_at_matches_point_at_and_heading_at(track):
    s = np.random.default_rng(5).uniform(-3, track.length + 3, 2000)
    point, heading = track.pose_at(s)
    np.testing.assert_array_equal(point, track.point_at(s, compiled=False))
    np.testing.assert_array_equal(heading, np.arctan2(*track.seg_vec[track.segment_at(s)][:, ::-1].T))


def test_projection_and_nearest_waypoint_match_numpy(track):
    from sim.params import ParamsBuilder
    from sim.track import Projection

    p = _points(track, np.random.default_rng(6))[:4000]  # near the road: the compiled projection answers
    got = track.project(p)
    seg, t, d2, cross = track._grid.nearest(p, compiled=False)
    s = track.cum_s[seg] + t * track.seg_len[seg]
    wrap = s >= track.length
    want = Projection(np.where(wrap, 0.0, s), np.where(wrap, 0, seg), np.sqrt(d2), cross > 0)
    for name in ("s", "segment", "distance", "left"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    builder = ParamsBuilder(track)
    reverse = np.random.default_rng(7).random(len(p)) < 0.5
    s_drive, closest = builder.along(got.s, reverse)
    np.testing.assert_array_equal(builder.nearest_waypoint(p, s_drive, reverse, closest),
                                  builder.nearest_waypoint(p, s_drive, reverse, closest, compiled=False))


def test_lane_points_and_offsets_match_numpy(track):
    from sim.lanes import border_offsets, inner_offsets, lane_points

    rng = np.random.default_rng(8)
    d = np.concatenate([rng.uniform(-3, track.length + 3, 3000), [0.0, track.length]])
    reverse, q = rng.random(len(d)) < 0.5, rng.uniform(0, 1, len(d))
    np.testing.assert_array_equal(lane_points(track, d, reverse, q), lane_points(track, d, reverse, q, compiled=False))
    for got, want in zip(border_offsets(track, d), border_offsets(track, d, compiled=False)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(inner_offsets(track, d), inner_offsets(track, d, compiled=False))
