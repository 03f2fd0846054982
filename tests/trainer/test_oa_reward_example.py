"""The object-avoidance reward example (``assets/reward_functions/object_avoidance.py``): it passes
the reward check the app's Validate runs, it reads the object keys, it pays for keeping clear of
the box ahead, and a model created for object avoidance trains with it."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from gui.cli import main
from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.lanes import lane_points
from sim.library import load_track
from sim.noise import NoiseConfig
from sim.objects import ObjectsConfig
from sim.params import params_at
from sim.paths import assets_dir
from sim.reward import load_reward_function
from sim.reward_check import validate_reward_source

EXAMPLE = assets_dir() / "reward_functions" / "object_avoidance.py"
OBJECT_KEYS = {"closest_objects", "objects_distance", "objects_left_of_center"}


class Recording(dict):
    """A params dict that remembers the keys read from it."""

    read: set = set()

    def __getitem__(self, key):
        Recording.read.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize("objects", [None, ObjectsConfig(number_of_obstacles=3),
                                     ObjectsConfig(number_of_bot_cars=2, is_lane_change=True)])
def test_it_passes_the_reward_check_of_every_race_type(objects):
    report = validate_reward_source(EXAMPLE.read_text(), load_track("workshop_loop"), objects=objects,
                                    filename=EXAMPLE.name)
    assert report.ok, report.error
    rewards = [r for _, r in report.samples]
    assert min(rewards) == pytest.approx(1e-3) and max(rewards) > 2.0  # off the road vs. clear ahead


def test_in_a_real_episode_among_boxes_it_reads_the_object_keys():
    fn = load_reward_function(EXAMPLE.read_text())
    Recording.read = set()
    env = RacingEnv(load_track("workshop_loop"), ActionSpace.from_console(1.0, 1, 30.0, 3),
                    EnvConfig(n_cars=4, sensor="LIDAR", objects=ObjectsConfig(number_of_obstacles=3),
                              noise=NoiseConfig.off()), reward_fn=lambda p: fn(Recording(p)))
    env.reset(seed=0)
    rewards = [env.step(np.full(4, 1))[1] for _ in range(20)]
    assert np.all(np.concatenate(rewards) > 0)
    assert OBJECT_KEYS <= Recording.read


def reward_at(track, d_car: float, q_car: float, d_box: float, q_box: float) -> float:
    """The example's reward for a car at distance ``d_car`` (m) in lane ``q_car`` (0 inner, 1 outer),
    heading along the track, with one box at ``d_box`` in lane ``q_box``."""
    fn = load_reward_function(EXAMPLE.read_text())
    (car, box) = lane_points(track, np.array([d_car, d_box]), np.array([False, False]), np.array([q_car, q_box]))
    heading = np.degrees(track.heading_at(np.array([d_car]))[0])
    return fn(params_at(track, car[0], car[1], heading, objects=[(box[0], box[1])]))


def test_it_pays_for_the_lane_away_from_the_box_ahead_and_for_distance_to_it_in_its_lane():
    track = load_track("workshop_loop")
    d = 0.5  # on the start straight
    same_near = reward_at(track, d, 0.0, d + 0.8, 0.0)
    same_far = reward_at(track, d, 0.0, d + 1.6, 0.0)
    other = reward_at(track, d, 1.0, d + 0.8, 0.0)
    beyond = reward_at(track, d, 0.0, d + 3.0, 0.0)
    assert same_near < same_far < other <= beyond == pytest.approx(3.0)
    assert reward_at(track, d, 1.0, d + 0.8, 1.0) < reward_at(track, d, 0.0, d + 0.8, 1.0)  # the other way round


@pytest.mark.slow
def test_a_model_created_for_object_avoidance_trains_with_it():
    torch.set_num_threads(1)

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    made = run("model", "create", "oa-example", "--track", "workshop_loop", "--reward", str(EXAMPLE),
               "--race-type", "object_avoidance", "--obstacles", "3", "--cars", "8")
    assert made.exit_code == 0, made.stderr
    trained = run("train", "oa-example", "--iterations", "2")
    assert trained.exit_code == 0, trained.stderr
    shown = json.loads(run("model", "show", "oa-example", "--json").stdout)
    assert shown["status"] == "ready"
    from trainer.model_store import ModelStore

    model = ModelStore().get("oa-example")
    assert model.training_config().race_type == "object_avoidance"
    rows = model.read_iterations()
    assert len(rows) == 2 and all(r["mean_reward"] > 0 for r in rows)
