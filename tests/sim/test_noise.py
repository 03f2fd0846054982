"""The noise model: per-car arrays, reproducible from the environment's seed, switchable off."""

import math

import numpy as np
import pytest

from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.noise import NoiseConfig, actuate, noisy_pixels, noisy_ranges, sense
from sim.pixel_noise import level_table

SPACE = ActionSpace.continuous((-30.0, 30.0), (0.1, 4.0))


def test_actuation_noise_has_the_configured_spread_per_car():
    rng = np.random.default_rng(0)
    cfg = NoiseConfig(steering_deg=1.0, speed_fraction=0.03)
    steer, speed = actuate(rng, cfg, np.full(20000, 10.0), np.full(20000, 2.0))
    assert steer.shape == speed.shape == (20000,)
    assert steer.mean() == pytest.approx(10.0, abs=0.03) and steer.std() == pytest.approx(1.0, rel=0.03)
    assert speed.mean() == pytest.approx(2.0, abs=0.003) and speed.std() == pytest.approx(0.06, rel=0.03)
    s0, v0 = actuate(rng, NoiseConfig.off(), np.array([10.0, -5.0]), np.array([2.0, 1.0]))
    assert s0.tolist() == [10.0, -5.0] and v0.tolist() == [2.0, 1.0]


def test_sensing_noise_keeps_types_and_limits():
    rng = np.random.default_rng(1)
    cfg = NoiseConfig()
    ranges = np.array([[0.15, 1.0, 12.0]] * 4000, dtype=np.float32)
    noisy = noisy_ranges(rng, cfg, ranges, 0.15, 12.0)
    assert noisy.dtype == np.float32 and noisy.min() >= 0.15 and noisy.max() <= 12.0
    assert noisy[:, 1].std() == pytest.approx(0.01, rel=0.05)
    img = np.full((2, 30, 40), 128, dtype=np.uint8)
    img[0, 0, 0], img[0, 0, 1] = 0, 255
    out = noisy_pixels(rng, cfg, img)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert (out != img).mean() > 0.5 and np.abs(out.astype(float) - img).max() < 20
    assert out[0, 0, 0] < 20 and out[0, 0, 1] > 235  # clipped at black and white, not wrapped round
    # Several sensors at once: each part gets its own kind of noise; binary sectors are left alone.
    sectors = np.array([[0.0, 1.0]], dtype=np.float32)
    both = sense(rng, cfg, None, {"LIDAR": ranges[:1], "SECTOR_LIDAR": sectors, "FRONT_FACING_CAMERA": img})
    assert not np.array_equal(both["LIDAR"], ranges[:1]) and np.array_equal(both["SECTOR_LIDAR"], sectors)
    assert both["FRONT_FACING_CAMERA"].dtype == np.uint8


def drive(seed, noise=None, sensor="LIDAR", steps=40, n=3):
    env = RacingEnv(load_track("practice_oval"), SPACE,
                    EnvConfig(n_cars=n, sensor=sensor, round_robin=False, noise=noise or NoiseConfig()))
    obs, _ = env.reset(seed=seed)
    seen = [obs]
    for _ in range(steps):
        obs, *_ = env.step(np.tile([[5.0, 2.0]], (n, 1)))
        seen.append(obs)
    return np.stack([env.state.x, env.state.y, env.state.yaw]), np.stack(seen)


def test_same_seed_same_run_other_seed_other_run_and_off_is_exact():
    pose, obs = drive(4)
    pose2, obs2 = drive(4)
    assert np.array_equal(pose, pose2) and np.array_equal(obs, obs2)
    pose3, obs3 = drive(5)
    assert not np.allclose(pose, pose3) and not np.array_equal(obs, obs3)
    # Cars given the same command drive differently: each car has its own noise.
    assert np.ptp(pose[0]) > 1e-4
    off_a, obs_a = drive(4, NoiseConfig.off())
    off_b, obs_b = drive(5, NoiseConfig.off())
    assert np.array_equal(off_a, off_b) and np.array_equal(obs_a, obs_b)
    assert np.ptp(off_a[0]) == 0.0


def test_rewards_see_the_commanded_action_not_the_noisy_one():
    seen = []
    env = RacingEnv(load_track("practice_oval"), SPACE, EnvConfig(n_cars=2, sensor=None, round_robin=False),
                    reward_fn=lambda p: seen.append((p["steering_angle"], p["speed"])) or 0.0)
    env.reset(seed=0)
    env.step(np.array([[5.0, 2.0], [5.0, 2.0]]))
    assert seen == [(5.0, 2.0), (5.0, 2.0)]


def test_a_joined_camera_and_lidar_observation_gets_each_parts_noise():
    from sim.actions import ActionSpace
    from sim.env import EnvConfig, RacingEnv
    from sim.library import load_track

    track = load_track("practice_oval")

    def observe(noise):
        env = RacingEnv(track, ActionSpace.from_console(),
                        EnvConfig(n_cars=2, sensor=["FRONT_FACING_CAMERA", "LIDAR"], noise=noise))
        env.reset(seed=3)
        return env.obs_spec.split(env.observe())

    (clean_im, clean_r), (noisy_im, noisy_r) = observe(NoiseConfig.off()), observe(NoiseConfig())
    assert (noisy_im != clean_im).mean() > 0.3  # grey levels moved
    assert np.all(np.abs(noisy_im.astype(int) - clean_im.astype(int)) <= 12)
    assert 0 < np.abs(noisy_r - clean_r).max() < 0.1  # ranges moved by centimetres


def rounded_gaussian(k, sigma):
    """P(rint(N(0, sigma)) = k), straight from ``math.erf``."""
    def cdf(x):
        return 0.5 * (1.0 + math.erf(x / (sigma * math.sqrt(2.0))))
    return np.array([cdf(j + 0.5) - cdf(j - 0.5) for j in k])


@pytest.mark.parametrize("sigma", [0.3, 2.0, 7.3, 40.0])
def test_the_pixel_noise_table_gives_each_level_its_probability_to_1_in_65536(sigma):
    table = level_table(sigma)
    assert table.shape == (65536,) and np.all(np.diff(table) >= 0)  # inversion: offsets in order
    reach = int(8 * sigma) + 3
    k = np.arange(-reach, reach + 1)
    share = np.array([(table == j).sum() for j in k]) / 65536
    assert share.sum() == 1.0  # nothing beyond the levels looked at
    assert np.abs(share - rounded_gaussian(k, sigma)).max() <= 1 / 65536


def test_pixel_noise_levels_come_with_the_rounded_gaussians_frequencies():
    rng = np.random.default_rng(11)
    n = 2_000_000
    offsets = noisy_pixels(rng, NoiseConfig(), np.full(n, 128, dtype=np.uint8)).astype(int) - 128
    k = np.arange(-12, 13)
    freq = np.array([(offsets == j).sum() for j in k]) / n
    p = rounded_gaussian(k, 2.0)
    # Within 5 standard errors of the exact law, plus the table's 1/65536.
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1 / 65536)
    assert offsets.std() == pytest.approx(math.sqrt(4.0 + 1 / 12), rel=0.005)  # N(0, 2) rounded


@pytest.mark.parametrize("shape", [(3, 60, 80), (2, 2, 7, 5), (5,)])
def test_compiled_pixel_noise_equals_the_numpy_reference(shape):
    images = np.random.default_rng(2).integers(0, 256, shape).astype(np.uint8)
    images.reshape(-1)[:4] = [0, 1, 254, 255]  # clipped at both ends
    cfg = NoiseConfig(camera_levels=3.0)
    fast = noisy_pixels(np.random.default_rng(5), cfg, images)
    slow = noisy_pixels(np.random.default_rng(5), cfg, images, compiled=False)
    assert fast.dtype == np.uint8 and fast.shape == shape
    np.testing.assert_array_equal(fast, slow)
    assert (fast != images).mean() > 0.5
    # Not in place, and a view of a bigger array (not contiguous) is read as it stands.
    view = np.broadcast_to(images[..., :1], shape)
    rng_a, rng_b = np.random.default_rng(6), np.random.default_rng(6)
    np.testing.assert_array_equal(noisy_pixels(rng_a, cfg, view), noisy_pixels(rng_b, cfg, view.copy()))
    assert rng_a.integers(1 << 30) == rng_b.integers(1 << 30)  # the same draws consumed


def test_pixel_noise_words_are_splitmix64():
    """The first words after key 1234567: the test vector of Vigna's splitmix64.c, as quoted by many ports."""
    from sim.pixel_noise import uniform16

    u = uniform16(1234567, 20).astype(np.uint64).reshape(5, 4)
    words = (u << (np.arange(4, dtype=np.uint64) * np.uint64(16))).sum(axis=1)
    assert words.tolist() == [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431,
                              16408922859458223821]
