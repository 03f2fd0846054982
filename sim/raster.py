"""Rasterising track geometry onto regular grids, shared by the LIDAR and the camera.

Both sensors precompute from the track once and then only look things up per step:
the LIDAR which border segments lie near each cell of a coarse grid, the camera a
top-down texture. Everything here runs once per track (well under a second for a
77 m track) and is numpy only.

Grid convention: cell ``(i, j)`` covers ``x in [x0 + i*cell, x0 + (i+1)*cell)`` and
``y in [y0 + j*cell, y0 + (j+1)*cell)``; arrays are indexed ``[i, j]`` (x first) and
flattened row-major, so the flat index of a cell is ``i * ny + j``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """A regular grid of square cells over a rectangle of the world."""

    x0: float
    """World x of the grid's lower-left corner, m."""
    y0: float
    """World y of the grid's lower-left corner, m."""
    cell: float
    """Cell side, m."""
    nx: int
    """Cells along x."""
    ny: int
    """Cells along y."""

    @classmethod
    def around(cls, bounds: tuple[float, float, float, float], cell: float, margin: float) -> "Grid":
        """A grid covering ``bounds`` ``(min_x, min_y, max_x, max_y)`` plus ``margin`` m on every side."""
        x0, y0 = bounds[0] - margin, bounds[1] - margin
        nx = int(np.ceil((bounds[2] + margin - x0) / cell)) + 1
        ny = int(np.ceil((bounds[3] + margin - y0) / cell)) + 1
        return cls(float(x0), float(y0), float(cell), nx, ny)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.nx, self.ny)

    @property
    def x1(self) -> float:
        return self.x0 + self.nx * self.cell

    @property
    def y1(self) -> float:
        return self.y0 + self.ny * self.cell

    def centres_x(self) -> np.ndarray:
        """Cell-centre x coordinates ``(nx,)``, m."""
        return self.x0 + (np.arange(self.nx) + 0.5) * self.cell

    def centres_y(self) -> np.ndarray:
        """Cell-centre y coordinates ``(ny,)``, m."""
        return self.y0 + (np.arange(self.ny) + 0.5) * self.cell


def split_segments(a: np.ndarray, b: np.ndarray, max_len: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut segments into pieces no longer than ``max_len``; returns ``(starts, ends, source_index)``."""
    length = np.hypot(*(b - a).T)
    n = np.maximum(1, np.ceil(length / max_len).astype(np.int64))
    src = np.repeat(np.arange(len(a)), n)
    k = np.arange(len(src)) - np.repeat(np.cumsum(n) - n, n)
    f0 = (k / n[src])[:, None]
    f1 = ((k + 1) / n[src])[:, None]
    d = b[src] - a[src]
    return a[src] + f0 * d, a[src] + f1 * d, src


def point_segment_distance(px, py, ax, ay, bx, by):
    """Distance from points to segments, broadcasting; also returns the position ``u`` in [0, 1] along each."""
    ex, ey = bx - ax, by - ay
    qx, qy = px - ax, py - ay
    u = np.clip((qx * ex + qy * ey) / np.maximum(ex * ex + ey * ey, 1e-18), 0.0, 1.0)
    return np.hypot(qx - u * ex, qy - u * ey), u


def _piece_windows(grid: Grid, a: np.ndarray, b: np.ndarray, reach: float):
    """For each piece, the square window of cells within ``reach`` of its bounding box.

    Returns ``(i, j, valid)`` of shape ``(P, W*W)``: cell indices and whether they lie on the grid.
    """
    lo = np.minimum(a, b) - reach
    hi = np.maximum(a, b) + reach
    size = int(np.ceil(np.max(hi - lo) / grid.cell)) + 1
    i0 = np.floor((lo[:, 0] - grid.x0) / grid.cell).astype(np.int64)
    j0 = np.floor((lo[:, 1] - grid.y0) / grid.cell).astype(np.int64)
    di, dj = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    i = i0[:, None] + di.ravel()[None, :]
    j = j0[:, None] + dj.ravel()[None, :]
    valid = (i >= 0) & (i < grid.nx) & (j >= 0) & (j < grid.ny)
    return i, j, valid


def band_cells(grid: Grid, a: np.ndarray, b: np.ndarray, band: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells whose centre lies within ``band`` of a segment, each with its nearest segment (sparse).

    Meant for thin bands on fine grids (painted lines on a texture): only the cells near
    each segment are visited, and nothing the size of the grid is allocated. Returns
    ``(flat, dist, nearest)``, each ``(C,)``: flat cell index ``i * ny + j``, distance
    (rounded down to 10 micrometres), m, and segment index.
    """
    quantum = 1e-5
    if band / quantum >= 2 ** 16 or len(a) >= 2 ** 20 or grid.nx * grid.ny >= 2 ** 27:
        raise ValueError("band, segment count or grid too large for band_cells")
    piece_len = max(2 * band, 4 * grid.cell)
    pa, pb, src = split_segments(a, b, piece_len)
    reach = band + grid.cell
    win = int(np.ceil((piece_len + 2 * reach) / grid.cell)) + 1
    step = max(1, 4_000_000 // (win * win))
    cx0, cy0 = grid.x0 + 0.5 * grid.cell, grid.y0 + 0.5 * grid.cell
    keys = []
    for k in range(0, len(pa), step):
        sa, sb = pa[k:k + step], pb[k:k + step]
        i, j, valid = _piece_windows(grid, sa, sb, reach)
        d, _ = point_segment_distance(cx0 + i * grid.cell, cy0 + j * grid.cell,
                                      sa[:, :1], sa[:, 1:], sb[:, :1], sb[:, 1:])
        keep = valid & (d <= band)
        # Cell, distance and segment in one integer: sorting groups cells, nearest first.
        keys.append(((i * grid.ny + j)[keep] << 36) | (np.floor(d[keep] / quantum).astype(np.int64) << 20)
                    | np.broadcast_to(src[k:k + step, None], keep.shape)[keep])
    key = np.sort(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    flat = key >> 36
    first = np.ones(len(key), dtype=bool)
    first[1:] = flat[1:] != flat[:-1]
    key = key[first]
    return key >> 36, ((key >> 20) & 0xFFFF) * quantum, key & 0xFFFFF


def distance_to_segments(grid: Grid, a: np.ndarray, b: np.ndarray, i: int) -> np.ndarray:
    """Distances from the cell centres of grid column ``i`` to every segment: ``(ny, S)``, m."""
    cx = grid.x0 + (i + 0.5) * grid.cell
    d, _ = point_segment_distance(cx, grid.centres_y()[:, None], a[None, :, 0], a[None, :, 1], b[None, :, 0],
                                  b[None, :, 1])
    return d


def fill_even_odd(grid: Grid, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cells whose centre lies inside the closed rings made of segments ``a -> b``: ``(nx, ny)`` bool.

    Even-odd rule, so a ring inside another (the infield of a loop) cuts a hole. Scanlines run
    along x at every cell-centre y; each ring edge toggles the cells from its crossing onwards.
    """
    cy = grid.centres_y()
    ylo, yhi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
    # Half-open in y so a vertex shared by two edges is counted once.
    j_lo = np.ceil((ylo - grid.y0) / grid.cell - 0.5).astype(np.int64)
    j_hi = np.ceil((yhi - grid.y0) / grid.cell - 0.5).astype(np.int64)
    n = np.clip(j_hi, 0, grid.ny) - np.clip(j_lo, 0, grid.ny)
    n = np.maximum(n, 0)
    edge = np.repeat(np.arange(len(a)), n)
    j = np.repeat(np.clip(j_lo, 0, grid.ny), n) + (np.arange(len(edge)) - np.repeat(np.cumsum(n) - n, n))
    ya, yb = a[edge, 1], b[edge, 1]
    xa, xb = a[edge, 0], b[edge, 0]
    x = xa + (cy[j] - ya) * (xb - xa) / (yb - ya)
    i = np.clip(np.ceil((x - grid.x0) / grid.cell - 0.5).astype(np.int64), 0, grid.nx)
    # Only the parity matters, so uint8 counters may wrap.
    toggles = np.zeros((grid.ny, grid.nx + 1), dtype=np.uint8)
    np.add.at(toggles, (j, i), 1)
    inside = (np.cumsum(toggles, axis=1, dtype=np.uint8)[:, :-1] & 1).astype(bool)
    return np.ascontiguousarray(inside.T)
