"""The camera's ground rows: every car's pixels looked up in the track texture, at once.

:class:`sim.camera.Camera` works out once which ground point (car frame) each pixel below the
haze sees and which mip level suits it; per frame, :class:`GroundSampler` rotates and moves those
points to every car's pose and reads the nearest texel. Two paths give the same pixels: the
compiled loop over cars (:func:`sim.camera_kernels.sample_ground`, the default) and the numpy reference,
which works a block of rows at a time in preallocated float32 arrays.
"""

from __future__ import annotations

import numpy as np


class GroundSampler:
    """Texture lookups for the ground rows of one camera; keeps work arrays, so one per thread."""

    def __init__(self, texture, width: int, first_row: int, blocks: list):
        """
        Args:
            texture: the :class:`sim.camera.TrackTexture` to read.
            width: image width, pixels; ``first_row``: the first ground row.
            blocks: per run of rows with one mip level, ``(r0, r1, level, grid, 1 / texel, bx, by)``:
                rows ``r0 .. r1 - 1`` counted from ``first_row`` and each pixel's ground point in
                the car frame, in texels of that level, ``((r1 - r0) * width,)`` float32.
        """
        self.texture, self.width, self.first_row, self.blocks = texture, int(width), int(first_row), blocks
        self._work = None
        w = self.width
        size = max((r1 for _, r1, *_ in blocks), default=0) * w
        self._bx, self._by = np.zeros(size, np.float32), np.zeros(size, np.float32)
        self._table = np.zeros((len(blocks), 5), np.int64)
        """Per block: first and end pixel, the level's ``nx``, ``ny`` and offset in the texture."""
        for b, (r0, r1, lv, g, _, bx, by) in enumerate(blocks):
            self._bx[r0 * w:r1 * w], self._by[r0 * w:r1 * w] = bx, by
            self._table[b] = (r0 * w, r1 * w, g.nx, g.ny, int(texture.offsets[lv]))
        self._origin = np.array([(g.x0, g.y0) for _, _, _, g, *_ in blocks], dtype=np.float64).reshape(-1, 2)
        self._scale = np.array([k for *_, k, _, _ in blocks], dtype=np.float64)

    def sample(self, out: np.ndarray, pose: tuple, compiled: bool = True) -> None:
        """Fill the ground rows of ``out`` ``(n, h, w)`` uint8 for cameras at ``pose``: ``(cx, cy, yaw)``
        ``(n,)``, the cameras' world positions, m, and the cars' headings, rad."""
        cx, cy, yaw = pose
        c, s = np.cos(yaw).astype(np.float32), np.sin(yaw).astype(np.float32)
        if not compiled:
            self._sample_numpy(out[:, self.first_row:].reshape(len(cx), -1), c, s, cx, cy)
            return
        # Imported here, not at the top: importing numba costs every CLI command ~0.2 s.
        from sim import camera_kernels

        # The camera's position in each block's texels, rounded to float32 as the reference does.
        shift = np.empty((len(cx), len(self.blocks), 2), dtype=np.float32)
        shift[:, :, 0] = (cx[:, None] - self._origin[None, :, 0]) * self._scale[None, :]
        shift[:, :, 1] = (cy[:, None] - self._origin[None, :, 1]) * self._scale[None, :]
        camera_kernels.sample_ground(out.reshape(len(cx), -1), self.first_row * self.width, self.texture.pixels,
                              self._table, self._bx, self._by, c, s, shift)

    def _sample_numpy(self, ground: np.ndarray, c: np.ndarray, s: np.ndarray, cx: np.ndarray, cy: np.ndarray):
        """The reference: block by block, whole arrays over cars and pixels."""
        c, s, w = c[:, None], s[:, None], self.width
        pixels = self.texture.pixels
        # Work arrays are kept between frames: fresh multi-megabyte arrays each step would
        # cost more in page faults than the arithmetic.
        u, v, tmp, i, j = self._buffers(len(cx))
        for r0, r1, lv, g, k, bx, by in self.blocks:
            m = (r1 - r0) * w
            bu, bv, bt, bi, bj = u[:, :m], v[:, :m], tmp[:, :m], i[:, :m], j[:, :m]
            # Texel coordinates: the camera's position plus the rotated ground offsets.
            np.multiply(c, bx, out=bu)
            np.multiply(s, by, out=bt)
            bu -= bt
            bu += ((cx - g.x0) * k).astype(np.float32)[:, None]
            np.multiply(s, bx, out=bv)
            np.multiply(c, by, out=bt)
            bv += bt
            bv += ((cy - g.y0) * k).astype(np.float32)[:, None]
            np.copyto(bi, bu, casting="unsafe")
            np.copyto(bj, bv, casting="unsafe")
            np.clip(bi, 0, g.nx - 1, out=bi)
            np.clip(bj, 0, g.ny - 1, out=bj)
            bi *= g.ny
            bi += bj
            bi += int(self.texture.offsets[lv])
            np.take(pixels, bi, out=ground[:, r0 * w:r1 * w])

    def _buffers(self, n: int):
        if self._work is None or self._work[0].shape[0] != n:
            m = max((r1 - r0) for r0, r1, *_ in self.blocks) * self.width if self.blocks else 0
            self._work = (np.empty((n, m), np.float32), np.empty((n, m), np.float32), np.empty((n, m), np.float32),
                          np.empty((n, m), np.int32), np.empty((n, m), np.int32))
        return self._work
