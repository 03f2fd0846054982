"""Put-back after an off-track among obstacles: DeepRacer's ``_get_car_reset_model_state``
(deepracer-simapp ``bundle/markov/agent_ctrl/rollout_agent_ctrl.py``): a box less than 1 m along the
track from the put-back point sends the car 1 m behind the box, into the lane the box is not in."""

import numpy as np
import pytest

from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.noise import NoiseConfig
from sim.objects import ObjectsConfig
from sim.put_back import RESET_BEHIND_M


def make_env(objects: ObjectsConfig, n_cars: int = 1, reverse: bool = False) -> RacingEnv:
    env = RacingEnv(load_track("workshop_loop"), ActionSpace.from_console(1.0, 1, 30.0, 3),
                    EnvConfig(n_cars=n_cars, sensor=None, objects=objects, noise=NoiseConfig.off(),
                              round_robin=False, reverse=reverse))
    env.reset(seed=0)
    return env


def reached(env: RacingEnv, car: int, d: float) -> None:
    """Car ``car`` has driven to driving-direction distance ``d`` (m) and left the road there."""
    env.travelled[car] = d - env.start_s[car]
    env.state.x[car] += 5.0  # far off the road: the put-back must not depend on where it is


def where_is(env: RacingEnv, car: int):
    """The car's reference point: (driving-direction distance, distance from the centre line, side)."""
    ref = env.locate()[0][car:car + 1]
    proj = env.track.project(ref)
    s = float(proj.s[0])
    d = env.track.length - s if env.reverse[car] else s
    return d, float(proj.distance[0]), bool(proj.left[0])


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lane", [1, -1])
def test_a_box_near_the_put_back_point_sends_the_car_behind_it_in_the_other_lane(lane, reverse):
    env = make_env(ObjectsConfig(object_positions=((0.5, lane),)), reverse=reverse)
    st = env.objects.state
    box_d = float(st.along[0, 0])
    box_side = bool(env.track.project(np.array([[st.x[0, 0], st.y[0, 0]]])).left[0])
    reached(env, 0, box_d - 0.6)
    env.state.speed[0] = 2.0
    env.put_back(np.array([0]))
    d, off_centre, side = where_is(env, 0)
    assert d == pytest.approx(box_d - RESET_BEHIND_M, abs=0.03)
    assert side != box_side  # the other lane
    width = float(env.track.width_at(np.array([env.track.length - d if reverse else d]))[0])
    assert off_centre == pytest.approx(width / 4, abs=0.03)  # a lane: halfway to the border
    assert env.state.speed[0] == 0.0
    assert env.travelled[0] == pytest.approx(box_d - RESET_BEHIND_M - env.start_s[0])  # progress follows it back
    assert env.progress[0] == pytest.approx(100 * env.travelled[0] / env.lap_length[0])
    heading = env.track.heading_at(np.array([env.track.length - d if reverse else d]))[0] + (np.pi if reverse else 0)
    assert np.cos(env.state.yaw[0] - heading) == pytest.approx(1.0, abs=1e-6)  # facing along the track
    assert env.locate()[2][0].all()  # on the road


def test_a_box_behind_the_put_back_point_within_1_m_counts_too():
    env = make_env(ObjectsConfig(object_positions=((0.5, 1),)))
    box_d = float(env.objects.state.along[0, 0])
    reached(env, 0, box_d + 0.7)
    env.put_back(np.array([0]))
    assert where_is(env, 0)[0] == pytest.approx(box_d - RESET_BEHIND_M, abs=0.03)


def test_without_a_box_within_1_m_the_car_goes_back_onto_the_centre_line_where_it_was():
    env = make_env(ObjectsConfig(object_positions=((0.5, 1),)))
    box_d = float(env.objects.state.along[0, 0])
    reached(env, 0, box_d - 1.2)
    before = env.travelled[0]
    env.put_back(np.array([0]))
    d, off_centre, _ = where_is(env, 0)
    assert d == pytest.approx(box_d - 1.2, abs=1e-6)
    assert off_centre == pytest.approx(0.0, abs=1e-6)
    assert env.travelled[0] == before


def test_bot_cars_are_not_looked_at():
    env = make_env(ObjectsConfig(number_of_bot_cars=1, bot_car_speed=0.5))
    bot_d = float(env.objects.state.along[0, 0])
    reached(env, 0, bot_d - 0.3)
    env.put_back(np.array([0]))
    d, off_centre, _ = where_is(env, 0)
    assert d == pytest.approx(bot_d - 0.3, abs=1e-6) and off_centre == pytest.approx(0.0, abs=1e-6)


def test_a_box_just_past_the_finish_line_is_seen_from_just_before_it():
    env = make_env(ObjectsConfig(object_positions=((0.02, 1),)))
    L = env.track.length
    box_d = float(env.objects.state.along[0, 0])
    reached(env, 0, L - 0.3)  # the box lies 0.3 m + box_d ahead, across the line
    env.put_back(np.array([0]))
    assert where_is(env, 0)[0] == pytest.approx((box_d - RESET_BEHIND_M) % L, abs=0.03)
    assert env.travelled[0] == pytest.approx(box_d - RESET_BEHIND_M + L - env.start_s[0])


def test_many_cars_at_once_each_by_its_own_boxes():
    env = make_env(ObjectsConfig(number_of_obstacles=3), n_cars=3)
    st = env.objects.state
    d = st.along[:, 1].copy()
    reached(env, 0, d[0] - 0.5)   # near box 1
    reached(env, 1, d[1] - 1.5)   # clear of every box
    reached(env, 2, st.along[2, 2] + 0.2)  # just past box 2
    env.put_back(np.array([0, 1, 2]))
    assert where_is(env, 0)[0] == pytest.approx(d[0] - RESET_BEHIND_M, abs=0.03)
    assert where_is(env, 1)[0] == pytest.approx(d[1] - 1.5, abs=1e-6)
    assert where_is(env, 2)[0] == pytest.approx(st.along[2, 2] - RESET_BEHIND_M, abs=0.03)
