"""Evaluation laps with objects: collisions held for the penalty, counted, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

import trainer.driving as trainer_driving
from sim.actions import ActionSpace
from sim.env import RacingEnv
from sim.library import load_track
from sim.noise import NoiseConfig
from sim.objects import ObjectsConfig
from trainer.driving import EvaluationRules, evaluate_policy, summarize

SPACE = ActionSpace.continuous((-30.0, 30.0), (0.1, 4.0))
BOXES = ObjectsConfig(object_positions=((0.1, 1), (0.35, -1), (0.6, 1)))


@pytest.fixture(scope="module")
def oval():
    return load_track("practice_oval")


class CentreLine:
    """Keeps the car's distance from the centre line (starting on it), steering at a point 0.3 m
    ahead at 1 m/s: runs into a box in either lane, and after being put back in the other lane
    stays there."""

    def __init__(self, monkeypatch):
        self.envs, self.rows = [], []
        envs = self.envs

        class Remembered(RacingEnv):
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                envs.append(self)

        monkeypatch.setattr(trainer_driving, "RacingEnv", Remembered)

    def act(self, obs, speed):
        env = self.envs[-1]
        _, proj, _ = env.locate()
        L = env.track.length
        s_drive = np.where(env.reverse, L - proj.s, proj.s) + 0.3
        s_file = np.where(env.reverse, L - s_drive, s_drive)
        h = env.track.heading_at(s_file)
        side = np.where(proj.left, 1.0, -1.0) * proj.distance
        target = env.track.point_at(s_file) + side[:, None] * np.stack([-np.sin(h), np.cos(h)], axis=1)
        ang = np.arctan2(target[:, 1] - env.state.y, target[:, 0] - env.state.x) - env.state.yaw
        ang = np.degrees(np.arctan2(np.sin(ang), np.cos(ang)))
        return np.stack([np.clip(ang, -30, 30), np.full(env.n, 1.0)], axis=1)

    def on_step(self, env, info, action, lap):
        self.rows.append((lap, bool(info["collision"][0]), int(info["lap_collisions"][0])))

    def run(self, oval, **kw):
        rules = EvaluationRules(**{"laps": 1, "seed": 3, "noise": NoiseConfig.off(), **kw})
        return evaluate_policy(self.act, oval, SPACE, None, rules, on_step=self.on_step)


def test_collisions_are_counted_and_the_penalty_adds_to_the_lap_time(monkeypatch, oval):
    free = CentreLine(monkeypatch).run(oval, objects=BOXES, collision_penalty_s=0.0)
    held = CentreLine(monkeypatch).run(oval, objects=BOXES, collision_penalty_s=5.0)
    assert free[0].completed and held[0].completed
    assert held[0].collisions == free[0].collisions >= 2
    assert held[0].time_s - free[0].time_s == pytest.approx(5.0 * held[0].collisions, abs=1e-9)
    assert held[0].penalty_s == 5.0 * held[0].collisions
    assert summarize(held)["collisions"] == held[0].collisions
    none = CentreLine(monkeypatch).run(oval)
    assert none[0].collisions == 0 and none[0].time_s < free[0].time_s


def test_a_box_crash_puts_the_car_back_behind_it_in_the_other_lane(monkeypatch, oval):
    driver = CentreLine(monkeypatch)
    seen = []

    def on_step(env, info, action, lap):
        driver.on_step(env, info, action, lap)
        if info["collision"][0]:
            seen.append(env)

    rules = EvaluationRules(laps=1, seed=3, noise=NoiseConfig.off(), objects=BOXES, collision_penalty_s=2.0)
    laps = evaluate_policy(driver.act, oval, SPACE, None, rules, on_step=on_step)
    assert laps[0].collisions == len(seen) == 3
    # Where DeepRacer puts the car back: 1 m behind the box (along the track), in the other lane, at rest.
    from sim.env import EnvConfig
    from trainer.crashes import RESET_BEHIND_M, counted_hit, hold_after_crash, touching

    env = RacingEnv(oval, SPACE, EnvConfig(n_cars=1, sensor=None, round_robin=False, autoreset=False,
                                           end_on_crash=False, noise=NoiseConfig.off(), objects=BOXES))
    env.reset(seed=0)
    driver.envs.append(env)
    before = touching(env)
    while (hit := counted_hit(env, touching(env), before)) is None:
        before = touching(env)
        env.step(driver.act(None, None))
    box_along, box_lane = env.objects.state.along[0, hit], env.objects.state.lane[0, hit]
    hold_after_crash(env, hit, 2.0)
    ref, proj, _ = env.locate()
    assert proj.s[0] == pytest.approx(box_along - RESET_BEHIND_M, abs=0.02)
    assert proj.distance[0] == pytest.approx(oval.width_at(proj.s)[0] / 4, abs=0.03)
    assert env.state.speed[0] == 0.0 and not touching(env).any()
    assert box_lane == 0.0 and not proj.left[0] == oval.inner_is_left  # the box inner, the car outer
    # Rows count each collision once, on the step the car touches the box.
    assert [r[2] for r in driver.rows if r[1]] == [1, 2, 3]


def test_same_seed_same_laps_with_randomised_obstacles(monkeypatch, oval):
    objs = ObjectsConfig(number_of_obstacles=3, randomize_obstacle_locations=True)

    def run(seed):
        return CentreLine(monkeypatch).run(oval, laps=2, objects=objs, seed=seed, noise=NoiseConfig())

    a, b, c = run(11), run(11), run(12)
    assert [(lap.time_s, lap.collisions) for lap in a] == [(lap.time_s, lap.collisions) for lap in b]
    assert [lap.time_s for lap in a] != [lap.time_s for lap in c]


def test_continuous_laps_with_bot_cars(monkeypatch, oval):
    bots = ObjectsConfig(number_of_bot_cars=2, bot_car_speed=0.3, is_lane_change=True)
    laps = CentreLine(monkeypatch).run(oval, laps=2, mode="continuous", objects=bots, collision_penalty_s=1.0)
    again = CentreLine(monkeypatch).run(oval, laps=2, mode="continuous", objects=bots, collision_penalty_s=1.0)
    assert all(lap.completed for lap in laps)
    assert sum(lap.collisions for lap in laps) >= 1
    assert [lap.time_s for lap in laps] == [lap.time_s for lap in again]
    for lap in laps:
        assert lap.penalty_s == pytest.approx(1.0 * lap.collisions)


def test_simtrace_rows_carry_crashes_and_the_crash_counter(monkeypatch, oval, tmp_path):
    from trainer.simtrace import SimTraceWriter, read_simtrace

    driver = CentreLine(monkeypatch)
    path = tmp_path / "0-iteration.csv"
    with SimTraceWriter(path) as writer:
        def on_step(env, info, action, lap):
            writer.write_step(env, info, np.asarray(action)[:1], cars=np.array([0]), episode=lap - 1,
                              tstamp=float(info["steps"][0]) * env.dt)

        rules = EvaluationRules(laps=1, seed=3, noise=NoiseConfig.off(), objects=BOXES)
        laps = evaluate_policy(driver.act, oval, SPACE, None, rules, on_step=on_step)
    trace = read_simtrace(path)
    crashed = trace["episode_status"] == "crashed"
    assert crashed.sum() == laps[0].collisions == 3
    assert trace["obstacle_crash_counter"][crashed].tolist() == [1, 2, 3]
    assert trace["obstacle_crash_counter"][-1] == 3 and trace["episode_status"][-1] == "lap_complete"
