"""The coaching card: where a lap lost its time against the track's racing line.

A lap as driven (:class:`LapTrace`: the car's path, speed, time and progress at every simulated
step, recorded by :class:`LapRecorder` during an evaluation or by a race-day replay) is compared
with the minimum-curvature racing line of :mod:`sim.racing_line` and its speed profile, for a car
no faster than the model's top speed:

- **lap time against the line's**: the line's lap from rest for a lap started at rest (every
  evaluation trial, a session's first lap), at speed otherwise, timed as the car's laps are: from
  the line's reference point on the start line back to it (:func:`line_clock`; within a few
  hundredths of the line's ``best_lap_s``/``flying_lap_s``, timed from its rear axle);
- **sectors**: the lap cut into ``n_sectors`` equal lengths of the centre line (progress 0-10 %,
  10-20 % ... for 10). The car's time in a sector runs from its reference point crossing the
  sector's start to crossing its end (interpolated inside the step, as lap times are); the
  line's is the time its speed profile needs between the same two progress marks. Time lost =
  the car's minus the line's; penalties (the car held after an off-track or a collision) count in
  the sector where they happened. The three sectors that lost most are named by their distance
  along the lap (metres of centre line from the start line);
- **off-track hot spots**: where the car left the road, over every lap driven, grouped within
  ``HOT_SPOT_M`` of centre line.

The line's progress marks use its reference point (``VehicleConfig.reference_offset`` ahead of the
rear axle), as the car's progress does, so both sets of sector times add up to their lap times.
numpy only, no Qt: the CLI (``trackside coach``), the app's coaching card and the PDF all draw
:class:`CoachingCard`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.env import EpisodeStatus
from sim.errors import TracksideError
from sim.racing_line import RacingLine, compute_racing_line
from sim.speed_profile import open_speed_profile
from sim.track import Track
from sim.vehicle import VehicleConfig

DEFAULT_SECTORS = 10
HOT_SPOT_M = 1.0
"""Off-track points closer than this along the centre line count as one hot spot, m."""
WORST = 3
"""Sectors named as the ones that lost most time."""


class CoachingError(TracksideError):
    """No card can be made (no completed lap, a reversed lap ...); the message says why."""


@dataclass
class LapTrace:
    """One lap as driven, one row per simulated step. Arrays have shape ``(n,)``."""

    lap: int
    """1-based lap number."""
    t: np.ndarray
    """Time into the lap at the end of each step, s, penalties included."""
    x: np.ndarray
    """Rear-axle origin x, m (the point the racing line is the path of)."""
    y: np.ndarray
    speed: np.ndarray
    """Actual speed, m/s."""
    progress: np.ndarray
    """Lap progress of the reference point, % (0 at the start line, 100 at the finish)."""
    off_track: np.ndarray
    """True on the step the car left the road."""
    time_s: float | None = None
    """The lap's time, s; None when it was not completed."""
    standing_start: bool = True
    """The lap started at rest on the line (a trial, a session's first lap)."""


class LapRecorder:
    """A ``trainer.driving`` step hook (``on_step(env, info, action, lap)``) that keeps a :class:`LapTrace`
    per lap of car 0. ``penalty_s`` and ``collision_penalty_s`` are the rules' (the hook runs before the
    driver adds them); ``continuous``: laps after the first start at speed."""

    def __init__(self, penalty_s: float | None = 2.0, collision_penalty_s: float = 0.0, continuous: bool = False):
        self.penalty_s, self.collision_penalty_s, self.continuous = penalty_s, collision_penalty_s, continuous
        self.laps: list[LapTrace] = []
        self._rows: list[tuple] = []
        self._t = 0.0

    def __call__(self, env, info, action, lap: int) -> None:
        status = int(info["status"][0])
        s = env.state
        if status == EpisodeStatus.LAP_COMPLETE:
            t = self._t + float(info["cross_fraction"][0]) * env.dt
            self._rows.append((t, s.x[0], s.y[0], s.speed[0], 100.0, False))
            self.close_lap(lap, t)
            self._t = (1.0 - float(info["cross_fraction"][0])) * env.dt if self.continuous else 0.0
            return
        self._t += env.dt
        off = bool(info["off_track"][0])
        self._rows.append((self._t, s.x[0], s.y[0], s.speed[0], float(info["progress"][0]), off))
        if off and self.penalty_s is not None:
            self._t += self.penalty_s
        if "collision" in info and info["collision"][0]:
            self._t += self.collision_penalty_s
        if status != EpisodeStatus.IN_PROGRESS:  # the lap ended off the road, reversed, stuck or timed out
            self.close_lap(lap, None)
            self._t = 0.0

    def add(self, t: float, x: float, y: float, speed: float, progress: float, off_track: bool = False) -> None:
        """One row from another source (a race-day replay's updates)."""
        self._rows.append((t, x, y, speed, progress, off_track))

    def close_lap(self, lap: int, time_s: float | None) -> None:
        a = np.array(self._rows, dtype=float).reshape(-1, 6)
        standing = not self.continuous or not self.laps
        self.laps.append(LapTrace(lap, a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5].astype(bool),
                                  time_s, standing))
        self._rows = []


@dataclass
class Sector:
    """One stretch of the lap, between two progress marks."""

    number: int
    """1-based."""
    start_m: float
    """Distance along the centre line from the start line where the sector begins, m."""
    end_m: float
    time_s: float
    """The car's time in the sector, penalties included, s."""
    line_s: float
    """The racing line's time in the sector, s."""

    @property
    def lost_s(self) -> float:
        return self.time_s - self.line_s

    def to_dict(self) -> dict:
        return {"sector": self.number, "start_m": round(self.start_m, 2), "end_m": round(self.end_m, 2),
                "time_s": round(self.time_s, 3), "line_s": round(self.line_s, 3), "lost_s": round(self.lost_s, 3)}


@dataclass
class HotSpot:
    """Where the car left the road, one or more times."""

    distance_m: float
    """Along the centre line from the start line, m."""
    x: float
    y: float
    count: int

    def to_dict(self) -> dict:
        return {"distance_m": round(self.distance_m, 2), "x": round(self.x, 3), "y": round(self.y, 3),
                "count": self.count}


@dataclass
class CoachingCard:
    """One lap against the racing line: the numbers and what to draw."""

    track: str
    source: str
    """What was driven, in words (``model mine on workshop_loop, lap 2 of 3, seed 7``)."""
    lap: LapTrace
    lap_time_s: float
    line_lap_s: float
    """The line's lap time for a lap started as this one was (standing or flying), s."""
    max_speed: float
    """Top speed of the line, m/s: the model's fastest action."""
    sectors: list[Sector]
    hot_spots: list[HotSpot]
    track_length_m: float
    lost_per_m: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    """Time lost per metre at each step of the lap ``(n,)``, s/m (positive: slower than the line)."""
    off_track: int = 0
    """Times the car left the road in this lap."""

    @property
    def gap_s(self) -> float:
        return self.lap_time_s - self.line_lap_s

    def worst(self, n: int = WORST) -> list[Sector]:
        """The ``n`` sectors that lost most time, most first (only those that lost any)."""
        return [s for s in sorted(self.sectors, key=lambda s: -s.lost_s)[:n] if s.lost_s > 0]

    def advice(self) -> list[str]:
        """The card's findings as sentences."""
        lines = [f"Lap {self.lap.lap}: {self.lap_time_s:.3f} s against the racing line's {self.line_lap_s:.3f} s "
                 f"(+{self.gap_s:.3f} s, {100 * self.line_lap_s / self.lap_time_s:.0f} % of the line's pace)."]
        for s in self.worst():
            lines.append(f"Sector {s.number} ({s.start_m:.1f}-{s.end_m:.1f} m): {s.lost_s:.3f} s lost "
                         f"({s.time_s:.3f} s, the line {s.line_s:.3f} s).")
        for spot in self.hot_spots[:3]:
            lines.append(f"Left the road {spot.count}x at {spot.distance_m:.1f} m.")
        return lines

    def to_dict(self) -> dict:
        return {"track": self.track, "source": self.source, "lap": self.lap.lap,
                "lap_time_s": round(self.lap_time_s, 3), "line_lap_s": round(self.line_lap_s, 3),
                "gap_s": round(self.gap_s, 3), "max_speed": self.max_speed, "off_track": self.off_track,
                "track_length_m": round(self.track_length_m, 2),
                "sectors": [s.to_dict() for s in self.sectors], "worst": [s.number for s in self.worst()],
                "hot_spots": [h.to_dict() for h in self.hot_spots], "advice": self.advice()}


def pick_lap(laps: list[LapTrace], lap: int | None = None) -> LapTrace:
    """Lap number ``lap``, or the fastest completed lap; :class:`CoachingError` when there is none."""
    if lap is not None:
        found = [trace for trace in laps if trace.lap == lap]
        if not found:
            raise CoachingError(f"lap: there is no lap {lap} (laps 1..{len(laps)} were driven)")
        if found[0].time_s is None:
            raise CoachingError(f"lap: lap {lap} was not completed: choose a completed lap")
        return found[0]
    done = [trace for trace in laps if trace.time_s is not None]
    if not done:
        raise CoachingError("no lap was completed: there is no lap to compare with the racing line "
                            "(train the model longer, or allow resets)")
    return min(done, key=lambda trace: trace.time_s)


def coach_lap(track: Track, laps: list[LapTrace], max_speed: float, *, lap: int | None = None,
              n_sectors: int = DEFAULT_SECTORS, source: str = "") -> CoachingCard:
    """The coaching card of lap ``lap`` (default: the fastest completed) of ``laps``, driven on ``track`` by a car
    whose fastest action is ``max_speed`` m/s. Hot spots come from every lap in ``laps``."""
    if not 2 <= n_sectors <= 50:
        raise CoachingError(f"sectors: expected 2..50, got {n_sectors}")
    if not track.closed:
        raise CoachingError(f"track {track.name!r} is not a loop: coaching compares laps of a closed track")
    trace = pick_lap(laps, lap)
    line = compute_racing_line(track, max_speed=min(max_speed, VehicleConfig().max_speed))
    marks_p, line_t = line_clock(line, track, trace.standing_start)
    bounds = np.linspace(0.0, 100.0, n_sectors + 1)
    car_at = _crossing_times(trace, bounds)
    line_at = np.interp(bounds, marks_p, line_t)
    metres = bounds / 100.0 * track.length
    sectors = [Sector(k + 1, float(metres[k]), float(metres[k + 1]), float(car_at[k + 1] - car_at[k]),
                      float(line_at[k + 1] - line_at[k]))
               for k in range(n_sectors)]
    line_lap = float(np.interp(100.0, marks_p, line_t))
    lost = _lost_per_metre(trace, marks_p, line_t, track.length)
    return CoachingCard(track.name, source, trace, float(trace.time_s), float(line_lap), float(line.max_speed),
                        sectors, hot_spots(laps, track.length), float(track.length), lost,
                        int(np.count_nonzero(trace.off_track)))


def line_clock(line: RacingLine, track: Track, standing: bool) -> tuple[np.ndarray, np.ndarray]:
    """The line's lap clock, timed as the car's laps are: the lap progress ``(K+1,)`` % of the line's
    reference point at each line point round one lap, starting where that point is on the start line,
    and the time ``(K+1,)`` s to get there along the speed profile. ``standing``: from rest there."""
    vehicle = VehicleConfig()
    off = vehicle.reference_offset
    k0 = int(np.argmin(np.abs(line.wrap_s(line.s + off))))  # the line point whose reference point is on the line
    order = np.append(np.roll(np.arange(len(line.s)), -k0), k0)
    ds = np.diff(np.append(line.s, line.length_m))[order[:-1]]
    if standing:
        v_lim = np.minimum(line.max_speed, np.sqrt(vehicle.grip / np.maximum(np.abs(line.curvature), 1e-9)))
        v = open_speed_profile(v_lim[order], ds, vehicle.max_accel, vehicle.max_brake, v_start=0.0)
    else:
        v = line.speed[order]
    t = np.concatenate([[0.0], np.cumsum(2.0 * ds / np.maximum(v[:-1] + v[1:], 1e-9))])
    p = 100.0 * track.project(line.point_at(line.s[order] + off)).s / track.length
    p[0] = p[0] - 100.0 if p[0] > 50 else p[0]
    p[1:] += 100.0 * np.cumsum(np.diff(p) < -50)  # unwrap past the finish line
    return p, t


def _crossing_times(trace: LapTrace, marks: np.ndarray) -> np.ndarray:
    """Time into the lap at which the car's progress first reached each mark ``(m,)``, s."""
    reached = np.maximum.accumulate(np.concatenate([[0.0], trace.progress]))
    times = np.concatenate([[0.0], trace.t])
    out = np.empty(len(marks))
    for k, mark in enumerate(marks):
        i = int(np.searchsorted(reached, mark, side="left"))
        if i == 0:
            out[k] = 0.0
        elif i >= len(reached):
            out[k] = float(trace.time_s)
        else:
            p0, p1 = reached[i - 1], reached[i]
            f = (mark - p0) / (p1 - p0) if p1 > p0 else 1.0
            out[k] = times[i - 1] + f * (times[i] - times[i - 1])
    out[-1] = float(trace.time_s)
    return out


def _lost_per_metre(trace: LapTrace, marks_p: np.ndarray, line_t: np.ndarray, length_m: float) -> np.ndarray:
    """Each step's time beyond the line's over the same stretch, per metre ``(n,)``, s/m, lightly smoothed."""
    p = np.maximum.accumulate(np.concatenate([[0.0], trace.progress]))
    t = np.concatenate([[0.0], trace.t])
    dp = np.diff(p)
    extra = np.diff(t) - np.diff(np.interp(p, marks_p, line_t))
    metres = np.maximum(dp / 100.0 * length_m, 0.02)
    rate = extra / metres
    kernel = np.ones(5) / 5.0
    return np.convolve(rate, kernel, mode="same") if len(rate) >= 5 else rate


def hot_spots(laps: list[LapTrace], length_m: float, within_m: float = HOT_SPOT_M) -> list[HotSpot]:
    """Where the car left the road over ``laps``, grouped along the lap, most often first."""
    rows = [(p / 100.0 * length_m, x, y) for trace in laps
            for p, x, y in zip(trace.progress[trace.off_track], trace.x[trace.off_track], trace.y[trace.off_track])]
    groups: list[list[tuple]] = []
    for row in sorted(rows):
        if groups and row[0] - groups[-1][-1][0] <= within_m:
            groups[-1].append(row)
        else:
            groups.append([row])
    spots = [HotSpot(float(np.mean([r[0] for r in g])), float(np.mean([r[1] for r in g])),
                     float(np.mean([r[2] for r in g])), len(g)) for g in groups]
    return sorted(spots, key=lambda h: (-h.count, h.distance_m))


def loss_shades(card: CoachingCard) -> np.ndarray:
    """Each step's time lost as a shade ``(n,)`` in [0, 1]: 0 = as fast as the line or faster, 1 = the lap's
    worst (its 95th percentile of loss per metre). Every drawing of a card colours by this one scale."""
    lost = np.nan_to_num(card.lost_per_m)
    top = max(float(np.percentile(lost, 95)) if len(lost) else 0.0, 0.05)
    return np.clip(lost / top, 0.0, 1.0)


def shade_rgb(shades: np.ndarray) -> np.ndarray:
    """Shades ``(n,)`` in [0, 1] as colours ``(n, 3)`` 0-255: green (no loss), amber, red (most loss)."""
    stops = np.array([[46, 160, 67], [240, 180, 41], [214, 40, 40]], dtype=float)
    s = np.clip(np.asarray(shades, dtype=float), 0.0, 1.0) * 2.0
    k = np.minimum(s.astype(int), 1)
    f = (s - k)[:, None]
    return np.rint(stops[k] * (1 - f) + stops[k + 1] * f).astype(int)
