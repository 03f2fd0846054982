"""A Gymnasium ``Env`` for one car, so people can train with other RL libraries.

    from sim.gym_adapter import TracksideGymEnv
    env = TracksideGymEnv("workshop_loop", reward_source=open("reward_function.py").read())

Gymnasium is an optional dependency (``pip install trackside[gym]``); it is
imported only here. The observation is the sensor reading (LIDAR ranges in m,
SECTOR_LIDAR flags, or a grayscale camera image), the action an index into a
discrete action space or ``(steering_deg, speed)`` for a continuous one.
"""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .actions import ActionSpace
from .env import EnvConfig, EpisodeStatus, RacingEnv
from .track import Track


class TracksideGymEnv(gym.Env):
    """One Trackside car as a ``gymnasium.Env``."""

    metadata = {"render_modes": []}

    def __init__(self, track: Track | str = "workshop_loop", action_space: ActionSpace | None = None,
                 reward_source: str | None = None, config: EnvConfig | None = None):
        if isinstance(track, str):
            from .library import load_track
            track = load_track(track)
        self.trackside_actions = action_space or ActionSpace.from_console()
        reward_fn = None
        if reward_source is not None:
            from .reward import load_reward_function
            reward_fn = load_reward_function(reward_source)
        config = replace(config or EnvConfig(), n_cars=1, autoreset=False)
        self.env = RacingEnv(track, self.trackside_actions, config, reward_fn=reward_fn)
        if self.trackside_actions.kind == "discrete":
            self.action_space = spaces.Discrete(self.trackside_actions.n)
        else:
            lo = np.array([self.trackside_actions.steering_range[0], self.trackside_actions.speed_range[0]], np.float32)
            hi = np.array([self.trackside_actions.steering_range[1], self.trackside_actions.speed_range[1]], np.float32)
            self.action_space = spaces.Box(lo, hi, dtype=np.float32)
        sample = self.env.observe()[0]
        if sample.dtype == np.uint8:
            self.observation_space = spaces.Box(0, 255, sample.shape, dtype=np.uint8)
        else:
            # LIDAR ranges are at most 12 m; SECTOR_LIDAR values are 0 or 1; next to a camera the
            # one array also holds its grey values, 0..255 (sim.observation.ObservationSpec).
            high = 255.0 if self.env.obs_spec.camera else 12.0
            self.observation_space = spaces.Box(0.0, high, sample.shape, dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, info = self.env.reset(seed=seed, options=options)
        return obs[0], {"progress": float(info["progress"][0])}

    def step(self, action):
        if self.trackside_actions.kind == "discrete":
            actions = np.array([int(action)])
        else:
            actions = np.asarray(action, dtype=np.float64).reshape(1, 2)
        # autoreset is off: a finished episode's observation is its final one, and
        # the caller starts the next with reset(), as Gymnasium expects.
        obs, reward, terminated, truncated, info = self.env.step(actions)
        status = EpisodeStatus(int(info["status"][0])).label
        out_info = {"status": status, "progress": float(info["progress"][0]), "steps": int(info["steps"][0])}
        if np.isfinite(info["lap_time"][0]):
            out_info["lap_time"] = float(info["lap_time"][0])
        return obs[0], float(reward[0]), bool(terminated[0]), bool(truncated[0]), out_info
