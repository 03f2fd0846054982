"""The app's sensor view shows what the network sees: both stereo eyes, the camera and the lidar rays."""

import numpy as np

from gui.car_view import SensorView
from sim.library import load_track
from sim.observation import ObservationSpec


def _pose(track):
    x, y = track.center[0]
    heading = np.degrees(np.arctan2(*(track.center[1] - track.center[0])[::-1]))
    return np.array([x, y, heading, 1.0])


def test_stereo_eyes_side_by_side(qtbot):
    view = SensorView()
    qtbot.addWidget(view)
    track = load_track("practice_oval")
    view.set_sensor(track, ["STEREO_CAMERAS"])
    assert view.update_pose(_pose(track)) is None and view.frames == 1
    img = view.image.image
    assert img.shape == (60, 2 * 80 + 2)
    assert not np.array_equal(img[:, :80], img[:, 82:])  # the two eyes see the road from 6 cm apart


def test_camera_plus_lidar_shows_the_image_and_returns_the_rays(qtbot):
    view = SensorView()
    qtbot.addWidget(view)
    track = load_track("practice_oval")
    view.set_sensor(track, ObservationSpec.from_sensors(["FRONT_FACING_CAMERA", "LIDAR"], (80, 60)))
    rays = view.update_pose(_pose(track))
    assert rays is not None and rays.shape == (2 * 64, 2)
    assert view.image.image.shape == (60, 80)
    view.set_sensor(track, ["RADAR"])
    assert "unknown sensor" in view.message.text()
