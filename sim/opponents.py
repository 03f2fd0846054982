"""Head-to-model: two cars of one :class:`sim.env.RacingEnv` that see each other as objects.

DeepRacer's head-to-head race (DeepRacer-for-Cloud ``DR_RACE_TYPE=HEAD_TO_MODEL`` with an
opponent ``DR_EVAL_OPP_S3_MODEL_PREFIX``) puts two agents on the track at once. In its
simulation app (aws-deepracer-community/deepracer-simapp, ``bundle/markov/agent_ctrl/
rollout_agent_ctrl.py``) every racecar registers itself in the track data as an object of
``ObstacleDimensions.BOT_CAR_DIMENSION`` at its current pose (``initialize_object`` and
``update_object_pose``), so each agent's reward params, LIDAR and camera hold the other car as a
bot-sized object; ``racecar_0`` starts in the outer lane and ``racecar_1`` in the inner lane
(``_start_lane_``), both at the start line.

Here one environment holds both cars (``n_cars = 2``); car ``i``'s object world holds one object,
the other car: a :data:`sim.objects.BOT_CAR_SIZE_M` rectangle centred on the other car's body
(midway between its axles, where DeepRacer's base link sits), with its heading and its real speed
(``objects_speed``), placed anew after every physics step. A car that has finished its race is
parked off the track as DeepRacer parks it (``_park_car_model``): the other car no longer sees it.
"""

from __future__ import annotations

import numpy as np

from .env import EnvConfig, RacingEnv
from .lanes import lane_points
from .objects import ObjectsConfig, ObjectWorld
from .sensor_setup import make_sensor, with_objects
from .track import Track
from .vehicle import VehicleConfig

PARKED_AT_M = 1.0e4
"""Where a parked car's object is put, m (far off any track: no sensor or collision reaches it)."""
START_LANES = (1.0, 0.0)
"""Start lane of car 0 and car 1 (``q``: 0.0 inner, 1.0 outer): DeepRacer's ``racecar_0`` outer, ``racecar_1`` inner."""


class OpponentWorld(ObjectWorld):
    """Each of two cars' one object is the other car (see the module docstring).

    ``state.speed`` here is ``(n, 1)``: each car's view of the other car's speed, m/s.
    """

    def __init__(self, track: Track, env: RacingEnv):
        super().__init__(track, ObjectsConfig(number_of_bot_cars=1), 2)
        self.env = env
        self.parked = np.zeros(2, dtype=bool)
        """Cars whose race is over: parked off the track."""
        self.state.speed = np.zeros((2, 1))

    def reset(self, idx: np.ndarray, reverse: np.ndarray, rng: np.random.Generator) -> None:
        idx = np.asarray(idx, dtype=np.intp)
        self.state.reverse[idx] = reverse
        self.state.time[idx] = 0.0
        self.parked[:] = False
        self.follow()

    def advance(self, dt: float, rng: np.random.Generator) -> None:
        self.state.time += dt
        self.follow()

    def start_lane(self, idx: np.ndarray, start_d: np.ndarray) -> np.ndarray:
        """No lane change at the start: the cars start in their own lanes (:data:`START_LANES`)."""
        return np.full(len(np.asarray(idx)), np.nan)

    def follow(self) -> None:
        """Put each car's object where the other car's body is now (parked cars far away)."""
        cars, vehicle = self.env.state, self.env.vehicle
        other = np.array([1, 0])
        mid = vehicle.wheelbase / 2
        x = cars.x + mid * np.cos(cars.yaw)
        y = cars.y + mid * np.sin(cars.yaw)
        gone = self.parked[other]
        x = np.where(gone, PARKED_AT_M, x[other])
        y = np.where(gone, PARKED_AT_M, y[other])
        self.state.speed[:, 0] = np.where(gone, 0.0, cars.speed[other])
        self.put(x[:, None], y[:, None], cars.yaw[other][:, None])


def head_to_model_env(track: Track, action_space, config: EnvConfig, vehicle: VehicleConfig | None = None,
                      reward_fn=None) -> RacingEnv:
    """A two-car :class:`RacingEnv` whose cars see each other (:class:`OpponentWorld` as ``env.objects``).

    ``config.n_cars`` is set to 2 and ``config.objects`` to one bot car (the other car); every
    other setting is the caller's. Call :func:`start_in_lanes` after each ``reset``."""
    config.n_cars = 2
    config.objects = ObjectsConfig(number_of_bot_cars=1)
    env = RacingEnv(track, action_space, config, vehicle=vehicle, reward_fn=reward_fn)
    env.objects = OpponentWorld(track, env)
    env.sensor = with_objects(make_sensor(track, env.config), env.objects)
    return env


def start_in_lanes(env: RacingEnv) -> None:
    """Move both cars (just reset on the start line) sideways into their start lanes, and
    update what each sees of the other."""
    idx = np.arange(2)
    ref = lane_points(env.track, env.start_s[idx], env.reverse[idx], np.array(START_LANES))
    d = env.vehicle.reference_offset
    env.state.x[idx] = ref[:, 0] - d * np.cos(env.state.yaw[idx])
    env.state.y[idx] = ref[:, 1] - d * np.sin(env.state.yaw[idx])
    env.objects.follow()
