"""The scripted driver laps within reach of the racing line's best lap, on the road."""

import functools

import numpy as np
import pytest

from sim.driver import PurePursuitDriver
from sim.racing_line import compute_racing_line
from sim.vehicle import CarState, VehicleConfig, points_in_world, step_cars
from test_racing_line import hairpin_loop, oval  # the same test tracks

CAR = VehicleConfig()


@functools.cache
def build(name):
    return oval() if name == "oval" else hairpin_loop()


def drive_lap(track, driver, cfg=CAR, max_steps=2000):
    """One lap from a standstill on waypoint 0, facing along the track.

    Returns ``(lap_s, wheels_on (steps,), overspeed)``: the lap time interpolated within
    the step that crosses the finish, how many wheels were on the road after each step,
    and the most the car's speed exceeded the line's profile at its position, m/s.
    """
    state = CarState.zeros(1)
    state.x[:], state.y[:] = track.center[0]
    state.yaw[:] = track.heading_at(np.array([0.0]))
    s_prev, progress, wheels_on, overspeed = 0.0, 0.0, [], 0.0
    for step in range(1, max_steps + 1):
        steer, speed = driver.act(state)
        step_cars(cfg, state, steer, speed)
        xy = np.stack([state.x, state.y], axis=1)
        wheels_on.append(int(track.on_road(points_in_world(state, cfg.wheel_offsets())).sum()))
        overspeed = max(overspeed, float(state.speed[0] - driver.line.locate(xy).speed[0]))
        s = float(track.project(xy).s[0])
        ds = (s - s_prev + track.length / 2) % track.length - track.length / 2
        if progress + ds >= track.length:
            return (step - 1 + (track.length - progress) / ds) * cfg.step_dt, np.array(wheels_on), overspeed
        progress, s_prev = progress + ds, s
    raise AssertionError(f"no lap in {max_steps} steps; progress {progress:.2f} of {track.length:.2f} m")


@pytest.mark.parametrize("name", ["oval", "hairpin"])
def test_driver_laps_close_to_the_best_lap_and_on_the_road(name):
    track = build(name)
    line = compute_racing_line(track)
    lap, wheels_on, overspeed = drive_lap(track, PurePursuitDriver(line, CAR))
    assert wheels_on.min() >= 1  # never off track
    assert (wheels_on == 4).mean() > 0.95
    assert 0.98 * line.best_lap_s <= lap <= 1.15 * line.best_lap_s
    # The speed command anticipates braking: the car is never much above the profile.
    assert overspeed < 0.15


def test_driver_is_within_a_few_percent_on_a_long_fast_loop():
    k = 4.2  # the hairpin loop scaled to about 70 m
    track = hairpin_loop(scale=k, width=1.07)
    line = compute_racing_line(track)
    lap, wheels_on, _ = drive_lap(track, PurePursuitDriver(line, CAR))
    assert (wheels_on == 4).all()
    assert lap == pytest.approx(line.best_lap_s, rel=0.03)


def test_slower_profile_gives_a_slower_lap():
    track = build("hairpin")
    fast = drive_lap(track, PurePursuitDriver(compute_racing_line(track), CAR))[0]
    slow_line = compute_racing_line(track, max_speed=2.0)
    slow = drive_lap(track, PurePursuitDriver(slow_line, CAR))[0]
    assert slow > fast
    assert slow == pytest.approx(slow_line.best_lap_s, rel=0.05)


def test_commands_are_vectorised_and_recover_from_a_bad_start():
    """Four cars at once, three of them off the line, askew or already moving."""
    track = build("hairpin")
    line = compute_racing_line(track)
    driver = PurePursuitDriver(line, CAR)
    s0 = np.array([0.0, 3.0, 7.0, 12.0])
    side = np.array([0.0, 0.1, -0.1, 0.0])
    heading = track.heading_at(s0)
    start = track.point_at(s0) + side[:, None] * np.stack([-np.sin(heading), np.cos(heading)], axis=1)
    state = CarState(start[:, 0].copy(), start[:, 1].copy(), heading + np.array([0.3, -0.3, 0.2, 0.0]),
                     np.array([0.0, 2.0, 3.0, 1.0]))

    steer, speed = driver.act(state)
    assert steer.shape == speed.shape == (4,)
    for i in range(4):  # the same commands as for each car alone
        one = CarState(*(a[i : i + 1].copy() for a in (state.x, state.y, state.yaw, state.speed)))
        np.testing.assert_allclose(np.concatenate(driver.act(one)), [steer[i], speed[i]])
    assert np.all(np.abs(steer) <= CAR.max_steering_deg)
    assert np.all((speed >= CAR.min_speed) & (speed <= CAR.max_speed))

    for _ in range(60):  # 4 s
        step_cars(CAR, state, *driver.act(state))
        assert (track.on_road(points_in_world(state, CAR.wheel_offsets())).sum(axis=1) >= 1).all()
    assert line.locate(np.stack([state.x, state.y], axis=1)).distance.max() < 0.02
