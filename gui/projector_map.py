"""The projector's track map: the road, the car on track and the event's boxes and bot cars, painted.

The projector paints everything with ``QPainter`` (big, dark, no plot widgets), so its map does
too: the track's road as a filled ring, the start line, the object rows of a simulated session
(``sim.object_rows``: ``[x, y, yaw_deg, length, width, is_bot]``) as rectangles from
:func:`sim.object_rows.object_outlines` (boxes orange, bot cars grey, as the app's
:class:`gui.track_view.TrackView` draws them) and the car as a gold dot.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF

from sim.object_rows import object_outlines

ROAD, EDGE, START = QColor("#2a3140"), QColor("#5d6b82"), QColor("#f4f6fa")
BOX, BOT, CAR = QColor("#f4a261"), QColor("#9aa5b1"), QColor("#ffd23f")


@lru_cache(maxsize=4)
def _track(name: str):
    from sim.library import load_track

    return load_track(name)


class MapTransform:
    """Track metres -> pixels inside ``rect``, keeping the aspect ratio (y up on the track, down on screen)."""

    def __init__(self, bounds: tuple[float, float, float, float], rect: QRectF, margin_m: float = 0.3):
        x0, y0, x1, y1 = bounds
        x0, y0, x1, y1 = x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m
        self.scale = min(rect.width() / (x1 - x0), rect.height() / (y1 - y0))
        self.x0 = rect.left() + (rect.width() - (x1 - x0) * self.scale) / 2 - x0 * self.scale
        self.y0 = rect.top() + (rect.height() - (y1 - y0) * self.scale) / 2 + y1 * self.scale

    def points(self, xy) -> list[QPointF]:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        return [QPointF(self.x0 + x * self.scale, self.y0 - y * self.scale) for x, y in xy]


def paint_track_map(p: QPainter, rect: QRectF, track_name: str, car: dict | None, objects) -> MapTransform | None:
    """Paint ``track_name`` into ``rect`` with ``car`` (``{x, y, ...}`` m, or None) and ``objects``
    (object rows ``(m, 6)``, may be empty). Returns the transform used (None when there is no room)."""
    if not track_name or rect.width() < 20 or rect.height() < 20:
        return None
    track = _track(track_name)
    tf = MapTransform(track.bounds, rect)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    road = QPainterPath()
    rings = (track.outer, track.inner) if track.closed else (np.vstack([track.inner, track.outer[::-1]]),)
    for ring in rings:
        road.addPolygon(QPolygonF(tf.points(ring)))
        road.closeSubpath()
    road.setFillRule(Qt.FillRule.OddEvenFill)
    p.setPen(QPen(EDGE, 1.5))
    p.setBrush(ROAD)
    p.drawPath(road)
    p.setPen(QPen(START, 2.0))
    a, b = tf.points([track.inner[0], track.outer[0]])
    p.drawLine(a, b)
    rows = np.asarray(objects if objects is not None else [], dtype=float).reshape(-1, 6)
    for row, corners in zip(rows, object_outlines(rows)):
        colour = BOT if row[5] >= 0.5 else BOX
        p.setPen(QPen(colour.darker(140), 1.0))
        p.setBrush(colour)
        p.drawPolygon(QPolygonF(tf.points(corners)))
    if car:
        (c,) = tf.points([[car["x"], car["y"]]])
        r = max(4.0, 0.12 * tf.scale)
        p.setPen(QPen(QColor("#0b0d12"), 1.5))
        p.setBrush(CAR)
        p.drawEllipse(c, r, r)
    p.restore()
    return tf
