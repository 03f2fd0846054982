"""What one car's sensors see, drawn from its pose: the camera image (both eyes for stereo
cameras) and/or the LIDAR fan.

The simulator's own sensors compute it (``sim.camera.Camera``, ``sim.sensors.Lidar``) from a
``CarState`` built from the telemetry pose, and see the car's obstacles and bot cars (object rows
of the telemetry, :mod:`sim.object_rows`, placed in a one-car ``sim.objects.ObjectWorld``), so the
picture is what the network gets.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from sim.track import Track
from sim.vehicle import CarState, VehicleConfig

_CAR = VehicleConfig()


def objects_world(track: Track, rows, world=None):
    """One car's objects for the sensors: a one-car ``sim.objects.ObjectWorld`` holding object rows
    ``(m, 6)`` (boxes first, then bot cars, as the simulator orders them) at their poses and sizes;
    None for no rows or more than a world holds. ``world``: one to reuse if it holds as many of each."""
    from sim.objects import ObjectsConfig, ObjectsError, ObjectWorld

    rows = np.asarray(rows if rows is not None else [], dtype=float).reshape(-1, 6)
    if not len(rows):
        return None
    bots = int((rows[:, 5] >= 0.5).sum())
    config = ObjectsConfig(number_of_obstacles=len(rows) - bots, number_of_bot_cars=bots, bot_car_speed=1.0)
    if world is None or world.config != config:
        try:
            world = ObjectWorld(track, config, 1)
        except ObjectsError:
            return None
    world.state.length[:], world.state.width[:] = rows[:, 3], rows[:, 4]  # the sizes the simulator sent
    world.put(rows[None, :, 0], rows[None, :, 1], np.radians(rows[None, :, 2]))
    return world


def car_state(pose: np.ndarray) -> CarState:
    """A one-car ``CarState`` from a telemetry row ``(x, y, yaw_deg, speed, ...)`` of the reference point."""
    yaw = np.radians(float(pose[2]))
    # The reference point lies ``reference_offset`` (0.2217 m) ahead of the rear-axle origin.
    x = float(pose[0]) - _CAR.reference_offset * np.cos(yaw)
    y = float(pose[1]) - _CAR.reference_offset * np.sin(yaw)
    speed = float(pose[3]) if len(pose) > 3 and np.isfinite(pose[3]) else 0.0
    return CarState(np.array([x]), np.array([y]), np.array([yaw]), np.array([speed]))


class SensorView(QWidget):
    """A small panel with the first car's camera image or its LIDAR ranges in the car's frame.

    :meth:`update_pose` returns the LIDAR rays as world segments ``(2k, 2)`` (pairs of
    points, m) for the track view to draw, or None.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sensor: str | None = None
        self._lidar = None
        self._camera = None
        self._ranges: np.ndarray | None = None
        self.track: Track | None = None
        self._objects = None
        """The car's objects as a one-car ``ObjectWorld`` (:func:`objects_world`), or None."""
        self._object_rows: np.ndarray | None = None
        self.frames = 0
        self._stack = QStackedLayout(self)
        self.message = QLabel("No sensor view")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #9aa5b1; background: #1c261e; font-size: 12px;")
        self.plot = pg.PlotWidget(background="#1c261e")
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self._rays = pg.PlotCurveItem(pen=pg.mkPen(80, 220, 120, 170, width=1), connect="pairs")
        self._outline = pg.PlotCurveItem(pen=pg.mkPen(150, 255, 170, width=2))
        self._car = pg.PlotCurveItem(pen=pg.mkPen("w", width=2))
        for item in (self._rays, self._outline, self._car):
            self.plot.addItem(item)
        # The body box drawn nose up around the reference point (the panel's origin):
        # screen x = -car y (right), screen y = car x - reference_offset (ahead).
        body = _CAR.body_corners()[[0, 1, 2, 3, 0]]
        self._car.setData(-body[:, 1], body[:, 0] - _CAR.reference_offset)
        self.plot.setRange(xRange=(-2.2, 2.2), yRange=(-1.2, 3.2), padding=0)
        self.image_view = pg.GraphicsLayoutWidget()
        self.image_view.setBackground("#1c261e")
        vb = self.image_view.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        vb.addItem(self.image)
        self._image_box = vb
        for w in (self.message, self.plot, self.image_view):
            self._stack.addWidget(w)

    def set_sensor(self, track: Track | None, sensor) -> None:
        """Prepare for ``sensor`` on ``track``: a name ("LIDAR", "FRONT_FACING_CAMERA", ...), a
        model's sensor list, or a ``sim.observation.ObservationSpec`` (its camera size). A model
        with a camera and a lidar shows the camera image here and its lidar rays on the track."""
        self.sensor, self._lidar, self._camera, self._ranges = sensor, None, None, None
        self.track, self._objects, self._object_rows = track, None, None
        if track is None or sensor is None:
            self._show_message("No sensor view")
            return
        from sim.camera import TRAINING_SIZE
        from sim.observation import ObservationSpec, SensorError

        try:
            spec = ObservationSpec.from_sensors(sensor, TRAINING_SIZE)
        except SensorError as exc:
            self._show_message(f"No view: {exc}")
            return
        if spec.lidar is not None:
            from sim.sensors import Lidar

            self._lidar = Lidar(track)  # SECTOR_LIDAR's sectors are read from the same beams
            self._stack.setCurrentWidget(self.plot)
        if spec.camera is not None:
            from sim.camera import Camera, StereoCamera

            cls = Camera if spec.camera == "FRONT_FACING_CAMERA" else StereoCamera
            self._camera = cls(track, size=spec.camera_size)
            self._stack.setCurrentWidget(self.image_view)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self._stack.setCurrentWidget(self.message)

    def clear(self) -> None:
        self._rays.setData([], [])
        self._outline.setData([], [])

    def update_pose(self, pose: np.ndarray | None, *, sense: bool = True, objects=None) -> np.ndarray | None:
        """Draw what the car at ``pose`` sees among its ``objects`` (object rows ``(m, 6)``, or None
        for none). ``sense=False`` reuses the last reading (LIDAR ranges seen from the new pose; the
        camera image as it was): between two frames the car moves centimetres, and sensing costs
        milliseconds."""
        if pose is None or not np.all(np.isfinite(pose[:3])):
            return None
        state = car_state(pose)
        self._set_objects(objects)
        seen = self._objects.state if self._objects is not None else None
        if self._lidar is not None:
            if sense or self._ranges is None:
                self._ranges = self._lidar.scan(state, seen)[0].astype(float)
            ranges = self._ranges
            angles = self._lidar.angles
            # Car frame drawn heading up: x right, y forward.
            hx, hy = -ranges * np.sin(angles), ranges * np.cos(angles)
            oy = self._lidar.mount_offset - _CAR.reference_offset
            pairs = np.zeros((2 * len(ranges), 2))
            pairs[0::2] = (0.0, oy)
            pairs[1::2, 0], pairs[1::2, 1] = hx, hy + oy
            self._rays.setData(pairs[:, 0], pairs[:, 1])
            self._outline.setData(hx, hy + oy)  # the scan's outline: where the road edge is
            self.frames += 1
            self._draw_camera(state, sense, seen)
            ox, oy_w = self._lidar.origins(state)
            theta = state.yaw[0] + angles
            world = np.zeros((2 * len(ranges), 2))
            world[0::2] = (ox[0], oy_w[0])
            world[1::2, 0] = ox[0] + ranges * np.cos(theta)
            world[1::2, 1] = oy_w[0] + ranges * np.sin(theta)
            return world
        self._draw_camera(state, sense, seen)
        return None

    def _set_objects(self, rows) -> None:
        """Keep the car's objects for the sensors; rebuilt only when the rows change (bot cars move)."""
        if rows is None or self.track is None:
            self._objects, self._object_rows = None, None
            return
        rows = np.asarray(rows, dtype=float)
        if self._object_rows is not None and rows.shape == self._object_rows.shape and np.array_equal(
                rows, self._object_rows):
            return
        self._object_rows = rows.copy()
        self._objects = objects_world(self.track, rows, self._objects)

    def _draw_camera(self, state: CarState, sense: bool, objects=None) -> None:
        if self._camera is None or not sense:
            return
        frame = self._camera.render(state, objects)[0]
        if frame.ndim == 3:  # stereo: left and right eye side by side, a dark gap between
            gap = np.zeros((frame.shape[1], 2), dtype=frame.dtype)
            frame = np.hstack([frame[0], gap, frame[1]])
        img = _as_image(frame)
        if img is not None:
            self.image.setImage(img, autoLevels=False, levels=_levels(img))
            self.frames += 1


def _as_image(obs) -> np.ndarray | None:
    """One car's camera observation as ``(h, w)`` or ``(h, w, 3)``."""
    a = np.asarray(obs)
    if a.ndim >= 3 and a.shape[0] == 1:
        a = a[0]
    while a.ndim > 3 or (a.ndim == 3 and a.shape[0] == 1):
        a = a[-1]  # the newest frame of a stack
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = np.moveaxis(a, 0, -1)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    return a if a.ndim in (2, 3) else None


def _levels(img: np.ndarray) -> tuple[float, float]:
    return (0.0, 1.0) if img.dtype.kind == "f" and float(np.nanmax(img)) <= 1.0 else (0.0, 255.0)
