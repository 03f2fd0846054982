"""The object keys' and collisions' compiled loops (:mod:`sim.object_kernels`) answer as their numpy references."""

from __future__ import annotations

import numpy as np
import pytest

from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.object_params import collisions, in_camera, object_columns
from sim.objects import ObjectsConfig

WORLDS = {"boxes": ObjectsConfig(number_of_obstacles=4, randomize_obstacle_locations=True),
          "bots": ObjectsConfig(number_of_bot_cars=3, bot_car_speed=0.8, is_lane_change=True)}


def _poses(name: str, steps: int = 120):
    """Seeded cars driving among objects, half of them then moved onto or near one of their objects."""
    env = RacingEnv(load_track("workshop_loop"), ActionSpace.from_console(3.0, 3, 30.0, 5),
                    EnvConfig(n_cars=32, sensor=None, objects=WORLDS[name]))
    env.reset(seed=11)
    rng = np.random.default_rng(12)
    objects = env.objects.state
    rows = np.arange(env.n)
    for _ in range(steps):
        env.step(rng.integers(0, 15, env.n))
        state = env.state.copy()
        j = rng.integers(0, objects.x.shape[1], env.n)
        moved = rng.random(env.n) < 0.5
        state.x = np.where(moved, objects.x[rows, j] + rng.normal(0, 0.25, env.n), state.x)
        state.y = np.where(moved, objects.y[rows, j] + rng.normal(0, 0.25, env.n), state.y)
        state.yaw = np.where(moved, rng.uniform(-np.pi, np.pi, env.n), state.yaw)
        yield env, state, objects


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_collisions_and_camera_match_numpy(name):
    hits = seen = 0
    for env, state, objects in _poses(name):
        got = collisions(env.vehicle, state, objects)
        np.testing.assert_array_equal(got, collisions(env.vehicle, state, objects, compiled=False))
        hits += got.sum()
        cols = np.random.default_rng(int(hits)).integers(0, objects.x.shape[1], env.n)
        looked = in_camera(objects, state, cols=cols)
        np.testing.assert_array_equal(looked, in_camera(objects, state)[np.arange(env.n), cols])
        seen += looked.sum()
    assert hits > 100 and seen > 100  # both answers occur often


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_closest_objects_match_numpy(name):
    from sim.object_params import closest_objects

    rng = np.random.default_rng(3)
    for env, _, objects in _poses(name, steps=40):
        s = np.concatenate([rng.uniform(0, env.track.length, env.n), objects.along[:, 0]])
        dist = np.vstack([objects.along, objects.along])
        np.testing.assert_array_equal(closest_objects(dist, s), closest_objects(dist, s, compiled=False))
        cols = object_columns(objects, s[: env.n], env.crashed, state=env.state)
        assert cols[1] == closest_objects(objects.along, s[: env.n]).tolist()


def test_closest_objects_with_ties_keep_the_stable_order():
    from sim.object_params import closest_objects

    dist = np.array([[1.0, 1.0, 0.5, 1.0], [2.0, 0.0, 0.0, 2.0], [3.0, 3.0, 3.0, 3.0]])
    for s in (np.array([1.0, 0.0, 3.0]), np.array([0.2, 5.0, 2.9]), np.array([1.5, 1.0, 3.1])):
        np.testing.assert_array_equal(closest_objects(dist, s), closest_objects(dist, s, compiled=False))
