"""On-road tests by table lookup: a grid whose cells lie wholly on or wholly off the road answer
at once, and only points in cells the border crosses ask the road polygon (shapely).

A cell whose centre lies farther from the road's boundary than half the cell's diagonal lies
entirely on one side of it (the segment from the centre to any point of the cell cannot cross the
boundary), so every point in it has the centre's answer: the same answer as
``shapely.intersects_xy(road, x, y)``, which the points in the other cells and off the grid still
get. The table costs one distance query per cell once per track (a fraction of a second).
"""

from __future__ import annotations

import numpy as np
import shapely

MAX_CELLS = 250_000
"""Most cells in the table; a larger track gets larger cells."""
CELL_M = 0.05
"""Cell side for tracks that fit in ``MAX_CELLS`` cells, m: a band of about 7 cm around each border
line asks the polygon."""
UNKNOWN = 2
"""Table value of a cell the boundary passes near (0 off the road, 1 on it)."""


class RoadCells:
    """The on-road table of one road polygon (:attr:`sim.track.Track.road`)."""

    def __init__(self, road, margin: float = 0.5):
        x0, y0, x1, y1 = road.bounds
        x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
        cell = max(CELL_M, float(np.sqrt((x1 - x0) * (y1 - y0) / MAX_CELLS)))
        nx, ny = int(np.ceil((x1 - x0) / cell)), int(np.ceil((y1 - y0) / cell))
        cx = x0 + (np.arange(nx) + 0.5) * cell
        cy = y0 + (np.arange(ny) + 0.5) * cell
        gx, gy = np.meshgrid(cx, cy, indexing="ij")
        gx, gy = gx.ravel(), gy.ravel()
        away = shapely.distance(road.boundary, shapely.points(gx, gy))
        sure = away > cell * np.sqrt(0.5) * (1 + 1e-9) + 1e-9
        table = np.full(nx * ny, UNKNOWN, dtype=np.int8)
        table[sure] = shapely.intersects_xy(road, gx[sure], gy[sure])
        self.road = road
        self.table = table
        """``(nx * ny,)`` int8, flat index ``i * ny + j``: 0 off the road, 1 on it, :data:`UNKNOWN` near its boundary."""
        self.frame = (float(x0), float(y0), float(cell))
        self.shape = np.array([nx, ny], dtype=np.int64)

    def on_road(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``shapely.intersects_xy(road, x, y)`` for points ``x, y`` (any shape, the result has it), bool."""
        from sim.step_kernels import road_lookup  # numba: imported on first use, not by every CLI command

        shape = np.shape(x)
        px = np.ascontiguousarray(x, dtype=np.float64).ravel()
        py = np.ascontiguousarray(y, dtype=np.float64).ravel()
        out = np.empty(len(px), dtype=np.int8)
        if road_lookup(px, py, self.frame, self.table, self.shape, out):
            ask = out == UNKNOWN
            out[ask] = shapely.intersects_xy(self.road, px[ask], py[ask])
        return out.view(np.bool_).reshape(shape)
