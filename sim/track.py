"""Tracks: a centre line with inner and outer borders, in DeepRacer's ``.npy`` format.

A track file is an ``(N, 6)`` float64 array with columns
``center_x, center_y, inner_x, inner_y, outer_x, outer_y`` in metres. A closed loop
repeats its first row as its last; an open track (a straight) does not.

Geometry is checked and set up with shapely once; everything the simulator calls
per step (projection onto the centre line, local width, on-road tests) works on
numpy arrays. Arc length ``s`` is measured along the centre line from waypoint 0
in the file's own order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LinearRing, LineString, Polygon

from .errors import TracksideError
from .road_cells import RoadCells
from .track_grid import CandidateGrid, StackedGrids, nearest_points_brute

CLOSED_TOLERANCE_M = 1e-3
"""First and last centre points closer than this make a closed loop."""
MAX_WAYPOINTS = 20_000
"""Most rows a track file may have (DeepRacer's tracks have 50-300; the simulator's set-up grows with them)."""
MAX_LENGTH_M = 1000.0
"""Longest centre line accepted, m (DeepRacer's longest tracks are under 100 m)."""
MAX_EXTENT_M = 60.0
"""Widest a track may span in x or y, m (DeepRacer's fit in about 30 x 20 m): the simulator's lookup
grids and the camera's road texture (5 mm texels) cover the whole area."""
MAX_SETUP_WORK = 15_000_000
"""Most (lookup-grid cell, segment) pairs the set-up may compare, a few seconds' work: waypoints
times area, so a small track may be detailed and a large one coarser."""
MAX_WIDTH_M = 5.0
"""Widest median road accepted, m (DeepRacer roads are 0.6 .. 1.07 m)."""


class TrackError(TracksideError):
    """A track that cannot be used. The message names the file and the problem."""


@dataclass(frozen=True)
class TrackInfo:
    """What a person reads about a track, kept beside its ``.npy`` as ``NAME.json``."""

    name: str
    """File stem and the name used on the command line, e.g. ``workshop_loop``."""
    display_name: str = ""
    """Human title, e.g. "Workshop Loop"."""
    description: str = ""
    """One or two sentences on the track's character."""
    trainable: bool = True
    """False for competition tracks: league races run on them, nobody trains on them."""
    resembles: str | None = None
    """For a competition track, the trainable practice track most like it."""
    source: str = "bundled"
    """``bundled`` (shipped in ``tracks/``) or ``imported`` (in the user's home)."""


@dataclass(frozen=True)
class Projection:
    """Where points lie relative to the centre line. All arrays have shape ``(K,)``."""

    s: np.ndarray
    """Arc length of the nearest centre-line point from waypoint 0, m."""
    segment: np.ndarray
    """Index i of the nearest segment (waypoint i to i+1), int."""
    distance: np.ndarray
    """Distance to the nearest centre-line point, m (>= 0)."""
    left: np.ndarray
    """True where the point is left of the centre line, facing the file's direction."""


class Track:
    """A validated track with its derived arrays.

    Attributes (N waypoints, M = N - 1 segments):
        waypoints: ``(N, 6)`` float64, the file's array.
        center, inner, outer: ``(N, 2)`` float64, m.
        closed: the loop repeats its first point.
        cum_s: ``(N,)`` arc length at each waypoint, m; ``length`` = ``cum_s[-1]``.
        widths: ``(N,)`` road width at each waypoint as DeepRacer measures it (:meth:`width_at`), m.
    """

    def __init__(self, waypoints: np.ndarray, info: TrackInfo, *, path: Path | str | None = None):
        self.path = Path(path) if path is not None else None
        where = str(self.path) if self.path else f"track {info.name!r}"
        arr = _check_array(waypoints, where)
        self.waypoints = arr
        self.info = info
        self.center = arr[:, 0:2].copy()
        self.inner = arr[:, 2:4].copy()
        self.outer = arr[:, 4:6].copy()
        self.closed = bool(np.linalg.norm(self.center[0] - self.center[-1]) < CLOSED_TOLERANCE_M)
        _check_geometry(self.center, self.inner, self.outer, self.closed, where)

        self.seg_start = self.center[:-1]
        self.seg_vec = np.diff(self.center, axis=0)
        self.seg_len = np.hypot(self.seg_vec[:, 0], self.seg_vec[:, 1])
        self.cum_s = np.concatenate([[0.0], np.cumsum(self.seg_len)])
        self.length = float(self.cum_s[-1])
        # The inner border is on the left of the driving direction when, on average,
        # it lies on the positive side of the segment normals.
        offs = self.inner[:-1] - self.seg_start
        self.inner_is_left = bool(np.sum(self.seg_vec[:, 0] * offs[:, 1] - self.seg_vec[:, 1] * offs[:, 0]) > 0)
        self.road = _road_polygon(self.inner, self.outer, self.closed)
        shapely.prepare(self.road)
        self._grid = CandidateGrid(self.seg_start, self.seg_vec, self.seg_len)

    # -- identity -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.info.name

    @property
    def width(self) -> float:
        """Median road width, m (real tracks are 0.6 .. 1.07 m)."""
        return float(np.median(self.widths))

    @property
    def is_ccw(self) -> bool:
        """True if a closed loop runs counter-clockwise in the file's order."""
        x, y = self.center[:, 0], self.center[:, 1]
        return bool(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) > 0)

    def __repr__(self) -> str:
        kind = "closed" if self.closed else "open"
        return f"Track({self.name!r}, {kind}, {self.length:.2f} m, {len(self.center)} waypoints)"

    # -- files ----------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, info: TrackInfo | None = None) -> "Track":
        """Read a DeepRacer ``.npy`` file; raise :class:`TrackError` naming the file."""
        path = Path(path)
        check_npy_header(path)  # before anything is allocated from what the file says
        try:
            arr = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise TrackError(f"{path}: no such track file") from None
        except (ValueError, OSError, EOFError) as exc:
            raise TrackError(f"{path}: not a readable .npy array ({exc})") from None
        if not isinstance(arr, np.ndarray):  # an .npz archive
            arr.close()
            raise TrackError(f"{path}: an .npz archive, not a single .npy array of shape (N, 6)")
        return cls(arr, info or TrackInfo(name=path.stem, display_name=path.stem), path=path)

    def save(self, path: str | Path) -> None:
        """Write the ``(N, 6)`` float64 array DeepRacer tools read."""
        np.save(Path(path), self.waypoints.astype(np.float64))

    def reversed(self) -> "Track":
        """The same road driven the other way: rows in reverse order."""
        return Track(self.waypoints[::-1].copy(), replace(self.info), path=None)

    # -- geometry for the hot path ----------------------------------------------------
    def project(self, xy: np.ndarray) -> Projection:
        """Nearest points on the centre line for ``xy`` of shape ``(K, 2)``, exact (one compiled call,
        :func:`sim.step_kernels.project_points`, where the lookup grid answers; else numpy)."""
        from sim.step_kernels import project_points  # numba: imported on first use, not by every CLI command
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        out, left = np.empty((3, len(xy))), np.empty(len(xy), dtype=bool)
        if project_points(xy[:, 0], xy[:, 1], self._grid.kernel_args, (self.cum_s, self.seg_len, self.closed), out, left):
            return Projection(s=out[0], segment=out[1].astype(np.int64), distance=out[2], left=left)
        seg, t, dist2, cross = self._grid.nearest(xy, compiled=False)
        s = self.cum_s[seg] + t * self.seg_len[seg]
        wrap = self.closed & (s >= self.length)  # a loop's last segment ends where segment 0 starts: 0, not length
        return Projection(s=np.where(wrap, 0.0, s), segment=np.where(wrap, 0, seg), distance=np.sqrt(dist2), left=cross > 0)

    def wrap_s(self, s: np.ndarray) -> np.ndarray:
        """Arc length wrapped into ``[0, length)`` for a loop, clipped for an open track."""
        if self.closed:
            return np.mod(s, self.length)
        return np.clip(s, 0.0, self.length)

    def segment_at(self, s: np.ndarray) -> np.ndarray:
        """Index of the segment holding arc length ``s`` (after wrapping)."""
        s = self.wrap_s(np.asarray(s, dtype=np.float64))
        return np.minimum(np.maximum(np.searchsorted(self.cum_s, s, side="right") - 1, 0), len(self.seg_len) - 1)

    def point_at(self, s: np.ndarray, compiled: bool = True) -> np.ndarray:
        """Centre-line points at arc lengths ``s`` ``(K,)``: shape ``(K, 2)``, m. ``compiled``: in one
        call of :func:`sim.step_kernels.points_at` (the same values); False: numpy."""
        if compiled:
            return self.pose_at(s)[0]
        s = self.wrap_s(np.atleast_1d(np.asarray(s, dtype=np.float64)))
        i = self.segment_at(s)
        t = (s - self.cum_s[i]) / np.maximum(self.seg_len[i], 1e-12)
        return self.seg_start[i] + t[:, None] * self.seg_vec[i]

    def pose_at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`point_at` ``(K, 2)`` and :meth:`heading_at` ``(K,)`` of arc lengths ``s`` ``(K,)`` in one
        compiled call (:func:`sim.step_kernels.points_at`), the same values."""
        from sim.step_kernels import points_at  # numba: imported on first use, not by every CLI command
        s = np.ascontiguousarray(np.atleast_1d(s), dtype=np.float64).ravel()
        out = np.empty((3, len(s)))
        points_at(s, self.line_arrays, self.closed, out)
        return out[:2].T, self._seg_heading[out[2].astype(np.int64)]

    def heading_at(self, s: np.ndarray) -> np.ndarray:
        """Direction of the centre line at ``s`` in the file's order, radians."""
        return self._seg_heading[self.segment_at(np.atleast_1d(s))]

    @cached_property
    def _seg_heading(self) -> np.ndarray:
        """Each centre-line segment's direction ``(N - 1,)``, radians (numpy's arctan2 gives each
        element the same value whatever the array around it)."""
        return np.arctan2(self.seg_vec[:, 1], self.seg_vec[:, 0])

    @cached_property
    def line_arrays(self) -> tuple:
        """The centre line as :func:`sim.step_kernels.points_at` reads it."""
        return (self.cum_s, self.seg_len, *(np.ascontiguousarray(a) for a in (*self.seg_start.T, *self.seg_vec.T)))

    @cached_property
    def widths(self) -> np.ndarray:
        """``(N,)`` road width at each centre waypoint, measured as :meth:`width_at` does, m (checked
        against every border segment: no lookup grids are built for a track only listed or shown)."""
        if len(self.center) > 2000:
            return self.width_at(self.cum_s)
        ends = [nearest_points_brute(line[:-1], np.diff(line, axis=0), self.center) for line in self._border_lines]
        return np.hypot(*(ends[1] - ends[0]).T)

    @cached_property
    def _border_lines(self) -> tuple[np.ndarray, np.ndarray]:
        """The inner and outer border polylines ``(N or N+1, 2)``, a loop's closed as shapely's LinearRing closes it."""
        lines = []
        for line in (self.inner, self.outer):
            if self.closed and not np.array_equal(line[0], line[-1]):
                line = np.vstack([line, line[:1]])
            lines.append(line)
        return lines[0], lines[1]

    @cached_property
    def _border_grids(self) -> tuple[CandidateGrid, CandidateGrid]:
        """Nearest-segment lookups for the inner and outer border lines (built on first use)."""
        grids = []
        for line in self._border_lines:
            vec = np.diff(line, axis=0)
            grids.append(CandidateGrid(line[:-1], vec, np.hypot(vec[:, 0], vec[:, 1])))
        return grids[0], grids[1]

    @cached_property
    def _border_stack(self) -> StackedGrids:
        """Both border grids, queried in one pass."""
        return StackedGrids(list(self._border_grids))

    def border_points_at(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The nearest points ``(K, 2)`` of the inner and of the outer border line to the centre-line
        points at arc lengths ``s`` ``(K,)``, m (each by projection onto its border polyline)."""
        from sim.step_kernels import border_points  # numba: imported on first use, not by every CLI command
        flat = np.ascontiguousarray(s, dtype=np.float64).ravel()
        out = np.empty((4, len(flat)))
        inner, outer = self._border_grids
        if border_points(flat, self.line_arrays, self.closed, inner.kernel_args, outer.kernel_args, out):
            return out[:2].T, out[2:].T
        inner, outer = self._border_stack.nearest_points(self.point_at(s))
        return inner, outer

    def width_at(self, s: np.ndarray) -> np.ndarray:
        """Road width at arc lengths ``s`` (any shape; the result has the same) as DeepRacer measures ``track_width``, m:
        the distance between the nearest points of the inner and of the outer border to the centre
        point (``track_data.get_nearest_points`` in deepracer-simapp ``bundle/markov/track_geom``).
        Not the distance between a file row's inner and outer points, which on older tracks are
        not opposite each other. The same in either driving direction."""
        s = np.asarray(s, dtype=np.float64)
        inner, outer = self.border_points_at(s.reshape(-1))
        return np.hypot(*(outer - inner).T).reshape(s.shape)

    def on_road(self, xy: np.ndarray) -> np.ndarray:
        """True where points ``(..., 2)`` lie on the road; the border lines count as road
        (``shapely.intersects_xy`` with :attr:`road`, answered by table lookup where it can be:
        :mod:`sim.road_cells`)."""
        xy = np.asarray(xy, dtype=np.float64)
        return self._road_cells.on_road(xy[..., 0], xy[..., 1])

    @cached_property
    def _road_cells(self) -> RoadCells:
        """The on-road table (built on first use: a track only listed or drawn never needs it)."""
        return RoadCells(self.road)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(min_x, min_y, max_x, max_y)`` of the road, m."""
        pts = np.vstack([self.inner, self.outer, self.center])
        return (*pts.min(axis=0), *pts.max(axis=0))


# ---------------------------------------------------------------------------------
def _check_array(waypoints: np.ndarray, where: str) -> np.ndarray:
    arr = np.asarray(waypoints)
    if arr.dtype.kind not in "fiu":
        raise TrackError(f"{where}: expected a numeric array, found dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != 6:
        raise TrackError(
            f"{where}: expected shape (N, 6) with columns center_x, center_y, inner_x, inner_y, "
            f"outer_x, outer_y; found shape {arr.shape}"
        )
    if arr.shape[0] < 3:
        raise TrackError(f"{where}: a track needs at least 3 waypoints, found {arr.shape[0]}")
    if arr.shape[0] > MAX_WAYPOINTS:
        raise TrackError(f"{where}: {arr.shape[0]} waypoints is more than Trackside takes ({MAX_WAYPOINTS}; "
                         "DeepRacer tracks have a few hundred): thin it out")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise TrackError(f"{where}: waypoint row {row} holds NaN or infinity; every value must be a finite number of metres")
    _check_scale(arr, where)
    return arr


def _check_scale(arr: np.ndarray, where: str) -> None:
    """Refuse, quickly and by name, a track in the wrong unit or too big to simulate: every later
    set-up step (shapely, the lookup grids, the sensors) costs in proportion to the area."""
    width = float(np.median(np.hypot(arr[:, 4] - arr[:, 2], arr[:, 5] - arr[:, 3])))
    if width > MAX_WIDTH_M:
        unit = "millimetres" if width >= 300 else "centimetres" if width >= 30 else None
        hint = (f"looks like {unit}; DeepRacer tracks are in metres (divide every value by "
                f"{1000 if unit == 'millimetres' else 100})") if unit else \
            f"more than {MAX_WIDTH_M:g} m; DeepRacer tracks are in metres, roads 0.6 .. 1.07 m wide"
        raise TrackError(f"{where}: a median road width of {width:g} {hint}")
    center = arr[:, 0:2]
    length = float(np.sum(np.hypot(*np.diff(center, axis=0).T)))
    if length > MAX_LENGTH_M:
        raise TrackError(f"{where}: the centre line is {length:.0f} m long, more than Trackside takes "
                         f"({MAX_LENGTH_M:g} m); DeepRacer tracks are in metres and under 100 m long")
    span = np.ptp(arr.reshape(-1, 2), axis=0)
    if span.max() > MAX_EXTENT_M:
        raise TrackError(f"{where}: the track spans {span[0]:.0f} x {span[1]:.0f} m, more than Trackside takes "
                         f"({MAX_EXTENT_M:g} m either way); DeepRacer tracks are in metres")
    g = CandidateGrid
    cells = np.prod(np.ceil((span + 2 * g.MARGIN_M) / g.CELL_M) + 1)
    if cells * (len(arr) - 1) > MAX_SETUP_WORK:
        most = int(MAX_SETUP_WORK // cells)
        raise TrackError(f"{where}: {len(arr)} waypoints over {span[0]:.0f} x {span[1]:.0f} m is more detail than "
                         f"Trackside can set up; use at most {most} waypoints for a track this size")


def check_npy_header(path: Path) -> None:
    """Read only the ``.npy`` header: a file claiming a huge or non-numeric array (an object array
    would need pickle, which never runs) is refused before any memory is given to it."""
    try:
        with open(path, "rb") as fh:
            if fh.read(2) == b"PK":
                raise TrackError(f"{path}: an .npz archive, not a single .npy array of shape (N, 6)")
            fh.seek(0)
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_2_0 if version >= (2, 0) else np.lib.format.read_array_header_1_0
            shape, _fortran, dtype = read(fh)
    except FileNotFoundError:
        raise TrackError(f"{path}: no such track file") from None
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise TrackError(f"{path}: not a readable .npy array ({str(exc)[:200]})") from None
    if dtype.hasobject or dtype.kind not in "fiu":
        raise TrackError(f"{path}: expected a numeric array, found dtype {dtype}")
    if len(shape) != 2 or shape[1] != 6:
        raise TrackError(f"{path}: expected shape (N, 6) with columns center_x, center_y, inner_x, inner_y, "
                         f"outer_x, outer_y; found shape {shape}")
    if shape[0] > MAX_WAYPOINTS:
        raise TrackError(f"{path}: {shape[0]} waypoints is more than Trackside takes ({MAX_WAYPOINTS}; "
                         "DeepRacer tracks have a few hundred): thin it out")


def _check_geometry(center, inner, outer, closed: bool, where: str) -> None:
    if closed:
        unique = center[:-1]
        if len(unique) < 3:
            raise TrackError(f"{where}: a closed loop needs at least 3 distinct waypoints")
        line = LinearRing(unique)
    else:
        line = LineString(center)
    if line.length <= 0:
        raise TrackError(f"{where}: the centre line has zero length")
    if not line.is_simple:
        raise TrackError(f"{where}: the centre line crosses itself; a track must not intersect itself")
    for name, border in (("inner", inner), ("outer", outer)):
        b = LineString(border)
        if b.intersects(line):
            raise TrackError(f"{where}: the {name} border crosses the centre line")
    if LineString(inner).intersects(LineString(outer)):
        raise TrackError(f"{where}: the inner and outer borders cross each other")


def _road_polygon(inner: np.ndarray, outer: np.ndarray, closed: bool) -> Polygon:
    if closed:
        a, b = Polygon(inner), Polygon(outer)
        shell, hole = (outer, inner) if b.area >= a.area else (inner, outer)
        road = Polygon(shell, holes=[hole])
    else:
        road = Polygon(np.vstack([inner, outer[::-1]]))
    if not road.is_valid:
        road = shapely.make_valid(road)
    return road
