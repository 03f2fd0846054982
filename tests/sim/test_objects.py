"""Obstacles and bot cars: placement, motion, lane changes, collisions, and the object reward params.

The params are checked against DeepRacer's own algorithm (deepracer-simapp ``track_geom/track_data.py``,
``get_object_reward_params``) re-done here with shapely, one car and one object at a time.
"""

import bisect
import itertools

import numpy as np
import pytest
from shapely.geometry import LinearRing, Point, Polygon

from sim.actions import ActionSpace
from sim.env import EnvConfig, EpisodeStatus, RacingEnv
from sim.library import load_track
from sim.noise import NoiseConfig
from sim.object_params import collisions, rects_overlap
from sim.objects import BOT_CAR_SIZE_M, BOX_SIZE_M, ObjectsConfig, ObjectsError
from sim.vehicle import CarState, VehicleConfig

CONT = ActionSpace.continuous()


@pytest.fixture(scope="module")
def loop():
    return load_track("workshop_loop")


def make_env(track, objects, n_cars=1, **kw):
    seen = []

    def reward(params):
        seen.append(params)
        return 1.0

    kw.setdefault("sensor", None)
    env = RacingEnv(track, CONT, EnvConfig(n_cars=n_cars, round_robin=False, objects=objects, noise=NoiseConfig.off(), **kw), reward_fn=reward)
    return env, seen


def crawl(env, steps=1):
    """``steps`` steps at the lowest speed, straight on; returns the last ``info``."""
    for _ in range(steps):
        _, _, _, _, info = env.step(np.tile([0.0, 0.1], (env.n, 1)))
    return info


def find_prev_next(a, x):
    """deepracer-simapp ``track_geom/utils.find_prev_next``."""
    nxt = bisect.bisect_right(a, x)
    prev = nxt - 1
    return (len(a) - 1 if prev == -1 else prev), (0 if nxt == len(a) else nxt)


def deepracer_object_params(track, params):
    """``get_object_reward_params`` with shapely for one params dict (its ``objects_location``)."""
    rows = track.waypoints[::-1] if params["is_reversed"] else track.waypoints
    center, inner = LinearRing(rows[:, 0:2]), LinearRing(rows[:, 2:4])
    is_ccw = LinearRing(track.waypoints[:, 0:2]).is_ccw ^ params["is_reversed"]
    inner_poly = Polygon(center, [inner])
    points = [Point(p) for p in params["objects_location"]]
    pdists = [center.project(p) for p in points]
    order = np.argsort(pdists)
    prev, nxt = find_prev_next([pdists[i] for i in order], center.project(Point(params["x"], params["y"])))
    return {"closest_objects": [int(order[prev]), int(order[nxt])], "objects_distance": pdists,
            "objects_left_of_center": [inner_poly.contains(p) ^ (not is_ccw) for p in points],
            "objects_distance_from_center": [center.distance(p) for p in points]}


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("start", [0.05, 0.3, 0.95])
def test_object_params_match_deepracer(loop, reverse, start):
    # Boxes at 10%, 50% and 90% of the lap: from 95% the one behind is at 90% and the one ahead
    # at 10%, across the lap's end; from 5% the one behind is at 90%, across it the other way.
    objs = ObjectsConfig(object_positions=((0.5, -1), (0.1, 1), (0.9, 1)))
    env, seen = make_env(loop, objs, start_fraction=start, reverse=reverse)
    env.reset(seed=0)
    crawl(env)
    p = seen[-1]
    ref = deepracer_object_params(loop, p)
    assert p["closest_objects"] == ref["closest_objects"]
    expected = {0.05: [2, 1], 0.3: [1, 0], 0.95: [2, 1]}[start]
    assert p["closest_objects"] == expected
    assert p["objects_left_of_center"] == ref["objects_left_of_center"]
    # Lane 1 is the inner lane, left of centre on this counter-clockwise loop driven forward.
    assert p["objects_left_of_center"] == ([False, True, True] if not reverse else [True, False, False])
    np.testing.assert_allclose(p["objects_distance"], ref["objects_distance"], atol=1e-6)
    np.testing.assert_allclose(p["objects_distance"], [0.5 * loop.length, 0.1 * loop.length, 0.9 * loop.length],
                               atol=0.05)
    np.testing.assert_allclose(p["objects_distance_from_center"], ref["objects_distance_from_center"], atol=1e-6)
    # In a lane: a quarter of the road's width from the centre line.
    np.testing.assert_allclose(p["objects_distance_from_center"], loop.width / 4, atol=0.03)
    assert p["objects_speed"] == [0.0] * 3 and p["objects_heading"] == [0.0] * 3
    assert p["is_crashed"] is False and isinstance(p["object_in_camera"], bool)


def test_no_objects_keeps_deepracer_defaults(loop):
    env, seen = make_env(loop, ObjectsConfig())
    env.reset(seed=0)
    crawl(env)
    assert env.objects is None
    assert seen[-1]["closest_objects"] == [0, 0] and seen[-1]["objects_location"] == []
    assert seen[-1]["object_in_camera"] is False


def test_even_placement_alternates_lanes(loop):
    env, seen = make_env(loop, ObjectsConfig(number_of_obstacles=4), start_fraction=0.5)
    env.reset(seed=0)
    crawl(env)
    p = seen[-1]
    length = loop.length
    np.testing.assert_allclose(p["objects_distance"], np.linspace(0.02 * length, length - 1.0, 4), atol=0.05)
    assert p["objects_left_of_center"] == [True, False, True, False]  # inner lane first


def test_random_placement_is_seeded_and_keeps_spacing(loop):
    objs = ObjectsConfig(number_of_obstacles=4, randomize_obstacle_locations=True)

    def placements(seed):
        env, _ = make_env(loop, objs, n_cars=6)
        env.reset(seed=seed)
        return env.objects.state.d0.copy(), env.objects.state.lane.copy()

    d, lanes = placements(3)
    d_again, lanes_again = placements(3)
    np.testing.assert_array_equal(d, d_again)
    np.testing.assert_array_equal(lanes, lanes_again)
    assert not np.array_equal(d, placements(4)[0])
    assert len({tuple(row) for row in d.round(6)}) == 6  # each car's episode has its own boxes
    gap = 0.02 * loop.length
    assert (np.diff(d, axis=1) >= gap - 1e-9).all()
    assert (d >= gap - 1e-9).all() and (d <= loop.length - 1.0 + 1e-9).all()
    assert 0 < lanes.mean() < 1
    # A new episode places them anew.
    env, _ = make_env(loop, objs, n_cars=1)
    env.reset(seed=3)
    first = env.objects.state.d0.copy()
    env.reset()
    assert not np.array_equal(first, env.objects.state.d0)


@pytest.mark.parametrize("reverse", [False, True])
def test_bot_cars_drive_at_their_speed(loop, reverse):
    objs = ObjectsConfig(number_of_bot_cars=2, bot_car_speed=0.6)
    env, seen = make_env(loop, objs, start_fraction=0.5, reverse=reverse)
    env.reset(seed=0)
    crawl(env)
    before = np.array(seen[-1]["objects_distance"])
    crawl(env, 30)
    after = np.array(seen[-1]["objects_distance"])
    travelled = np.mod(after - before, loop.length)  # along the driving direction, either way round
    np.testing.assert_allclose(travelled, 0.6 * 30 * env.dt, rtol=0.05)
    p = seen[-1]
    assert p["objects_speed"] == [0.6, 0.6]
    # Heading along the driving direction of the track, in radians.
    s = loop.project(np.array(p["objects_location"])).s
    driving = loop.heading_at(s) + (np.pi if reverse else 0.0)
    diff = np.angle(np.exp(1j * (np.array(p["objects_heading"]) - driving)))
    assert np.abs(diff).max() < 0.2


def test_bot_cars_change_lanes(loop):
    objs = ObjectsConfig(number_of_bot_cars=1, bot_car_speed=1.0, is_lane_change=True, lower_lane_change_time=0.5,
                         upper_lane_change_time=1.0, lane_change_distance=0.5)
    env, seen = make_env(loop, objs, start_fraction=0.5)
    env.reset(seed=0)
    sides, offsets = [], []
    for _ in range(60):
        crawl(env)
        sides.append(seen[-1]["objects_left_of_center"][0])
        offsets.append(seen[-1]["objects_distance_from_center"][0])
    assert 2 <= sum(a != b for a, b in itertools.pairwise(sides)) <= 5  # 4 s: a change every 1-1.5 s
    assert max(offsets) < loop.width / 4 + 0.03  # between the lanes, never off the road
    # Without lane changes a bot stays in its lane.
    env, seen = make_env(loop, ObjectsConfig(number_of_bot_cars=1, bot_car_speed=1.0), start_fraction=0.5)
    env.reset(seed=0)
    crawl(env, 60)
    assert len({p["objects_left_of_center"][0] for p in seen}) == 1


def drive_until_done(env, speed=1.0, steps=120):
    for _ in range(steps):
        _, _, terminated, _, info = env.step(np.array([[0.0, speed]]))
        if terminated[0]:
            return info
    raise AssertionError("the episode did not end")


def test_collision_with_a_box_ends_the_episode_crashed(loop):
    # A box in the inner lane 1.8 m ahead on the start straight: the car on the centre line clips it.
    env, seen = make_env(loop, ObjectsConfig(object_positions=((0.1, 1),)))
    env.reset(seed=0)
    info = drive_until_done(env)
    assert info["status"][0] == EpisodeStatus.CRASHED and info["crashed"][0]
    assert seen[-1]["is_crashed"] is True and seen[-2]["is_crashed"] is False
    assert EpisodeStatus.CRASHED.label == "crashed"


def test_collision_with_a_bot_car(loop):
    objs = ObjectsConfig(number_of_bot_cars=1, bot_car_speed=0.2, min_distance_between_bot_cars=1.5)
    env, seen = make_env(loop, objs)
    env.reset(seed=0)
    info = drive_until_done(env, speed=1.5)
    assert info["status"][0] == EpisodeStatus.CRASHED and seen[-1]["is_crashed"] is True
    # Without ending on a crash (evaluation rules), the car drives on with is_crashed set.
    env, seen = make_env(loop, objs, end_on_crash=False)
    env.reset(seed=0)
    for _ in range(60):
        _, _, terminated, _, info = env.step(np.array([[0.0, 1.5]]))
        if seen[-1]["is_crashed"]:
            break
    assert seen[-1]["is_crashed"] and info["crashed"][0] and not terminated[0]
    assert info["status"][0] == EpisodeStatus.IN_PROGRESS


def test_start_next_to_an_object_moves_to_the_other_lane(loop):
    # DeepRacer: a training start within 1 m of an object starts in the lane opposite it.
    env, _ = make_env(loop, ObjectsConfig(object_positions=((0.02, 1),)))
    env.reset(seed=0)
    info = crawl(env)
    assert not info["crashed"][0]
    assert loop.project(np.array([[info["x"][0], info["y"][0]]])).distance[0] == pytest.approx(loop.width / 4, abs=0.03)


def test_rectangle_overlap_matches_shapely():
    rng = np.random.default_rng(1)
    n = 400
    ca, cb = rng.uniform(-0.5, 0.5, (n, 2)), rng.uniform(-0.5, 0.5, (n, 2))
    ya, yb = rng.uniform(-np.pi, np.pi, n), rng.uniform(-np.pi, np.pi, n)
    la, wa, lb, wb = (rng.uniform(0.05, 0.3, n) for _ in range(4))
    got = rects_overlap(ca, ya, la, wa, cb, yb, lb, wb)

    def poly(c, yaw, hl, hw):
        u, v = np.array([np.cos(yaw), np.sin(yaw)]), np.array([-np.sin(yaw), np.cos(yaw)])
        return Polygon([c + hl * u + hw * v, c - hl * u + hw * v, c - hl * u - hw * v, c + hl * u - hw * v])

    want = np.array([poly(ca[i], ya[i], la[i], wa[i]).intersects(poly(cb[i], yb[i], lb[i], wb[i])) for i in range(n)])
    np.testing.assert_array_equal(got, want)
    assert 0.2 < want.mean() < 0.8


def test_sizes_follow_deepracer_and_the_body_comes_from_the_vehicle(loop):
    env, _ = make_env(loop, ObjectsConfig(number_of_obstacles=1, number_of_bot_cars=1))
    env.reset(seed=0)
    st = env.objects.state
    assert (st.length[0], st.width[0]) == BOX_SIZE_M and (st.length[1], st.width[1]) == BOT_CAR_SIZE_M
    # The car's body is VehicleConfig's: side by side with a box, 1 cm of overlap for the default
    # body; a body 4 cm narrower misses it by 1 cm. The body's centre is midway between the axles.
    i = 0
    box_c = np.array([st.x[0, i], st.y[0, i]])
    yaw = st.yaw[0, i]
    side = np.array([-np.sin(yaw), np.cos(yaw)])
    ahead = np.array([np.cos(yaw), np.sin(yaw)])
    offset = BOX_SIZE_M[1] / 2 + VehicleConfig().body_width / 2 - 0.01
    for width, hit in ((VehicleConfig().body_width, True), (VehicleConfig().body_width - 0.04, False)):
        vehicle = VehicleConfig(body_width=width)
        body = box_c + side * offset + 0.1 * ahead
        origin = body - ahead * vehicle.wheelbase / 2
        car = CarState(np.array([origin[0]]), np.array([origin[1]]), np.array([yaw]), np.zeros(1))
        assert collisions(vehicle, car, st)[0, i] == hit


def test_settings_read_with_deepracer_names():
    cfg = ObjectsConfig.from_deepracer({"NUMBER_OF_OBSTACLES": "3", "RANDOMIZE_OBSTACLE_LOCATIONS": "true",
                                        "NUMBER_OF_BOT_CARS": 2, "BOT_CAR_SPEED": "0.8", "IS_LANE_CHANGE": "False",
                                        "OBJECT_POSITIONS": ["0.2,1", "0.6,-1"], "CHANGE_START_POSITION": True})
    assert cfg.n_obstacles == 2 and cfg.randomize_obstacle_locations and cfg.n_bots == 2
    assert cfg.bot_car_speed == 0.8 and not cfg.is_lane_change
    assert ObjectsConfig.from_deepracer(cfg.to_deepracer()) == cfg
    with pytest.raises(ObjectsError, match="OBJECT_POSITIONS"):
        ObjectsConfig(object_positions=((0.2, 2),)).check()
    with pytest.raises(ObjectsError, match="BOT_CAR_SPEED.*'fast'"):
        ObjectsConfig.from_deepracer({"BOT_CAR_SPEED": "fast"})


def test_params_at_with_objects_for_debugging_rewards(loop):
    from sim.params import params_at

    start = loop.point_at(np.array([0.0]))[0]
    box = loop.point_at(np.array([1.0]))[0]
    bot = loop.point_at(np.array([loop.length - 1.0]))[0]
    p = params_at(loop, *start, 0.0, objects=[tuple(box), (*bot, 90.0, 0.5)])
    assert p["closest_objects"] == [1, 0]  # the bot behind across the lap's end, the box ahead
    assert p["objects_location"] == [list(box), list(bot)]
    assert p["objects_speed"] == [0.0, 0.5]
    assert p["objects_heading"][1] == pytest.approx(np.pi / 2)
    assert p["objects_distance"][0] == pytest.approx(1.0, abs=1e-6)
    assert p["is_crashed"] is False and p["object_in_camera"] is True
    assert params_at(loop, *box, 0.0, objects=[tuple(box)])["is_crashed"] is True
    assert params_at(loop, *start, 0.0)["objects_location"] == []
    with pytest.raises(ObjectsError, match="object 2: give X,Y"):
        params_at(loop, *start, 0.0, objects=[(1.0, 2.0), (1.0, 2.0, 3.0)])
