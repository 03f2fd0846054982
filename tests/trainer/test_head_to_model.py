"""Head-to-model races: two real models on one track, seeing each other, collisions judged as DeepRacer does."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from sim.actions import ActionSpace
from sim.env import EnvConfig, EpisodeStatus
from sim.library import load_track
from sim.noise import NoiseConfig
from sim.objects import BOT_CAR_SIZE_M, ObjectsConfig
from sim.opponents import head_to_model_env, start_in_lanes
from trainer.driving import EvaluationRules
from trainer.head_to_model import race_head_to_model
from trainer.model_store import ModelStore
from trainer.policy import load_policy


@pytest.fixture(scope="module")
def standard():
    return load_policy(ModelStore().get("standard"))


@pytest.fixture(scope="module")
def loop():
    return load_track("workshop_loop")


@dataclass
class Slowed:
    """The standard model's steering at its slowest speed: a car the other one catches up with."""

    policy: object

    def __getattr__(self, name):
        return getattr(self.policy, name)

    def act(self, obs, speed):
        a = self.policy.act(obs, speed)
        steer, _ = self.policy.action_space.commands(a)
        table = np.array(self.policy.action_space.actions)
        slow = np.flatnonzero((table[:, 0] == steer[0]) & (table[:, 1] == table[:, 1].min()))
        return slow[:1]


def test_both_models_drive_their_laps_and_one_seed_gives_the_same_race(standard, loop):
    rules = EvaluationRules(laps=2, seed=11)
    first = race_head_to_model(standard, standard, loop, rules)
    again = race_head_to_model(standard, standard, loop, rules)
    assert len(first.laps_a) == 2 and len(first.laps_b) == 2
    assert all(lap.completed for lap in first.laps_a)
    assert first.to_dict() == again.to_dict()
    assert first.winner in ("a", "b")
    a, b = first.race_s
    assert (a < b) == (first.winner == "a")


def test_a_collision_costs_only_the_car_behind(standard, loop):
    """The fast car catches the slowed one; each counted collision lands on the car behind."""
    judged, lapped = [], []
    laps_done = np.zeros(2, int)

    def watch(env, info, cmd):
        for i in np.flatnonzero(info["collision"]):  # both start on the line: travelled is the place in the lap
            judged.append(env.travelled[i] < env.travelled[1 - i])
            lapped.append(laps_done[i] > laps_done[1 - i])
        laps_done[:] += info["status"] == EpisodeStatus.LAP_COMPLETE

    rules = EvaluationRules(laps=3, seed=5, noise=NoiseConfig.off(), collision_penalty_s=1.0)
    result = race_head_to_model(standard, Slowed(standard), loop, rules, on_step=watch)
    hits = [sum(lap.collisions for lap in laps) for laps in (result.laps_a, result.laps_b)]
    assert sum(hits) >= 1 and len(judged) == sum(hits)
    assert all(judged)
    assert any(lapped)  # lapping the slow car, the fast one runs into it from behind: its penalty
    for laps in (result.laps_a, result.laps_b):
        for lap in laps:
            assert lap.penalty_s == pytest.approx(lap.collisions * 1.0 + lap.off_track * rules.penalty_s)
    assert result.winner == "a"


def test_each_car_sees_the_other_in_its_params_and_lidar(loop):
    seen = []
    space = ActionSpace.continuous((-30.0, 30.0), (0.1, 4.0))
    env = head_to_model_env(loop, space, EnvConfig(sensor="LIDAR", round_robin=False, autoreset=False,
                                                   noise=NoiseConfig.off()), reward_fn=lambda p: seen.append(p) or 0.0)
    env.reset(seed=1)
    start_in_lanes(env)
    env.step(np.array([[0.0, 1.0], [0.0, 2.0]]))
    mid = env.vehicle.wheelbase / 2
    body = np.stack([env.state.x + mid * np.cos(env.state.yaw), env.state.y + mid * np.sin(env.state.yaw)], axis=1)
    p0, p1 = seen[0], seen[1]
    assert np.allclose(p0["objects_location"][0], body[1]) and np.allclose(p1["objects_location"][0], body[0])
    assert p0["objects_speed"][0] == pytest.approx(env.state.speed[1])
    assert p1["objects_speed"][0] == pytest.approx(env.state.speed[0])
    assert p0["objects_left_of_center"] != p1["objects_left_of_center"]  # side by side, one lane each
    # Car 1 straight ahead of car 0, 1 m on: car 0's LIDAR hits it, bot-car sized.
    yaw = env.state.yaw[0]
    env.state.x[1], env.state.y[1], env.state.yaw[1] = env.state.x[0] + np.cos(yaw), env.state.y[0] + np.sin(yaw), yaw
    env.objects.follow()
    ahead = env.observe()[0]
    env.objects.parked[:] = True
    env.objects.follow()
    clear = env.observe()[0]
    front = np.argmin(np.abs(np.linspace(-150, 150, len(ahead))))
    assert ahead[front] < clear[front]
    assert ahead[front] == pytest.approx(1.0 + mid - BOT_CAR_SIZE_M[0] / 2 - 0.0, abs=0.25)


def test_a_race_with_objects_is_refused(standard, loop):
    with pytest.raises(ValueError, match="objects"):
        race_head_to_model(standard, standard, loop, EvaluationRules(laps=1, objects=ObjectsConfig(number_of_obstacles=1)))


def test_cli_races_two_models_and_refuses_what_does_not_fit():
    import json

    from click.testing import CliRunner

    from gui.cli import main

    def run(*args):
        return CliRunner().invoke(main, ["evaluate", "standard", "--track", "workshop_loop", *map(str, args)],
                                  catch_exceptions=False)

    result = run("--race-type", "head_to_model", "--opponent", "standard", "--laps", 2, "--seed", 2, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["race_type"] == "head_to_model" and data["opponent"] == "standard"
    assert len(data["laps_a"]) == 2 and "collisions" in data["laps_b"][0]
    assert data["winner"] in ("a", "b") and data["winner_model"] == "standard"
    text = run("--race-type", "head_to_model", "--opponent", "standard", "--laps", 2, "--seed", 2).stdout
    assert "winner: standard" in text and "collision" in text and " vs standard " in text
    assert "trace of standard: " in text and "trace" not in run("--race-type", "head_to_model", "--opponent",
                                                                "standard", "--laps", 1, "--no-trace").stdout
    for args, match in ((["--race-type", "head_to_model"], "needs --opponent MODEL"),
                        (["--opponent", "standard"], "--opponent needs --race-type head_to_model"),
                        (["--race-type", "head_to_model", "--opponent", "standard", "--obstacles", 2],
                         "--obstacles does not fit race type head_to_model"),
                        (["--race-type", "head_to_model", "--opponent", "nobody"], "nobody")):
        result = run(*args)
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and match in lines[0], result.stderr


def test_models_with_other_sensors_and_action_spaces_race_each_other(standard, loop):
    """Model B sees through a camera and drives a continuous action space: each car observes with its
    own model's sensors (the camera draws car A) and acts in its own model's actions."""
    import torch

    from trainer.algorithms import build_network
    from trainer.metadata import ModelMetadata
    from trainer.policy import Policy

    torch.manual_seed(0)
    meta = ModelMetadata(action_space=ActionSpace.continuous((-30.0, 30.0), (0.5, 2.0)),
                         sensor=["FRONT_FACING_CAMERA"])
    camera = Policy("cam", build_network(meta.observation.shape, meta), meta.action_space, ("FRONT_FACING_CAMERA",),
                    meta.observation.camera_size, "initial", None)
    shapes = []

    class Seen:
        def __init__(self, policy):
            self.policy = policy

        def __getattr__(self, name):
            return getattr(self.policy, name)

        def act(self, obs, speed):
            shapes.append((self.policy.model, obs.shape))
            return self.policy.act(obs, speed)

    result = race_head_to_model(Seen(standard), Seen(camera), loop, EvaluationRules(laps=1, seed=3, max_lap_s=9.0))
    assert len(result.laps_a) == 1 and len(result.laps_b) == 1
    assert result.laps_a[0].completed and result.winner == "a"
    assert {(m, s[1:]) for m, s in shapes} == {(standard.model, standard.obs_shape),
                                               ("cam", tuple(meta.observation.shape))}


def test_model_a_drive_is_written_as_an_evaluation_sim_trace(trackside_home):
    import csv

    from league.head_to_model import evaluate_head_to_model

    rules = EvaluationRules(laps=2, seed=1, reverse=True, penalty_s=1.0, collision_penalty_s=1.0)
    h = evaluate_head_to_model("standard", "standard", "workshop_loop", rules)  # reversed, car A runs into B
    rows = list(csv.DictReader(open(h.simtrace)))
    assert h.simtrace.startswith(str(trackside_home)) and "evaluation-simtrace" in h.simtrace
    assert sorted({r["episode"] for r in rows}) == ["0", "1"]
    last = [r for r in rows if r["episode"] == "1"][-1]
    assert last["episode_status"] == "lap_complete" and float(last["progress"]) == 100.0
    hits = sum(lap.collisions for lap in h.result.laps_a)
    offs = sum(lap.off_track for lap in h.result.laps_a)
    assert hits >= 1
    assert sum(r["episode_status"] == "crashed" for r in rows) == hits
    assert sum(r["episode_status"] == "off_track" for r in rows) == offs
    assert sum(r["episode_status"] == "pause" for r in rows) == (hits + offs) * 15  # 1 s held: 15 steps each
