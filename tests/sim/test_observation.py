"""Several sensors in one observation: camera + lidar both present, stereo eyes apart, bad lists refused."""

import numpy as np
import pytest

from sim.actions import ActionSpace
from sim.camera import TRAINING_SIZE, Camera, StereoCamera
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.noise import NoiseConfig
from sim.observation import ObservationSpec, SensorError
from sim.sensors import Lidar


@pytest.fixture(scope="module")
def track():
    return load_track("practice_oval")


def _env(track, sensor, n=3):
    """Without sensing noise, so observations compare with the sensors' own output."""
    env = RacingEnv(track, ActionSpace.from_console(),
                    EnvConfig(n_cars=n, sensor=sensor, round_robin=True, noise=NoiseConfig.off()))
    env.reset(seed=0)
    return env


def test_camera_plus_lidar_observation_holds_both(track):
    env = _env(track, ["FRONT_FACING_CAMERA", "LIDAR"])
    obs = env.observe()
    assert obs.shape == (3, 60 * 80 + 64) and obs.dtype == np.float32
    images, ranges = env.obs_spec.split(obs)
    assert np.array_equal(images[:, 0], Camera(track, size=TRAINING_SIZE).render(env.state))
    assert np.allclose(ranges, Lidar(track).scan(env.state))
    assert ranges.min() < 3.0 and images.max() > 200  # a road edge in reach, a white border line in view


def test_stereo_eyes_differ_and_sit_either_side_of_the_centre(track):
    env = _env(track, "STEREO_CAMERAS")
    obs = env.observe()
    assert obs.shape == (3, 2, 60, 80) and obs.dtype == np.uint8
    left, right = obs[:, 0], obs[:, 1]
    assert (left != right).mean() > 0.05
    eye = Camera(track, size=TRAINING_SIZE)
    s = env.state
    assert np.array_equal(left, eye.render_at(s.x, s.y, s.yaw, 0.03))
    assert np.array_equal(right, eye.render_at(s.x, s.y, s.yaw, -0.03))
    # A zero baseline gives the mono camera's frame in both eyes.
    same = StereoCamera(track, size=TRAINING_SIZE, baseline=0.0).render(s)
    assert np.array_equal(same[:, 0], eye.render(s)) and np.array_equal(same[:, 1], eye.render(s))


@pytest.mark.parametrize("sensors, words", [
    (["FRONT_FACING_CAMERA", "STEREO_CAMERAS"], "one camera"),
    (["RADAR"], "unknown sensor 'RADAR'"),
    ([], "expected one camera"),
])
def test_sensor_lists_the_simulator_cannot_build_are_refused(sensors, words):
    with pytest.raises(SensorError, match=words):
        ObservationSpec.from_sensors(sensors, TRAINING_SIZE)


def test_split_and_join_round_trip():
    spec = ObservationSpec.from_sensors(["STEREO_CAMERAS", "SECTOR_LIDAR"], (8, 6))
    images = np.arange(2 * 2 * 6 * 8).reshape(2, 2, 6, 8).astype(np.uint8)
    ranges = np.array([[0, 1, 0, 0, 1, 0, 0, 1], [1] * 8], dtype=np.float32)
    obs = spec.join(images, ranges)
    assert obs.shape == (2, spec.shape[0]) == (2, 2 * 6 * 8 + 8)
    back_images, back_ranges = spec.split(obs)
    assert np.array_equal(back_images, images) and np.array_equal(back_ranges, ranges)


def test_a_spec_as_the_sensor_brings_its_own_camera_size(track):
    spec = ObservationSpec.from_sensors(["FRONT_FACING_CAMERA", "SECTOR_LIDAR"], (40, 30))
    env = _env(track, spec, n=1)  # EnvConfig.camera_size stays at its default (80 x 60)
    assert env.obs_spec == spec and env.observe().shape == (1, 30 * 40 + 8)


def test_each_part_can_be_changed_on_its_own():
    spec = ObservationSpec.from_sensors(["FRONT_FACING_CAMERA", "LIDAR"], (8, 6))
    obs = spec.join(np.full((2, 6, 8), 100, dtype=np.uint8), np.full((2, 64), 1.5, dtype=np.float32))
    out = spec.map_parts(obs, lambda im: im + 1, lambda r: r * 2)
    images, ranges = spec.split(out)
    assert (images == 101).all() and (ranges == 3.0).all() and out.shape == obs.shape
    assert (spec.split(obs)[1] == 1.5).all()  # the input is kept
    stereo = ObservationSpec.from_sensors("STEREO_CAMERAS", (8, 6))
    frames = np.zeros((1, 2, 6, 8), dtype=np.uint8)
    assert stereo.map_parts(frames, lambda im: im + 7, None).dtype == np.uint8
