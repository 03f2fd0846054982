"""Compile the simulator's kernels now: ``python -m sim.warm_up`` (``make`` runs it after installing).

numba compiles each kernel the first time it runs and caches the machine code next to its module
(``cache=True``). On a fresh install that first time costs about ten seconds in all, which would
otherwise fall on the first training, evaluation or race. This drives a few cars once with every
sensor and with obstacles and bot cars, so each kernel is compiled for the array types the
simulator uses and cached; later processes load them in a fraction of a second.
"""

from __future__ import annotations

import time

import numpy as np

from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.objects import ObjectsConfig
from sim.paths import assets_dir
from sim.reward import load_reward_function

RUNS = (("LIDAR", None), ("FRONT_FACING_CAMERA", None), ("STEREO_CAMERAS", None), ("SECTOR_LIDAR", None),
        ("LIDAR", ObjectsConfig(number_of_obstacles=2)),
        ("FRONT_FACING_CAMERA", ObjectsConfig(number_of_bot_cars=1, is_lane_change=True)))
"""Sensor and objects of each warm-up drive: together they run every kernel."""


def warm_up(steps: int = 3) -> float:
    """Drive 2 cars ``steps`` steps in each of :data:`RUNS`; the seconds it took."""
    start = time.perf_counter()
    track = load_track("workshop_loop")
    reward = load_reward_function((assets_dir() / "reward_functions" / "centre_line.py").read_text())
    for sensor, objects in RUNS:
        env = RacingEnv(track, ActionSpace.from_console(3.0, 3, 30.0, 5),
                        EnvConfig(n_cars=2, sensor=sensor, objects=objects), reward_fn=reward)
        env.reset(seed=0)
        for k in range(steps):
            env.step(np.full(2, k % 15))
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"simulator kernels compiled and cached in {warm_up():.1f} s")
