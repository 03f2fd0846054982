"""Compiled inner loops of the object keys and collisions (numba), looped over cars and objects.

:func:`sim.object_params.collisions` and :func:`sim.object_params.in_camera` gather each car's
objects, build small per-pair arrays and reduce them: ~30 numpy calls a step on arrays of a few
hundred entries. Here each is one call. The numpy versions stay the reference: the same arithmetic
in the same order (no ``fastmath``), so the same answers. Where the reference compares a
``np.hypot`` (whose last bit differs from libm's), the kernel decides with squared lengths only
when the answer is clear by a relative 1e-9 margin, and otherwise reports that the caller must ask
numpy (which in practice never happens: it takes a point within a nanometre of the limit).

``error_model="numpy"``, compiled on first use and cached next to this file (``cache=True``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
CLEAR = 1e-9
"""Relative margin by which a squared length must clear a squared limit to decide without hypot."""


@njit(inline="always", **JIT)
def _separated(dx, dy, ax, ay, ua0, ua1, hl_a, hw_a, ub0, ub1, hl_b, hw_b):
    """:func:`sim.object_params.rects_overlap`'s test on one axis ``(ax, ay)``: True when it separates."""
    ra = hl_a * abs(ua0 * ax + ua1 * ay) + hw_a * abs(ua0 * ay - ua1 * ax)
    rb = hl_b * abs(ub0 * ax + ub1 * ay) + hw_b * abs(ub0 * ay - ub1 * ax)
    return abs(dx * ax + dy * ay) > ra + rb


@njit(**JIT)
def body_hits(cars, body, objects, out) -> bool:
    """Each car's body against each of its objects (separating axes; touching counts) into ``out``
    ``(n, m)`` bool.

    Args:
        cars: ``(x, y, yaw)`` ``(n,)`` rear-axle origins, m, and headings, rad.
        body: ``(mid, hl, hw, reach_car)``: body centre ahead of the origin, half length and half
            width, and half the body's diagonal (``np.hypot(hl, hw)``), m.
        objects: ``(x, y, yaw)`` ``(n, m)``, ``(half_length, half_width, reach)`` ``(m,)``: the objects'
            centres, headings, half sizes and half diagonals, m.

    Returns False when a pair's distance is too close to the sum of the half diagonals to decide
    the reference's filter without ``np.hypot``; ``out`` is then incomplete.
    """
    x, y, yaw = cars
    mid, hl, hw, reach_car = body
    ox, oy, oyaw, ohl, ohw, oreach = objects
    for i in range(len(x)):
        c, s = math.cos(yaw[i]), math.sin(yaw[i])
        cx, cy = x[i] + mid * c, y[i] + mid * s
        for j in range(ox.shape[1]):
            out[i, j] = False
            dx, dy = ox[i, j] - cx, oy[i, j] - cy
            reach = reach_car + oreach[j]
            d2, r2 = dx * dx + dy * dy, reach * reach
            if d2 > r2 * (1 + CLEAR):
                continue
            if d2 >= r2 * (1 - CLEAR):
                return False
            ub0, ub1 = math.cos(oyaw[i, j]), math.sin(oyaw[i, j])
            hit = True
            for ax, ay in ((c, s), (-s, c), (ub0, ub1), (-ub1, ub0)):
                if _separated(dx, dy, ax, ay, c, s, hl, hw, ub0, ub1, ohl[j], ohw[j]):
                    hit = False
                    break
            out[i, j] = hit
    return True


@njit(**JIT)
def closest_ahead(along, s_drive, closest):
    """``closest_objects`` of every car into ``closest`` ``(n, 2)`` int64: DeepRacer's ``find_prev_next``
    over each car's objects sorted by distance along the track (a stable sort), the object behind and
    the object ahead of ``s_drive`` ``(n,)`` m, wrapping around (:func:`sim.object_params.object_columns`).
    ``along``: ``(n, m)`` the objects' driving-direction distances, m."""
    n, m = along.shape
    order = np.empty(m, dtype=np.int64)
    for i in range(n):
        count = 0
        for j in range(m):  # insertion sort: stable, and m is a handful
            k = j
            while k > 0 and along[i, order[k - 1]] > along[i, j]:
                order[k] = order[k - 1]
                k -= 1
            order[k] = j
            count += along[i, j] <= s_drive[i]
        closest[i, 0], closest[i, 1] = order[(count - 1) % m], order[count % m]


@njit(**JIT)
def camera_sees(cars, camera, objects, cols, out) -> bool:
    """Whether each car's camera sees object ``cols[i]`` of its own, into ``out`` ``(n,)`` bool: a corner
    or the centre ahead by more than ``near``, inside the horizontal field of view and within ``reach``
    (:func:`sim.object_params.in_camera`'s test).

    Args:
        cars: ``(x, y, yaw)`` ``(n,)`` rear-axle origins, m, and headings, rad.
        camera: ``(mount_offset, near, tan_half_fov, reach)``, m (``tan_half_fov`` from ``np.tan``).
        objects: ``(outline (n, m, 4, 2), x (n, m), y (n, m))`` the objects' corners and centres, m.

    Returns False when a point's distance is too close to ``reach`` to decide without ``np.hypot``.
    """
    x, y, yaw = cars
    mount, near, tan_half, reach = camera
    outline, ox, oy = objects
    r2 = reach * reach
    for i in range(len(x)):
        c, s = math.cos(yaw[i]), math.sin(yaw[i])
        cx, cy = x[i] + mount * c, y[i] + mount * s
        j = cols[i]
        seen = False
        for p in range(5):
            px, py = (outline[i, j, p, 0], outline[i, j, p, 1]) if p < 4 else (ox[i, j], oy[i, j])
            wx, wy = px - cx, py - cy
            fwd, left = c * wx + s * wy, c * wy - s * wx
            if not (fwd > near and abs(left) <= fwd * tan_half):
                continue
            q = fwd * fwd + left * left
            if q <= r2 * (1 - CLEAR):
                seen = True
            elif q < r2 * (1 + CLEAR):
                return False
        out[i] = seen
    return True


@njit(**JIT)
def outlines(x, y, yaw, half_length, half_width, out):
    """Each object's collision rectangle, counter-clockwise from the front left, into ``out`` ``(k, m, 4, 2)``:
    centres ``x, y`` and headings ``yaw`` ``(k, m)`` (m, rad), half sizes ``(m,)`` m
    (:meth:`sim.objects.ObjectWorld.put`'s arithmetic)."""
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            c, s = math.cos(yaw[i, j]), math.sin(yaw[i, j])
            for corner, (sl, sw) in enumerate(((1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0))):
                hl, hw = half_length[j] * sl, half_width[j] * sw
                out[i, j, corner, 0] = x[i, j] + c * hl - s * hw
                out[i, j, corner, 1] = y[i, j] + s * hl + c * hw
