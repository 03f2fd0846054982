"""Turning bursts of telemetry poses into continuous car motion for the training monitor.

Poses arrive in bursts: about 10 frames a second while the cars drive, then nothing for
seconds while the network learns and the checkpoint is evaluated. Between two frames a car
may have driven a few metres (training runs many times faster than real time). Shown as
they come, the cars would jump, then freeze; :class:`CarPlayback` instead plays the frames
at a steady pace and moves each car between frames along the road.
"""

from __future__ import annotations

import time

import numpy as np

TRAIL_SAMPLES = 4
"""Points per frame-to-frame segment of a trail."""
MAX_FREE_M = 2.0
"""Between frames further apart than this, a car that cannot be moved along the road is
shown jumping (a trail break) rather than on a guessed curve across the infield, m."""


class CarPlayback:
    """Recent telemetry frames and a playback clock that shows them as continuous motion.

    The clock (in the writer's time, s) plays the frames not shown yet at a pace that lasts
    until the next burst is due, so the cars move steadily, at most one iteration behind.
    Between two frames a car keeps its distance along the centre line and its offset from
    it changing evenly (with a ``track``), so it follows the road's curves rather than
    cutting across; without a track, a cubic curve along each pose's heading.

    Frames: ``times (n,)`` s and ``poses (n, n_cars, 5)``: rows of (x, y m; yaw degrees;
    speed m/s; progress %) of the reference point.
    """

    GAP_S = 0.6
    """No frame for this long ends a burst, wall s."""
    MAX_BACKLOG_S = 8.0
    """Never play further behind than this, writer s."""

    def __init__(self, n_cars: int = 8, capacity: int = 512, trail_frames: int = 5, track=None):
        self.n_cars = n_cars
        self.trail_frames = trail_frames
        self.track = track
        self.times = np.zeros(capacity)
        self.poses = np.full((capacity, n_cars, 5), np.nan)
        self.frenet = np.full((capacity, n_cars, 3), np.nan)
        """Per frame and car: arc length s (m), offset d (m, left positive) and yaw (radians)
        relative to the centre line's heading at s."""
        self.n = 0
        self.clock: float | None = None
        self.period_s = 3.0
        """Estimated wall time from one burst to the next, s."""
        self._burst_start: float | None = None
        self._last_arrival = -np.inf
        self._trail_key: tuple | None = None
        self._trail = np.zeros((n_cars, 0, 2))

    def clear(self) -> None:
        self.n, self.clock, self._burst_start, self._last_arrival = 0, None, None, -np.inf
        self._trail_key = None

    def push(self, frames: list[dict], now: float | None = None) -> None:
        """Add telemetry frames (``{"t", "cars": [[x, y, yaw, speed, progress], ...]}``)."""
        frames = [f for f in frames if isinstance(f.get("cars"), list) and f.get("t") is not None]
        if not frames:
            return
        now = time.monotonic() if now is None else now
        if self.n + len(frames) > len(self.times):  # keep the newer half
            keep = max(len(self.times) // 2 - len(frames), 2)
            for a in (self.times, self.poses, self.frenet):
                a[:keep] = a[self.n - keep:self.n]
            self.n = keep
        first = self.n
        for f in frames:
            t = float(f["t"])
            if self.n and t <= self.times[self.n - 1]:
                if t < self.times[self.n - 1] - 1.0:  # a new run (older clock or restarted file)
                    self.clear()
                    first = 0
                else:
                    continue
            cars = np.asarray(f["cars"], dtype=float).reshape(-1, 5)[:self.n_cars]
            self.poses[self.n] = np.nan
            self.poses[self.n, :len(cars)] = cars
            self.times[self.n] = t
            self.n += 1
        if self.track is not None and self.n > first:
            self._project(first, self.n)
        if now - self._last_arrival > self.GAP_S:
            if self._burst_start is not None:
                self.period_s = float(np.clip(0.6 * self.period_s + 0.4 * (now - self._burst_start), 0.5, 30.0))
            self._burst_start = now
        self._last_arrival = now
        if self.clock is None and self.n:
            self.clock = max(self.times[0], self.times[self.n - 1] - 1.0)

    def _project(self, lo: int, hi: int) -> None:
        p = self.poses[lo:hi].reshape(-1, 5)
        ok = np.isfinite(p[:, 0])
        out = np.full((len(p), 3), np.nan)
        if ok.any():
            proj = self.track.project(p[ok, :2])
            out[ok, 0] = proj.s
            out[ok, 1] = np.where(proj.left, proj.distance, -proj.distance)
            out[ok, 2] = np.radians(p[ok, 2]) - self.track.heading_at(proj.s)
        self.frenet[lo:hi] = out.reshape(hi - lo, self.n_cars, 3)

    def advance(self, dt: float, now: float | None = None) -> bool:
        """Move the clock on by ``dt`` wall s; False when there is nothing new to show."""
        if self.clock is None or self.n == 0:
            return False
        now = time.monotonic() if now is None else now
        last = self.times[self.n - 1]
        backlog = last - self.clock
        if backlog <= 1e-9:
            return False
        if backlog > self.MAX_BACKLOG_S:
            self.clock = last - self.MAX_BACKLOG_S
            backlog = self.MAX_BACKLOG_S
        since = now - (self._burst_start if self._burst_start is not None else now)
        remaining = max(self.period_s - since, 0.3 * self.period_s)
        rate = float(np.clip(backlog / remaining, 0.05, 8.0))
        self.clock = min(self.clock + rate * dt, last)
        return True

    @property
    def lag_s(self) -> float:
        """How far the shown poses are behind the newest frame, writer s."""
        return float(self.times[self.n - 1] - self.clock) if self.n and self.clock is not None else 0.0

    def frame(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Poses at the clock ``(k, 5)`` of the cars present, and each one's recent trail ``(m, 2)``."""
        if self.clock is None or self.n == 0:
            return np.zeros((0, 5)), []
        i = int(np.clip(np.searchsorted(self.times[:self.n], self.clock, side="right") - 1, 0, self.n - 1))
        j = min(i + 1, self.n - 1)
        span = self.times[j] - self.times[i]
        alpha = float(np.clip((self.clock - self.times[i]) / span, 0.0, 1.0)) if span > 0 else 0.0
        pose = self._between(i, j, np.array([alpha]), hold=True)[:, 0]
        # Trail: the last few whole segments (kept until the clock passes the next frame), then
        # the current part up to the pose.
        a = np.linspace(0.0, 1.0, TRAIL_SAMPLES, endpoint=False)
        key = (i, self.n and self.times[i])
        if self._trail_key != key:
            pieces = [self._between(k, k + 1, a)[..., :2] for k in range(max(0, i - self.trail_frames), i)]
            self._trail = np.concatenate(pieces, axis=1) if pieces else np.zeros((self.n_cars, 0, 2))
            self._trail_key = key
        trail = np.concatenate([self._trail, self._between(i, j, a * alpha)[..., :2], pose[:, None, :2]], axis=1)
        live = ~np.isnan(pose[:, 0])
        return pose[live], [trail[c] for c in np.flatnonzero(live)]

    def _between(self, k0: int, k1: int, a: np.ndarray, hold: bool = False) -> np.ndarray:
        """Poses ``(n_cars, len(a), 5)`` between frames ``k0`` and ``k1`` at fractions ``a``.

        A car whose episode ended between the frames (its progress went down, or it moved
        implausibly far) is NaN there (a trail break), or with ``hold`` its old pose until
        halfway, then its new one.
        """
        p0, p1 = self.poses[k0], self.poses[k1]
        out = _hermite(p0, p1, a)
        chord = np.hypot(p1[:, 0] - p0[:, 0], p1[:, 1] - p0[:, 1])
        jumped = (p1[:, 4] < p0[:, 4] - 1e-6) | (chord > MAX_FREE_M)  # a new episode, or too far to guess
        if self.track is not None:
            along, ok = _along_track(self.track, p0, p1, self.frenet[k0], self.frenet[k1], a)
            out[ok] = along[ok]
            jumped &= ~ok | (p1[:, 4] < p0[:, 4] - 1e-6)
        if jumped.any():
            if hold:
                late = a >= 0.5
                out[np.ix_(jumped, ~late)] = p0[jumped][:, None, :]
                out[np.ix_(jumped, late)] = p1[jumped][:, None, :]
            else:
                out[jumped] = np.nan
        return out


def _hermite(p0: np.ndarray, p1: np.ndarray, a: np.ndarray) -> np.ndarray:
    """A cubic Hermite curve leaving ``p0`` and meeting ``p1`` along their headings (tangent
    length: the chord); the heading follows the curve. ``(n_cars, len(a), 5)``."""
    a = a[None, :, None]
    x0, x1 = p0[:, None, :2], p1[:, None, :2]
    chord = np.linalg.norm(p1[:, :2] - p0[:, :2], axis=1)[:, None, None]
    y0, y1 = np.radians(p0[:, None, 2:3]), np.radians(p1[:, None, 2:3])
    d0 = chord * np.concatenate([np.cos(y0), np.sin(y0)], axis=2)
    d1 = chord * np.concatenate([np.cos(y1), np.sin(y1)], axis=2)
    a2, a3 = a * a, a * a * a
    pos = (2 * a3 - 3 * a2 + 1) * x0 + (a3 - 2 * a2 + a) * d0 + (-2 * a3 + 3 * a2) * x1 + (a3 - a2) * d1
    vel = (6 * a2 - 6 * a) * x0 + (3 * a2 - 4 * a + 1) * d0 + (-6 * a2 + 6 * a) * x1 + (3 * a2 - 2 * a) * d1
    yaw = np.degrees(np.arctan2(vel[..., 1], vel[..., 0]))
    dyaw = (p1[:, 2] - p0[:, 2] + 180.0) % 360.0 - 180.0  # for a car that barely moved
    yaw = np.where(chord[..., 0] > 1e-3, yaw, p0[:, None, 2] + a[..., 0] * dyaw[:, None])
    rest = p0[:, None, 3:] + a * (p1[:, None, 3:] - p0[:, None, 3:])
    return np.concatenate([pos, yaw[..., None], rest], axis=2)


def _along_track(track, p0, p1, f0, f1, a) -> tuple[np.ndarray, np.ndarray]:
    """Poses ``(n_cars, len(a), 5)`` moving evenly in the track's frame (arc length, offset,
    relative yaw) and which cars that is sensible for ``(n_cars,)``: both poses near the road,
    and the distance along the centre line matching the progress the car made (so a
    projection that flipped to the far side of the infield is not believed)."""
    ds = f1[:, 0] - f0[:, 0]
    if track.closed:
        ds = (ds + track.length / 2) % track.length - track.length / 2
    dyaw = (f1[:, 2] - f0[:, 2] + np.pi) % (2 * np.pi) - np.pi
    s = f0[:, 0, None] + a[None, :] * ds[:, None]
    d = f0[:, 1, None] + a[None, :] * (f1[:, 1] - f0[:, 1])[:, None]
    rel = f0[:, 2, None] + a[None, :] * dyaw[:, None]
    driven = (p1[:, 4] - p0[:, 4]) / 100.0 * track.length  # progress is % of a lap
    near = np.maximum(np.abs(f0[:, 1]), np.abs(f1[:, 1])) < track.width
    ok = (np.isfinite(ds) & near & (driven >= -1e-6) & (np.abs(ds) < track.length / 3)
          & (np.abs(np.abs(ds) - driven) < np.maximum(1.0, 0.3 * np.abs(ds))))
    out = np.full((len(p0), len(a), 5), np.nan)
    if not ok.any():
        return out, ok
    flat_s = s[ok].ravel()
    centre = track.point_at(flat_s)
    head = track.heading_at(flat_s)
    off = d[ok].ravel()
    m = int(ok.sum())
    out[ok, :, 0] = (centre[:, 0] - np.sin(head) * off).reshape(m, -1)
    out[ok, :, 1] = (centre[:, 1] + np.cos(head) * off).reshape(m, -1)
    out[ok, :, 2] = np.degrees(head + rel[ok].ravel()).reshape(m, -1)
    out[ok, :, 3:] = p0[ok, None, 3:] + a[None, :, None] * (p1[ok, None, 3:] - p0[ok, None, 3:])
    return out, ok
