"""Episode rules of RacingEnv: endings, round robin, alternate direction, masked resets."""

import numpy as np
import pytest
from test_params import follow_centre, rounded_rect_loop

from sim.actions import ActionSpace
from sim.env import EnvConfig, EpisodeStatus, RacingEnv

CONT = ActionSpace.continuous((-30, 30), (0.5, 2.0))


@pytest.fixture(scope="module")
def track():
    return rounded_rect_loop()


def make_env(track, **kw):
    kw.setdefault("sensor", None)
    return RacingEnv(track, CONT, EnvConfig(**kw))


def test_a_driven_lap_completes_with_an_interpolated_time(track):
    env = make_env(track, n_cars=1, round_robin=False)
    env.reset(seed=0)
    for _ in range(2000):
        _, _, term, trunc, info = env.step(follow_centre(env))
        if term[0] or trunc[0]:
            break
    assert info["status"][0] == EpisodeStatus.LAP_COMPLETE
    assert info["progress"][0] == 100.0
    t = info["lap_time"][0]
    steps = info["steps"][0]
    assert (steps - 1) * env.dt < t <= steps * env.dt
    assert t != pytest.approx(round(t * 15) / 15, abs=1e-9)  # not rounded to a whole step
    # After a same-step reset the car is back at rest at the next start.
    assert env.steps[0] == 0 and env.state.speed[0] == 0.0


def test_straight_on_leaves_the_track(track):
    env = make_env(track, n_cars=1)
    env.reset(seed=0)
    for _ in range(300):
        _, _, term, _, info = env.step(np.array([[30.0, 2.0]]))  # full left lock into the infield
        if term[0]:
            break
    assert info["status"][0] == EpisodeStatus.OFF_TRACK
    assert not info["all_wheels_on_track"][0]


def test_driving_against_the_direction_ends_as_reversed(track):
    env = make_env(track, n_cars=1)
    env.reset(seed=0)
    env.state.yaw += np.pi  # face backwards on the start line
    statuses = []
    for _ in range(40):
        _, _, term, _, info = env.step(np.array([[0.0, 1.0]]))
        statuses.append(info["status"][0])
        if term[0]:
            break
    assert statuses[-1] == EpisodeStatus.REVERSED
    assert len(statuses) == env.config.reversed_steps


def test_immobilized_and_time_up(track):
    env = make_env(track, n_cars=1, immobilized_m=1.0)  # every step counts as still
    env.reset(seed=0)
    for _ in range(20):
        _, _, term, _, info = env.step(np.array([[0.0, 0.5]]))
        if term[0]:
            break
    assert info["status"][0] == EpisodeStatus.IMMOBILIZED and info["steps"][0] == 15

    env = make_env(track, n_cars=1, max_steps=10)
    env.reset(seed=0)
    for k in range(10):
        _, _, term, trunc, info = env.step(np.array([[0.0, 0.5]]))
    assert info["status"][0] == EpisodeStatus.TIME_UP and trunc[0] and not term[0]


def test_round_robin_and_alternate_direction(track):
    env = make_env(track, n_cars=1, max_steps=1, alternate_direction=True)
    env.reset(seed=0)
    starts = []
    for _ in range(4):
        starts.append((env.start_s[0], env.reverse[0]))
        env.step(np.array([[0.0, 0.5]]))
    L = track.length
    assert [r for _, r in starts] == [False, True, False, True]
    assert [s / L for s, _ in starts] == pytest.approx([0.0, 0.05, 0.10, 0.15])


def test_finished_cars_reset_by_mask_others_continue(track):
    env = make_env(track, n_cars=3, round_robin=False)
    env.reset(seed=0)
    actions = np.array([[30.0, 2.0], [0.0, 0.5], [0.0, 0.5]])  # car 0 turns off the road
    for _ in range(100):
        before = env.steps.copy()
        _, _, term, _, info = env.step(actions)
        if term[0]:
            break
    assert info["status"][0] == EpisodeStatus.OFF_TRACK
    assert EpisodeStatus.IN_PROGRESS == info["status"][1] == info["status"][2]
    assert env.steps[0] == 0
    assert (env.steps[1:] == before[1:] + 1).all()


def test_reward_function_called_per_car_with_params(track):
    calls = []

    def reward(params):
        calls.append(params["steps"])
        return 1.0 if params["all_wheels_on_track"] else 0.0

    env = RacingEnv(track, CONT, EnvConfig(n_cars=4, sensor=None), reward_fn=reward)
    env.reset(seed=0)
    _, r, *_ = env.step(np.tile([0.0, 1.0], (4, 1)))
    assert r.tolist() == [1.0] * 4 and calls == [1] * 4


def test_discrete_actions_map_to_commands(track):
    space = ActionSpace.from_console(3.0, 3, 30.0, 5)
    assert space.n == 15
    steer, speed = space.commands(np.array([0, 2, 14]))
    assert steer.tolist() == [-30.0, 0.0, 30.0] and speed.tolist() == [1.0, 1.0, 3.0]
    env = RacingEnv(track, space, EnvConfig(n_cars=2, sensor=None))
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([2, 7]))
    assert info["speed"].tolist() == [1.0, 2.0]


def test_one_reward_function_instance_per_car_keeps_state_per_car(track):
    from sim.reward import load_reward_function

    source = ("seen = []\n"
              "def reward_function(params):\n"
              "    seen.append(params['steps'])\n"
              "    return float(len(seen))\n")
    fns = [load_reward_function(source) for _ in range(3)]
    env = RacingEnv(track, CONT, EnvConfig(n_cars=3, sensor=None), reward_fn=fns)
    env.reset(seed=0)
    for k in range(1, 4):
        _, r, *_ = env.step(np.tile([0.0, 1.0], (3, 1)))
        assert r.tolist() == [float(k)] * 3  # each car's global counts only its own steps


def test_episode_status_labels_are_deepracers_words():
    assert [s.label for s in EpisodeStatus] == ["in_progress", "lap_complete", "off_track", "reversed",
                                                "immobilized", "time_up", "crashed"]
    assert EpisodeStatus(1) is EpisodeStatus.LAP_COMPLETE
