"""Range sensors: LIDAR and SECTOR_LIDAR, vectorised over cars and beams.

The 2D world has no walls, so a beam measures the distance to the **road edge** and to the
car's own obstacles and bot cars (their collision rectangles): the first point where it meets a
border line (the track's inner and outer borders, plus the two end caps of an open track: the
boundary of ``track.road``) or an object's edge. Readings are clipped to ``[min_range, max_range]``;
a beam that meets nothing within range reads ``max_range``.

A car whose sensor is off the road sees the border lines the same way: each beam reads
the distance to the first border line it meets (the edge of the road it left, seen from
outside), or ``max_range`` when it points away from the road.

The beams are cast by :mod:`sim.ray_cast`: for all cars and beams at once (no Python loop over
either), and exactly (to floating point; no sampling).
"""

from __future__ import annotations

import numpy as np

from sim.ray_cast import (  # noqa: F401 (the ray caster's names, public here as before)
    ANGLE_TOL_RAD,
    CELL_M,
    GRID_MARGIN_M,
    Fan,
    TrackEdges,
    border_lines,
    cast_fans,
    cast_rays,
    scan_ranges,
    track_edges,
)
from sim.track import Track
from sim.vehicle import CarState

SECTOR_CLIPPING_DIST_M = 0.5
"""DeepRacer's ``SECTOR_LIDAR_CLIPPING_DIST``: a sector reads 1 when something is closer, m."""


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
        self.edges.candidate_runs(self.max_range)  # build the lists now, not in the first scan
        self.fan = Fan(self.angles, self.min_range, self.max_range)

    def origins(self, state: CarState) -> tuple[np.ndarray, np.ndarray]:
        """World position of each car's sensor: ``(x, y)``, each ``(n_cars,)``, m."""
        return (state.x + self.mount_offset * np.cos(state.yaw),
                state.y + self.mount_offset * np.sin(state.yaw))

    def scan(self, state: CarState, objects=None) -> np.ndarray:
        """Ranges for every car and beam: ``(n_cars, n_beams)`` float32, m, in ``[min_range, max_range]``.

        ``objects`` (:class:`sim.objects.ObjectState`, optional): each car's obstacles and bot cars,
        whose rectangles stop the beams too."""
        c, s = np.cos(state.yaw), np.sin(state.yaw)  # shared by the origins and the beams, as :meth:`origins`
        ox, oy = state.x + self.mount_offset * c, state.y + self.mount_offset * s
        on_road = self.track.on_road(np.stack([ox, oy], axis=1))
        corners = objects.corners() if objects is not None and objects.n_objects else None
        return scan_ranges(self.edges, ox, oy, c, s, self.fan, on_road, corners)


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
