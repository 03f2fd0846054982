"""A top-down view of a track: road, borders, centre line, racing line, obstacles, bot cars, cars, trails and paths.

Drawing is vectorised: all cars are one curve item (NaN-separated outlines), all
trails another, so a redraw costs the same for 1 car or 64. The view never pulls
data: owners call :meth:`set_cars`, :meth:`set_trails` or :meth:`set_path` from a
``QTimer`` at 20-50 ms, never once per simulation step.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from sim.object_rows import object_outlines
from sim.track import Track
from sim.vehicle import VehicleConfig

ROAD = QColor(70, 74, 82)
GROUND = QColor(28, 38, 30)
BORDER = QColor(235, 235, 235)
CENTRE = QColor(245, 200, 60)
RACING_LINE = QColor(80, 200, 255)
BOX = QColor("#f4a261")
"""Obstacle boxes (DeepRacer's are cardboard-brown boxes)."""
BOT = QColor("#9aa5b1")
"""Bot cars and other models' cars: grey, so the cars being watched stand out."""
CAR_COLORS = [QColor(c) for c in ("#ff5a5f", "#ffd166", "#06d6a0", "#118ab2", "#ef476f", "#f78c6b", "#83d483", "#b388eb")]

_CAR = VehicleConfig()
# Car outline in the car frame (rear-axle origin, x forward), m: DeepRacer's body box with a
# pointed nose added ahead of it so the heading shows.
_BODY = _CAR.body_corners()
_CAR_SHAPE = np.vstack([_BODY[:2], [[_BODY[1, 0] + 0.05, 0.0]], _BODY[2:], _BODY[:1]])


class TrackView(pg.PlotWidget):
    """Draws one track; call :meth:`set_track` to change it."""

    def __init__(self, track: Track | None = None, parent=None, show_racing_line: bool = True):
        super().__init__(parent=parent, background=GROUND)
        self.setAspectLocked(True)
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setMouseEnabled(x=True, y=True)
        self.setMenuEnabled(False)
        self.show_racing_line = show_racing_line
        self.track: Track | None = None
        self._road = QGraphicsPathItem()
        self._road.setBrush(QBrush(ROAD))
        self._road.setPen(QPen(Qt.PenStyle.NoPen))
        self.addItem(self._road)
        self._borders = pg.PlotCurveItem(pen=pg.mkPen(BORDER, width=2), connect="finite")
        self._centre = pg.PlotCurveItem(pen=pg.mkPen(CENTRE, width=1, style=Qt.PenStyle.DashLine))
        self._line = pg.PlotCurveItem(pen=pg.mkPen(RACING_LINE, width=2))
        self._start = pg.PlotCurveItem(pen=pg.mkPen("w", width=4))
        self._trails = pg.PlotCurveItem(pen=pg.mkPen(QColor(255, 90, 95, 140), width=1.5), connect="finite")
        self._path = pg.ScatterPlotItem(size=5, pen=None)
        self._cars = pg.PlotCurveItem(pen=pg.mkPen("w", width=1), brush=pg.mkBrush("#ff5a5f"), connect="finite")
        self._car_fill = pg.ScatterPlotItem(size=9, pen=pg.mkPen("k"))
        self._boxes, self._bots = QGraphicsPathItem(), QGraphicsPathItem()
        for item, color in ((self._boxes, BOX), (self._bots, BOT)):
            item.setBrush(QBrush(color))
            item.setPen(pg.mkPen(color.darker(160), width=1, cosmetic=True))
            self.addItem(item)
        for item in (self._borders, self._centre, self._line, self._start, self._trails, self._path,
                     self._cars, self._car_fill):
            self.addItem(item)
        if track is not None:
            self.set_track(track)

    # -- the track -------------------------------------------------------------------------
    def set_track(self, track: Track) -> None:
        self.track = track
        path = QPainterPath()
        for ring in (track.outer, track.inner) if track.closed else (np.vstack([track.inner, track.outer[::-1]]),):
            path.moveTo(*ring[0])
            for x, y in ring[1:]:
                path.lineTo(x, y)
            path.closeSubpath()
        path.setFillRule(Qt.FillRule.OddEvenFill)
        self._road.setPath(path)
        gap = np.array([[np.nan, np.nan]])
        borders = np.vstack([track.inner, gap, track.outer])
        self._borders.setData(borders[:, 0], borders[:, 1])
        self._centre.setData(track.center[:, 0], track.center[:, 1])
        # Start/finish line across the road at waypoint 0.
        self._start.setData([track.inner[0, 0], track.outer[0, 0]], [track.inner[0, 1], track.outer[0, 1]])
        self._line.setData([], [])
        if self.show_racing_line:
            self.set_racing_line(track)
        self.clear_dynamic()
        x0, y0, x1, y1 = track.bounds
        self.setRange(xRange=(x0 - 0.3, x1 + 0.3), yRange=(y0 - 0.3, y1 + 0.3), padding=0)

    def set_racing_line(self, track: Track, max_speed: float | None = None) -> None:
        from sim.racing_line import compute_racing_line

        line = compute_racing_line(track, max_speed=max_speed)
        pts = np.vstack([line.points, line.points[:1]]) if track.closed else line.points
        self._line.setData(pts[:, 0], pts[:, 1])

    def add_underlay(self, item) -> None:
        """Add an owner's item (a heat map image) above the road and below the lines, paths and cars."""
        self.addItem(item)
        base = self._road.zValue()
        item.setZValue(base + 0.5)
        for above in (self._borders, self._centre, self._line, self._start, self._boxes, self._bots, self._trails,
                      self._path, self._cars, self._car_fill):
            above.setZValue(max(above.zValue(), base + 1))

    # -- what moves ------------------------------------------------------------------------
    def set_cars(self, poses: np.ndarray) -> None:
        """Cars as rows ``(x, y, yaw_deg, ...)`` of the reference point, m and degrees."""
        poses = np.asarray(poses, dtype=float).reshape(-1, poses.shape[-1] if np.ndim(poses) > 1 else 3)
        if len(poses) == 0:
            self._cars.setData([], [])
            self._car_fill.setData([])
            return
        yaw = np.radians(poses[:, 2])
        c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
        # The reference point lies ``reference_offset`` ahead of the rear-axle origin the shape is drawn around.
        ox = poses[:, 0:1] - _CAR.reference_offset * c
        oy = poses[:, 1:2] - _CAR.reference_offset * s
        xs = ox + c * _CAR_SHAPE[:, 0] - s * _CAR_SHAPE[:, 1]
        ys = oy + s * _CAR_SHAPE[:, 0] + c * _CAR_SHAPE[:, 1]
        nan = np.full((len(poses), 1), np.nan)
        self._cars.setData(np.hstack([xs, nan]).ravel(), np.hstack([ys, nan]).ravel())
        brushes = [pg.mkBrush(CAR_COLORS[i % len(CAR_COLORS)]) for i in range(len(poses))]
        self._car_fill.setData(poses[:, 0], poses[:, 1], brush=brushes)

    def set_objects(self, rows) -> None:
        """Obstacles and bot cars as object rows ``(m, 6)`` (:mod:`sim.object_rows`); empty clears them."""
        rows = np.asarray(rows if rows is not None else [], dtype=float).reshape(-1, 6)
        outlines = object_outlines(rows)
        for item, keep in ((self._boxes, rows[:, 5] < 0.5), (self._bots, rows[:, 5] >= 0.5)):
            path = QPainterPath()
            for corners in outlines[keep]:
                path.moveTo(*corners[0])
                for x, y in corners[1:]:
                    path.lineTo(x, y)
                path.closeSubpath()
            item.setPath(path)

    def set_trails(self, trails: list[np.ndarray]) -> None:
        """Recent positions per car, each ``(k, 2)`` m."""
        parts = []
        for t in trails:
            if len(t):
                parts.append(np.asarray(t, dtype=float))
                parts.append(np.array([[np.nan, np.nan]]))
        if not parts:
            self._trails.setData([], [])
            return
        xy = np.vstack(parts)
        self._trails.setData(xy[:, 0], xy[:, 1])

    def set_path(self, xy: np.ndarray, speed: np.ndarray | None = None, vmax: float = 4.0) -> None:
        """A driven path ``(k, 2)``, coloured by speed (m/s) from blue (slow) to red (fast)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if speed is None:
            self._path.setData(xy[:, 0], xy[:, 1], brush=pg.mkBrush(255, 255, 255, 160))
            return
        cmap = pg.colormap.get("turbo") if "turbo" in pg.colormap.listMaps() else pg.colormap.get("viridis")
        colors = cmap.map(np.clip(np.asarray(speed) / vmax, 0, 1), mode="qcolor")
        self._path.setData(xy[:, 0], xy[:, 1], brush=[pg.mkBrush(c) for c in colors])

    def clear_dynamic(self) -> None:
        for item in (self._trails, self._cars):
            item.setData([], [])
        self.set_objects(None)
        self._path.setData([])
        self._car_fill.setData([])
