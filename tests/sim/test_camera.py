"""The camera shows a first-person road view: road ahead, ground off it, turns on the right side."""

import struct
import zlib

import numpy as np
import pytest

from sim.camera import DEEPRACER_SIZE, TRAINING_SIZE, Camera, Palette, save_png, track_texture
from sim.track import Track, TrackInfo
from sim.vehicle import CarState

PAL = Palette()


def make_track(center, width=0.8, name="t"):
    t = np.gradient(center, axis=0)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    left = np.stack([-t[:, 1], t[:, 0]], axis=1)
    return Track(np.hstack([center, center + left * width / 2, center - left * width / 2]), TrackInfo(name=name))


def straight(length=10.0):
    x = np.linspace(0, length, 101)
    return make_track(np.stack([x, np.zeros_like(x)], axis=1), name="straight")


def left_turn(mirror=False):
    """3 m along +x, a 90-degree bend of radius 1.2 m to the left (or right), then 3 m on."""
    a = np.linspace(0, 3, 31)[:-1]
    leg1 = np.stack([a, np.zeros_like(a)], axis=1)
    th = np.linspace(-np.pi / 2, 0, 40)[:-1]
    arc = np.stack([3 + 1.2 * np.cos(th), 1.2 + 1.2 * np.sin(th)], axis=1)
    b = np.linspace(0, 3, 31)
    leg2 = np.stack([np.full_like(b, 4.2), 1.2 + b], axis=1)
    c = np.vstack([leg1, arc, leg2])
    if mirror:
        c[:, 1] *= -1
    return make_track(c, name="turn")


def car(x, y, yaw, mount=0.20):
    """Cars whose camera (``mount`` ahead of the rear axle) sits at ``(x, y)``."""
    x, y, yaw = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, y, yaw))
    return CarState(x - mount * np.cos(yaw), y - mount * np.sin(yaw), yaw, np.zeros(len(x)))


@pytest.mark.parametrize("size", [DEEPRACER_SIZE, TRAINING_SIZE])
def test_frames_have_the_requested_size_and_dtype(size):
    cam = Camera(straight(), size=size)
    img = cam.render(car([1.0, 2.0, 3.0], [0.0, 0.1, -0.1], [0.0, 0.1, -0.1]))
    assert img.shape == (3, size[1], size[0]) and img.dtype == np.uint8


def test_the_road_ahead_fills_the_bottom_and_sky_the_top():
    cam = Camera(straight())
    img = cam.render(car(1.0, 0.15, 0.0))[0]  # off the centre line, so no dash at the bottom
    assert np.all(img[-10:] == PAL.road)
    assert img[0].min() > PAL.road  # sky
    # Both borders show up, one on each side of the image.
    white = img == PAL.border
    assert white[:, :60].any() and white[:, 100:].any()


def test_a_car_facing_away_from_the_road_sees_mostly_ground():
    cam = Camera(straight())
    img = cam.render(car(2.0, 0.45, np.pi / 2))[0]  # just off the left edge, facing left
    ground = img[cam.first_row:]
    assert np.mean(np.abs(ground.astype(int) - PAL.ground) <= PAL.ground_texture + 1) > 0.9


def road_column(img, rows):
    """Mean column of the road-coloured pixels in ``rows``."""
    return np.nonzero(img[rows] == PAL.road)[1].mean()


def test_a_left_turn_appears_on_the_left_and_its_mirror_on_the_right():
    pose = car(2.2, 0.0, 0.0)  # 0.8 m before a bend of the road
    cam = Camera(left_turn())
    left_img = cam.render(pose)[0]
    right_img = Camera(left_turn(mirror=True)).render(pose)[0]
    far = slice(cam.first_row, cam.first_row + 8)  # just below the horizon: the road beyond the bend
    assert road_column(left_img, far) < 80 - 15
    assert road_column(right_img, far) > 80 + 15
    # The two views are mirror images of each other (up to the ground's blotches).
    agree = (left_img == PAL.road) == (right_img[:, ::-1] == PAL.road)
    assert agree.mean() > 0.97


def test_full_and_training_resolution_show_the_same_scene():
    track = left_turn()
    pose = car([1.0, 2.5, 3.9], [0.1, -0.1, 0.5], [0.0, 0.2, 0.9])
    full = Camera(track, size=DEEPRACER_SIZE).render(pose).astype(float)
    small = Camera(track, size=TRAINING_SIZE).render(pose).astype(float)
    shrunk = full.reshape(3, 60, 2, 80, 2).mean(axis=(2, 4))
    assert np.abs(shrunk - small).mean() < 12


def test_many_cars_at_once_match_one_car_at_a_time():
    track = left_turn()
    cam = Camera(track, size=TRAINING_SIZE)
    pose = car([1.0, 2.5, 3.9, 4.2], [0.1, -0.1, 0.5, 2.0], [0.0, 0.2, 0.9, 1.6])
    together = cam.render(pose)
    for i in range(4):
        one = CarState(pose.x[i:i + 1], pose.y[i:i + 1], pose.yaw[i:i + 1], pose.speed[i:i + 1])
        np.testing.assert_array_equal(cam.render(one)[0], together[i])


def test_texture_is_painted_once_per_track():
    track = straight()
    assert track_texture(track) is track_texture(track)
    assert Camera(track).texture is Camera(track, size=TRAINING_SIZE).texture


def test_save_png_writes_a_readable_grayscale_file(tmp_path):
    img = Camera(straight(), size=TRAINING_SIZE).render(car(1.0, 0.1, 0.0))[0]
    path = tmp_path / "frame.png"
    save_png(path, img)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (w, h, depth, colour) == (80, 60, 8, 0)
    idat_len = struct.unpack(">I", data[33:37])[0]
    raw = np.frombuffer(zlib.decompress(data[41:41 + idat_len]), dtype=np.uint8).reshape(60, 81)
    np.testing.assert_array_equal(raw[:, 1:], img)
