"""Compiled inner loops of the LIDAR (numba), called with arrays over cars (the camera's are in
:mod:`sim.camera_kernels`, the step's own in :mod:`sim.step_kernels`).

The numpy version in :mod:`sim.ray_cast_reference` stays the reference: it builds the same per-car
arrays and then spends its time materialising one entry per (car, segment, beam) and scattering it
back. Here the loop over cars runs inside
compiled code and keeps those entries in registers. What decides a result repeats the reference's
arithmetic operation for operation, in the same float width and order (no ``fastmath``, so no
reassociation or fused multiply-adds): the float32 facing test and float64 intersections. So the
results match: ranges to the last bit (the seeded digests of ``tests/sim/test_step_speed_identity.py``). Only the LIDAR's choice of which beams to
test per segment is computed differently (a polynomial atan2, 2e-6 rad, inside the same 2e-3 rad
slack); it picks a superset of the beams that cross the segment, and the exact test decides. The
LIDAR works per car in two loops: a branch-free one over contiguous runs of segments (facing values,
car-frame coordinates, arcs), which the compiler runs on several segments at once, then the exact
beam tests of the facing ones.

``error_model="numpy"``: a division by zero gives inf or nan as in numpy (a beam parallel to a
segment), not an exception. Kernels are compiled on first
use and cached next to this file (``cache=True``); ``nogil=True`` lets threads run them side by side.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(inline="always", **JIT)
def _atan2_approx(y, x):
    """``atan2(y, x)`` within 2e-6 rad, without a library call: only picks beams (the slack is 2e-3 rad).
    Selects, not branches, so that a loop over segments runs on several at once (0 at the origin)."""
    ax, ay = abs(x), abs(y)
    big, small = max(ax, ay), min(ax, ay)
    z = small / big
    z2 = z * z
    a = z * (0.99997726 + z2 * (-0.33262347 + z2 * (0.19354346 + z2 * (-0.11643287 + z2 * (0.05265332
                                                                                     - z2 * 0.01172120)))))
    a = 0.5 * math.pi - a if ay > ax else a
    a = math.pi - a if x < 0.0 else a
    a = -a if y < 0.0 else a
    return 0.0 if big == 0.0 else a


@njit(**JIT)
def _segments_seen(first, end, edges, origin, facing, seen):
    """Facing values ``facing[k]`` (float32, > 0: the segment's road side faces the sensor; ``sd`` -1
    flips it) and, in the car's frame, start, vector and arc of directions ``seen[:, k]`` (float64:
    ``ax, ay, ex, ey, lo, hi``, m and radians) of segments ``first + k``, ``k < end - first``.

    No branches and contiguous slices (views of ``edges``, rows of ``facing``/``seen`` from 0): the
    compiler then runs the loop over several segments at once, which gathers from an index list do not.
    """
    ax64, ay64, ex64, ey64, nx32, ny32, c32 = edges
    px, py, sd, ox, oy, c, s = origin
    rax, ray, rex, rey, lo_, hi_ = seen[0], seen[1], seen[2], seen[3], seen[4], seen[5]
    nx, ny, cc = nx32[first:end], ny32[first:end], c32[first:end]
    sax, say, sex, sey = ax64[first:end], ay64[first:end], ex64[first:end], ey64[first:end]
    for k in range(end - first):
        f = nx[k] * px  # float32, as the reference
        f += ny[k] * py
        f -= cc[k]
        f *= sd
        facing[k] = f
        wx, wy = sax[k] - ox, say[k] - oy
        ax, ay = c * wx + s * wy, c * wy - s * wx
        wx, wy = sex[k], sey[k]
        ex, ey = c * wx + s * wy, c * wy - s * wx
        rax[k], ray[k], rex[k], rey[k] = ax, ay, ex, ey
        a_start, a_end = _atan2_approx(ay, ax), _atan2_approx(ay + ey, ax + ex)
        ccw = ax * ey - ay * ex >= 0.0
        lo = a_start if ccw else a_end
        hi = a_end if ccw else a_start
        lo_[k], hi_[k] = lo, hi + 2 * math.pi if hi < lo else hi


@njit(**JIT)
def _beams_meet(m, facing, seen, fan, row):
    """Intersect the beams each of the first ``m`` segments of :func:`_segments_seen` spans (when it
    faces the sensor) with it, exactly in float64 as the reference; keep the nearest in ``row`` ``(B,)``."""
    cos_b, sin_b, a0, step, tol = fan
    n_beams = len(cos_b)
    # The arc's ends are within 2e-6 rad, the slack 2e-3 rad: a product by the reciprocal picks the same
    # superset of the beams that cross the segment as the quotient would.
    inv_step = 1.0 / step
    below, above = a0 + tol, a0 - tol
    for k in range(m):
        if not facing[k] > 0.0:
            continue
        ax, ay, ex, ey, lo, hi = seen[0, k], seen[1, k], seen[2, k], seen[3, k], seen[4, k], seen[5, k]
        for shift in (0.0, 2 * math.pi):  # the second pass: an arc running on past +pi from -pi
            if shift and hi <= math.pi:
                break
            first = max(math.ceil((lo - shift - below) * inv_step), 0)
            last = min(math.floor((hi - shift - above) * inv_step), n_beams - 1)
            for b in range(first, last + 1):
                dx, dy = cos_b[b], sin_b[b]
                inv = 1.0 / (dx * ey - dy * ex)
                t = (ax * ey - ay * ex) * inv
                u = (ax * dy - ay * dx) * inv
                if u >= -1e-9 and u <= 1.0 + 1e-9 and t >= 0.0 and t < row[b]:
                    row[b] = t


@njit(**JIT)
def cast_fans(edges, x_ref, y_ref, runs, cell, n_track, own, origins, side, fan, best):
    """Nearest crossing per car and beam, written into ``best`` ``(n, B)`` float64 (kept where nearer).

    Args:
        edges: ``(ax, ay, ex, ey, nx32, ny32, c32)``: segment starts and vectors ``(S',)`` float64 m
            and their road-side lines ``nx * x + ny * y = c`` relative to ``(x_ref, y_ref)``, float32
            (:class:`sim.ray_cast.TrackEdges`, objects' edges appended).
        runs: ``(cells, R, 2)`` int64 candidate segments per grid cell as runs ``first, end`` of
            consecutive segments (empty runs pad); ``cell`` ``(n,)`` each car's cell, -1 off the grid
            (then every track segment ``0 .. n_track - 1`` is a candidate).
        own: ``(n, P)`` indices of each car's object edges, consecutive in each row (``P`` may be 0).
        origins: ``(ox, oy, cos_h, sin_h)`` ``(n,)`` float64: sensors, m, and heading cosines/sines.
        side: ``(n,)`` float64, +1 on the road, -1 off it.
        fan: ``(cos_b, sin_b, a0, step, tol)``: beam direction cosines/sines ``(B,)``, first beam
            and spacing, radians, and the slack of the arc filter, radians.
    """
    ox, oy, cos_h, sin_h = origins
    size = max(n_track, own.shape[1])
    facing = np.empty(size, dtype=np.float32)
    seen = np.empty((6, size))
    for i in range(len(ox)):
        origin = (np.float32(ox[i] - x_ref), np.float32(oy[i] - y_ref), np.float32(side[i]),
                  ox[i], oy[i], cos_h[i], sin_h[i])
        row = best[i]
        for r in range(runs.shape[1] if cell[i] >= 0 else 1):
            first, end = (runs[cell[i], r, 0], runs[cell[i], r, 1]) if cell[i] >= 0 else (0, n_track)
            _segments_seen(first, end, edges, origin, facing, seen)
            _beams_meet(end - first, facing, seen, fan, row)
        if own.shape[1]:
            _segments_seen(own[i, 0], own[i, 0] + own.shape[1], edges, origin, facing, seen)
            _beams_meet(own.shape[1], facing, seen, fan, row)


@njit(**JIT)
def scan_ranges(edges, x_ref, y_ref, runs, grid, n_track, own, origins, on_road, fan, limits):
    """A LIDAR scan in one call: each car's grid cell and road side, :func:`cast_fans`, and the
    readings ``(n, B)`` float32, m, clipped to ``limits`` ``(min_range, max_range)`` (no hit: the
    maximum), as ``np.clip(ranges, lo, hi).astype(np.float32)`` gives them.

    ``grid``: ``(x0, y0, cell, nx, ny)`` of the candidate runs' grid; ``on_road`` ``(n,)`` bool;
    the other arguments as :func:`cast_fans` takes them.
    """
    ox = origins[0]
    n = len(ox)
    x0, y0, size, nx, ny = grid
    cell = np.empty(n, dtype=np.int64)
    side = np.empty(n)
    for i in range(n):  # as sim.ray_cast does it in numpy: floor of the quotient, -1 off the grid
        ci, cj = math.floor((ox[i] - x0) / size), math.floor((origins[1][i] - y0) / size)
        cell[i] = ci * ny + cj if ci >= 0 and ci < nx and cj >= 0 and cj < ny else -1
        side[i] = 1.0 if on_road[i] else -1.0
    best = np.full((n, len(fan[0])), np.inf)
    cast_fans(edges, x_ref, y_ref, runs, cell, n_track, own, origins, side, fan, best)
    lo, hi = limits
    out = np.empty(best.shape, dtype=np.float32)
    for i in range(n):
        for b in range(best.shape[1]):
            out[i, b] = np.float32(min(max(best[i, b], lo), hi))
    return out


@njit(**JIT)
def add_normal_clipped(values, rng, scale, lo, hi, out):
    """``out[k] = clip(values[k] + scale * draw_k, lo, hi)`` in ``out``'s dtype, ``draw_k`` the k-th
    ``rng.standard_normal()`` (1D arrays): the float64 sums and clipping of
    ``np.clip(values + scale * rng.standard_normal(n), lo, hi).astype(out.dtype)`` in one pass. numba
    draws as numpy does on the same bit generator (the same numbers, the generator left in the same
    state), without the array of draws."""
    for k in range(len(values)):
        x = np.float64(values[k]) + scale * rng.standard_normal()
        out[k] = min(max(x, lo), hi)

