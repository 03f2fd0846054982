"""Trackside's noise model: laps vary as DeepRacer's do, and every run replays from its seed.

DeepRacer's simulator is not deterministic: Gazebo's physics (tyre contact, the wheel-speed
controller, the simulation's real-time pacing) makes two laps of the same greedy model differ,
and its sensors are noisy by design (its LIDAR plugin adds Gaussian noise of standard
deviation 0.01 m, ``lidar_360_degree_noise_stddev`` in aws-deepracer-community/deepracer-simapp
``bundle/urdf/deepracer/racecar.xacro``). Our 2D world is exact, so this module adds the
variation back, explicitly and reproducibly:

- **actuation**: each step, each car's steering angle gets Gaussian noise of ``steering_deg``
  degrees and its target speed a Gaussian factor ``1 + N(0, speed_fraction)``. The reward
  function still sees the commanded values (DeepRacer's ``steering_angle`` and ``speed`` are
  the action's, not measured ones); only the car's motion is perturbed.
- **sensing**: LIDAR ranges get Gaussian noise of ``lidar_m`` metres (then clipped to the
  sensor's range); camera pixels get Gaussian noise of ``camera_levels`` grey levels (of 255,
  rounded, clipped), drawn as the rounded Gaussian's whole-level offsets from 16-bit uniforms
  (:mod:`sim.pixel_noise`). ``SECTOR_LIDAR`` values are binary and are left as they are.

Every draw comes from one ``numpy.random.Generator`` per environment (the camera's pixel uniforms from
SplitMix64 words keyed by one of its draws), seeded by
``RacingEnv.reset(seed=...)``: the same seed, model, track and rules give the same laps to the
last bit; another seed gives other laps. :meth:`NoiseConfig.off` switches all of it off.

Magnitudes: the defaults make a 10-lap evaluation of a good model vary by a few hundredths to
a few tenths of a second, as DeepRacer's laps do (the bench ``eval.lap_spread_s`` measures it
on the bundled standard model). Per-step noise averages out over the ~100-200 steps of a lap, so
the steering noise (1 degree, about the play of the real car's servo linkage) is what moves
the line; the speed noise (3 %) is of the order of the wheel-speed controller's ripple; the
camera noise (2 levels) is a fraction of the sensor noise of a small CMOS camera. Measured with
the racing-line driver on ``workshop_loop`` (10 trials, seed 1): no noise 5.845 s every lap;
these defaults about 6.06 s mean, 0.06 s standard deviation; steering noise of 1.5 degrees gave
0.067 s but cost 6 % of pace, so 1 degree was kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.pixel_noise import add_pixel_noise


@dataclass(frozen=True)
class NoiseConfig:
    """Standard deviations of the Gaussian noise applied each step (0 switches a part off)."""

    steering_deg: float = 1.0
    """Added to each car's steering angle, degrees (after the action, before the physics)."""
    speed_fraction: float = 0.03
    """Relative noise on each car's target speed (0.03 = 3 %)."""
    lidar_m: float = 0.01
    """Added to each LIDAR range, m (DeepRacer's LIDAR plugin uses 0.01 m)."""
    camera_levels: float = 2.0
    """Added to each camera pixel, grey levels of 0..255."""

    @classmethod
    def off(cls) -> NoiseConfig:
        """No noise at all: exact geometry and identical laps whatever the seed."""
        return cls(steering_deg=0.0, speed_fraction=0.0, lidar_m=0.0, camera_levels=0.0)

    @property
    def is_off(self) -> bool:
        return not (self.steering_deg or self.speed_fraction or self.lidar_m or self.camera_levels)


def fresh_seed() -> int:
    """A new seed from the operating system's entropy, 0 .. 2**32 - 1 (to be recorded with what it drove)."""
    return int(np.random.SeedSequence().generate_state(1)[0])


def actuate(rng: np.random.Generator, cfg: NoiseConfig, steering_deg: np.ndarray,
            speed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the car does with its commands: ``(steering_deg (n,), speed (n,))``, degrees and m/s.

    The caller clips to the car's limits afterwards (``sim.vehicle.clip_commands``).
    """
    steer = np.asarray(steering_deg, dtype=np.float64)
    spd = np.asarray(speed, dtype=np.float64)
    if cfg.steering_deg:
        steer = steer + cfg.steering_deg * rng.standard_normal(steer.shape)
    if cfg.speed_fraction:
        spd = spd * (1.0 + cfg.speed_fraction * rng.standard_normal(spd.shape))
    return steer, spd


def noisy_ranges(rng: np.random.Generator, cfg: NoiseConfig, ranges: np.ndarray, min_range: float,
                 max_range: float) -> np.ndarray:
    """LIDAR ranges ``(n, beams)`` m with noise, clipped to ``[min_range, max_range]``, same dtype."""
    if not cfg.lidar_m:
        return ranges
    if ranges.dtype not in (np.float32, np.float64):
        draws = rng.standard_normal(ranges.shape)
        return np.clip(ranges + cfg.lidar_m * draws, min_range, max_range).astype(ranges.dtype)
    # The draws, add, clip and cast in one compiled pass (numpy's five passes cost ~25 us a 64-car step):
    # the same draws in the same order, float64 sums and clipping as the lines above. Imported here:
    # numba costs ~0.2 s to import.
    from sim.kernels import add_normal_clipped

    out = np.empty(ranges.shape, dtype=ranges.dtype)
    add_normal_clipped(np.ascontiguousarray(ranges).reshape(-1), rng, float(cfg.lidar_m), float(min_range),
                       float(max_range), out.reshape(-1))
    return out


def noisy_pixels(rng: np.random.Generator, cfg: NoiseConfig, images: np.ndarray, compiled: bool = True) -> np.ndarray:
    """Camera images ``(n, ...)`` uint8 with noise, rounded and clipped to 0..255, uint8: the rounded
    Gaussian's offsets drawn by table (:func:`sim.pixel_noise.add_pixel_noise`; ``compiled`` False:
    its numpy reference, the same pixels)."""
    if not cfg.camera_levels:
        return images
    return add_pixel_noise(rng, images, cfg.camera_levels, compiled)


def sense(rng: np.random.Generator, cfg: NoiseConfig, sensor: str | None, obs, lidar_range=(0.15, 12.0)):
    """``obs`` of ``sensor`` with its sensing noise. A ``dict`` or ``tuple`` observation (several
    sensors) gets each part's noise: uint8 arrays as camera images, float arrays from a sensor
    named ``LIDAR`` as ranges in ``lidar_range`` (m); anything else is returned unchanged."""
    if isinstance(obs, dict):
        return {k: sense(rng, cfg, k, v, lidar_range) for k, v in obs.items()}
    if isinstance(obs, tuple):
        return tuple(sense(rng, cfg, sensor, v, lidar_range) for v in obs)
    if not isinstance(obs, np.ndarray) or obs.size == 0:
        return obs
    if obs.dtype == np.uint8:
        return noisy_pixels(rng, cfg, obs)
    if sensor == "LIDAR":
        return noisy_ranges(rng, cfg, obs, *lidar_range)
    return obs
