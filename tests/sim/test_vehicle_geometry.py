"""The car's geometry is DeepRacer's: wheels and body placed from the reference point as its URDF places them.

Expectations are computed here with shapely from the documented numbers
(``deepracer-conventions.md`` section 4; DeepRacer's ``deepracer_single_cam.urdf``), not from
``sim.vehicle``: the base link is 0.14 m behind ``x, y``; the rear wheels 0.081663 m behind the
base link at +-0.08105 m, the front wheels 0.082311 m ahead at +-0.079601 m.
"""

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon

from sim.actions import ActionSpace
from sim.env import EnvConfig, RacingEnv
from sim.noise import NoiseConfig
from sim.params import params_at
from sim.track import Track, TrackInfo
from sim.vehicle import VehicleConfig

HALF_WIDTH = 0.5
REF_AHEAD_OF_BASE = 0.14
WHEELS_FROM_BASE = [(-0.081663, 0.08105), (-0.081663, -0.08105), (0.082311, 0.079601), (0.082311, -0.079601)]


def straight() -> Track:
    """An open straight along +x from 0 to 6 m, road ``|y| <= 0.5``."""
    x = np.linspace(0.0, 6.0, 61)
    arr = np.stack([x, 0 * x, x, 0 * x + HALF_WIDTH, x, 0 * x - HALF_WIDTH], axis=1)
    return Track(arr, TrackInfo(name="straight"))


def documented_wheels(x: float, y: float, heading_deg: float, wheels=WHEELS_FROM_BASE,
                      ref_ahead=REF_AHEAD_OF_BASE) -> np.ndarray:
    h = np.radians(heading_deg)
    fwd, left = np.array([np.cos(h), np.sin(h)]), np.array([-np.sin(h), np.cos(h)])
    base = np.array([x, y]) - ref_ahead * fwd
    return np.array([base + a * fwd + b * left for a, b in wheels])


def expected_flags(road: Polygon, wheels: np.ndarray) -> tuple[bool, bool]:
    on = [road.intersects(Point(*w)) for w in wheels]
    return all(on), not any(on)


# The old Trackside car: x, y 0.14 m ahead of the rear axle, wheelbase 0.164 m, +-0.08 m.
OLD_WHEELS = [(0.0, 0.08), (0.0, -0.08), (0.164, 0.08), (0.164, -0.08)]


@pytest.mark.parametrize("x, y, heading, all_on, off", [
    (3.0, 0.50, 90.0, True, False),    # nose over the edge: the old car had its front wheels off
    (3.0, 0.65, 90.0, False, False),   # the old car had all four wheels off here (off-track)
    (3.0, 0.75, 90.0, False, True),
    (3.0, 0.41, 0.0, True, False),     # driving along the edge: left wheels at y = 0.41 + 0.081
    (3.0, 0.43, 0.0, False, False),
    (3.0, 0.59, 0.0, False, True),
    (3.0, -0.55, -60.0, False, False),
])
def test_wheel_flags_match_the_documented_geometry(x, y, heading, all_on, off):
    track = straight()
    wheels = documented_wheels(x, y, heading)
    assert expected_flags(track.road, wheels) == (all_on, off)
    p = params_at(track, x, y, heading)
    assert (p["all_wheels_on_track"], p["is_offtrack"]) == (all_on, off)


def test_the_old_geometry_disagreed_where_the_new_one_is_right():
    track = straight()
    for y, new in ((0.50, (True, False)), (0.65, (False, False))):
        old = expected_flags(track.road, documented_wheels(3.0, y, 90.0, OLD_WHEELS, ref_ahead=0.14))  # from the rear axle
        assert old != new
        p = params_at(track, 3.0, y, 90.0)
        assert (p["all_wheels_on_track"], p["is_offtrack"]) == new


def test_random_poses_near_a_border_agree_with_shapely():
    track = straight()
    rng = np.random.default_rng(3)
    n = 300
    xs, ys, hs = rng.uniform(1.0, 5.0, n), rng.uniform(0.3, 0.8, n), rng.uniform(-180.0, 180.0, n)
    got = [(p["all_wheels_on_track"], p["is_offtrack"]) for p in
           (params_at(track, x, y, h) for x, y, h in zip(xs, ys, hs))]
    want = [expected_flags(track.road, documented_wheels(x, y, h)) for x, y, h in zip(xs, ys, hs)]
    assert got == want
    assert len({w for w in want}) == 3  # all on, straddling and off all occur


def test_env_places_the_reference_point_and_wheels_as_documented():
    track = straight()
    env = RacingEnv(track, ActionSpace.continuous(), EnvConfig(sensor=None, round_robin=False, autoreset=False,
                                                               noise=NoiseConfig.off()))
    env.reset(seed=0, options={"start_fraction": 0.2})
    ref, _, wheels_on = env.locate()
    assert ref[0] == pytest.approx([0.2 * track.length, 0.0])
    base_x = ref[0, 0] - REF_AHEAD_OF_BASE
    assert env.state.x[0] == pytest.approx(base_x - 0.081663)
    assert wheels_on.all()
    env.put_back(np.array([0]))
    assert env.locate()[0][0] == pytest.approx(ref[0])


def test_body_box_is_centred_on_the_base_link():
    car = VehicleConfig()
    body = shapely.Polygon(car.body_corners() - [car.rear_axle_behind_base, 0.0])
    assert body.centroid.x == pytest.approx(0.0) and body.centroid.y == pytest.approx(0.0)
    assert body.area == pytest.approx(0.32352 * 0.1961)
    assert car.reference_offset == pytest.approx(0.081663 + 0.14)
    assert car.wheelbase == pytest.approx(0.163974)
