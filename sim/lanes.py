"""The lanes DeepRacer's obstacles and bot cars use: halfway between the centre line and each border.

DeepRacer (deepracer-simapp ``bundle/markov/track_geom/track_data.py``) builds its inner lane as the
line through the midpoints of each file row's centre and inner points, the outer lane likewise. Here a
lane point is the midpoint of the centre-line point and the nearest border point (the points
``track_width`` is measured between, :meth:`sim.track.Track.border_points_at`), from a table built
once per track; on tracks whose border rows sit opposite their centre rows the two agree.
"""

from __future__ import annotations

import weakref

import numpy as np

from .track import Track

OFFSET_STEP_M = 0.02
"""Spacing of the table of border offsets the lanes are built from, m."""

_OFFSETS: weakref.WeakKeyDictionary[Track, tuple] = weakref.WeakKeyDictionary()


def _table(track: Track) -> tuple[np.ndarray, ...]:
    """The grid and the inner and outer offsets along it, and the differences of each from one
    entry to the next (the interpolation's, worked out once), built once per Track object."""
    table = _OFFSETS.get(track)
    if table is None:
        grid = np.linspace(0.0, track.length, int(np.ceil(track.length / OFFSET_STEP_M)) + 1)
        c = track.point_at(np.minimum(grid, np.nextafter(track.length, 0.0)))
        inner, outer = track.border_points_at(grid)
        inner, outer = inner - c, outer - c
        table = _OFFSETS[track] = (grid, inner, outer, np.diff(grid), inner[1:] - inner[:-1], outer[1:] - outer[:-1])
    return table


def _cells(grid: np.ndarray, step: np.ndarray, track: Track, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Table rows ``i`` and fractions ``f`` ``(K, 1)`` for file-order arc lengths ``s``."""
    s = track.wrap_s(np.asarray(s, dtype=np.float64))
    i = np.minimum(np.maximum(np.searchsorted(grid, s, side="right") - 1, 0), len(grid) - 2)
    return i, ((s - grid[i]) / step[i])[:, None]


def border_offsets(track: Track, s: np.ndarray, compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Vectors ``(K, 2)`` from the centre-line points at file-order arc lengths ``s (K,)`` to the
    nearest inner and outer border points (:meth:`sim.track.Track.border_points_at`), m,
    interpolated from a table every :data:`OFFSET_STEP_M` built once per Track object. ``compiled``:
    in one call of :func:`sim.lane_kernels.lane_offsets` (the same values); False: numpy."""
    if compiled:
        from sim.lane_kernels import lane_offsets  # numba: imported on first use, not by every CLI command
        s = np.ascontiguousarray(s, dtype=np.float64).ravel()
        inner, outer = np.empty((len(s), 2)), np.empty((len(s), 2))
        lane_offsets(s, track.closed, track.length, _table(track), inner, outer)
        return inner, outer
    grid, inner, outer, step, d_inner, d_outer = _table(track)
    i, f = _cells(grid, step, track, s)
    return inner[i] + f * d_inner[i], outer[i] + f * d_outer[i]


def inner_offsets(track: Track, s: np.ndarray, compiled: bool = True) -> np.ndarray:
    """The inner half of :func:`border_offsets` alone (the same values)."""
    if compiled:
        return border_offsets(track, s)[0]
    grid, inner, _, step, d_inner, _ = _table(track)
    i, f = _cells(grid, step, track, s)
    return inner[i] + f * d_inner[i]


def lane_points(track: Track, d: np.ndarray, reverse: np.ndarray, q: np.ndarray, compiled: bool = True) -> np.ndarray:
    """Points ``(K, 2)`` at driving-direction distances ``d (K,)`` (m), between the inner lane
    (``q`` 0) and the outer lane (``q`` 1); ``reverse (K,)`` bool. ``compiled``: in one call of
    :func:`sim.lane_kernels.lane_points` (the same values); False: numpy."""
    if compiled:
        from sim.lane_kernels import lane_points as lane_points_compiled  # numba: on first use only
        f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64).ravel()  # noqa: E731
        out = np.empty((len(f64(d)), 2))
        lane_points_compiled(f64(d), np.ascontiguousarray(reverse, dtype=bool).ravel(), f64(q),
                             (track.closed, track.length), _table(track), track.line_arrays, out)
        return out
    length = track.length
    d = np.mod(d, length) if track.closed else np.clip(d, 0.0, length)
    s = np.where(reverse, length - d, d)
    inner, outer = border_offsets(track, s)
    q = np.asarray(q, dtype=np.float64)[:, None]
    return track.point_at(s) + 0.5 * ((1.0 - q) * inner + q * outer)


def smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)
