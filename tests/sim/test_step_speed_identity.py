"""The simulator's step gives bit-identical results to the code it was sped up from.

Each run steps a :class:`sim.env.RacingEnv` with a fixed seed and scripted actions (noise on,
round robin, alternate direction) and hashes every observation, reward, terminated/truncated flag,
``info`` array and reward params dict (``waypoints`` aside: its list is the track's, checked once).
The digests were recorded on ``main`` (61e5c8c) before the step was reworked; any change to a
single bit of any result changes them. The two camera digests were recorded again for SIM_VERSION 3,
whose pixel noise comes from other draws (:mod:`sim.pixel_noise`: the rounded Gaussian's levels by
table from SplitMix64 words, one draw of the environment's generator per frame batch); with the old
noise they still gave the old digests, so the faster render changed no pixel.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.objects import ObjectsConfig
from sim.paths import assets_dir
from sim.reward import load_reward_function

STEPS = 200
CASES = {
    "none": (None, None, 16),
    "lidar": ("LIDAR", None, 16),
    "camera": ("FRONT_FACING_CAMERA", None, 4),
    "lidar_boxes": ("LIDAR", ObjectsConfig(number_of_obstacles=3), 16),
    "lidar_bots": ("LIDAR", ObjectsConfig(number_of_bot_cars=2, bot_car_speed=0.8, is_lane_change=True), 16),
    "camera_boxes": ("FRONT_FACING_CAMERA", ObjectsConfig(number_of_obstacles=2), 4),
}
"""Name: sensor, objects, cars."""

GOLDEN = {
    "camera": "a4d9ad401532f725024aaec33b3d4452eb06f6b6b9958a52cf4ef3315c14e55e",
    "camera_boxes": "ec011d2efcf0085fbeb08e0dbe30bac765780f2636e084a830f657ed8969a850",
    "lidar": "c861783189ef9f3ed580510f9a721869576ea738db252b5a68a764bb2f633d34",
    "lidar_bots": "5c385e8ef686a255d7036a3edabbaeeebe2cc21d87a4fd0d2882540fca9227f9",
    "lidar_boxes": "8aac02bda26798f14d52ce7ee164ada7813adec8858c206b79cbcca32355f28e",
    "none": "833b0faf2aa5b01edd15b28dc20ed7380680289a1d6b64aae13c255b09c31c1f",
}
"""Digest of each case, recorded on main before the rework (the camera cases: for SIM_VERSION 3)."""


def _update(h, value) -> None:
    arr = np.ascontiguousarray(np.asarray(value))
    h.update(str(arr.dtype).encode() + str(arr.shape).encode())
    h.update(arr.tobytes())


def run_digest(sensor, objects, n_cars: int, steps: int = STEPS) -> str:
    """SHA-256 of every result of ``steps`` scripted steps of a seeded environment."""
    track = load_track("workshop_loop")
    reward = load_reward_function((assets_dir() / "reward_functions" / "centre_line.py").read_text())
    env = RacingEnv(track, ActionSpace.from_console(3.0, 3, 30.0, 5),
                    EnvConfig(n_cars=n_cars, sensor=sensor, objects=objects, alternate_direction=True),
                    reward_fn=reward)
    h = hashlib.sha256()
    obs, info = env.reset(seed=7)
    _update(h, obs)
    _update(h, info["progress"])
    actions = np.random.default_rng(3).integers(0, 15, size=(steps, n_cars))
    waypoints = [(float(x), float(y)) for x, y in track.center]
    for k in range(steps):
        obs, rew, term, trunc, info = env.step(actions[k])
        for value in (obs, rew, term, trunc):
            _update(h, value)
        for key in sorted(info):
            h.update(key.encode())
            _update(h, info[key])
        for params in env.last_params:
            wps = params["waypoints"]
            assert wps == (waypoints[::-1] if params["is_reversed"] else waypoints)
            h.update(repr(sorted((key, v) for key, v in params.items() if key != "waypoints")).encode())
    return h.hexdigest()


def test_stacked_border_grids_answer_as_each_grid_does():
    """On and near the road (one stacked pass) and far from it (each grid on its own): the same points."""
    from sim.track_grid import StackedGrids

    track = load_track("workshop_loop")
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = track.bounds
    near = track.point_at(rng.uniform(0, track.length, 64)) + rng.normal(0, 0.2, (64, 2))
    anywhere = rng.uniform([x0 - 3, y0 - 3], [x1 + 3, y1 + 3], (64, 2))
    stacked = StackedGrids(list(track._border_grids))
    for p in (near, anywhere):
        for got, grid in zip(stacked.nearest_points(p), track._border_grids):
            seg, t, _, _ = grid.nearest(p)
            np.testing.assert_array_equal(got, grid.start[seg] + t[:, None] * grid.vec[seg])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_step_results_match_recorded_digest(case):
    assert run_digest(*CASES[case]) == GOLDEN[case]


if __name__ == "__main__":  # print the digests (to record them)
    for name in sorted(CASES):
        print(f'    "{name}": "{run_digest(*CASES[name])}",')
