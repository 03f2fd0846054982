"""Exact nearest-segment queries on a polyline (a track's centre line or border), for many points at once."""

from __future__ import annotations

import numpy as np


class CandidateGrid:
    """Exact nearest-segment queries through a grid of candidate lists.

    For each cell, the candidates are every segment that can be nearest to *some*
    point in the cell: those whose distance from the cell centre is within the
    smallest such distance plus the cell's diameter. A query then checks only its
    cell's candidates. Points outside the grid, or in cells with too many
    candidates (far from the road, e.g. the middle of an oval), check all segments.
    """

    CELL_M = 0.25
    MARGIN_M = 2.0
    MAX_CANDIDATES = 32

    def __init__(self, start: np.ndarray, vec: np.ndarray, length: np.ndarray):
        self.start, self.vec = start, vec
        # x and y apart, contiguous: the hot path gathers from these.
        self._sx, self._sy = start[:, 0].copy(), start[:, 1].copy()
        self._vx, self._vy = vec[:, 0].copy(), vec[:, 1].copy()
        self.len2 = np.maximum(length**2, 1e-18)
        lo = start.min(axis=0) - self.MARGIN_M
        hi = (start + vec).max(axis=0) + self.MARGIN_M
        self.origin = lo
        self.shape = np.ceil((hi - lo) / self.CELL_M).astype(int) + 1  # (nx, ny)
        nx, ny = self.shape
        self._frame = (float(lo[0]), float(lo[1]), int(nx), int(ny))
        """Origin and shape as Python numbers, for the per-query cell arithmetic."""
        gx, gy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        centres = lo + (np.stack([gx.ravel(), gy.ravel()], axis=1) + 0.5) * self.CELL_M
        k = min(self.MAX_CANDIDATES, len(start))  # a short open track has fewer segments than that
        cands = np.zeros((len(centres), k), dtype=np.int64)
        brute = np.zeros(len(centres), dtype=bool)
        used = np.zeros(len(centres), dtype=np.int64)
        diameter = self.CELL_M * np.sqrt(2.0)
        for lo_i in range(0, len(centres), 512):
            chunk = centres[lo_i : lo_i + 512]
            d = np.sqrt(self._dist2_all(chunk))
            near = d <= d.min(axis=1, keepdims=True) + diameter + 1e-9
            counts = near.sum(axis=1)
            order = np.argsort(np.where(near, d, np.inf), axis=1)[:, :k]
            # Pad short lists by repeating their best candidate (harmless duplicates).
            fill = np.arange(k)[None, :] < counts[:, None]
            order = np.where(fill, order, order[:, :1])
            cands[lo_i : lo_i + 512] = order
            brute[lo_i : lo_i + 512] = counts > k
            used[lo_i : lo_i + 512] = np.minimum(counts, k)
        self.cands, self.brute = cands, brute
        self.used = used
        """Real candidates of each cell; the columns after them repeat the first (a query checks only
        as many columns as its cells use: the repeats can never be strictly nearer, so argmin agrees)."""
        self.kernel_args = ((float(lo[0]), float(lo[1]), float(self.CELL_M)),
                             (cands, used, brute, np.array([nx, ny], dtype=np.int64)),
                             (self._sx, self._sy, self._vx, self._vy, self.len2))
        """What :func:`sim.step_kernels.nearest_on_grid` reads: the grid's frame, lists and segments."""

    def _dist2_all(self, p: np.ndarray) -> np.ndarray:
        rel = p[:, None, :] - self.start[None, :, :]
        t = np.clip(np.einsum("ksd,sd->ks", rel, self.vec) / self.len2, 0.0, 1.0)
        diff = rel - t[..., None] * self.vec
        return np.einsum("ksd,ksd->ks", diff, diff)

    def nearest(self, p: np.ndarray, compiled: bool = True):
        """Return ``(segment, t, distance^2, cross)`` for points ``p`` ``(K, 2)``.

        The candidates' ``t`` and distance^2 are kept for the chosen segment (the same arithmetic
        as recomputing them), so a query gathers and computes once. ``compiled``: try
        :meth:`nearest_compiled` first (False: the numpy reference only)."""
        px, py = p[:, 0], p[:, 1]
        found = self.nearest_compiled(px, py) if compiled else None
        if found is not None:
            return found
        cell, inside = self.cells(px, py)
        slow = ~inside | self.brute[cell]
        if slow.any():
            return self._nearest_mixed(p, cell, slow)
        return _closest(self, self.cands[:, : self.used[cell].max()][cell], px, py)

    def nearest_compiled(self, px: np.ndarray, py: np.ndarray):
        """:meth:`nearest` in one compiled loop (:func:`sim.step_kernels.nearest_on_grid`), the same
        values; None when a point needs the numpy path (off the grid, or in a cell that checks every
        segment)."""
        # Imported here, not at the top: importing numba costs every CLI command ~0.2 s.
        from sim.step_kernels import nearest_on_grid

        out = np.empty((6, len(px)))
        if not nearest_on_grid(np.ascontiguousarray(px), np.ascontiguousarray(py), *self.kernel_args, out):
            return None
        return out[0].astype(np.int64), out[1], out[2], out[3]

    def cells(self, px: np.ndarray, py: np.ndarray, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Grid cell (plus ``offset``; ``offset`` itself outside the grid) and whether inside, per point."""
        ox, oy, nx, ny = self._frame
        ix = np.floor((px - ox) / self.CELL_M).astype(np.int64)
        iy = np.floor((py - oy) / self.CELL_M).astype(np.int64)
        # As unsigned, a negative index is huge: one comparison per axis tests both ends.
        inside = (ix.view(np.uint64) < nx) & (iy.view(np.uint64) < ny)
        return np.where(inside, ix * ny + iy + offset, offset), inside

    def _nearest_mixed(self, p: np.ndarray, cell: np.ndarray, slow: np.ndarray):
        """:meth:`nearest` where some points (``slow``) check every segment."""
        seg = np.empty(len(p), dtype=np.int64)
        fast = ~slow
        if fast.any():
            cand = self.cands[cell[fast]]  # (F, C)
            rel = p[fast][:, None, :] - self.start[cand]
            v = self.vec[cand]
            t = np.clip(np.einsum("kcd,kcd->kc", rel, v) / self.len2[cand], 0.0, 1.0)
            diff = rel - t[..., None] * v
            d2 = np.einsum("kcd,kcd->kc", diff, diff)
            seg[fast] = cand[np.arange(len(cand)), np.argmin(d2, axis=1)]
        seg[slow] = np.argmin(self._dist2_all(p[slow]), axis=1)
        rel = p - self.start[seg]
        v = self.vec[seg]
        t = np.clip(np.einsum("kd,kd->k", rel, v) / self.len2[seg], 0.0, 1.0)
        diff = rel - t[:, None] * v
        d2 = np.einsum("kd,kd->k", diff, diff)
        cross = v[:, 0] * rel[:, 1] - v[:, 1] * rel[:, 0]
        return seg, t, d2, cross


def nearest_points_brute(start: np.ndarray, vec: np.ndarray, p: np.ndarray, chunk: int = 256) -> np.ndarray:
    """The nearest points ``(K, 2)`` of the polyline with segments ``start (M, 2)`` + t ``vec (M, 2)`` to
    points ``p (K, 2)``, m, by checking every segment (no set-up: for a few hundred points at once)."""
    len2 = np.maximum(np.einsum("sd,sd->s", vec, vec), 1e-18)
    out = np.empty_like(p)
    for lo in range(0, len(p), chunk):
        rel = p[lo : lo + chunk, None, :] - start[None, :, :]
        t = np.clip(np.einsum("ksd,sd->ks", rel, vec) / len2, 0.0, 1.0)
        diff = rel - t[..., None] * vec
        seg = np.argmin(np.einsum("ksd,ksd->ks", diff, diff), axis=1)
        tk = t[np.arange(len(seg)), seg]
        out[lo : lo + chunk] = start[seg] + tk[:, None] * vec[seg]
    return out


class StackedGrids:
    """Several :class:`CandidateGrid` queried with the same points in one pass (a track's inner and
    outer border): the same arithmetic as each grid's :meth:`CandidateGrid.nearest`, so the same results."""

    def __init__(self, grids: list[CandidateGrid]):
        self.grids = grids
        seg_off = np.cumsum([0] + [len(g.start) for g in grids])[:-1]
        cell_off = np.cumsum([0] + [len(g.brute) for g in grids])[:-1]
        self._cell_off = cell_off
        self.start = np.concatenate([g.start for g in grids])
        self.vec = np.concatenate([g.vec for g in grids])
        self._sx, self._sy = self.start[:, 0].copy(), self.start[:, 1].copy()
        self._vx, self._vy = self.vec[:, 0].copy(), self.vec[:, 1].copy()
        self.len2 = np.concatenate([g.len2 for g in grids])
        self.brute = np.concatenate([g.brute for g in grids])
        self.used = np.concatenate([g.used for g in grids])
        ks = {g.cands.shape[1] for g in grids}
        self.cands = np.concatenate([g.cands + o for g, o in zip(grids, seg_off)]) if len(ks) == 1 else None

    def nearest_points(self, p: np.ndarray) -> list[np.ndarray]:
        """The nearest point ``(K, 2)`` of each grid's polyline to points ``p`` ``(K, 2)``."""
        if self.cands is None:
            return [_point(g, *g.nearest(p)[:2]) for g in self.grids]
        px, py = p[:, 0], p[:, 1]
        found = [g.cells(px, py, off) for g, off in zip(self.grids, self._cell_off)]
        cell = np.concatenate([c for c, _ in found])
        if not all(ins.all() for _, ins in found) or self.brute[cell].any():
            return [_point(g, *g.nearest(p)[:2]) for g in self.grids]
        n, m = len(self.grids), len(p)
        cand = self.cands[:, : self.used[cell].max()][cell]
        seg, t, _, _ = _closest(self, cand, np.concatenate((px,) * n), np.concatenate((py,) * n))
        points = _point(self, seg, t)
        return [points[i * m : (i + 1) * m] for i in range(n)]


def _closest(grid, cand: np.ndarray, px: np.ndarray, py: np.ndarray):
    """``(segment, t, distance^2, cross)`` of the nearest of candidate segments ``cand`` ``(K, C)`` of
    ``grid`` (its ``_sx`` ... ``len2`` arrays) to points ``(px, py)`` ``(K,)`` (first of equals)."""
    relx, rely = px[:, None] - grid._sx[cand], py[:, None] - grid._sy[cand]
    vx, vy = grid._vx[cand], grid._vy[cand]
    t = np.minimum(np.maximum((relx * vx + rely * vy) / grid.len2[cand], 0.0), 1.0)
    dx, dy = relx - t * vx, rely - t * vy
    d2 = dx * dx + dy * dy
    k = np.argmin(d2, axis=1)
    rows = np.arange(len(cand))
    return cand[rows, k], t[rows, k], d2[rows, k], vx[rows, k] * rely[rows, k] - vy[rows, k] * relx[rows, k]


def _point(grid, seg: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points at ``t`` along segments ``seg`` of ``grid``'s polyline."""
    return grid.start[seg] + t[:, None] * grid.vec[seg]
