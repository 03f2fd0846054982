"""A DeepRacer-format track of Trackside's own making, shaped like the championship tracks.

The bundled tracks are clean: evenly spaced rows whose inner and outer points lie exactly
opposite the centre point. DeepRacer's own files are not. Their rows come from three polylines
sampled separately, so in a corner the inner border's point of a row lies behind or ahead of
the centre point (the outer border is longer than the inner one), the road is about 1.07 m
wide, laps run 20-30 m with a dozen corners of every radius, and the spacing of the rows
changes along the lap. Benchmarks that claim "a real track" train here.

``write_real_track(folder)`` writes ``bench_real_shape.npy`` (DeepRacer's ``(N, 6)`` array,
m) and returns its path; import it with ``sim.library.import_track``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.trackgen import bspline_loop, layout_points, left, right, straight

NAME = "bench_real_shape"
WIDTH_M = 1.07
"""Road width of DeepRacer's championship tracks, m."""
LENGTH_M = 24.0
"""Centre-line length, m."""
LAYOUT = (
    straight(3.2), left(75, 1.6), straight(1.0), left(40, 2.2),  # a long start, a sweeping double left
    straight(1.0), right(70, 1.2), straight(0.6), left(135, 0.95),  # a right-hander into a hairpin
    straight(None), right(45, 1.4), left(75, 1.3),  # an S along the back
    straight(0.8), left(60, 1.5), straight(None),  # down the far side
    left(70, 1.1), right(25, 1.5), left(45, 1.2),  # a kinked corner onto the start straight
)


def _resample(line: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """``n + 1`` points along a closed polyline ``line`` ``(K + 1, 2)``, denser where ``weights`` is high."""
    seg = np.hypot(*np.diff(line, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    dens = np.concatenate([[0.0], np.cumsum(seg * weights[:-1])])  # arc length stretched by density
    targets = np.linspace(0.0, dens[-1], n + 1)
    s = np.interp(targets, dens, cum)
    out = np.column_stack([np.interp(s, cum, line[:, 0]), np.interp(s, cum, line[:, 1])])
    out[-1] = out[0]
    return out


def real_shape_waypoints() -> np.ndarray:
    """The track's rows ``(N + 1, 6)`` float64, m: centre, inner, outer; closed, counter-clockwise."""
    dense = bspline_loop(layout_points(LAYOUT), samples_per_span=24)
    dense = np.vstack([dense, dense[:1]])
    dense *= LENGTH_M / np.sum(np.hypot(*np.diff(dense, axis=0).T))
    p = dense[:-1]
    tangent = np.roll(p, -1, axis=0) - np.roll(p, 1, axis=0)
    tangent /= np.hypot(*tangent.T)[:, None]
    left_n = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    left_n = np.vstack([left_n, left_n[:1]])
    inner_dense, outer_dense = dense + left_n * WIDTH_M / 2, dense - left_n * WIDTH_M / 2
    # More rows in corners than on straights, as in DeepRacer's files; each line sampled on its own.
    turn = np.abs(np.cross(np.roll(tangent, 1, axis=0), tangent))
    weights = 1.0 + 40.0 * np.convolve(np.append(turn, turn[:1]), np.ones(9) / 9, mode="same")
    n = 110
    rows = [_resample(line, weights, n) for line in (dense, inner_dense, outer_dense)]
    arr = np.column_stack(rows)
    arr -= np.tile(arr[:, 0:2].min(axis=0) - (WIDTH_M / 2 + 0.5), 3)  # positive coordinates, as DeepRacer's
    return arr.astype(np.float64)


def write_real_track(folder: str | Path) -> Path:
    """Write ``bench_real_shape.npy`` into ``folder``; its path."""
    path = Path(folder) / f"{NAME}.npy"
    np.save(path, real_shape_waypoints())
    return path
