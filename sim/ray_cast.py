"""Casting LIDAR beams, exactly and for all cars and beams at once: road edges and object rectangles.

How a scan is computed (no Python loop over cars, beams or objects; exact to floating point, no
sampling):

1. Once per track (cached per :class:`~sim.track.Track` object), a 0.5 m grid lists for
   each cell the border segments that come within ``max_range`` of it.
2. Per scan, each car takes the segments listed for its cell, plus the edges of its own
   obstacles' and bot cars' rectangles, and keeps those whose road side (an object's outside)
   faces the sensor (the first crossing of a beam from the road leaves the road, so only those
   can be met first; from off the road, the reverse). Each such segment spans an arc of
   directions; the beams inside the arc are intersected with it exactly, and every beam keeps
   its nearest crossing.

Step 2 runs in one compiled loop over cars and their candidates (:func:`sim.kernels.cast_fans`,
numba), which reads each cell's list as runs of consecutive segments (:meth:`TrackEdges.candidate_runs`);
:func:`scan_ranges` does a whole LIDAR scan (cells, cast, clipped float32 readings) in one call. The
numpy version, which materialises every (car, segment, beam) entry at once, stays as the reference
(``cast_fans(..., compiled=False)``, :mod:`sim.ray_cast_reference`) and gives the same ranges.

:mod:`sim.sensors` builds DeepRacer's LIDAR and SECTOR_LIDAR on it.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import SimpleNamespace

import numpy as np
import shapely

from sim.raster import Grid, distance_to_segments
from sim.ray_cast_reference import grid_split, splat
from sim.track import Track

CELL_M = 0.5
"""Cell of the grid that lists the segments near a sensor, m."""
GRID_MARGIN_M = 1.0
"""Grid extent beyond the borders' bounding box, m; sensors farther out test every segment."""
ANGLE_TOL_RAD = 2e-3
"""Slack when picking the beams a segment spans (float32 angles); exact tests follow."""


@dataclass(eq=False)
class TrackEdges:
    """The border segments of a track, as the ray caster uses them. ``S`` segments.

    Attributes:
        ax, ay, ex, ey: ``(S + 1,)`` float64, segment start and start-to-end vector, m; the
            last entry is a zero-length dummy that pads candidate lists.
        road_left: ``(S + 1,)`` float64, +1 where the road lies left of the segment, else -1.
        grid: the 0.5 m grid of the candidate lists.
        road: the track's road polygon (for on-road tests of ray origins).
        x_ref, y_ref: a point near the track's centre; float32 copies of the segments
            (``*32``) are stored relative to it, with each segment's line as
            ``nx * x + ny * y = c``, ``(nx, ny)`` pointing to the road side (zero for the dummy).
    """

    ax: np.ndarray
    ay: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    road_left: np.ndarray
    grid: Grid
    road: object
    x_ref: float
    y_ref: float
    ax32: np.ndarray
    ay32: np.ndarray
    ex32: np.ndarray
    ey32: np.ndarray
    nx32: np.ndarray
    ny32: np.ndarray
    c32: np.ndarray
    tables: dict = dataclass_field(default_factory=dict, repr=False)
    """Candidate tables per reach, see :meth:`candidates`."""

    @property
    def n_segments(self) -> int:
        return len(self.ax) - 1

    def candidates(self, reach: float) -> tuple[np.ndarray, np.ndarray]:
        """The segments a sensor may see within ``reach``, built on first use per reach.

        Returns ``table (cells, K)`` int32, the segments that come within ``reach`` of each
        grid cell (flat index ``i * ny + j``), padded with the dummy segment; and ``every
        (1, S)`` int32, all segments, for sensors off the grid.
        """
        key = float(reach)
        if key not in self.tables:
            a = np.stack([self.ax[:-1], self.ay[:-1]], axis=1)
            b = a + np.stack([self.ex[:-1], self.ey[:-1]], axis=1)
            g = self.grid
            dist = np.stack([distance_to_segments(g, a, b, i) for i in range(g.nx)]).reshape(g.nx * g.ny, -1)
            near = dist <= reach + g.cell * np.sqrt(0.5)  # anywhere in the cell
            near = np.vstack([near, np.ones((1, near.shape[1]), dtype=bool)])
            counts = near.sum(axis=1)
            k = max(int(counts[:-1].max(initial=0)), 1)
            order = np.argsort(~near[:-1], axis=1, kind="stable")[:, :k]
            table = np.where(np.arange(k)[None, :] < counts[:-1, None], order, self.n_segments).astype(np.int32)
            self.tables[key] = (table, np.arange(self.n_segments, dtype=np.int32)[None, :])
        return self.tables[key]

    def candidate_runs(self, reach: float) -> np.ndarray:
        """The rows of :meth:`candidates` as runs of consecutive segments: ``(cells, R, 2)`` int64
        ``first, end`` (end exclusive), padded with empty runs. A border line's segments are
        consecutive, so a cell's list is a few runs; the compiled ray cast reads each run as one
        contiguous slice, which lets it work on several segments at once."""
        key = ("runs", float(reach))
        if key not in self.tables:
            table = self.candidates(reach)[0]
            real = table < self.n_segments
            # A run starts (ends) where a listed segment does not follow the previous (next) one.
            follows = real[:, 1:] & real[:, :-1] & (table[:, 1:] == table[:, :-1] + 1)
            none = np.zeros((len(table), 1), dtype=bool)
            starts = real & ~np.hstack([none, follows])
            ends = real & ~np.hstack([follows, none])
            per_cell = starts.sum(axis=1)
            runs = np.zeros((len(table), max(int(per_cell.max(initial=0)), 1), 2), dtype=np.int64)
            rows = np.repeat(np.arange(len(table)), per_cell)
            slot = np.arange(len(rows)) - np.repeat(np.cumsum(per_cell) - per_cell, per_cell)
            runs[rows, slot, 0] = table[starts]
            runs[rows, slot, 1] = table[ends] + 1
            self.tables[key] = runs
        return self.tables[key]


_EDGES: "weakref.WeakKeyDictionary[Track, TrackEdges]" = weakref.WeakKeyDictionary()


def track_edges(track: Track) -> TrackEdges:
    """The ray caster's view of ``track``, built on first use and cached per Track object."""
    edges = _EDGES.get(track)
    if edges is None:
        edges = _build_edges(track)
        _EDGES[track] = edges
    return edges


def border_lines(track: Track) -> list[np.ndarray]:
    """The border lines a beam can meet, each a ``(P, 2)`` polyline, m: inner, outer, then (open track) the caps."""
    lines = [track.inner, track.outer]
    if not track.closed:
        lines += [np.array([track.inner[0], track.outer[0]]), np.array([track.inner[-1], track.outer[-1]])]
    out = []
    for line in lines:
        keep = np.ones(len(line), dtype=bool)
        keep[1:] = np.hypot(*np.diff(line, axis=0).T) > 1e-9
        out.append(line[keep])
    return out


def _build_edges(track: Track) -> TrackEdges:
    lines = border_lines(track)
    a = np.vstack([ln[:-1] for ln in lines])
    b = np.vstack([ln[1:] for ln in lines])
    sizes = np.array([len(ln) - 1 for ln in lines])
    ex, ey = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    road_left = np.empty(len(lines))
    start = 0
    for k, size in enumerate(sizes):
        # Which side of this line is road: vote over a few segments, a millimetre to the left.
        i = np.linspace(start, start + size - 1, min(9, size)).astype(int)
        mid = (a[i] + b[i]) / 2 + 1e-3 * np.stack([-ey[i], ex[i]], axis=1) / np.hypot(ex[i], ey[i])[:, None]
        road_left[k] = 1.0 if track.on_road(mid).mean() >= 0.5 else -1.0
        start += size
    lo, hi = np.minimum(a, b).min(axis=0), np.maximum(a, b).max(axis=0)
    grid = Grid.around((lo[0], lo[1], hi[0], hi[1]), CELL_M, GRID_MARGIN_M)
    x_ref, y_ref = float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2)
    pad = lambda v, fill=0.0: np.append(v, fill)  # noqa: E731 - the dummy segment
    f32 = lambda v: v.astype(np.float32)  # noqa: E731
    ax, ay, ex, ey = pad(a[:, 0]), pad(a[:, 1]), pad(ex), pad(ey)
    left = pad(np.repeat(road_left, sizes), 1.0)
    nx, ny = -ey * left, ex * left
    c = nx * (ax - x_ref) + ny * (ay - y_ref)
    return TrackEdges(ax, ay, ex, ey, left, grid, track.road, x_ref, y_ref,
                      f32(ax - x_ref), f32(ay - y_ref), f32(ex), f32(ey), f32(nx), f32(ny), f32(c))


def cast_fans(edges: TrackEdges, ox: np.ndarray, oy: np.ndarray, heading: np.ndarray, angles: np.ndarray,
              max_range: float, on_road: np.ndarray, corners: np.ndarray | None = None,
              compiled: bool = True) -> np.ndarray:
    """Ranges of a fan of evenly spaced beams from each of ``n`` origins: ``(n, B)`` float64, ``inf`` for no hit.

    Args:
        edges: from :func:`track_edges`.
        ox, oy, heading: origins ``(n,)``, m, and headings ``(n,)``, radians.
        angles: beam directions relative to the heading ``(B,)``, radians, evenly spaced,
            increasing and within ``[-pi, pi]``.
        max_range: longest distance searched, m.
        on_road: ``(n,)`` bool, whether each origin is on the road.
        corners: optional rectangles of each car's own objects ``(n, m, 4, 2)``, counter-clockwise
            (:meth:`sim.objects.ObjectState.corners`), m, whose edges stop that car's beams too: they
            join the car's candidate segments, so one pass intersects road edges and objects.
        compiled: loop over cars in :func:`sim.kernels.cast_fans` (the fast path); False runs the
            numpy reference, which materialises every (car, segment, beam) entry.
    """
    ox, oy, heading = (np.asarray(v, dtype=np.float64).ravel() for v in (ox, oy, heading))
    angles = np.asarray(angles, dtype=np.float64).ravel()
    n, n_beams = len(ox), len(angles)
    side = np.where(np.asarray(on_road, dtype=bool).ravel(), 1.0, -1.0)
    table, every = edges.candidates(max_range)
    if compiled:
        best = _cast_compiled(edges, edges.candidate_runs(max_range), (ox, oy, heading), angles, side, corners)
        best[best > max_range] = np.inf
        return best
    best = np.full(n * n_beams, np.inf)
    own = None
    if corners is not None and corners.shape[1]:
        edges, own = _with_object_edges(edges, corners, side)
    g = edges.grid
    i = np.floor((ox - g.x0) / g.cell).astype(np.intp)
    j = np.floor((oy - g.y0) / g.cell).astype(np.intp)
    on_grid = (i >= 0) & (i < g.nx) & (j >= 0) & (j < g.ny)
    if on_grid.all():  # the usual case: no index lists needed
        cars = np.arange(n)
        cand = table[i * g.ny + j]
        splat(edges, cand if own is None else np.hstack([cand, own]), cars, ox, oy, heading, side, angles, best,
              ANGLE_TOL_RAD)
    else:
        for cars, cand in grid_split(on_grid, table, every, i * g.ny + j):
            cand = cand if own is None else np.hstack([cand, own[cars]])
            splat(edges, cand, cars, ox, oy, heading, side, angles, best, ANGLE_TOL_RAD)
    best[best > max_range] = np.inf
    return best.reshape(n, n_beams)


def _cast_compiled(edges: TrackEdges, runs: np.ndarray, pose: tuple, angles: np.ndarray, side: np.ndarray,
                   corners: np.ndarray | None) -> np.ndarray:
    """:func:`cast_fans` through the compiled kernel: nearest crossings ``(n, B)``, not yet cut at the range."""
    # Imported here, not at the top: importing numba costs every CLI command ~0.2 s.
    from sim import kernels

    ox, oy, heading = pose
    n, n_track = len(ox), edges.n_segments
    own = np.zeros((n, 0), dtype=np.int64)
    if corners is not None and corners.shape[1]:
        edges, own = _with_object_edges(edges, corners, side, kernel_only=True)
    g = edges.grid
    i = np.floor((ox - g.x0) / g.cell).astype(np.int64)
    j = np.floor((oy - g.y0) / g.cell).astype(np.int64)
    cell = np.where((i >= 0) & (i < g.nx) & (j >= 0) & (j < g.ny), i * g.ny + j, -1)
    step = (angles[-1] - angles[0]) / (len(angles) - 1) if len(angles) > 1 else 1.0
    best = np.full((n, len(angles)), np.inf)
    kernels.cast_fans((edges.ax, edges.ay, edges.ex, edges.ey, edges.nx32, edges.ny32, edges.c32),
                      edges.x_ref, edges.y_ref, runs, cell, n_track, own,
                      (ox, oy, np.cos(heading), np.sin(heading)), side,
                      (np.cos(angles), np.sin(angles), float(angles[0]), float(step), ANGLE_TOL_RAD), best)
    return best


@dataclass(eq=False)
class Fan:
    """A LIDAR's evenly spaced beams and readings, as :func:`scan_ranges` takes them (built once per sensor).

    Attributes:
        angles: beam directions relative to the heading ``(B,)``, radians, increasing, within ``[-pi, pi]``.
        min_range, max_range: the readings' limits, m.
    """

    angles: np.ndarray
    min_range: float
    max_range: float

    def __post_init__(self):
        self.angles = np.asarray(self.angles, dtype=np.float64).ravel()
        a = self.angles
        step = (a[-1] - a[0]) / (len(a) - 1) if len(a) > 1 else 1.0
        self.beams = (np.cos(a), np.sin(a), float(a[0]), float(step), ANGLE_TOL_RAD)
        """The kernel's ``fan`` argument (:func:`sim.kernels.cast_fans`)."""


def scan_ranges(edges: TrackEdges, ox: np.ndarray, oy: np.ndarray, cos_h: np.ndarray, sin_h: np.ndarray,
                fan: Fan, on_road: np.ndarray, corners: np.ndarray | None = None) -> np.ndarray:
    """LIDAR readings ``(n, B)`` float32, m: :func:`cast_fans` clipped to ``[fan.min_range, fan.max_range]``
    (no hit reads ``max_range``), in one compiled call (:func:`sim.kernels.scan_ranges`).

    Args:
        ox, oy: sensor positions ``(n,)`` float64, m; ``cos_h``, ``sin_h``: cosines and sines of the
            headings ``(n,)`` (``np.cos``/``np.sin``, as :func:`cast_fans` takes them).
        on_road: ``(n,)`` bool; ``corners``: as :func:`cast_fans` takes them.
    """
    from sim import kernels  # not at the top: importing numba costs every CLI command ~0.2 s

    g, runs = edges.grid, edges.candidate_runs(fan.max_range)
    own, n_track = _NO_OBJECTS, edges.n_segments
    if corners is not None and corners.shape[1]:
        edges, own = _with_object_edges(edges, corners, np.where(on_road, 1.0, -1.0), kernel_only=True)
    return kernels.scan_ranges((edges.ax, edges.ay, edges.ex, edges.ey, edges.nx32, edges.ny32, edges.c32),
                               edges.x_ref, edges.y_ref, runs, (g.x0, g.y0, g.cell, g.nx, g.ny), n_track, own,
                               (ox, oy, cos_h, sin_h), on_road, fan.beams, (fan.min_range, fan.max_range))


_NO_OBJECTS = np.zeros((1, 0), dtype=np.int64)
"""No object edges (the kernel reads only the width of ``own`` then)."""


_NEXT_CORNER = np.array([1, 2, 3, 0])
"""Each rectangle corner's successor (its edge runs from the corner to it)."""


def _with_object_edges(edges: TrackEdges, corners: np.ndarray, side: np.ndarray, kernel_only: bool = False):
    """The track's segments followed by the edges of every car's own object rectangles, and each
    car's object-edge indices ``(n, 4 m)`` into them. ``kernel_only``: only the arrays the compiled
    kernel reads (not the float32 starts and directions of the numpy reference).

    An object's outside is what a beam meets first from either side of the road, so each car's
    object normals are flipped by that car's ``side`` (-1 off the road): the reference's
    :func:`sim.ray_cast_reference.splat` flips them back.
    """
    n, per = corners.shape[0], corners.shape[1] * 4
    a = corners.reshape(-1, 2)
    e = (corners[:, :, _NEXT_CORNER] - corners).reshape(-1, 2)
    flip = np.repeat(side, per)
    nx, ny = e[:, 1] * flip, -e[:, 0] * flip  # outward normals of counter-clockwise rectangles
    c = nx * (a[:, 0] - edges.x_ref) + ny * (a[:, 1] - edges.y_ref)
    f32, cat = np.float32, np.concatenate
    if kernel_only:  # the track's part stays in this thread's buffers; only the objects' part is written
        buf, own = _joined(edges, n, per)
        tail = slice(len(edges.ax), None)
        for name, value in (("ax", a[:, 0]), ("ay", a[:, 1]), ("ex", e[:, 0]), ("ey", e[:, 1]),
                            ("nx32", nx), ("ny32", ny), ("c32", c)):
            buf[name][tail] = value  # float32 buffers round as astype does
        return SimpleNamespace(grid=edges.grid, x_ref=edges.x_ref, y_ref=edges.y_ref, **buf), own
    both = SimpleNamespace(
        grid=edges.grid, x_ref=edges.x_ref, y_ref=edges.y_ref,
        ax=cat([edges.ax, a[:, 0]]), ay=cat([edges.ay, a[:, 1]]), ex=cat([edges.ex, e[:, 0]]), ey=cat([edges.ey, e[:, 1]]),
        nx32=cat([edges.nx32, nx.astype(f32)]), ny32=cat([edges.ny32, ny.astype(f32)]), c32=cat([edges.c32, c.astype(f32)]))
    both.ax32, both.ay32 = cat([edges.ax32, (a[:, 0] - edges.x_ref).astype(f32)]), cat([edges.ay32, (a[:, 1] - edges.y_ref).astype(f32)])
    both.ex32, both.ey32 = cat([edges.ex32, e[:, 0].astype(f32)]), cat([edges.ey32, e[:, 1].astype(f32)])
    own = (len(edges.ax) + np.arange(n * per)).reshape(n, per)
    return both, own


def _joined(edges: TrackEdges, n: int, per: int) -> tuple[dict, np.ndarray]:
    """Buffers of the arrays the kernel reads, the track's segments followed by room for ``n * per``
    object edges, and the object edges' indices ``(n, per)``: made once per (edges, size, thread)."""
    key = ("objects", n, per, threading.get_ident())
    if key not in edges.tables:
        room = n * per
        buf = {name: np.concatenate([getattr(edges, name), np.zeros(room, getattr(edges, name).dtype)])
               for name in ("ax", "ay", "ex", "ey", "nx32", "ny32", "c32")}
        edges.tables[key] = buf, (len(edges.ax) + np.arange(room)).reshape(n, per)
    return edges.tables[key]


def cast_rays(edges: TrackEdges, ox: np.ndarray, oy: np.ndarray, theta: np.ndarray, max_range: float,
              on_road: np.ndarray | None = None) -> np.ndarray:
    """Distance along single rays ``(R,)`` (directions ``theta``, radians) to the first border line; ``inf`` if none.

    ``on_road`` (``(R,)`` bool) says whether each origin is on the road; computed if not given.
    """
    ox = np.asarray(ox, dtype=np.float64).ravel()
    oy = np.asarray(oy, dtype=np.float64).ravel()
    if on_road is None:
        on_road = shapely.intersects_xy(edges.road, ox, oy)
    return cast_fans(edges, ox, oy, theta, np.zeros(1), max_range, on_road)[:, 0]
