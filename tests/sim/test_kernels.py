"""The compiled LIDAR and camera (``sim.kernels``) give what the numpy reference gives: ranges to
1e-9 m (the LIDAR's float32 readings to the bit) and identical pixels, on random poses (on and off
the road, off the grid, any heading), with obstacles and bot cars, on a closed and an open track."""

import numpy as np
import pytest

from sim.camera import DEEPRACER_SIZE, TRAINING_SIZE, Camera, Palette
from sim.library import load_track
from sim.objects import ObjectsConfig, ObjectWorld
from sim.ray_cast import cast_fans, cast_rays, track_edges
from sim.sensors import Lidar
from sim.track import Track, TrackInfo
from sim.vehicle import CarState

N = 96


@pytest.fixture(scope="module")
def loop():
    return load_track("workshop_loop")


@pytest.fixture(scope="module")
def open_track():
    """An open S-bend, 0.8 m wide: its end caps are border lines too."""
    s = np.linspace(0, 3 * np.pi, 80)
    c = np.stack([s, 1.5 * np.sin(s / 1.5)], axis=1)
    t = np.gradient(c, axis=0)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    left = np.stack([-t[:, 1], t[:, 0]], axis=1)
    return Track(np.hstack([c, c + 0.4 * left, c - 0.4 * left]), TrackInfo(name="open_s"))


def poses(track, seed, n=N):
    """Sensor origins near the road (some far off it and off the grid) and headings all round."""
    rng = np.random.default_rng(seed)
    p = track.point_at(rng.uniform(0, track.length, n)) + rng.normal(0, 0.5, (n, 2))
    p[:6] += rng.uniform(-40, 40, (6, 2))  # far away: every segment is a candidate
    return p[:, 0], p[:, 1], rng.uniform(-np.pi, np.pi, n)


def objects_for(track, n, seed):
    world = ObjectWorld(track, ObjectsConfig(number_of_obstacles=3, number_of_bot_cars=2), n)
    rng = np.random.default_rng(seed)
    world.reset(np.arange(n), rng.random(n) < 0.5, rng)
    return world.state


def assert_same_ranges(a, b, max_range):
    assert np.array_equal(np.isinf(a), np.isinf(b))
    both = np.isfinite(a)
    assert both.mean() > 0.3 and (a[both] < 0.5 * max_range).any()  # the beams do meet things
    np.testing.assert_allclose(a[both], b[both], rtol=0, atol=1e-9)


@pytest.mark.parametrize("fov_deg, n_beams, max_range", [(300, 64, 12.0), (360, 90, 12.0), (120, 7, 2.0),
                                                         (300, 64, 0.505)])
@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_ranges_equal_the_numpy_ranges(loop, open_track, fov_deg, n_beams, max_range, seed):
    half = np.radians(fov_deg) / 2
    angles = np.linspace(-half, half, n_beams, endpoint=fov_deg < 360)
    for track in (loop, open_track):
        edges = track_edges(track)
        ox, oy, yaw = poses(track, seed)
        on_road = track.on_road(np.stack([ox, oy], axis=1))
        assert 0.2 < on_road.mean() < 0.9
        corners = objects_for(track, N, seed).corners()
        for objects in (None, corners):
            fast = cast_fans(edges, ox, oy, yaw, angles, max_range, on_road, objects)
            slow = cast_fans(edges, ox, oy, yaw, angles, max_range, on_road, objects, compiled=False)
            if max_range > 1:
                assert_same_ranges(fast, slow, max_range)
            else:
                np.testing.assert_array_equal(np.isinf(fast), np.isinf(slow))
                np.testing.assert_allclose(fast[np.isfinite(fast)], slow[np.isfinite(slow)], rtol=0, atol=1e-9)


def test_objects_change_the_compiled_ranges(loop):
    """Not a vacuous comparison: the boxes and bot cars do stop beams in the compiled path."""
    edges, angles = track_edges(loop), np.linspace(-2.6, 2.6, 64)
    ox, oy, yaw = poses(loop, 3)
    on_road = loop.on_road(np.stack([ox, oy], axis=1))
    plain = cast_fans(edges, ox, oy, yaw, angles, 12.0, on_road)
    seeing = cast_fans(edges, ox, oy, yaw, angles, 12.0, on_road, objects_for(loop, N, 3).corners())
    assert (seeing < plain - 1e-3).sum() > 50
    assert not (seeing > plain + 1e-12).any()


def test_single_rays_equal_the_numpy_path(loop):
    ox, oy, theta = poses(loop, 4, n=500)
    edges = track_edges(loop)
    on_road = loop.on_road(np.stack([ox, oy], axis=1))
    fast = cast_rays(edges, ox, oy, theta, 12.0, on_road)
    slow = cast_fans(edges, ox, oy, theta, np.zeros(1), 12.0, on_road, compiled=False)[:, 0]
    assert_same_ranges(fast, slow, 12.0)


@pytest.mark.parametrize("size", [TRAINING_SIZE, DEEPRACER_SIZE])
@pytest.mark.parametrize("side", [0.0, 0.03])
def test_compiled_frames_equal_the_numpy_frames(loop, size, side):
    camera = Camera(loop, size=size)
    x, y, yaw = poses(loop, 5, n=48)
    objects = objects_for(loop, 48, 5)
    for with_objects in (None, objects):
        fast = camera.render_at(x, y, yaw, side, with_objects)
        slow = camera.render_at(x, y, yaw, side, with_objects, compiled=False)
        np.testing.assert_array_equal(fast, slow)
    pal = Palette()
    drawn = np.isin(fast, [pal.box, pal.bot]) & ~np.isin(camera.render_at(x, y, yaw, side), [pal.box, pal.bot])
    assert drawn.sum() > 1000  # the blocks are in the frames, not only the ground
    assert len(np.unique(fast)) > 10


def test_candidate_runs_list_each_cells_segments(loop, open_track):
    """The runs the kernel reads name the same segments as the reference's candidate table, cell by cell."""
    for track in (loop, open_track):
        edges = track_edges(track)
        table, _ = edges.candidates(2.0)
        runs = edges.candidate_runs(2.0)
        assert runs.shape[1] > 1  # some cells do list several runs
        for row, cell_runs in zip(table, runs):
            listed = np.concatenate([np.arange(a, b) for a, b in cell_runs])
            np.testing.assert_array_equal(listed, row[row < edges.n_segments])


@pytest.mark.parametrize("seed", [0, 1])
def test_lidar_scans_equal_the_clipped_reference_ranges(loop, open_track, seed):
    """:meth:`Lidar.scan` (one compiled call: cells, road side, cast, clip, float32) reads what the
    reference ranges clipped give, to the bit, with objects and without."""
    for track in (loop, open_track):
        lidar = Lidar(track)
        ox, oy, yaw = poses(track, seed)
        state = CarState(ox - lidar.mount_offset * np.cos(yaw), oy - lidar.mount_offset * np.sin(yaw), yaw,
                         np.zeros(N))
        sx, sy = lidar.origins(state)
        on_road = track.on_road(np.stack([sx, sy], axis=1))
        world = objects_for(track, N, seed)
        for objects in (None, world):
            corners = None if objects is None else objects.corners()
            ref = cast_fans(lidar.edges, sx, sy, yaw, lidar.angles, lidar.max_range, on_road, corners,
                            compiled=False)
            want = np.clip(ref, lidar.min_range, lidar.max_range).astype(np.float32)
            got = lidar.scan(state, objects)
            assert got.dtype == np.float32 and got.shape == (N, lidar.n_beams)
            assert (got < lidar.max_range).mean() > 0.3
            np.testing.assert_array_equal(got, want)
