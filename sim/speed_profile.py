"""Speed along a path: curvature, the fastest speed profile under grip, acceleration and
braking limits, and the time it takes. Array functions used by :mod:`sim.racing_line`.

Units: points in m, curvature in 1/m, speeds in m/s, accelerations in m/s^2, times in s.
"""

from __future__ import annotations

import numpy as np


def curvature(points: np.ndarray, closed: bool) -> np.ndarray:
    """Signed Menger curvature (circle through neighbours) at each point ``(K,)``, 1/m."""
    if closed:
        a, b, c = np.roll(points, 1, axis=0), points, np.roll(points, -1, axis=0)
    else:
        a, b, c = points[:-2], points[1:-1], points[2:]
    ab, bc, ca = b - a, c - b, a - c
    area2 = ab[:, 0] * bc[:, 1] - ab[:, 1] * bc[:, 0]
    norm = np.hypot(*ab.T) * np.hypot(*bc.T) * np.hypot(*ca.T)
    k = 2.0 * area2 / np.maximum(norm, 1e-12)
    if not closed:
        k = np.concatenate([k[:1], k, k[-1:]])
    return k


def open_speed_profile(v_lim: np.ndarray, ds: np.ndarray, accel: float, brake: float,
                  v_start: float | None) -> np.ndarray:
    """Speeds ``(P,)`` over ``P`` points with gaps ``ds`` ``(P-1,)``; ``v_start`` None = free start, m/s."""
    v = v_lim.astype(np.float64).copy()
    if v_start is not None:
        v[0] = min(v[0], v_start)
    for i in range(1, len(v)):
        v[i] = min(v[i], np.sqrt(v[i - 1] ** 2 + 2.0 * accel * ds[i - 1]))
    # The finish has nothing after it to brake for, so the backward pass starts free.
    for i in range(len(v) - 2, -1, -1):
        v[i] = min(v[i], np.sqrt(v[i + 1] ** 2 + 2.0 * brake * ds[i]))
    return v


def loop_speed_profile(v_lim: np.ndarray, ds: np.ndarray, accel: float, brake: float) -> np.ndarray:
    """The speed profile ``(K,)`` of a loop with gaps ``ds`` ``(K,)`` (``ds[i]`` from point i to i+1), m/s."""
    # The slowest point's limit binds in the periodic solution: no pass can push any
    # speed below the smallest limit. Starting both passes there makes them exact.
    k0 = int(np.argmin(v_lim))
    order = np.roll(np.arange(len(v_lim)), -k0)
    vl = np.append(v_lim[order], v_lim[k0])
    v = open_speed_profile(vl, ds[order], accel, brake, v_start=v_lim[k0])
    out = np.empty_like(v_lim, dtype=np.float64)
    out[order] = v[:-1]
    return out


def profile_time(v: np.ndarray, ds: np.ndarray) -> float:
    """Time over gaps ``ds`` ``(P-1,)`` at point speeds ``v`` ``(P,)``, constant acceleration between points, s."""
    return float(np.sum(2.0 * ds / np.maximum(v[:-1] + v[1:], 1e-9)))
