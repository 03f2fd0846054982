"""Sensors and the reward worker with obstacles and bot cars: LIDAR beams stop at them, the camera
draws them, ``object_in_camera`` sees them, and the worker process gets every object key."""

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

from sim.actions import ActionSpace
from sim.camera import TRAINING_SIZE, Camera, Palette
from sim.env import EnvConfig, RacingEnv
from sim.library import load_track
from sim.object_params import in_camera
from sim.objects import ObjectsConfig, ObjectWorld
from sim.params import OBJECT_COLUMNS
from sim.reward import load_reward_function
from sim.reward_sandbox import RewardSandbox
from sim.sensors import Lidar, SectorLidar
from sim.vehicle import CarState


@pytest.fixture(scope="module")
def loop():
    return load_track("workshop_loop")


def world(track, objects, reverse=False):
    w = ObjectWorld(track, objects, 1)
    w.reset(np.array([0]), np.array([reverse]), np.random.default_rng(0))
    return w.state


def car_at(track, d, yaw_turn=0.0):
    """A car whose origin is on the centre line ``d`` m from waypoint 0, facing along the track (+ ``yaw_turn``)."""
    p = track.point_at(np.array([d]))
    return CarState(p[:, 0], p[:, 1], track.heading_at(np.array([d])) + yaw_turn, np.zeros(1))


def box_polygon(objects, i):
    return Polygon(objects.corners()[0, i])


@pytest.mark.parametrize("d, turn", [(0.0, 0.0), (1.77, -np.pi / 2), (1.2, 1.0), (3.0, np.pi), (1.0, 0.3)])
def test_a_lidar_beam_stops_at_a_box(loop, d, turn):
    objects = world(loop, ObjectsConfig(object_positions=((0.1, 1),)))  # inner lane, 1.77 m on
    car = car_at(loop, d, turn)
    lidar = Lidar(loop)
    plain, seeing = lidar.scan(car)[0], lidar.scan(car, objects)[0]
    ox, oy = lidar.origins(car)
    box = box_polygon(objects, 0)
    hits = 0
    for k, angle in enumerate(lidar.angles):
        theta = car.yaw[0] + angle
        ray = LineString([(ox[0], oy[0]), (ox[0] + 12 * np.cos(theta), oy[0] + 12 * np.sin(theta))])
        meet = ray.intersection(box)
        if meet.is_empty:
            assert seeing[k] == pytest.approx(plain[k], abs=1e-5)
        else:
            want = max(Point(ox[0], oy[0]).distance(meet), lidar.min_range)
            if want < plain[k]:
                hits += 1
                assert seeing[k] == pytest.approx(want, abs=1e-4)
    assert hits >= (2 if turn != -np.pi / 2 else 0)  # beams that meet the box before the road edge


def test_sector_lidar_sees_a_close_box(loop):
    objects = world(loop, ObjectsConfig(object_positions=((0.1, 1),)))
    d_box = 0.1 * loop.length
    lidar_to_box = 0.3
    sector = SectorLidar(loop)
    car = car_at(loop, d_box - 0.25 - lidar_to_box - sector.lidar.mount_offset)
    plain, seeing = sector.scan(car)[0], sector.scan(car, objects)[0]
    assert plain[4] == 0.0 and seeing[4] == 1.0  # the sector just left of straight ahead
    assert (seeing >= plain).all()


def test_the_camera_draws_boxes_and_bots_where_they_are(loop):
    cam = Camera(loop, size=TRAINING_SIZE)
    box = world(loop, ObjectsConfig(object_positions=((0.1, 1),)))
    car = car_at(loop, 0.0)
    plain, seeing = cam.render(car)[0], cam.render(car, box)[0]
    changed = plain != seeing
    assert changed.sum() > 20
    assert (seeing[changed] == Palette().box).all()
    # Left of straight ahead (inner lane of a counter-clockwise loop), and below the horizon.
    cols = np.nonzero(changed)[1]
    assert cols.mean() < cam.width / 2
    # Behind the car: nothing drawn.
    behind = car_at(loop, 0.0, np.pi)
    np.testing.assert_array_equal(cam.render(behind)[0], cam.render(behind, box)[0])
    bot = world(loop, ObjectsConfig(number_of_bot_cars=1, min_distance_between_bot_cars=1.5))
    drawn = cam.render(car, bot)[0]
    assert (drawn[drawn != plain] == Palette().bot).all() and (drawn != plain).sum() > 10


def test_object_in_camera(loop):
    box = world(loop, ObjectsConfig(object_positions=((0.1, 1),)))
    assert in_camera(box, car_at(loop, 0.0))[0, 0]
    assert not in_camera(box, car_at(loop, 0.0, np.pi))[0, 0]
    assert not in_camera(box, car_at(loop, 0.0, np.pi / 2))[0, 0]


SOURCE = """
def reward_function(params):
    behind, ahead = params['closest_objects']
    return (100.0 * ahead + 10.0 * len(params['objects_location']) + params['objects_distance'][ahead]
            + (1000.0 if params['is_crashed'] else 0.0) + (0.5 if params['object_in_camera'] else 0.0)
            + sum(params['objects_speed']) + 0.001 * params['objects_left_of_center'][ahead])
"""


def test_the_reward_worker_gets_the_object_keys(loop):
    objects = ObjectsConfig(number_of_obstacles=2, number_of_bot_cars=1, bot_car_speed=0.3)
    space = ActionSpace.continuous()
    cfg = {"n_cars": 3, "sensor": "LIDAR", "objects": objects, "start_fraction": 0.3}
    local = RacingEnv(loop, space, EnvConfig(**cfg), reward_fn=load_reward_function(SOURCE))
    local.reset(seed=5)
    with RewardSandbox(SOURCE, instances=3, waypoints=local.params_builder.waypoints,
                       track_length=loop.length) as box:
        remote = RacingEnv(loop, space, EnvConfig(**cfg), reward_fn=box)
        remote.reset(seed=5)
        actions = np.tile([5.0, 1.0], (3, 1))
        for _ in range(5):
            _, want, *_ = local.step(actions)
            _, got, *_ = remote.step(actions)
            np.testing.assert_allclose(got, want)
    assert set(OBJECT_COLUMNS) <= set(local.last_params[0])
    assert want.min() > 30.0  # three objects, and the worker's dicts carried them


AVOID = """
import math

def reward_function(params):
    # Stay on the road, and keep away from the next object when it is in the car's lane.
    reward = 1.0 if params['all_wheels_on_track'] else 1e-3
    ahead = params['closest_objects'][1]
    ox, oy = params['objects_location'][ahead]
    gap = math.hypot(params['x'] - ox, params['y'] - oy)
    same_lane = params['objects_left_of_center'][ahead] == params['is_left_of_center']
    if same_lane and gap < 0.8:
        reward *= 0.5 * gap
    return float(reward)
"""


def test_an_object_avoidance_reward_validates_with_objects(loop):
    from sim.reward_check import sample_params, validate_reward_source

    objects = ObjectsConfig(number_of_obstacles=3)
    samples = sample_params(loop, objects)
    assert all(len(p["objects_location"]) == 3 for p in samples)
    assert any(p["is_crashed"] for p in samples) and not all(p["is_crashed"] for p in samples)
    assert sample_params(loop)[0]["objects_location"] == []  # a time trial has none
    report = validate_reward_source(AVOID, loop, objects=objects)
    assert report.ok, report.error
