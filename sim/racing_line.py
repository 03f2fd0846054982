"""The minimum-curvature racing line of a track and the best lap time it allows.

The line is the path of the car's origin (the middle of the rear axle), kept
``body_width / 2`` (plus 3 mm) from both borders. numpy only:

1. **Geometry.** Points ``p_i = ref_i + alpha_i * normal_i`` on ~0.15 m spacing; the
   sum of squared second differences of ``p`` (curvature^2 at uniform spacing) is a
   quadratic in ``alpha``, minimised under box bounds on ``alpha`` by projected
   Newton. That linearisation is exact only near its reference line, so the QP is
   solved again around each new line until it stops moving (Braghin et al., "Race
   driver model", Computers & Structures 86, 2008; Heilmeier et al., "Minimum
   curvature trajectory planning and control for an autonomous race car", Vehicle
   System Dynamics 58, 2020, including their iterated QP). Minimum curvature is a
   close, slightly slow stand-in for the minimum-time line: blending in a little
   shortest-path weight gained up to 1.5 % on test tracks.
2. **Speed.** ``v_max = min(max_speed, sqrt(grip / |kappa|))`` is the grip limit of
   :mod:`sim.vehicle` (``v^2 kappa <= grip``); a forward pass applies
   ``v^2 = v0^2 + 2 max_accel ds``, a backward pass ``v^2 = v1^2 + 2 max_brake ds``
   (the quasi-steady-state lap simulation).

Lap times assume the car follows the line exactly with constant acceleration
between points, as :func:`sim.vehicle.step_cars` moves speed at a constant rate.
The steering limit is not imposed: lines on valid tracks stay far below
``tan(max_steering) / wheelbase`` (3.5 1/m for the DeepRacer car).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import shapely

from sim.qp import box_qp
from sim.speed_profile import curvature, loop_speed_profile, open_speed_profile, profile_time
from sim.track import Track
from sim.vehicle import VehicleConfig

TARGET_SPACING_M = 0.15
"""Preferred distance between line points, m."""
COARSE_SPACING_M = 0.3
"""Point spacing of the first, rough solves, m."""
MAX_POINTS = 500
"""Most line points; longer tracks (over 75 m) get a wider spacing."""
ITERATIONS = 8
"""Most rounds of re-solving the QP around the previous line."""
CONVERGED_M = 0.005
"""The rounds stop once no point moves more than this, m."""
EXTRA_MARGIN_M = 0.003
"""Kept beyond half the body width, m: room for a car's smooth path between the line's straight pieces."""


@dataclass(frozen=True)
class LinePosition:
    """Where query points lie relative to a racing line. Arrays have shape ``(n,)`` or ``(n, 2)``."""

    s: np.ndarray
    """Arc length along the line of the nearest line point, m."""
    index: np.ndarray
    """Index of the line point at or just before ``s``, int."""
    point: np.ndarray
    """Nearest point on the line ``(n, 2)``, m."""
    distance: np.ndarray
    """Distance from the query point to the line, m."""
    offset: np.ndarray
    """Signed distance, m: positive where the query point is left of the line's direction."""
    speed: np.ndarray
    """Profile speed at ``s``, m/s."""


@dataclass(frozen=True, eq=False)
class RacingLine:
    """A racing line with its speed profile. ``K`` points; a closed line does not repeat its first point.

    Point 0 lies on the start/finish line (the normal through the track's waypoint 0),
    to within a centimetre.
    """

    points: np.ndarray
    """Line points ``(K, 2)``, m: the path of the car's rear-axle origin."""
    s: np.ndarray
    """Arc length along the line from point 0 ``(K,)``, m."""
    curvature: np.ndarray
    """Signed curvature ``(K,)``, 1/m, positive = turning left."""
    speed: np.ndarray
    """Speed profile ``(K,)``, m/s: the periodic (flying-lap) profile on a loop."""
    offsets: np.ndarray
    """Signed lateral offset from the centre line ``(K,)``, m, positive = left of the file's direction."""
    center_s: np.ndarray
    """Centre-line arc length of each line point (``track.project``) ``(K,)``, m."""
    closed: bool
    """The line is a loop (point K-1 joins point 0)."""
    length_m: float
    """Length of one lap of the line, m."""
    best_lap_s: float
    """Lap time from a standing start at point 0 back to point 0 (or to the end of an open track), s."""
    flying_lap_s: float
    """Lap time already at speed, s: the periodic profile on a loop, a free start on an open track."""
    max_speed: float
    """Top speed the profile was capped at, m/s."""

    # -- lookups --------------------------------------------------------------------
    def wrap_s(self, s: np.ndarray) -> np.ndarray:
        """Arc length wrapped into ``[0, length_m)`` on a loop, clipped on an open line, m."""
        s = np.asarray(s, dtype=np.float64)
        return np.mod(s, self.length_m) if self.closed else np.clip(s, 0.0, self.length_m)

    def _interp(self, s: np.ndarray, values: np.ndarray) -> np.ndarray:
        s = self.wrap_s(np.atleast_1d(s))
        if self.closed:
            return np.interp(s, np.append(self.s, self.length_m), np.concatenate([values, values[:1]]))
        return np.interp(s, self.s, values)

    def speed_at(self, s: np.ndarray) -> np.ndarray:
        """Profile speed at line arc lengths ``s`` ``(n,)``, m/s (linear between points)."""
        return self._interp(s, self.speed)

    def curvature_at(self, s: np.ndarray) -> np.ndarray:
        """Signed curvature at line arc lengths ``s`` ``(n,)``, 1/m (linear between points)."""
        return self._interp(s, self.curvature)

    def point_at(self, s: np.ndarray) -> np.ndarray:
        """Line points at arc lengths ``s`` ``(n,)``: shape ``(n, 2)``, m."""
        return np.stack([self._interp(s, self.points[:, 0]), self._interp(s, self.points[:, 1])], axis=1)

    def locate(self, xy: np.ndarray) -> LinePosition:
        """Nearest line positions for points ``xy`` ``(n, 2)`` (exact, over all segments)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        a = self.points
        b = np.roll(a, -1, axis=0) if self.closed else np.vstack([a[1:], a[-1:]])
        vec = b - a  # the last piece of an open line has zero length and never wins
        len2 = np.maximum(np.einsum("kd,kd->k", vec, vec), 1e-18)
        seg = np.empty(len(xy), dtype=np.int64)
        t = np.empty(len(xy))
        # Chunks keep the (chunk, K, 2) temporaries small for many cars.
        for lo in range(0, len(xy), 256):
            rel = xy[lo : lo + 256, None, :] - a[None]
            tt = np.clip(np.einsum("nkd,kd->nk", rel, vec) / len2, 0.0, 1.0)
            diff = rel - tt[..., None] * vec
            best = np.argmin(np.einsum("nkd,nkd->nk", diff, diff), axis=1)
            seg[lo : lo + 256] = best
            t[lo : lo + 256] = tt[np.arange(len(best)), best]
        point = a[seg] + t[:, None] * vec[seg]
        s = self.wrap_s(self.s[seg] + t * np.sqrt(len2[seg]))
        rel = xy - point
        side = np.sign(vec[seg, 0] * rel[:, 1] - vec[seg, 1] * rel[:, 0])
        dist = np.hypot(rel[:, 0], rel[:, 1])
        return LinePosition(s=s, index=seg, point=point, distance=dist, offset=side * dist, speed=self.speed_at(s))

    def __repr__(self) -> str:
        return (f"RacingLine({len(self.points)} points, {self.length_m:.2f} m, best lap {self.best_lap_s:.3f} s, "
                f"flying {self.flying_lap_s:.3f} s, max {self.max_speed} m/s)")


# ---------------------------------------------------------------------------------
_GEOMETRY_CACHE: dict[tuple, np.ndarray] = {}
_LINE_CACHE: dict[tuple, RacingLine] = {}
_CACHE_SIZE = 32


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_SIZE:  # forget the oldest
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def compute_racing_line(track: Track, vehicle: VehicleConfig = VehicleConfig(),
                        max_speed: float | None = None) -> RacingLine:
    """The minimum-curvature line of ``track`` for ``vehicle`` and its speed profile.

    Args:
        track: a closed loop or an open track.
        vehicle: supplies ``body_width`` (the line keeps ``body_width / 2`` from each
            border), ``grip``, ``max_accel``, ``max_brake`` and ``max_speed``.
        max_speed: top speed cap, m/s; defaults to ``vehicle.max_speed``.

    Results are cached in-process by track content, vehicle and top speed; the
    arrays of a returned line are read-only because the object is shared.
    """
    top = float(vehicle.max_speed if max_speed is None else max_speed)
    if top <= 0:
        raise ValueError(f"max_speed must be positive, got {top}")
    tkey = (track.waypoints.shape, hashlib.sha1(np.ascontiguousarray(track.waypoints).tobytes()).hexdigest())
    key = (tkey, vehicle, top)
    if key in _LINE_CACHE:
        return _LINE_CACHE[key]
    margin = vehicle.body_width / 2 + EXTRA_MARGIN_M
    gkey = (tkey, round(margin, 9))
    points = _GEOMETRY_CACHE.get(gkey)
    if points is None:
        points = _remember(_GEOMETRY_CACHE, gkey, _line_geometry(track, margin))
    closed = track.closed
    ds = np.diff(_arc_length(points, closed))  # (K,) on a loop, (K-1,) open
    s = np.concatenate([[0.0], np.cumsum(ds)])
    where = track.project(points)
    kappa = curvature(points, closed)
    v_lim = np.minimum(top, np.sqrt(vehicle.grip / np.maximum(np.abs(kappa), 1e-9)))
    a, b = vehicle.max_accel, vehicle.max_brake
    if closed:
        speed = loop_speed_profile(v_lim, ds, a, b)
        flying = profile_time(np.append(speed, speed[0]), ds)
        standing = open_speed_profile(np.append(v_lim, v_lim[0]), ds, a, b, v_start=0.0)
    else:
        speed = open_speed_profile(v_lim, ds, a, b, v_start=None)
        flying = profile_time(speed, ds)
        standing = open_speed_profile(v_lim, ds, a, b, v_start=0.0)
    arrays = dict(points=points, s=s[: len(points)], curvature=kappa, speed=speed, center_s=where.s,
                  offsets=np.where(where.left, where.distance, -where.distance))
    for arr in arrays.values():
        arr.flags.writeable = False
    line = RacingLine(**arrays, closed=closed, length_m=float(s[-1]), best_lap_s=profile_time(standing, ds),
                      flying_lap_s=flying, max_speed=top)
    return _remember(_LINE_CACHE, key, line)


# -- geometry ---------------------------------------------------------------------
def _line_geometry(track: Track, margin: float):
    """Line points ``(K, 2)``, evenly spaced along the line, with point 0 on the start line."""
    closed = track.closed
    n_fine = int(np.clip(np.ceil(track.length / TARGET_SPACING_M), 8, MAX_POINTS))
    n_coarse = int(np.clip(np.ceil(track.length / COARSE_SPACING_M), 8, n_fine))
    cs = np.arange(n_coarse) * (track.length / n_coarse) if closed else np.linspace(0.0, track.length, n_coarse)
    left_border, right_border = (track.inner, track.outer) if track.inner_is_left else (track.outer, track.inner)
    ctx = dict(closed=closed, left_border=left_border, right_border=right_border, margin=margin,
               borders=(shapely.LineString(left_border), shapely.LineString(right_border)),
               reach=2.0 * float(track.widths.max()) + 1.0)
    # Most of the moving happens on a coarse grid, where each solve is cheap; the fine
    # grid then only polishes a line that is nearly right.
    ref = _relax(track.point_at(cs), dict(ctx, check=False))
    # Point 0 goes onto the start line now; each later round moves it only along its
    # normal, a few millimetres at most, so the finished line still starts there.
    start = _start_line_crossing(ref, track) if closed else 0.0
    return _relax(_resample(ref, n_fine, closed, start=start), ctx)


def _relax(ref: np.ndarray, ctx: dict) -> np.ndarray:
    """Re-solve the QP around the latest line until it stops moving; points ``(K, 2)`` in and out."""
    n, closed = len(ref), ctx["closed"]
    Q = _second_difference_gram(n, closed)
    # Each QP measures curvature with the spacing and normals of its reference line, so
    # it is exact only for small moves; from the centre it rewards hugging the inside
    # of a hairpin, where the points crowd together. Solving again around the previous
    # line (the iterated QP of Heilmeier et al.) removes that bias within a few rounds.
    for _ in range(ITERATIONS):
        alpha, normal = _solve_around(ref, Q, **ctx)
        line = ref + alpha[:, None] * normal
        if np.max(np.abs(alpha)) < CONVERGED_M:
            break  # the solved points themselves, whose clearance was checked
        ref = _resample(line, n, closed)
    return line


def _solve_around(ref, Q, *, closed, left_border, right_border, borders, reach, margin, check=True):
    """Offsets ``(K,)`` along the reference normals ``(K, 2)`` of the min-curvature line near ``ref``.

    ``check`` measures true clearance after the solve (the rough first grid skips it)."""
    normal = _normals(ref, closed)
    lo = -_room(ref, -normal, right_border, reach, margin)
    hi = _room(ref, normal, left_border, reach, margin)
    squeeze = lo > hi  # road narrower than the car: keep to the middle of what there is
    mid = (lo + hi) / 2
    lo, hi = np.where(squeeze, mid, lo), np.where(squeeze, mid, hi)
    if not closed:  # fixed ends where the track starts and finishes
        lo[[0, -1]] = hi[[0, -1]] = 0.0
    # Start on the bounds the previous line touched: the reference is that line, so
    # the same points sit (to resampling error) on a border again.
    alpha = np.where(hi < 2e-3, hi, np.where(lo > -2e-3, lo, 0.0))
    for _ in range(6):
        alpha = _min_curvature_offsets(Q, ref, normal, lo, hi, alpha)
        if not check:
            break
        # The box bounds points; the straight pieces between them cut inside a curve
        # by up to ds^2 / 8R, and polyline borders do the same. So measure each
        # piece's clearance and tighten the box at both its ends where it is short.
        pts = ref + alpha[:, None] * normal
        nxt = np.roll(pts, -1, axis=0) if closed else np.vstack([pts[1:], pts[-1:]])
        pieces = shapely.linestrings(np.stack([pts, nxt], axis=1))
        d_left, d_right = (shapely.distance(b, pieces) for b in borders)
        d_left = np.minimum(d_left, np.roll(d_left, 1) if closed else np.append(d_left[:1], d_left[:-1]))
        d_right = np.minimum(d_right, np.roll(d_right, 1) if closed else np.append(d_right[:1], d_right[:-1]))
        short = margin - np.minimum(d_left, d_right) - 1e-4
        tight = (short > 0) & ~squeeze
        if not tight.any():
            break
        step = short + 2e-3
        near_left = tight & (d_left < d_right)
        near_right = tight & ~near_left
        hi[near_left] = alpha[near_left] - step[near_left]
        lo[near_right] = alpha[near_right] + step[near_right]
        bad = lo > hi
        lo[bad] = hi[bad] = (lo[bad] + hi[bad]) / 2
    return alpha, normal


def _normals(points: np.ndarray, closed: bool) -> np.ndarray:
    """Unit normals ``(K, 2)`` pointing left of the direction of travel."""
    if closed:
        tangent = np.roll(points, -1, axis=0) - np.roll(points, 1, axis=0)
    else:
        tangent = np.gradient(points, axis=0)
    tangent /= np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-12)[:, None]
    return np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)


def _arc_length(points: np.ndarray, closed: bool) -> np.ndarray:
    """Cumulative length ``(K+1,)`` on a loop (back to point 0), ``(K,)`` on an open line, m."""
    pts = np.vstack([points, points[:1]]) if closed else points
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])


def _resample(points: np.ndarray, n: int, closed: bool, start: float = 0.0) -> np.ndarray:
    """``n`` points evenly spaced along the polyline, the first at arc length ``start`` (loops only), m."""
    s = _arc_length(points, closed)
    pts = np.vstack([points, points[:1]]) if closed else points
    if closed:
        q = np.mod(start + np.arange(n) * (s[-1] / n), s[-1])
    else:
        q = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(q, s, pts[:, 0]), np.interp(q, s, pts[:, 1])], axis=1)


def _start_line_crossing(points: np.ndarray, track: Track) -> float:
    """Arc length along the loop ``points`` where it crosses the start line (the normal at waypoint 0), m."""
    c0 = track.center[0]
    t0 = track.seg_vec[0] / max(track.seg_len[0], 1e-12)
    ahead = (points - c0) @ t0  # signed distance past the start line
    side = np.abs((points - c0) @ np.array([-t0[1], t0[0]]))
    nxt = np.roll(np.arange(len(points)), -1)
    cross = (ahead < 0) & (ahead[nxt] >= 0)
    cands = np.flatnonzero(cross)
    if len(cands) == 0:  # cannot happen on a valid loop; keep the current start
        return 0.0
    i = cands[np.argmin(side[cands])]  # the crossing on the road, not a far leg of the loop
    frac = -ahead[i] / max(ahead[nxt[i]] - ahead[i], 1e-12)
    s = _arc_length(points, True)
    return float(s[i] + frac * (s[i + 1] - s[i]))


def _room(origin: np.ndarray, direction: np.ndarray, border: np.ndarray, reach: float, margin: float) -> np.ndarray:
    """How far points ``origin`` ``(K, 2)`` may move along unit ``direction`` ``(K, 2)`` and stay ``margin``
    from polyline ``border``, m (0 where the ray finds no border within ``reach``).

    The ray's first crossing of the border is at distance ``t``; a border segment met
    at angle ``phi`` is ``margin`` away (perpendicular) from the ray point at
    ``t - margin / sin(phi)``.
    """
    p, q = border[:-1], border[1:]
    e = q - p  # (M, 2)
    w = p[None, :, :] - origin[:, None, :]  # (K, M, 2)
    d = direction[:, None, :]

    def cross(u, v):
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    denom = cross(d, e[None])  # (K, M)
    ok = np.abs(denom) > 1e-12
    safe = np.where(ok, denom, 1.0)
    t = cross(w, e[None]) / safe  # along the ray
    u = cross(w, d) / safe  # along the border segment
    hit = ok & (t >= 0) & (t <= reach) & (u >= -1e-9) & (u <= 1 + 1e-9)
    t = np.where(hit, t, np.inf)
    first = np.argmin(t, axis=1)
    rows = np.arange(len(origin))
    t_hit = t[rows, first]
    # Grazing hits would allow nothing; below 0.3 the clearance check after the solve takes over.
    sin_phi = np.maximum(np.abs(denom[rows, first]) / np.maximum(np.hypot(*e[first].T), 1e-12), 0.3)
    return np.where(np.isfinite(t_hit), t_hit - margin / sin_phi, 0.0)


def _second_difference_gram(n: int, closed: bool) -> np.ndarray:
    """``D^T D`` ``(n, n)`` for the second-difference operator ``D`` on ``n`` points (periodic on a loop)."""
    rows = np.arange(n) if closed else np.arange(1, n - 1)
    cols = np.stack([(rows - 1) % n, rows, (rows + 1) % n], axis=1)  # each row of D: 1, -2, 1
    w = np.array([1.0, -2.0, 1.0])
    Q = np.zeros((n, n))
    np.add.at(Q, (cols[:, :, None], cols[:, None, :]), w[:, None] * w[None, :])
    return Q


def _min_curvature_offsets(Q: np.ndarray, center: np.ndarray, normal: np.ndarray,
                           lo: np.ndarray, hi: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Offsets ``alpha`` ``(K,)`` minimising ``sum |D2 (center + alpha normal)|^2`` with ``lo <= alpha <= hi``."""
    # Since p = c + diag(n) alpha per coordinate, the Hessian is Q scaled entrywise by
    # n_i . n_j, and the gradient at alpha = 0 is n_i . (Q c)_i.
    H = Q * (normal @ normal.T)
    g = np.einsum("kd,kd->k", normal, Q @ center)
    # A whisper of ridge keeps H invertible on straight stretches, where sliding the
    # line sideways costs nothing; it prefers the centre among equal lines.
    H[np.diag_indices_from(H)] += 1e-9 * max(float(np.trace(H)) / len(g), 1.0)
    return box_qp(H, g, lo, hi, start)
