"""Sensor benchmarks: LIDAR, SECTOR_LIDAR and camera for 64 cars on an 18 m track.

Run from the repository root: ``python tests/bench/bench_sensors.py``. Prints one JSON
line per measurement, ``{"bench": name, "value": number, "unit": unit}``. The ``*_numpy_*`` lines
time the numpy reference paths (``compiled=False``) beside the compiled kernels (``sim.kernels``). Per-step times
are the best of several repeats of the mean over many steps, so a busy machine inflates
them less.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import wanted  # noqa: E402

from sim.camera import DEEPRACER_SIZE, TRAINING_SIZE, Camera, track_texture  # noqa: E402
from sim.noise import NoiseConfig, noisy_pixels  # noqa: E402
from sim.objects import ObjectsConfig, ObjectWorld
from sim.ray_cast import cast_fans
from sim.sensors import Lidar, SectorLidar  # noqa: E402
from sim.track import Track, TrackInfo  # noqa: E402
from sim.vehicle import CarState  # noqa: E402

import sim.noise as noise_model

N_CARS = 64
STEPS = 20
REPEATS = 7


def bench_track() -> Track:
    """A re:Invent-sized loop: about 18 m of centre line, 0.76 m wide, two hairpins and a kink."""
    th = np.linspace(0, 2 * np.pi, 121)
    p = 4.0  # superellipse: long straights, tight ends
    x = 3.4 * np.sign(np.cos(th)) * np.abs(np.cos(th)) ** (2 / p)
    y = 1.6 * np.sign(np.sin(th)) * np.abs(np.sin(th)) ** (2 / p) - 0.25 * np.exp(-((th - 4.7) / 0.5) ** 2)
    c = np.stack([x, y], axis=1)
    c[-1] = c[0]
    t = np.gradient(c, axis=0)
    t[0] = t[-1] = c[1] - c[-2]
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    left = np.stack([-t[:, 1], t[:, 0]], axis=1)
    return Track(np.hstack([c, c + 0.38 * left, c - 0.38 * left]), TrackInfo(name="bench_loop"))


def random_poses(track: Track, rng: np.random.Generator, n: int) -> CarState:
    """Cars anywhere on the road, heading roughly along it."""
    s = rng.uniform(0, track.length, n)
    h = track.heading_at(s)
    p = track.point_at(s) + np.stack([-np.sin(h), np.cos(h)], axis=1) * rng.uniform(-0.3, 0.3, (n, 1))
    return CarState(p[:, 0], p[:, 1], h + rng.normal(0, 0.3, n), np.zeros(n))


def per_step_us(fn, states) -> float:
    best = np.inf
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for state in states:
            fn(state)
        best = min(best, (time.perf_counter() - t0) / len(states))
    return best * 1e6


def numpy_scan(lidar: Lidar, state: CarState) -> np.ndarray:
    """:meth:`Lidar.scan` through the numpy reference ray cast."""
    ox, oy = lidar.origins(state)
    on_road = lidar.track.on_road(np.stack([ox, oy], axis=1))
    d = cast_fans(lidar.edges, ox, oy, state.yaw, lidar.angles, lidar.max_range, on_road, compiled=False)
    return np.clip(d, lidar.min_range, lidar.max_range).astype(np.float32)


def build_s(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def emit(name: str, value: float, unit: str) -> None:
    if not wanted(name):
        return
    print(json.dumps({"bench": name, "value": round(value, 3), "unit": unit}), flush=True)


def main() -> None:
    rng = np.random.default_rng(0)
    track = bench_track()
    emit("sim.lidar_track_build_s", build_s(lambda: Lidar(track)), "s")
    emit("sim.camera_texture_build_s", build_s(lambda: track_texture(track)), "s")
    states = [random_poses(track, rng, N_CARS) for _ in range(STEPS)]
    lidar = Lidar(track)
    emit("sim.lidar_raycast_us_per_step", per_step_us(lidar.scan, states), "us")
    emit("sim.lidar_raycast_numpy_us_per_step", per_step_us(lambda st: numpy_scan(lidar, st), states), "us")
    # The LIDAR's share of an environment step: the scan and its sensing noise (DeepRacer's 0.01 m).
    lidar_noise, lidar_rng = noise_model.NoiseConfig(), np.random.default_rng(1)
    emit("sim.lidar_scan_us_per_step", per_step_us(lambda st: noise_model.noisy_ranges(
        lidar_rng, lidar_noise, lidar.scan(st), lidar.min_range, lidar.max_range), states), "us")
    emit("sim.sector_lidar_us_per_step", per_step_us(SectorLidar(track).scan, states), "us")
    small = Camera(track, size=TRAINING_SIZE)
    emit("sim.camera_render_80x60_us_per_step", per_step_us(small.render, states), "us")
    emit("sim.camera_render_80x60_numpy_us_per_step",
         per_step_us(lambda st: small.render_at(st.x, st.y, st.yaw, compiled=False), states), "us")
    emit("sim.camera_render_160x120_us_per_step", per_step_us(Camera(track, size=DEEPRACER_SIZE).render, states),
         "us")
    # The same with every car's own 3 boxes and 2 bot cars (DeepRacer's placement, fresh per car).
    world = ObjectWorld(track, ObjectsConfig(number_of_obstacles=3, number_of_bot_cars=2), N_CARS)
    world.reset(np.arange(N_CARS), rng.random(N_CARS) < 0.5, rng)
    lidar, camera = Lidar(track), Camera(track, size=TRAINING_SIZE)
    emit("sim.lidar_objects_us_per_step", per_step_us(lambda st: lidar.scan(st, world.state), states), "us")
    emit("sim.camera_objects_80x60_us_per_step", per_step_us(lambda st: camera.render(st, world.state), states), "us")
    # The camera's share of an environment step: the frames and their pixel noise (DeepRacer's defaults).
    noise, noise_rng = NoiseConfig(), np.random.default_rng(0)
    emit("sim.camera_scan_us_per_step", per_step_us(lambda st: noisy_pixels(noise_rng, noise, small.render(st)), states),
         "us")


if __name__ == "__main__":
    main()
