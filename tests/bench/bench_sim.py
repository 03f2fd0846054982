"""Simulator throughput: car-steps per second on one core.

64 cars on ``workshop_loop`` with random actions from the workshop's action space
(3 m/s in 3 levels, 30 degrees in 5 levels) and the first example reward function
(centre-line bands), once with LIDAR observations and once with the camera at
training resolution. The real-time factor divides by DeepRacer's 15 steps per second.
``sim.oa_lidar_steps_per_s`` repeats the LIDAR run with DeepRacer's object avoidance (3 boxes,
evenly spaced in alternating lanes; target: at least 70% of ``sim.lidar_steps_per_s``), and
``sim.h2b_lidar_steps_per_s`` with head-to-bot (2 bot cars changing lanes).
"""

from __future__ import annotations

import time

import numpy as np
from common import report, wanted

from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.objects import ObjectsConfig
from sim.paths import assets_dir
from sim.reward import load_reward_function

N_CARS = 64


def car_steps_per_second(sensor: str, seconds: float = 3.0, objects: ObjectsConfig | None = None) -> float:
    track = load_track("workshop_loop")
    source = (assets_dir() / "reward_functions" / "centre_line.py").read_text()
    env = RacingEnv(track, ActionSpace.from_console(3.0, 3, 30.0, 5),
                    EnvConfig(n_cars=N_CARS, sensor=sensor, objects=objects), reward_fn=load_reward_function(source))
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 15, size=(4096, N_CARS))
    for k in range(20):  # warm up caches (sensor grids are built on first use)
        env.step(actions[k])
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(actions[steps % len(actions)])
        steps += 1
    return steps * N_CARS / (time.perf_counter() - start)


if __name__ == "__main__":
    for sensor, name in (("LIDAR", "lidar"), ("FRONT_FACING_CAMERA", "camera")):
        if not wanted(f"sim.{name}_steps_per_s"):
            continue
        rate = car_steps_per_second(sensor)
        report(f"sim.{name}_steps_per_s", rate, "car-steps/s", cars=N_CARS, track="workshop_loop")
        report(f"sim.{name}_realtime_factor", rate / 15.0, "x", cars=N_CARS)
    for name, objects in (("oa", ObjectsConfig(number_of_obstacles=3)),
                          ("h2b", ObjectsConfig(number_of_bot_cars=2, bot_car_speed=0.8, is_lane_change=True))):
        if wanted(f"sim.{name}_lidar_steps_per_s"):
            rate = car_steps_per_second("LIDAR", objects=objects)
            report(f"sim.{name}_lidar_steps_per_s", rate, "car-steps/s", cars=N_CARS, track="workshop_loop",
                   objects=objects.n_objects)
