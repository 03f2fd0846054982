"""Compiled inner loops of the step's own geometry (numba): the bicycle model's substeps and the
nearest-segment queries on the centre line and the borders, looped over cars in compiled code.

With 64 cars every numpy call in the step costs more in dispatch (1-3 us) than in arithmetic, and
the step made ~60 of them for the physics and the track queries alone. Here each of those becomes
one call. The numpy versions (:func:`sim.vehicle.step_cars`' substep loop, :mod:`sim.track_grid`)
stay the reference and these repeat their arithmetic operation for operation, in the same order and
float width (no ``fastmath``: no reassociation, no fused multiply-adds), so the results are the same
to the last bit. Functions whose numpy and libm results differ in the last bit (``tan``,
``arctan2``, ``hypot``) stay in numpy outside the kernels; ``sin``, ``cos`` and ``sqrt`` agree.

``error_model="numpy"`` (division by zero gives inf/nan, as numpy), compiled on first use and cached
next to this file (``cache=True``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**JIT)
def integrate(x, y, yaw, v, target, tan_d, h, limits, substeps, out):
    """The substeps of :func:`sim.vehicle.step_cars` for every car.

    Args:
        x, y, yaw, v: ``(n,)`` float64 rear-axle origin (m), heading (rad) and speed (m/s) at the start.
        target: ``(n,)`` clipped target speeds, m/s; ``tan_d`` ``(n,)`` tangents of the clipped steering.
        h: substep length, s; ``limits``: ``(lo, hi, wheelbase, grip)``: speed change per substep
            (m/s, lo negative), wheelbase (m) and the lateral grip (m/s^2).
        out: ``(4, n)`` float64, written: x, y, yaw (not wrapped into [-pi, pi]) and speed after the step.
    """
    lo, hi, wheelbase, grip = limits
    for i in range(len(x)):
        xi, yi, yawi, vi = x[i], y[i], yaw[i], v[i]
        for _ in range(substeps):
            dv = min(max(target[i] - vi, lo), hi)
            v_new = vi + dv
            v_mid = 0.5 * (vi + v_new)
            want = (v_mid * tan_d[i]) / wheelbase
            cap = grip / max(v_mid, 1e-3)
            rate = min(max(want, -cap), cap)
            yaw_mid = yawi + (0.5 * rate) * h
            xi = xi + (v_mid * math.cos(yaw_mid)) * h
            yi = yi + (v_mid * math.sin(yaw_mid)) * h
            yawi = yawi + rate * h
            vi = v_new
        out[0, i], out[1, i], out[2, i], out[3, i] = xi, yi, yawi, vi


@njit(**JIT)
def nearest_on_grid(px, py, frame, table, segments, out) -> bool:
    """Nearest candidate segment per point (:meth:`sim.track_grid.CandidateGrid.nearest`'s fast path).

    Args:
        px, py: ``(K,)`` points, m.
        frame: ``(x0, y0, cell)`` the grid's origin and cell size, m; ``table``: ``(cands (C, k), used
            (C,), brute (C,), shape (2,))`` the candidate lists, how many of each are real, the cells
            whose lists are incomplete, and ``(nx, ny)``.
        segments: ``(sx, sy, vx, vy, len2)`` ``(S,)`` starts, vectors and squared lengths.
        out: ``(6, K)`` float64, written: segment, t, distance^2, cross product (vector x point) and
            the nearest point's x and y.

    Returns False, with ``out`` partly written, when a point lies off the grid or in a cell whose list
    is incomplete: the caller then answers the whole query with the numpy path.
    """
    x0, y0, cell_m = frame
    cands, used, brute, shape = table
    sx, sy, vx, vy, len2 = segments
    nx, ny = shape[0], shape[1]
    for i in range(len(px)):
        ix = np.int64(math.floor((px[i] - x0) / cell_m))
        iy = np.int64(math.floor((py[i] - y0) / cell_m))
        if ix < 0 or ix >= nx or iy < 0 or iy >= ny:
            return False
        cell = ix * ny + iy
        if brute[cell]:
            return False
        best, best_d2 = -1, np.inf
        for k in range(used[cell]):  # the columns after ``used`` repeat the first: never strictly nearer
            c = cands[cell, k]
            relx, rely = px[i] - sx[c], py[i] - sy[c]
            t = min(max((relx * vx[c] + rely * vy[c]) / len2[c], 0.0), 1.0)
            dx, dy = relx - t * vx[c], rely - t * vy[c]
            d2 = dx * dx + dy * dy
            if best < 0 or d2 < best_d2:
                best, best_d2 = c, d2
                out[1, i], out[3, i] = t, vx[c] * rely - vy[c] * relx
        out[0, i], out[2, i] = best, best_d2
        out[4, i], out[5, i] = sx[best] + out[1, i] * vx[best], sy[best] + out[1, i] * vy[best]
    return True


@njit(**JIT)
def points_at(s, line, closed, out):
    """:meth:`sim.track.Track.point_at`: the polyline's points at arc lengths ``s`` ``(K,)`` into ``out`` ``(2, K)``.

    ``line``: ``(cum_s (N,), seg_len, sx, sy, vx, vy (N - 1,))`` cumulative arc lengths, segment
    lengths, starts and vectors, m; ``closed``: wrap ``s`` around the loop (else clip it to the line).
    """
    cum_s, seg_len, sx, sy, vx, vy = line
    length, last = cum_s[-1], len(seg_len) - 1
    for k in range(len(s)):
        sk = s[k]
        for _ in range(2):  # point_at wraps, then segment_at wraps again (idempotent, kept for equality)
            sk = sk % length if closed else min(max(sk, 0.0), length)
        lo, hi = 0, len(cum_s)  # searchsorted(cum_s, sk, side="right")
        while lo < hi:
            mid = (lo + hi) // 2
            if sk < cum_s[mid]:
                hi = mid
            else:
                lo = mid + 1
        i = min(max(lo - 1, 0), last)
        t = (sk - cum_s[i]) / max(seg_len[i], 1e-12)
        out[0, k], out[1, k] = sx[i] + t * vx[i], sy[i] + t * vy[i]


@njit(**JIT)
def road_lookup(px, py, frame, table, shape, out) -> bool:
    """Each point's cell value of :class:`sim.road_cells.RoadCells` into ``out`` ``(K,)`` int8 (0 off the
    road, 1 on it, 2 to ask the polygon; 2 off the grid too). True when some point needs asking."""
    x0, y0, cell_m = frame
    nx, ny = shape[0], shape[1]
    unknown = False
    for i in range(len(px)):
        ix = np.int64(math.floor((px[i] - x0) / cell_m))
        iy = np.int64(math.floor((py[i] - y0) / cell_m))
        if ix < 0 or ix >= nx or iy < 0 or iy >= ny:
            out[i] = 2
        else:
            out[i] = table[ix * ny + iy]
        unknown |= out[i] == 2
    return unknown
