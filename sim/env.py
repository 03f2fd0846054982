"""``RacingEnv``: ``n_cars`` independent cars on one track, as arrays, with DeepRacer's episode rules.

The API follows Gymnasium's vector environments: ``reset(*, seed, options)`` and
``step(actions) -> (obs, reward, terminated, truncated, info)``, every array with a
leading ``n_cars`` axis. A car whose episode ends is reset in the same step by a
boolean mask: the returned observation is the first one of its next episode, and
``info`` describes the step that ended the old one (its status, progress, lap time).

Episode rules (``deepracer-conventions.md`` section 5): one step is 1/15 s; an
episode ends on ``lap_complete`` (progress reaches 100), ``off_track`` (all four
wheels off the road), ``reversed`` (progress falling for 15 consecutive steps),
``immobilized`` (the car moved less than 0.3 mm per step for 15 steps), or
``time_up`` (the step cap; reported as truncated, not terminated), or ``crashed`` (the car's
body overlaps an obstacle or a bot car of its episode, :mod:`sim.objects`). With round
robin each new episode starts 5% of a lap further on than the previous one; with
alternate direction every other episode drives the track in reverse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .actions import ActionSpace
from .camera import TRAINING_SIZE
from .episode_rules import EpisodeStatus  # noqa: F401 (its home is sim.episode_rules; imported from here too)
from .lanes import lane_points
from .noise import NoiseConfig, actuate, noisy_pixels, noisy_ranges, sense
from .object_params import collisions, object_columns
from .objects import ObjectsConfig, ObjectWorld
from .observation import ObservationSpec
from .params import ParamsBuilder
from .put_back import put_back
from .sensor_setup import make_sensor, with_objects
from .track import Track
from .vehicle import CarState, VehicleConfig, step_cars

LIDAR_RANGE_LIMITS_M = (0.15, 12.0)
"""DeepRacer's LIDAR range, m (``sim.sensors.Lidar``'s defaults): noisy ranges stay inside it."""


@dataclass
class EnvConfig:
    """How episodes run. Defaults follow DeepRacer training."""

    n_cars: int = 1
    """Independent cars simulated side by side (they do not see each other)."""
    sensor: str | tuple[str, ...] | list[str] | ObservationSpec | None = "LIDAR"
    """Observation: ``LIDAR`` (64 ranges, m), ``SECTOR_LIDAR`` (8 values), ``FRONT_FACING_CAMERA``
    (grayscale image), ``STEREO_CAMERAS`` (two images), a list of one camera and one lidar (both
    in one array), an :class:`sim.observation.ObservationSpec` (its camera size wins), or None for
    no observation."""
    camera_size: tuple[int, int] = TRAINING_SIZE
    """Camera image (width, height) in pixels; DeepRacer's full size is (160, 120)."""
    round_robin: bool = True
    """Each new episode starts ``round_robin_advance`` of a lap further on."""
    round_robin_advance: float = 0.05
    """Fraction of a lap between consecutive episode starts."""
    start_fraction: float = 0.0
    """Where the first episode starts, as a fraction of the lap from waypoint 0."""
    reverse: bool = False
    """Drive the track against the file's direction."""
    alternate_direction: bool = False
    """Every other episode drives the other way."""
    max_steps: int | None = None
    """Step cap per episode (``time_up``); None: time for one lap at 0.4 m/s."""
    reversed_steps: int = 15
    """Consecutive steps of falling progress that end an episode as ``reversed``."""
    immobilized_steps: int = 15
    """Consecutive near-still steps that end an episode as ``immobilized``."""
    immobilized_m: float = 0.0003
    """Movement per step below which a car counts as still, m."""
    autoreset: bool = True
    """Reset finished cars inside ``step`` (vector-env style). False leaves them at
    their final state until ``reset`` (single-env Gymnasium style)."""
    end_on_off_track: bool = True
    """End the episode when all wheels leave the road (training). Evaluation with
    penalties sets this False and handles the reset itself."""
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    """Actuation and sensing noise (:mod:`sim.noise`), drawn from ``np_random`` (seeded by
    ``reset(seed=...)``); ``NoiseConfig.off()`` for exact, identical runs."""
    objects: ObjectsConfig | None = None
    """Obstacles and bot cars (DeepRacer's object avoidance and head-to-bot); None: a time trial."""
    end_on_crash: bool = True
    """End the episode as ``crashed`` when the car's body touches an object (training)."""


RewardFn = Callable[[dict], float]
"""A reward function, or a sequence of ``n_cars`` of them: one instance per car keeps
a stateful DeepRacer function (one that remembers the previous step in a global)
working as it does with DeepRacer's single car. Or an object with
``rewards_for_columns(columns) -> rewards`` (:class:`sim.reward_sandbox.RewardSandbox`), sent
:meth:`sim.params.ParamsBuilder.columns` once per step."""


class RacingEnv:
    """Vectorised DeepRacer-style environment on one track.

    Attributes after ``reset``: ``state`` (:class:`CarState`), ``reverse`` ``(n,)`` bool,
    ``steps`` ``(n,)`` int, ``progress`` ``(n,)`` percent, ``episode`` ``(n,)`` episode
    number of each car's current episode.
    """

    def __init__(self, track: Track, action_space: ActionSpace, config: EnvConfig | None = None,
                 vehicle: VehicleConfig | None = None, reward_fn: RewardFn | list[RewardFn] | None = None):
        self.track = track
        self.action_space = action_space
        self.config = config or EnvConfig()
        self.vehicle = vehicle or VehicleConfig()
        self.reward_fn = reward_fn
        self.n = self.config.n_cars
        self.dt = self.vehicle.step_dt
        self.params_builder = ParamsBuilder(track)
        objects = self.config.objects
        self.objects = ObjectWorld(track, objects, self.n) if objects is not None and objects.n_objects else None
        """Every car's obstacles and bot cars (:class:`sim.objects.ObjectWorld`), or None."""
        self.sensor = with_objects(make_sensor(track, self.config), self.objects)
        self.obs_spec = (None if self.config.sensor is None
                         else ObservationSpec.from_sensors(self.config.sensor, self.config.camera_size))
        """How one car's observation is laid out (None without a sensor)."""
        self._wheel_offsets = self.vehicle.wheel_offsets()
        self.np_random = np.random.default_rng()
        self.episodes_started = 0
        self.last_params: list[dict] | None = None
        self._alloc()

    def _alloc(self):
        n = self.n
        self.state = CarState.zeros(n)
        self.reverse = np.zeros(n, dtype=bool)
        self.steps = np.zeros(n, dtype=np.int64)
        self.start_s = np.zeros(n)       # driving-direction arc length of the start line, m
        self.lap_length = np.zeros(n)    # distance to travel for progress 100, m
        self.travelled = np.zeros(n)     # signed distance along the centre line since the start, m
        self.progress = np.zeros(n)
        self.falling = np.zeros(n, dtype=np.int64)
        self.still = np.zeros(n, dtype=np.int64)
        self.episode = np.zeros(n, dtype=np.int64)
        self.crashed = np.zeros(n, dtype=bool)

    @property
    def max_steps(self) -> int:
        if self.config.max_steps is not None:
            return self.config.max_steps
        return math.ceil(self.track.length / 0.4 / self.dt)

    # -- gymnasium-style API ------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode for every car. ``options`` may hold ``start_fraction`` and ``reverse``.

        The round-robin sequence restarts only with a new ``seed``; otherwise each
        reset continues it, so repeated single-car resets visit the whole lap. ``seed`` also
        seeds ``np_random``, the generator of every noise draw (:mod:`sim.noise`).
        """
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
            self.episodes_started = 0
        options = options or {}
        if "start_fraction" in options:
            self.config.start_fraction = float(options["start_fraction"])
        if "reverse" in options:
            self.config.reverse = bool(options["reverse"])
        self._reset_cars(np.ones(self.n, dtype=bool))
        return self.observe(), {"progress": self.progress.copy()}

    def step(self, actions):
        """Advance every car one step (1/15 s). ``actions``: indices ``(n,)`` or ``(n, 2)`` continuous."""
        steer, speed = self.action_space.commands(actions)
        cfg = self.config
        prev_x, prev_y = self.state.x.copy(), self.state.y.copy()
        step_cars(self.vehicle, self.state, *self.actuate(steer, speed))
        self.steps += 1
        self._advance_objects()

        ref, proj, wheels_on = self.locate()
        self.crashed = self._crashes()
        off = ~wheels_on.any(axis=1)
        moved = np.hypot(self.state.x - prev_x, self.state.y - prev_y)
        status, lap_time, frac, terminated, truncated = self._judge(proj.s, moved, off)

        along = self.params_builder.along(proj.s, self.reverse)  # once per step, shared below
        reward = self._rewards(proj, ref, speed, steer, wheels_on, along)
        nearest_wp = self.params_builder.nearest_waypoint(ref, along[0], self.reverse, along[1])
        info = {
            "status": status, "progress": self.progress.copy(), "steps": self.steps.copy(),
            "lap_time": lap_time, "x": ref[:, 0], "y": ref[:, 1], "yaw": self.state.yaw.copy(),
            "steering": steer, "speed": speed, "actual_speed": self.state.speed.copy(),
            "all_wheels_on_track": wheels_on.all(axis=1), "off_track": off, "crashed": self.crashed.copy(),
            "closest_waypoint": nearest_wp, "reverse": self.reverse.copy(), "episode": self.episode.copy(),
            "start_fraction": self.start_s / self.track.length, "cross_fraction": frac,
        }
        done = terminated | truncated
        if cfg.autoreset and done.any():
            self._reset_cars(done)
        return self.observe(), reward, terminated, truncated, info

    def close(self):
        pass

    def _judge(self, s_file: np.ndarray, moved: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, ...]:
        """Move progress along and apply the episode rules (:mod:`sim.episode_rules`, in
        :func:`sim.step_kernels.judge`) for file-order arc lengths ``s_file``: ``(status, lap_time,
        cross_fraction, terminated, truncated)``, each ``(n,)``."""
        from sim.step_kernels import judge  # numba: imported on first use, not by every CLI command

        cfg, n = self.config, self.n
        s_drive = np.where(self.reverse, self.track.length - s_file, s_file)
        # New arrays each step, as before: a caller holding last step's arrays keeps their values.
        self.travelled, self.progress = self.travelled.copy(), np.empty(n)
        self.falling, self.still = self.falling.copy(), self.still.copy()
        out = (np.empty(n, dtype=np.int64), np.empty(n), np.empty(n), np.empty(n, dtype=bool), np.empty(n, dtype=bool))
        judge(s_drive, (float(self.track.length), bool(self.track.closed)),
              (self.start_s, self.travelled, self.lap_length, self.progress, self.falling, self.still, self.steps),
              moved, (off, self.crashed),
              (int(self.max_steps), float(cfg.immobilized_m), int(cfg.immobilized_steps), int(cfg.reversed_steps),
               bool(cfg.end_on_off_track), bool(cfg.end_on_crash), float(self.dt)), out)
        return out

    def _rewards(self, proj, ref, speed, steer, wheels_on, along) -> np.ndarray:
        """``(n,)`` rewards of the step from ``reward_fn``; sets ``last_params`` (None for a worker
        process or no reward function). ``along``: :meth:`ParamsBuilder.along` of ``proj.s``."""
        self.last_params = None
        fn = self.reward_fn
        if fn is None:
            return np.zeros(self.n)
        objs = self.object_columns(proj, along[0])
        args = (proj, ref, self.state.yaw, speed, steer, self.steps, self.progress, self.reverse, wheels_on, objs,
                along)
        if hasattr(fn, "rewards_for_columns"):  # a worker process: one round trip per step
            return np.asarray(fn.rewards_for_columns(self.params_builder.columns(*args)), dtype=np.float64)
        params = self.params_builder.build(*args)
        self.last_params = params
        if callable(fn):
            return np.fromiter(map(fn, params), dtype=np.float64, count=self.n)
        return np.fromiter(map(lambda f, p: f(p), fn, params), dtype=np.float64, count=self.n)

    # -- helpers -----------------------------------------------------------------------------
    def locate(self):
        """Reference points ``(n, 2)``, their projection, and wheels on road ``(n, 4)``."""
        from sim.step_kernels import car_points  # numba: imported on first use, not by every CLI command

        st, n = self.state, self.n
        ref, wheels = np.empty((n, 2)), np.empty((n, len(self._wheel_offsets), 2))
        car_points(*(np.ascontiguousarray(a, dtype=np.float64) for a in (st.x, st.y, st.yaw)),
                   float(self.vehicle.reference_offset), self._wheel_offsets, ref, wheels)
        return ref, self.track.project(ref), self.track.on_road(wheels)

    def observe(self) -> np.ndarray:
        """The sensors' observation for every car: ``(n, *obs_spec.shape)``."""
        if self.sensor is None:
            return np.zeros((self.n, 0), dtype=np.float32)
        return self.sense(self.sensor(self.state))

    def actuate(self, steering_deg: np.ndarray, speed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What the cars drive with: commanded steering ``(n,)`` degrees and speed ``(n,)`` m/s
        plus the actuation noise of ``config.noise``. Rewards and traces keep the commands."""
        return actuate(self.np_random, self.config.noise, steering_deg, speed)

    def sense(self, obs, spec: ObservationSpec | None = None):
        """``obs`` with the sensing noise of ``config.noise``: LIDAR ranges and camera pixels, each
        part of a joined camera + LIDAR observation with its own (SECTOR_LIDAR's 0/1 readings stay).
        ``spec``: the layout of ``obs`` when it is not ``obs_spec`` (another car's sensors)."""
        spec = spec or self.obs_spec
        if self.config.noise.is_off or spec is None:
            return obs
        rng, noise, limits = self.np_random, self.config.noise, LIDAR_RANGE_LIMITS_M
        if spec.camera and spec.lidar:
            def ranges(r):
                return noisy_ranges(rng, noise, r, *limits) if spec.lidar == "LIDAR" else r
            return spec.map_parts(obs, lambda im: noisy_pixels(rng, noise, im), ranges)
        return sense(rng, noise, spec.lidar, obs, limits)

    def next_start(self) -> tuple[float, bool]:
        """Start fraction and direction of the next episode, advancing the round-robin counter."""
        cfg = self.config
        k = self.episodes_started
        self.episodes_started += 1
        frac = cfg.start_fraction + (k * cfg.round_robin_advance if cfg.round_robin else 0.0)
        reverse = cfg.reverse != (cfg.alternate_direction and k % 2 == 1)
        return frac % 1.0, reverse

    def continue_lap(self, idx: np.ndarray) -> None:
        """Start the next lap for cars ``idx`` that just completed one, without stopping them
        (continuous laps). The distance past the line carries over into the new lap."""
        self.travelled[idx] -= self.lap_length[idx]
        self.progress[idx] = 100.0 * np.clip(self.travelled[idx] / self.lap_length[idx], 0.0, 1.0)
        self.steps[idx] = 0

    def put_back(self, idx: np.ndarray) -> None:
        """Put cars ``idx`` back on the centre line at the progress they had reached, at rest,
        facing the driving direction (DeepRacer's reset after an off-track in evaluation); with a box
        less than 1 m along the track from there, 1 m behind the box in the other lane, the progress
        following the car back (DeepRacer's ``_get_car_reset_model_state``: :mod:`sim.put_back`)."""
        put_back(self, idx)

    def _reset_cars(self, mask: np.ndarray) -> None:
        idx = np.flatnonzero(mask)
        starts = [self.next_start() for _ in idx]
        frac = np.array([f for f, _ in starts])
        rev = np.array([r for _, r in starts], dtype=bool)
        self.place(idx, frac, rev)
        self.episode[idx] = self.episodes_started - len(idx) + np.arange(len(idx))
        self._reset_objects(idx)

    # -- objects (sim/objects.py) ---------------------------------------------------------------
    def _reset_objects(self, idx: np.ndarray) -> None:
        """New objects for cars ``idx``' new episodes. A car whose start lies within 1 m of an object
        starts in the other lane (DeepRacer's ``_get_car_start_model_state`` in training)."""
        self.crashed[idx] = False
        if self.objects is None:
            return
        self.objects.reset(idx, self.reverse[idx], self.np_random)
        q = self.objects.start_lane(idx, self.start_s[idx])
        j = idx[np.isfinite(q)]
        if len(j):
            ref = lane_points(self.track, self.start_s[j], self.reverse[j], q[np.isfinite(q)])
            d = self.vehicle.reference_offset
            self.state.x[j] = ref[:, 0] - d * np.cos(self.state.yaw[j])
            self.state.y[j] = ref[:, 1] - d * np.sin(self.state.yaw[j])

    def _advance_objects(self) -> None:
        if self.objects is not None:
            self.objects.advance(self.dt, self.np_random)

    def _crashes(self) -> np.ndarray:
        """``(n,)`` bool: each car's body overlaps one of its objects."""
        if self.objects is None:
            return np.zeros(self.n, dtype=bool)
        return collisions(self.vehicle, self.state, self.objects.state).any(axis=1)

    def object_columns(self, proj, s_drive: np.ndarray | None = None) -> tuple[list, ...]:
        """The object columns of the reward params for the cars' projections ``proj`` (empty without objects);
        ``s_drive``: their driving-direction arc lengths when the caller has them."""
        if self.objects is None:
            return ()
        if s_drive is None:
            s_drive = self.params_builder.driving_s(proj.s, self.reverse)
        return object_columns(self.objects.state, s_drive, self.crashed, state=self.state)

    def place(self, idx: np.ndarray, fraction: np.ndarray, reverse: np.ndarray, speed: float = 0.0) -> None:
        """Put cars ``idx`` at rest with their reference point on the centre line at
        ``fraction`` of the lap (driving direction), facing the driving direction."""
        L = self.track.length
        if not self.track.closed:
            fraction = np.minimum(fraction, 0.5)  # keep most of an open track ahead
        s_drive = fraction * L
        s_file = np.where(reverse, L - s_drive, s_drive)
        s_file = np.clip(s_file, 0.0, L - 1e-9) if not self.track.closed else s_file
        point, heading = self.track.pose_at(s_file)
        yaw = heading + np.where(reverse, np.pi, 0.0)
        d = self.vehicle.reference_offset
        self.state.x[idx] = point[:, 0] - d * np.cos(yaw)
        self.state.y[idx] = point[:, 1] - d * np.sin(yaw)
        self.state.yaw[idx] = np.arctan2(np.sin(yaw), np.cos(yaw))
        self.state.speed[idx] = speed
        self.reverse[idx] = reverse
        self.start_s[idx] = s_drive
        self.lap_length[idx] = L if self.track.closed else L - s_drive
        self.travelled[idx] = 0.0
        self.progress[idx] = 0.0
        self.steps[idx] = 0
        self.falling[idx] = 0
        self.still[idx] = 0
