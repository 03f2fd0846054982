"""Compiled inner loops of the step itself (numba), looped over cars: the bicycle model's substeps
(:func:`integrate`), the reference and wheel points (:func:`car_points`), nearest-segment queries on
the centre line and the borders (:func:`nearest_on_grid`, :func:`points_at`, :func:`border_points`),
the on-road table (:func:`road_lookup`), the driving-direction waypoints (:func:`along_line`) and the
episode rules (:func:`judge`).

With 64 cars every numpy call in the step costs more in dispatch (1-3 us) than in arithmetic, and
the step made ~100 of them outside the sensors. Here each group becomes one call. The numpy
versions (:func:`sim.vehicle.step_cars`' substep loop, :mod:`sim.track_grid`, :meth:`sim.track.Track.point_at`,
:meth:`sim.params.ParamsBuilder.closest_waypoints`) stay the reference, and these repeat their
arithmetic operation for operation, in the same order and float width (no ``fastmath``: no
reassociation, no fused multiply-adds), so the results are the same to the last bit (the seeded
digests of ``tests/sim/test_step_speed_identity.py`` did not change). Functions whose numpy and libm
results differ in the last bit (``tan``, ``arctan2``, ``hypot``) stay in numpy outside the kernels;
``sin``, ``cos`` and ``sqrt`` agree.

``error_model="numpy"`` (division by zero gives inf/nan, as numpy), compiled on first use and cached
next to this file (``cache=True``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.episode_rules import EpisodeStatus

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


@njit(inline="always", **JIT)
def search_right(a, v):
    """``np.searchsorted(a, v, side="right")`` for one value."""
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if v < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(**JIT)
def points_at(s, line, closed, out):
    """:meth:`sim.track.Track.point_at`: the polyline's points at arc lengths ``s`` ``(K,)`` into ``out``
    ``(3, K)``: x, y and the index of the segment holding each (:meth:`sim.track.Track.segment_at`).

    ``line``: ``(cum_s (N,), seg_len, sx, sy, vx, vy (N - 1,))`` cumulative arc lengths, segment
    lengths, starts and vectors, m; ``closed``: wrap ``s`` around the loop (else clip it to the line).
    """
    cum_s, seg_len, sx, sy, vx, vy = line
    length, last = cum_s[-1], len(seg_len) - 1
    for k in range(len(s)):
        sk = s[k]
        for _ in range(2):  # point_at wraps, then segment_at wraps again (idempotent, kept for equality)
            sk = sk % length if closed else min(max(sk, 0.0), length)
        i = min(max(search_right(cum_s, sk) - 1, 0), last)
        t = (sk - cum_s[i]) / max(seg_len[i], 1e-12)
        out[0, k], out[1, k], out[2, k] = sx[i] + t * vx[i], sy[i] + t * vy[i], i


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


_IN_PROGRESS, _LAP, _OFF, _REVERSED, _STILL, _TIME_UP, _CRASHED = (int(s) for s in EpisodeStatus)


@njit(**JIT)
def judge(s_drive, track, counters, moved, events, rules, out):
    """Advance every car's episode by one step (the rules of :mod:`sim.episode_rules`); counters are
    updated in place.

    Args:
        s_drive: ``(n,)`` driving-direction arc length of each reference point, m.
        track: ``(length, closed)``: the centre line's length, m, and whether it is a loop.
        counters: ``(start_s, travelled, lap_length, progress)`` ``(n,)`` float64, m and percent, and
            ``(falling, still, steps)`` ``(n,)`` int64; ``travelled``, ``progress``, ``falling`` and
            ``still`` are written.
        moved: ``(n,)`` distance each car's origin moved this step, m.
        events: ``(off, crashed)`` ``(n,)`` bool: all wheels off the road, body touching an object.
        rules: ``(max_steps, immobilized_m, immobilized_steps, reversed_steps, end_on_off_track,
            end_on_crash, dt)``.
        out: ``(status (n,) int64, lap_time (n,) float64, cross_fraction (n,) float64, terminated (n,)
            bool, truncated (n,) bool)``, written: the status, the lap time (s) and the fraction of the
            step at which the line was crossed for cars that completed a lap (NaN for the others),
            and whether the episode ended (``time_up`` counts as truncated, not terminated).
    """
    length, closed = track
    start_s, travelled, lap_length, progress, falling, still, steps = counters
    off, crashed = events
    max_steps, still_m, still_steps, reversed_steps, end_off, end_crash, dt = rules
    status, lap_time, cross, terminated, truncated = out
    half = length / 2
    for i in range(len(s_drive)):
        prev = travelled[i]
        delta = s_drive[i] - (start_s[i] + prev)
        if closed:
            delta = (delta + half) % length - half  # a jump of more than half a lap is a wrap
        travelled[i] = prev + delta
        progress[i] = 100.0 * min(max(travelled[i] / lap_length[i], 0.0), 1.0)
        falling[i] = falling[i] + 1 if delta < 0 else 0
        still[i] = still[i] + 1 if moved[i] < still_m else 0
        code = _IN_PROGRESS
        if steps[i] >= max_steps:
            code = _TIME_UP
        if still[i] >= still_steps:
            code = _STILL
        if falling[i] >= reversed_steps:
            code = _REVERSED
        if end_off and off[i]:
            code = _OFF
        if end_crash and crashed[i]:
            code = _CRASHED
        lap_time[i], cross[i] = math.nan, math.nan
        if travelled[i] >= lap_length[i]:
            code = _LAP
            frac = (lap_length[i] - prev) / max(delta, 1e-12)
            lap_time[i] = (np.float64(steps[i] - 1) + min(max(frac, 0.0), 1.0)) * dt
            cross[i] = frac
        status[i] = code
        terminated[i], truncated[i] = code != _IN_PROGRESS and code != _TIME_UP, code == _TIME_UP


@njit(**JIT)
def car_points(x, y, yaw, reference_offset, offsets, ref, points):
    """Each car's reference point and its car-frame ``offsets`` ``(P, 2)`` placed in the world, m
    (:meth:`sim.env.RacingEnv.locate` and :func:`sim.vehicle.points_in_world`' arithmetic).

    Writes ``ref`` ``(n, 2)`` (``reference_offset`` m ahead of the origin along the heading) and
    ``points`` ``(n, P, 2)``.
    """
    d = reference_offset
    for i in range(len(x)):
        c, s = math.cos(yaw[i]), math.sin(yaw[i])
        ref[i, 0], ref[i, 1] = x[i] + d * c, y[i] + d * s
        for k in range(offsets.shape[0]):
            points[i, k, 0] = x[i] + c * offsets[k, 0] - s * offsets[k, 1]
            points[i, k, 1] = y[i] + s * offsets[k, 0] + c * offsets[k, 1]


@njit(**JIT)
def along_line(s, reverse, line, out_s, out_wp):
    """:meth:`sim.params.ParamsBuilder.along`: driving-direction arc lengths and closest waypoints.

    Args:
        s: ``(n,)`` file-order arc lengths, m; ``reverse``: ``(n,)`` bool, the car drives the track reversed.
        line: ``(length, closed, ndists, ndists_rev)``: the centre line's length, m, whether it is a
            loop, and the waypoints' normalised positions forward and reversed ``(N,)``.
        out_s: ``(n,)`` float64, written: the driving-direction arc lengths, m.
        out_wp: ``(2, n)`` int64, written: the ``prev`` and ``next`` waypoint indices.
    """
    length, closed, ndists, ndists_rev = line
    count = len(ndists)
    for i in range(len(s)):
        sd = s[i]
        if reverse[i]:
            sd = length - s[i]
            if closed and sd >= length:
                sd = 0.0
        out_s[i] = sd
        nxt = search_right(ndists_rev if reverse[i] else ndists, sd / length)
        out_wp[0, i] = count - 1 if nxt == 0 else nxt - 1
        out_wp[1, i] = 0 if nxt == count else nxt


@njit(**JIT)
def border_points(s, line, closed, inner, outer, out) -> bool:
    """:meth:`sim.track.Track.border_points_at`: the nearest inner and outer border points to the
    centre-line points at arc lengths ``s`` ``(K,)`` into ``out`` ``(4, K)`` (inner x, y, outer x, y), m.

    ``line``, ``closed``: as :func:`points_at`; ``inner``, ``outer``: each border grid's ``(frame, table,
    segments)`` (:func:`nearest_on_grid`). False when a grid cannot answer (then use the numpy path).
    """
    centre = np.empty((3, len(s)))
    points_at(s, line, closed, centre)
    found = np.empty((6, len(s)))
    for k, grid in enumerate((inner, outer)):
        if not nearest_on_grid(centre[0], centre[1], grid[0], grid[1], grid[2], found):
            return False
        out[2 * k], out[2 * k + 1] = found[4], found[5]
    return True


@njit(**JIT)
def param_values(ref, yaw, wheels_on, inner, outer, reverse, ccw, values, flags):
    """The per-car values of the reward params that come from geometry (:meth:`sim.params.ParamsBuilder.columns`).

    Args:
        ref: ``(n, 2)`` reference points; ``inner``, ``outer``: ``(n, 2)`` the nearest border points
            to each car's centre-line point, m; ``yaw``: ``(n,)`` rad; ``wheels_on``: ``(n, 4)`` bool.
        reverse: ``(n,)`` bool; ``ccw``: the track's file order runs counter-clockwise.
        values: ``(3, n)`` float64, written: ``sin(yaw)``, ``cos(yaw)`` (for numpy's arctan2, whose
            last bits differ from libm's) and the track width, m (``math.hypot`` is libm's ``hypot``,
            as ``np.hypot`` is).
        flags: ``(3, n)`` bool, written: all wheels on the road, ``is_left_of_center``, all wheels off.
    """
    for i in range(len(yaw)):
        values[0, i], values[1, i] = math.sin(yaw[i]), math.cos(yaw[i])
        values[2, i] = math.hypot(outer[i, 0] - inner[i, 0], outer[i, 1] - inner[i, 1])
        nearer = (math.hypot(ref[i, 0] - inner[i, 0], ref[i, 1] - inner[i, 1])
                  < math.hypot(ref[i, 0] - outer[i, 0], ref[i, 1] - outer[i, 1]))
        # DeepRacer: nearer the inner border point, flipped when the driving direction is clockwise
        # (TrackData.is_ccw = _is_ccw_ ^ reverse_dir).
        flags[1, i] = nearer != (not (ccw != reverse[i]))
        on = any_on = wheels_on[i, 0]
        for k in range(1, wheels_on.shape[1]):
            on = on and wheels_on[i, k]
            any_on = any_on or wheels_on[i, k]
        flags[0, i], flags[2, i] = on, not any_on


@njit(**JIT)
def project_points(px, py, grid, line, out, left) -> bool:
    """:meth:`sim.track.Track.project` of points ``(px, py)`` ``(K,)``: into ``out`` ``(3, K)`` the arc
    length ``s`` (m; a loop's end reported as 0), the segment index and the distance (m), and into
    ``left`` ``(K,)`` whether each point lies left of the line. ``grid``: the centre line's
    :func:`nearest_on_grid` arguments; ``line``: ``(cum_s, seg_len, closed)``. False when the grid
    cannot answer (then use the numpy path)."""
    found = np.empty((6, len(px)))
    if not nearest_on_grid(px, py, grid[0], grid[1], grid[2], found):
        return False
    cum_s, seg_len, closed = line
    length = cum_s[-1]
    for i in range(len(px)):
        seg = np.int64(found[0, i])
        s = cum_s[seg] + found[1, i] * seg_len[seg]
        if closed and s >= length:  # the last segment ends where segment 0 starts
            s, seg = 0.0, 0
        out[0, i], out[1, i], out[2, i] = s, seg, math.sqrt(found[2, i])
        left[i] = found[3, i] > 0
    return True


@njit(**JIT)
def nearest_waypoints(ref, closest, reverse, centre, out):
    """:meth:`sim.params.ParamsBuilder.nearest_waypoint`: of each car's ``(prev, next)`` waypoints
    (``closest`` ``(2, n)``, driving-direction indices), the one nearer its reference point ``ref``
    ``(n, 2)`` (``next`` only when strictly nearer), into ``out`` ``(n,)`` int64. ``centre``: ``(N, 2)``
    the file-order centre line; ``reverse``: ``(n,)`` bool."""
    last = len(centre) - 1
    for i in range(len(out)):
        prev, nxt = closest[0, i], closest[1, i]
        p, q = (last - prev, last - nxt) if reverse[i] else (prev, nxt)
        d_prev = math.hypot(ref[i, 0] - centre[p, 0], ref[i, 1] - centre[p, 1])
        d_next = math.hypot(ref[i, 0] - centre[q, 0], ref[i, 1] - centre[q, 1])
        out[i] = nxt if d_next < d_prev else prev
