"""Compiled loops of the objects' lanes (:mod:`sim.lanes`, numba): the border offsets read off the
lane table and the lane points built from them, one call for all cars' objects instead of ~20 numpy
calls. The numpy functions in :mod:`sim.lanes` stay the reference; these repeat their arithmetic in
the same order (no ``fastmath``), so the points are the same to the last bit (the seeded head-to-bot
digest of ``tests/sim/test_step_speed_identity.py`` holds it)."""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.step_kernels import points_at, search_right

JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**JIT)
def lane_offsets(s, closed, length, table, inner_out, outer_out):
    """:func:`sim.lanes.border_offsets`: the vectors ``(K, 2)`` from the centre-line points at file-order
    arc lengths ``s`` ``(K,)`` to the nearest inner and outer border points, m, interpolated in the
    lane table ``(grid, inner, outer, step, d_inner, d_outer)``; ``closed``: wrap ``s``, else clip it."""
    grid, inner, outer, step, d_inner, d_outer = table
    last = len(grid) - 2
    for k in range(len(s)):
        sk = s[k] % length if closed else min(max(s[k], 0.0), length)
        i = min(max(search_right(grid, sk) - 1, 0), last)
        f = (sk - grid[i]) / step[i]
        for a in range(2):
            inner_out[k, a] = inner[i, a] + f * d_inner[i, a]
            outer_out[k, a] = outer[i, a] + f * d_outer[i, a]


@njit(**JIT)
def lane_points(d, reverse, q, track, table, line, out):
    """:func:`sim.lanes.lane_points` into ``out`` ``(K, 2)``: the points at driving-direction distances ``d``
    ``(K,)`` m between the inner lane (``q`` 0) and the outer lane (``q`` 1); ``reverse`` ``(K,)`` bool.
    ``track``: ``(closed, length)``; ``table``: as :func:`lane_offsets`; ``line``: as
    :func:`sim.step_kernels.points_at`."""
    closed, length = track
    n = len(d)
    s = np.empty(n)
    for k in range(n):
        dk = d[k] % length if closed else min(max(d[k], 0.0), length)
        s[k] = length - dk if reverse[k] else dk
    inner, outer, centre = np.empty((n, 2)), np.empty((n, 2)), np.empty((3, n))
    lane_offsets(s, closed, length, table, inner, outer)
    points_at(s, line, closed, centre)
    for k in range(n):
        for a in range(2):
            out[k, a] = centre[a, k] + 0.5 * ((1.0 - q[k]) * inner[k, a] + q[k] * outer[k, a])
