"""The numpy reference of the LIDAR ray cast (:func:`sim.ray_cast.cast_fans` with ``compiled=False``).

It materialises one entry per (car, segment, beam) and scatters the nearest crossing back: slower than
the compiled kernel (:mod:`sim.kernels`), and kept as the reference it must equal.
"""

from __future__ import annotations

import numpy as np


def grid_split(on_grid: np.ndarray, table: np.ndarray, every: np.ndarray, cell: np.ndarray):
    """``(cars, candidates)`` for the cars on the grid (their cell's list) and off it (every segment)."""
    cars = np.flatnonzero(on_grid)
    if len(cars):
        yield cars, table[cell[cars]]
    cars = np.flatnonzero(~on_grid)
    if len(cars):  # far from the track: test every segment
        yield cars, np.broadcast_to(every, (len(cars), every.shape[1]))


def splat(edges, cand: np.ndarray, cars: np.ndarray, ox, oy, heading, side, angles, best, tol: float) -> None:
    """Intersect the fans of ``cars`` with their candidate segments ``cand`` ``(len(cars), K)``; update ``best``
    (flat ``(n * B,)``). ``edges``: a :class:`sim.ray_cast.TrackEdges` (objects' edges appended); ``tol``:
    the slack of the arc filter, radians."""
    n_beams = len(angles)
    # Pairs (car, segment) whose road side faces the sensor. This stage only picks which
    # beams to test, so it runs in float32, near the track's centre.
    px = (ox[cars] - edges.x_ref).astype(np.float32)
    py = (oy[cars] - edges.y_ref).astype(np.float32)
    facing = edges.nx32[cand] * px[:, None]
    facing += edges.ny32[cand] * py[:, None]
    facing -= edges.c32[cand]
    facing *= side[cars].astype(np.float32)[:, None]
    facing = facing > 0.0
    where = np.broadcast_to(np.arange(len(cars))[:, None], cand.shape)[facing]
    car = cars[where]
    seg = cand[facing]
    ax = edges.ax32[seg] - px[where]
    ay = edges.ay32[seg] - py[where]
    ex, ey = edges.ex32[seg], edges.ey32[seg]
    cross = ax * ey - ay * ex  # > 0: the segment runs counter-clockwise as seen from the sensor
    # In each car's frame (x ahead, y left), the arc of directions a segment spans: from its
    # start's direction, turning by the signed angle to its end (less than half a turn).
    cos_h, sin_h = np.cos(heading), np.sin(heading)
    c, s = cos_h.astype(np.float32)[car], sin_h.astype(np.float32)[car]
    lo = np.arctan2(c * ay - s * ax, c * ax + s * ay)
    turn = np.arctan2(cross, ax * ax + ay * ay + ax * ex + ay * ey)
    lo += np.minimum(turn, 0.0)
    lo += np.where(lo < -np.pi, np.float32(2 * np.pi), np.float32(0.0))
    hi = lo + np.abs(turn)
    a0 = angles[0]
    step = (angles[-1] - a0) / (n_beams - 1) if n_beams > 1 else 1.0
    first = np.maximum(np.ceil((lo - a0 - tol) / step), 0.0)
    count = np.minimum(np.floor((hi - a0 + tol) / step), n_beams - 1.0) - first + 1.0
    pair = np.arange(len(car))
    wrap = np.flatnonzero(hi > np.pi)  # the arc runs on past +pi from -pi
    if len(wrap):
        k0 = np.maximum(np.ceil((lo[wrap] - 2 * np.pi - a0 - tol) / step), 0.0)
        k1 = np.minimum(np.floor((hi[wrap] - 2 * np.pi - a0 + tol) / step), n_beams - 1.0)
        first, count = np.concatenate([first, k0]), np.concatenate([count, k1 - k0 + 1.0])
        pair = np.concatenate([pair, wrap])
    first = first.astype(np.intp)
    count = np.maximum(count, 0.0).astype(np.intp)
    # One entry per (pair, beam it spans): intersect exactly, in float64 and the car's frame.
    entry = np.repeat(pair, count)
    beam = np.repeat(first - np.cumsum(count) + count, count) + np.arange(len(entry))
    car, seg = car[entry], seg[entry]
    c, s = cos_h[car], sin_h[car]
    wx, wy = edges.ax[seg] - ox[car], edges.ay[seg] - oy[car]
    ax, ay = c * wx + s * wy, c * wy - s * wx
    wx, wy = edges.ex[seg], edges.ey[seg]
    ex, ey = c * wx + s * wy, c * wy - s * wx
    dx, dy = np.cos(angles)[beam], np.sin(angles)[beam]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / (dx * ey - dy * ex)
        t = (ax * ey - ay * ex) * inv
        u = (ax * dy - ay * dx) * inv
    ok = (u >= -1e-9) & (u <= 1.0 + 1e-9) & (t >= 0.0)  # a beam through a vertex meets both segments
    np.minimum.at(best, (car * n_beams + beam)[ok], t[ok])
