"""Trackside's own track designs, and the script that writes them into ``tracks/``.

``python -m sim.trackgen`` regenerates every bundled track as ``tracks/NAME.npy``
(DeepRacer's ``(N, 6)`` float64 array, metres) plus ``tracks/NAME.json`` (the
:class:`~sim.track.TrackInfo` fields). The designs are Trackside's own; no published
track file or coordinate was used.

How a track is built:

1. A *layout* is a turtle path of straights and arcs, driven counter-clockwise from
   waypoint 0. Two straights may be left free (length ``None``); their lengths are
   solved so that the loop closes exactly, so a layout can be tuned one number at a
   time without breaking the loop.
2. Points every 0.25 m along the layout are the control points of a periodic
   uniform cubic B-spline. A B-spline never wiggles more than its control polygon
   (it is variation diminishing), so straights stay straight and corners gain a
   short easement instead of the overshoot an interpolating spline gives; it runs
   within about 1 cm of the layout.
3. The spline is scaled so the centre line has the design's length exactly, then
   resampled at uniform arc length (about 0.18 m apart).
4. The borders are offset by half the road width along the normals; ``inner`` is the
   side toward the loop's interior (the left, for a counter-clockwise loop).
5. Checks: the centre line's radius of curvature stays above half the width plus a
   margin (so the inner border never folds over itself), parts of the road that are
   far apart along the lap keep a gap between them, and :class:`Track` accepts it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .track import Track, TrackInfo

CONTROL_SPACING_M = 0.25
"""Distance between the spline's control points along the layout, m."""
SPACING_M = 0.18
"""Target distance between consecutive waypoints, m (DeepRacer files: 0.1 .. 0.3)."""
RADIUS_MARGIN_M = 0.25
"""Minimum centre-line radius of curvature beyond half the road width, m."""
ROAD_GAP_M = 0.3
"""Minimum grass between two parts of the road that are far apart along the lap, m."""
NEIGHBOUR_ARC_M = 3.0
"""Parts of the lap closer than this along the centre line count as neighbours, m."""


def straight(length: float | None = None) -> tuple:
    """A straight of ``length`` m; ``None`` lets the closing solver choose it."""
    return ("S", length)


def left(degrees: float, radius: float) -> tuple:
    """A left-hand arc turning ``degrees`` on a centre-line radius of ``radius`` m."""
    return ("L", degrees, radius)


def right(degrees: float, radius: float) -> tuple:
    """A right-hand arc turning ``degrees`` on a centre-line radius of ``radius`` m."""
    return ("R", degrees, radius)


@dataclass(frozen=True)
class TrackDesign:
    """One bundled track: what a person reads about it and how to draw it."""

    info: TrackInfo
    """Name, description, trainable flag and ``resembles`` as written to ``NAME.json``."""
    layout: tuple
    """Turtle commands from waypoint 0, starting along +x; turns must add up to +360 degrees."""
    length_m: float
    """Centre-line length of the finished track, m (the layout is scaled to it)."""
    width_m: float
    """Road width, m (the median width when ``width_wave_m`` is set)."""
    width_wave_m: float = 0.0
    """Amplitude of a smooth width variation, m: width = width_m + A sin(2 pi k s / length)."""
    width_waves: int = 3
    """k above: how many times per lap the road narrows and widens."""


# -- geometry ------------------------------------------------------------------------
def layout_points(layout: tuple) -> np.ndarray:
    """Control points along a closed turtle ``layout``: shape ``(K, 2)``, m, no repeat.

    The turtle starts at the origin heading along +x. Straights given as ``None``
    (exactly two, not parallel) get the lengths that close the loop.
    """
    free = [i for i, cmd in enumerate(layout) if cmd[0] == "S" and cmd[1] is None]
    if free and len(free) != 2:
        raise ValueError("a layout needs exactly two free straights, or none")
    turn = sum(c[1] if c[0] == "L" else -c[1] for c in layout if c[0] != "S")
    if abs(turn - 360.0) > 1e-9:
        raise ValueError(f"the turns of a counter-clockwise loop must add up to 360 degrees, not {turn}")

    lengths = {i: 0.0 for i in free}
    if free:
        # End position is linear in the free lengths: solve end = start for them.
        pts0, dirs = _drive(layout, lengths)
        end0 = pts0[-1]
        a = np.column_stack([dirs[free[0]], dirs[free[1]]])
        sol = np.linalg.solve(a, -end0)
        if np.any(sol < 0.05):
            raise ValueError(f"the layout closes only with free straights of {sol.round(3)} m")
        lengths = dict(zip(free, sol))
    pts, _ = _drive(layout, lengths)
    if np.linalg.norm(pts[-1] - pts[0]) > 1e-6:
        raise ValueError(f"the layout does not close: it ends {np.linalg.norm(pts[-1] - pts[0]):.3f} m from its start")
    return pts[:-1]


def _drive(layout: tuple, free_lengths: dict) -> tuple[np.ndarray, dict]:
    """Run the turtle; return its points ``(K + 1, 2)`` and each straight's unit direction."""
    pos, heading = np.zeros(2), 0.0
    pts, dirs = [pos.copy()], {}
    for i, cmd in enumerate(layout):
        if cmd[0] == "S":
            length = free_lengths[i] if cmd[1] is None else cmd[1]
            d = np.array([math.cos(heading), math.sin(heading)])
            dirs[i] = d
            n = max(1, math.ceil(length / CONTROL_SPACING_M)) if length > 1e-9 else 0
            for k in range(1, n + 1):
                pts.append(pos + d * length * k / n)
            pos = pos + d * length
        else:
            sign = 1.0 if cmd[0] == "L" else -1.0
            sweep, radius = math.radians(cmd[1]), cmd[2]
            # Centre of the arc lies on the side the car turns toward.
            centre = pos + sign * radius * np.array([-math.sin(heading), math.cos(heading)])
            a0 = heading - sign * math.pi / 2
            n = max(2, math.ceil(sweep * radius / CONTROL_SPACING_M))
            for k in range(1, n + 1):
                a = a0 + sign * sweep * k / n
                pts.append(centre + radius * np.array([math.cos(a), math.sin(a)]))
            pos, heading = pts[-1].copy(), heading + sign * sweep
    return np.array(pts), dirs


def bspline_loop(controls: np.ndarray, samples_per_span: int = 16) -> np.ndarray:
    """Dense points on the periodic uniform cubic B-spline of ``controls`` ``(K, 2)``, m.

    Each point is a weighted mean of four consecutive control points, so the curve is
    C2 (continuous curvature) and lies inside their convex hull. Returns
    ``(K * samples_per_span, 2)``, no repeated end.
    """
    u = np.linspace(0.0, 1.0, samples_per_span, endpoint=False)
    basis = np.stack([(1 - u) ** 3, 3 * u**3 - 6 * u**2 + 4, -3 * u**3 + 3 * u**2 + 3 * u + 1, u**3]) / 6.0
    spans = np.stack([np.roll(controls, 1 - k, axis=0) for k in range(4)])  # (4, K, 2): P[i-1] .. P[i+2]
    return np.einsum("ks,kid->isd", basis, spans).reshape(-1, 2)


def resample_loop(dense: np.ndarray, spacing: float = SPACING_M) -> np.ndarray:
    """Points ``(N + 1, 2)`` at uniform arc length along a closed polyline ``dense``; last = first."""
    ring = np.vstack([dense, dense[:1]])
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(ring, axis=0).T))])
    n = max(3, round(cum[-1] / spacing))
    s = np.linspace(0.0, cum[-1], n + 1)
    out = np.column_stack([np.interp(s, cum, ring[:, 0]), np.interp(s, cum, ring[:, 1])])
    out[-1] = out[0]
    return out


def turning_radii(center: np.ndarray) -> np.ndarray:
    """Radius of the circle through each waypoint and its neighbours on a loop ``(N + 1, 2)``: ``(N,)``, m."""
    p = center[:-1]
    a, b = np.roll(p, 1, axis=0) - p, np.roll(p, -1, axis=0) - p
    cross = np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    la, lb, lc = np.hypot(*a.T), np.hypot(*b.T), np.hypot(*(b - a).T)
    with np.errstate(divide="ignore"):
        return np.where(cross > 1e-12, la * lb * lc / (2.0 * np.maximum(cross, 1e-300)), np.inf)


def build_waypoints(design: TrackDesign) -> np.ndarray:
    """The DeepRacer array for a design: ``(N + 1, 6)`` float64, m, closed (last row = first)."""
    dense = bspline_loop(layout_points(design.layout))
    dense_length = np.sum(np.hypot(*np.diff(np.vstack([dense, dense[:1]]), axis=0).T))
    center = resample_loop(dense * (design.length_m / dense_length))
    # Chords are a hair shorter than the curve: scale once more for the exact length.
    center = center * (design.length_m / np.sum(np.hypot(*np.diff(center, axis=0).T)))
    # Put the whole road in positive coordinates with a 0.5 m margin, as DeepRacer files are.
    half_max = (design.width_m + abs(design.width_wave_m)) / 2
    center = center - center.min(axis=0) + half_max + 0.5

    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(center, axis=0).T))])
    widths = design.width_m + design.width_wave_m * np.sin(2 * np.pi * design.width_waves * s / s[-1])
    widths[-1] = widths[0]  # the closing row repeats the first exactly
    p = center[:-1]
    tangent = np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)
    tangent /= np.hypot(*tangent.T)[:, None]
    normal_left = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    normal_left = np.vstack([normal_left, normal_left[:1]])
    x, y = center[:, 0], center[:, 1]
    ccw = np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) > 0
    to_inner = normal_left if ccw else -normal_left
    inner = center + to_inner * widths[:, None] / 2
    outer = center - to_inner * widths[:, None] / 2
    return np.column_stack([center, inner, outer]).astype(np.float64)


def check_waypoints(waypoints: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if a generated track breaks Trackside's design rules."""
    center = waypoints[:, 0:2]
    widths = np.hypot(*(waypoints[:, 4:6] - waypoints[:, 2:4]).T)
    radii = turning_radii(center)
    need = widths[:-1] / 2 + RADIUS_MARGIN_M
    if np.any(radii < need):
        i = int(np.argmin(radii - need))
        raise ValueError(f"{name}: radius {radii[i]:.2f} m at waypoint {i} is below {need[i]:.2f} m")
    p = center[:-1]
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(center, axis=0).T))])
    ds = np.abs(s[:-1, None] - s[None, :-1])
    ds = np.minimum(ds, s[-1] - ds)  # along the loop, either way round
    dist = np.hypot(*(p[:, None, :] - p[None, :, :]).transpose(2, 0, 1))
    need = (widths[:-1, None] + widths[None, :-1]) / 2 + ROAD_GAP_M
    close = (ds > NEIGHBOUR_ARC_M) & (dist < need)
    if close.any():
        i, j = np.argwhere(close)[0]
        raise ValueError(f"{name}: waypoints {i} and {j} are only {dist[i, j]:.2f} m apart")
    spacing = np.hypot(*np.diff(center, axis=0).T)
    if spacing.min() < 0.1 or spacing.max() > 0.3:
        raise ValueError(f"{name}: waypoint spacing {spacing.min():.3f} .. {spacing.max():.3f} m is outside 0.1 .. 0.3 m")
    Track(waypoints, TrackInfo(name=name))  # raises TrackError on any geometric fault


# -- the bundled tracks ----------------------------------------------------------------
# Each layout starts at waypoint 0 heading along +x and turns counter-clockwise overall.
DESIGNS: tuple[TrackDesign, ...] = (
    TrackDesign(
        TrackInfo(
            name="practice_oval",
            display_name="Practice Oval",
            description="Two straights joined by two wide half circles. Start here: a first "
            "model learns to follow the centre line and hold its speed through a steady corner.",
        ),
        (straight(2.5), left(180, 1.6), straight(5.0), left(180, 1.6), straight(2.5)),
        length_m=20.0,
        width_m=0.9,
    ),
    TrackDesign(
        TrackInfo(
            name="workshop_loop",
            display_name="Workshop Loop",
            description="A counter-clockwise loop in the style of the re:Invent 2018 workshop track: "
            "a long start straight, a tight hairpin, a return straight with one gentle right-hand "
            "kink, and a wide double corner back to the start.",
        ),
        (
            straight(2.3), left(180, 0.9),  # start/finish straight, first hairpin
            straight(1.2), right(50, 1.3), straight(None), left(50, 1.3),  # the diagonal kink
            straight(0.8), left(90, 0.9), straight(2.4), left(90, 0.9),  # top, second hairpin
            straight(None),
        ),
        length_m=17.7,
        width_m=0.76,
    ),
    TrackDesign(
        TrackInfo(
            name="beginner_loop",
            display_name="Beginner Loop",
            description="A wide road with only gentle, sweeping corners and a shallow dip along the top. "
            "Forgiving while a model is still learning to stay on the road.",
        ),
        (
            straight(3.0), left(90, 2.0), straight(None), left(90, 2.0),
            left(25, 2.5), right(50, 2.5), left(25, 2.5),  # the dip in the back straight
            left(90, 2.0), straight(1.0), left(90, 2.0), straight(None),
        ),
        length_m=26.0,
        width_m=1.07,
    ),
    TrackDesign(
        TrackInfo(
            name="technical_circuit",
            display_name="Technical Circuit",
            description="A narrow circuit with an S-bend chicane, a tight hairpin that folds the lap back "
            "on itself, and two right-hand corners. Rewards a model that brakes before corners.",
        ),
        (
            straight(2.0), left(90, 1.2), straight(0.8),
            right(45, 1.0), straight(0.5), left(45, 1.0),  # chicane
            straight(0.8), left(90, 1.2), straight(3.0), left(180, 0.7),  # top straight, hairpin
            straight(1.0), right(90, 0.8), straight(None), right(90, 0.8),  # the two right-handers
            straight(None), left(180, 0.75), straight(2.0),
        ),
        length_m=30.0,
        width_m=0.76,
    ),
    TrackDesign(
        TrackInfo(
            name="practice_oval_cup",
            display_name="Oval Cup",
            description="Competition track: a tri-oval whose start straight bends gently outwards at the "
            "line. Train on the Practice Oval; the ends here are a little tighter.",
            trainable=False,
            resembles="practice_oval",
        ),
        (
            left(12, 3.0), straight(3.0), left(168, 1.5), straight(None),
            left(168, 1.5), straight(None), left(12, 3.0),
        ),
        length_m=24.0,
        width_m=0.9,
    ),
    TrackDesign(
        TrackInfo(
            name="workshop_loop_cup",
            display_name="Workshop Cup",
            description="Competition track: the Workshop Loop's theme with a tighter first hairpin, a "
            "sharper kink later in the return straight and one wide sweeping turn home.",
            trainable=False,
            resembles="workshop_loop",
        ),
        (
            straight(2.5), left(180, 0.7),
            straight(2.0), right(65, 1.0), straight(None), left(65, 1.0),
            straight(0.5), left(180, 1.5), straight(None),
        ),
        length_m=19.5,
        width_m=0.76,
    ),
    TrackDesign(
        TrackInfo(
            name="technical_circuit_cup",
            display_name="Technical Cup",
            description="Competition track: a three-part chicane on the start straight, a left and a "
            "right-hand hairpin in a row, and a road that narrows and widens three times a lap.",
            trainable=False,
            resembles="technical_circuit",
        ),
        (
            straight(3.0), left(40, 1.0), straight(0.4), right(80, 1.0), straight(0.4), left(40, 1.0),
            straight(2.0), left(90, 1.2), straight(None), left(90, 0.9), straight(2.0),
            left(180, 0.7), straight(0.6), right(180, 0.8),  # the two hairpins
            straight(None), left(90, 1.2), straight(1.0), left(90, 1.2),
        ),
        length_m=35.0,
        width_m=0.78,
        width_wave_m=0.08,
    ),
)


def write_tracks(out_dir: Path | str, designs: tuple[TrackDesign, ...] = DESIGNS) -> list[Path]:
    """Build, check and write every design as ``NAME.npy`` + ``NAME.json``; return the ``.npy`` paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for design in designs:
        arr = build_waypoints(design)
        check_waypoints(arr, design.info.name)
        path = out_dir / f"{design.info.name}.npy"
        np.save(path, arr)
        meta = {k: v for k, v in asdict(design.info).items() if k != "source"}
        (out_dir / f"{design.info.name}.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    """Regenerate the bundled tracks and print one line per track."""
    from .paths import bundled_tracks_dir

    for path in write_tracks(bundled_tracks_dir()):
        track = Track.load(path)
        print(f"{path.name:28s} {track.length:6.2f} m  width {track.width:.2f} m  {len(track.center)} waypoints")


if __name__ == "__main__":
    main()
