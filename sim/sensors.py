"""Range sensors: LIDAR and SECTOR_LIDAR, vectorised over cars and beams.

The 2D world has no walls, so a beam measures the distance to the **road edge** (and to
obstacles and bot cars, whose collision rectangles' edges are tested for every car and beam
at once, :func:`cast_objects`): the
first point where it meets a border line (the track's inner and outer borders, plus the
two end caps of an open track: the boundary of ``track.road``). Readings are clipped to
``[min_range, max_range]``; a beam that meets no edge within range reads ``max_range``.

A car whose sensor is off the road sees the border lines the same way: each beam reads
the distance to the first border line it meets (the edge of the road it left, seen from
outside), or ``max_range`` when it points away from the road.

How a scan is computed, for all cars and beams at once (no Python loop over either), and
exactly (to floating point; no sampling):

1. Once per track (cached per :class:`~sim.track.Track` object), a 0.5 m grid lists for
   each cell the border segments that come within ``max_range`` of it.
2. Per scan, each car takes the segments listed for its cell whose road side faces the
   sensor (the first crossing of a beam from the road leaves the road, so only those can
   be met first; from off the road, the reverse). Each such segment spans an arc of
   directions; the beams inside the arc are intersected with it exactly, and every beam
   keeps its nearest crossing.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import SimpleNamespace

import numpy as np
import shapely

from sim.raster import Grid, distance_to_segments
from sim.track import Track
from sim.vehicle import CarState

CELL_M = 0.5
"""Cell of the grid that lists the segments near a sensor, m."""
GRID_MARGIN_M = 1.0
"""Grid extent beyond the borders' bounding box, m; sensors farther out test every segment."""
ANGLE_TOL_RAD = 2e-3
"""Slack when picking the beams a segment spans (float32 angles); exact tests follow."""

SECTOR_CLIPPING_DIST_M = 0.5
"""DeepRacer's ``SECTOR_LIDAR_CLIPPING_DIST``: a sector reads 1 when something is closer, m."""


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
              max_range: float, on_road: np.ndarray) -> np.ndarray:
    """Ranges of a fan of evenly spaced beams from each of ``n`` origins: ``(n, B)`` float64, ``inf`` for no hit.

    Args:
        edges: from :func:`track_edges`.
        ox, oy, heading: origins ``(n,)``, m, and headings ``(n,)``, radians.
        angles: beam directions relative to the heading ``(B,)``, radians, evenly spaced,
            increasing and within ``[-pi, pi]``.
        max_range: longest distance searched, m.
        on_road: ``(n,)`` bool, whether each origin is on the road.
    """
    ox, oy, heading = (np.asarray(v, dtype=np.float64).ravel() for v in (ox, oy, heading))
    angles = np.asarray(angles, dtype=np.float64).ravel()
    n, n_beams = len(ox), len(angles)
    side = np.where(np.asarray(on_road, dtype=bool).ravel(), 1.0, -1.0)
    best = np.full(n * n_beams, np.inf)
    table, every = edges.candidates(max_range)
    g = edges.grid
    i = np.floor((ox - g.x0) / g.cell).astype(np.intp)
    j = np.floor((oy - g.y0) / g.cell).astype(np.intp)
    on_grid = (i >= 0) & (i < g.nx) & (j >= 0) & (j < g.ny)
    cars = np.flatnonzero(on_grid)
    if len(cars):
        _splat(edges, table[i[cars] * g.ny + j[cars]], cars, ox, oy, heading, side, angles, best)
    cars = np.flatnonzero(~on_grid)
    if len(cars):  # far from the track: test every segment
        _splat(edges, np.broadcast_to(every, (len(cars), every.shape[1])), cars, ox, oy, heading, side, angles, best)
    best[best > max_range] = np.inf
    return best.reshape(n, n_beams)


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


def _splat(edges: TrackEdges, cand: np.ndarray, cars: np.ndarray, ox, oy, heading, side, angles, best) -> None:
    """Intersect the fans of ``cars`` with their candidate segments ``cand`` ``(len(cars), K)``; update ``best``."""
    n_beams = len(angles)
    # Pairs (car, segment) whose road side faces the sensor. This stage only picks which
    # beams to test, so it runs in float32, near the track's centre.
    px = (ox[cars] - edges.x_ref).astype(np.float32)
    py = (oy[cars] - edges.y_ref).astype(np.float32)
    facing = edges.nx32[cand] * px[:, None]
    facing += edges.ny32[cand] * py[:, None]
    facing -= edges.c32[cand]
    facing *= side[cars].astype(np.float32)[:, None]
    facing = facing > 0.0
    where = np.broadcast_to(np.arange(len(cars))[:, None], cand.shape)[facing]
    car = cars[where]
    seg = cand[facing]
    ax = edges.ax32[seg] - px[where]
    ay = edges.ay32[seg] - py[where]
    ex, ey = edges.ex32[seg], edges.ey32[seg]
    cross = ax * ey - ay * ex  # > 0: the segment runs counter-clockwise as seen from the sensor
    # In each car's frame (x ahead, y left), the arc of directions a segment spans: from its
    # start's direction, turning by the signed angle to its end (less than half a turn).
    cos_h, sin_h = np.cos(heading), np.sin(heading)
    c, s = cos_h.astype(np.float32)[car], sin_h.astype(np.float32)[car]
    lo = np.arctan2(c * ay - s * ax, c * ax + s * ay)
    turn = np.arctan2(cross, ax * ax + ay * ay + ax * ex + ay * ey)
    lo += np.minimum(turn, 0.0)
    lo += np.where(lo < -np.pi, np.float32(2 * np.pi), np.float32(0.0))
    hi = lo + np.abs(turn)
    a0 = angles[0]
    step = (angles[-1] - a0) / (n_beams - 1) if n_beams > 1 else 1.0
    first = np.maximum(np.ceil((lo - a0 - ANGLE_TOL_RAD) / step), 0.0)
    count = np.minimum(np.floor((hi - a0 + ANGLE_TOL_RAD) / step), n_beams - 1.0) - first + 1.0
    pair = np.arange(len(car))
    wrap = np.flatnonzero(hi > np.pi)  # the arc runs on past +pi from -pi
    if len(wrap):
        k0 = np.maximum(np.ceil((lo[wrap] - 2 * np.pi - a0 - ANGLE_TOL_RAD) / step), 0.0)
        k1 = np.minimum(np.floor((hi[wrap] - 2 * np.pi - a0 + ANGLE_TOL_RAD) / step), n_beams - 1.0)
        first, count = np.concatenate([first, k0]), np.concatenate([count, k1 - k0 + 1.0])
        pair = np.concatenate([pair, wrap])
    first = first.astype(np.intp)
    count = np.maximum(count, 0.0).astype(np.intp)
    # One entry per (pair, beam it spans): intersect exactly, in float64 and the car's frame.
    entry = np.repeat(pair, count)
    beam = np.repeat(first - np.cumsum(count) + count, count) + np.arange(len(entry))
    car, seg = car[entry], seg[entry]
    c, s = cos_h[car], sin_h[car]
    wx, wy = edges.ax[seg] - ox[car], edges.ay[seg] - oy[car]
    ax, ay = c * wx + s * wy, c * wy - s * wx
    wx, wy = edges.ex[seg], edges.ey[seg]
    ex, ey = c * wx + s * wy, c * wy - s * wx
    dx, dy = np.cos(angles)[beam], np.sin(angles)[beam]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / (dx * ey - dy * ex)
        t = (ax * ey - ay * ex) * inv
        u = (ax * dy - ay * dx) * inv
    ok = (u >= -1e-9) & (u <= 1.0 + 1e-9) & (t >= 0.0)  # a beam through a vertex meets both segments
    np.minimum.at(best, (car * n_beams + beam)[ok], t[ok])


def cast_objects(ox: np.ndarray, oy: np.ndarray, heading: np.ndarray, angles: np.ndarray,
                 corners: np.ndarray) -> np.ndarray:
    """Ranges of beams from ``n`` origins to the edges of each car's own object rectangles:
    ``(n, B)`` float64, ``inf`` where a beam meets none.

    Exact, as for the road edges (:func:`_splat`): each car's candidates are its own edges, of
    which only those whose outside faces the sensor (the ones a beam can meet first) are intersected.

    Args:
        ox, oy, heading: origins ``(n,)``, m, and headings ``(n,)``, radians.
        angles: beam directions relative to the heading ``(B,)``, radians, evenly spaced and increasing.
        corners: each car's rectangles ``(n, m, 4, 2)``, counter-clockwise
            (:meth:`sim.objects.ObjectState.corners`), m.
    """
    n, per = len(ox), corners.shape[1] * 4
    a = corners.reshape(-1, 2)
    e = (np.roll(corners, -1, axis=2) - corners).reshape(-1, 2)
    x_ref, y_ref, nx, ny = float(a[:, 0].mean()), float(a[:, 1].mean()), e[:, 1], -e[:, 0]  # outward normals
    c, f32 = nx * (a[:, 0] - x_ref) + ny * (a[:, 1] - y_ref), np.float32
    edges = SimpleNamespace(ax=a[:, 0], ay=a[:, 1], ex=e[:, 0], ey=e[:, 1], x_ref=x_ref, y_ref=y_ref,
                            ax32=(a[:, 0] - x_ref).astype(f32), ay32=(a[:, 1] - y_ref).astype(f32),
                            ex32=e[:, 0].astype(f32), ey32=e[:, 1].astype(f32), nx32=nx.astype(f32),
                            ny32=ny.astype(f32), c32=c.astype(f32))
    best = np.full(n * len(angles), np.inf)
    _splat(edges, np.arange(n * per).reshape(n, per), np.arange(n), *(np.asarray(v, dtype=np.float64)
           for v in (ox, oy, heading)), np.ones(n), angles, best)
    return best.reshape(n, len(angles))


class Lidar:
    """DeepRacer's LIDAR: ``n_beams`` ranges to the road edge over a fan of ``fov_deg`` degrees.

    Beam ``k`` points at ``angles[k]`` from the car's heading; ``angles`` run from right
    (``-fov/2``) to left (``+fov/2``), as a ROS ``LaserScan`` orders them, so beam 0 looks
    back over the right shoulder and the middle beams look ahead. What a beam reads (the
    road edge; from off the road, the first edge met) is described in :mod:`sim.sensors`.
    """

    def __init__(self, track: Track, n_beams: int = 64, fov_deg: float = 300.0, min_range: float = 0.15,
                 max_range: float = 12.0, mount_offset: float = 0.12):
        """
        Args:
            track: the track whose road edges the beams see.
            n_beams: number of beams (DeepRacer: 64).
            fov_deg: total angle of the fan, degrees (DeepRacer: 300, i.e. +-150).
            min_range: shortest reading, m; closer edges read this.
            max_range: longest reading, m; a beam meeting no edge reads this.
            mount_offset: sensor position ahead of the rear-axle origin along the heading, m.
        """
        if n_beams < 1 or not 0 < fov_deg <= 360:
            raise ValueError(f"need at least one beam and a field of view in (0, 360] degrees, "
                             f"got {n_beams} beams over {fov_deg} degrees")
        self.track = track
        self.n_beams = int(n_beams)
        self.fov_deg = float(fov_deg)
        self.min_range = float(min_range)
        self.max_range = float(max_range)
        self.mount_offset = float(mount_offset)
        half = np.radians(self.fov_deg) / 2
        self.angles = np.linspace(-half, half, self.n_beams)
        """Beam directions relative to the heading ``(n_beams,)``, radians, left positive."""
        self.edges = track_edges(track)
        self.edges.candidates(self.max_range)  # build the lists now, not in the first scan

    def origins(self, state: CarState) -> tuple[np.ndarray, np.ndarray]:
        """World position of each car's sensor: ``(x, y)``, each ``(n_cars,)``, m."""
        return (state.x + self.mount_offset * np.cos(state.yaw),
                state.y + self.mount_offset * np.sin(state.yaw))

    def scan(self, state: CarState, objects=None) -> np.ndarray:
        """Ranges for every car and beam: ``(n_cars, n_beams)`` float32, m, in ``[min_range, max_range]``.

        ``objects`` (:class:`sim.objects.ObjectState`, optional): each car's obstacles and bot cars,
        whose rectangles stop the beams too."""
        ox, oy = self.origins(state)
        on_road = self.track.on_road(np.stack([ox, oy], axis=1))
        d = cast_fans(self.edges, ox, oy, state.yaw, self.angles, self.max_range, on_road)
        if objects is not None and objects.n_objects:
            d = np.minimum(d, cast_objects(ox, oy, state.yaw, self.angles, objects.corners()))
        return np.clip(d, self.min_range, self.max_range).astype(np.float32)


class SectorLidar:
    """DeepRacer's SECTOR_LIDAR: the LIDAR fan cut into 8 sectors, each a binary "edge close by".

    What DeepRacer does (its simulation app, ``markov/filters/observation/
    observation_binary_filter.py``: ``ObservationBinarySectorFilter``, with
    ``NUMBER_OF_LIDAR_SECTORS = 8`` and ``SECTOR_LIDAR_CLIPPING_DIST = 0.5`` in
    ``markov/environments/constants.py``; later releases, e.g. aws-deepracer-community/
    deepracer-simapp ``bundle/markov/filters/observation/observation_sector_discretize_filter.py``,
    generalise it to several values per sector, and one value per sector is the same): the
    64 raw ranges are reshaped into 8 groups of 8 consecutive beams, each group's minimum is
    taken, and a sector reads ``1.0`` where that minimum is below 0.5 m, else ``0.0``.

    We do the same on our LIDAR, whose obstacles are the road edges: a sector reads 1.0
    when the road edge comes within 0.5 m of the sensor somewhere in that sector. On a
    DeepRacer-width road (0.6-1.07 m) the side sectors of a centred car are usually 1 and
    the forward ones 0 until a bend's outer edge comes near, so the sectors tell the policy
    which way the road is closing in. Sector 0 holds the rightmost beams, sector 7 the
    leftmost.
    """

    def __init__(self, track: Track, n_sectors: int = 8, clipping_dist: float = SECTOR_CLIPPING_DIST_M,
                 lidar: Lidar | None = None, **lidar_kwargs):
        """
        Args:
            track: the track whose road edges the beams see.
            n_sectors: sectors across the fan (DeepRacer: 8); must divide the beam count.
            clipping_dist: a sector reads 1.0 when its nearest edge is closer than this, m.
            lidar: the LIDAR to read. By default a DeepRacer LIDAR made with ``lidar_kwargs``
                whose beams stop just past ``clipping_dist`` (nothing farther matters here,
                and short beams are cheap).
        """
        if lidar is None:
            lidar_kwargs.setdefault("max_range", max(1.01 * clipping_dist, lidar_kwargs.get("min_range", 0.15)))
            lidar = Lidar(track, **lidar_kwargs)
        if lidar.n_beams % n_sectors:
            raise ValueError(f"{lidar.n_beams} beams cannot be split into {n_sectors} equal sectors")
        self.lidar = lidar
        self.n_sectors = int(n_sectors)
        self.clipping_dist = float(clipping_dist)

    def from_ranges(self, ranges: np.ndarray) -> np.ndarray:
        """Sector readings from LIDAR ranges ``(n_cars, n_beams)``: ``(n_cars, n_sectors)`` float32 of 0.0 / 1.0."""
        ranges = np.asarray(ranges)
        nearest = ranges.reshape(len(ranges), self.n_sectors, -1).min(axis=2)
        return (nearest < self.clipping_dist).astype(np.float32)

    def scan(self, state: CarState, objects=None) -> np.ndarray:
        """``(n_cars, n_sectors)`` float32: 1.0 where the road edge (or, with ``objects``, an obstacle
        or bot car) is closer than ``clipping_dist`` in that sector."""
        return self.from_ranges(self.lidar.scan(state, objects))
