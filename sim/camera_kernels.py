"""Compiled inner loops of the camera (numba): its ground, its solid blocks and its pixel noise.

The numpy versions (:meth:`sim.camera_ground.GroundSampler._sample_numpy`,
:func:`sim.camera_objects.draw_objects` with ``compiled=False``, ``noisy_pixels(..., compiled=False)``
in :mod:`sim.noise`) stay the reference; these give the same pixels, doing the same float32
arithmetic operation for operation (no ``fastmath``, so no reassociation or fused multiply-adds).

Why these loops are written as they are: numba wraps a negative index round to the array's end, so
a loop ``for p in range(p0, p1)`` whose start it cannot prove non-negative turns every ``a[p]`` into
a compare and select, and the compiler no longer vectorises it (the ground's texel coordinates were
~15 times slower so). Each loop here runs over a slice from index 0 instead. ``error_model="numpy"``:
a division by zero gives inf or nan as in numpy (a pixel ray parallel to a block's face).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**JIT)
def sample_ground(out, first, texture, blocks, bx, by, c, s, shift):
    """Look up every car's ground pixels in the texture (nearest texel), into ``out`` ``(n, h * w)``
    uint8 from pixel ``first`` (the first ground row times the width); float32 as the reference.

    Args:
        texture: ``(T,)`` uint8, all mip levels (:class:`sim.camera.TrackTexture`).
        blocks: ``(L, 5)`` int64 per block of rows: first and end pixel (counted from ``first``), the
            level's ``nx``, ``ny`` and offset in ``texture``.
        bx, by: ``(P,)`` float32, each ground pixel's point in the car frame, texels of its level.
        c, s: ``(n,)`` float32: cosine and sine of each car's heading.
        shift: ``(n, L, 2)`` float32: each camera's position in each block's texels.
    """
    # Texel indices first, then the lookups: the arithmetic loop has no stores into uint8 arrays
    # that might alias the texture, so the compiler can vectorise it.
    idx = np.empty(len(bx), dtype=np.int64)
    for car in range(out.shape[0]):
        for b in range(blocks.shape[0]):
            p0, p1 = blocks[b, 0], blocks[b, 1]
            _texels(idx[p0:p1], bx[p0:p1], by[p0:p1], c[car], s[car], shift[car, b, 0], shift[car, b, 1],
                    blocks[b, 2], blocks[b, 3], blocks[b, 4])
        row = out[car, first:first + len(idx)]
        for p in range(len(idx)):
            row[p] = texture[idx[p]]


@njit(inline="always", **JIT)
def _texels(idx, bx, by, cc, ss, du, dv, nx, ny, offset):
    """Texel index of each pixel of one block: ``idx``, ``bx``, ``by`` ``(m,)`` slices of one block."""
    for p in range(len(idx)):
        u = cc * bx[p]
        u -= ss * by[p]
        u += du
        v = ss * bx[p]
        v += cc * by[p]
        v += dv
        i = min(max(np.int64(np.int32(u)), 0), nx - 1)
        j = min(max(np.int64(np.int32(v)), 0), ny - 1)
        idx[p] = i * ny + j + offset


@njit(**JIT)
def screen_boxes(gx, gy, c, s, up, edges, lens):
    """Each block's screen box ``(Q, 4)`` int64 ``c0, c1, r0, r1`` (inclusive; ``0, -1, 0, 0`` when
    unseen): the float64 arithmetic of :func:`sim.camera_objects.screen_boxes`, pair by pair.

    Args:
        gx, gy: ``(Q, 4)`` float64 footprint corners relative to the camera, world axes, m.
        c, s: ``(Q,)`` float64 cosine and sine of the car's heading.
        up: ``(Q, 8)`` float64 heights of the eight corners relative to the camera, m.
        edges: ``(12, 2)`` int64 the block's edges (:data:`sim.camera_objects.BLOCK_EDGES`).
        lens: ``(w, h, focal, cos pitch, sin pitch, near)`` floats of the camera.
    """
    w, h, focal, cp, sp, near = lens
    box = np.empty((len(c), 4), dtype=np.int64)
    f, lf, z = np.empty(20), np.empty(20), np.empty(20)
    for q in range(len(c)):
        for k in range(8):
            f[k] = c[q] * gx[q, k % 4] + s[q] * gy[q, k % 4]
            lf[k] = c[q] * gy[q, k % 4] - s[q] * gx[q, k % 4]
            z[k] = up[q, k]
        # Edges crossing the near plane add their crossing points (nan where one does not).
        for e in range(12):
            a, b = edges[e, 0], edges[e, 1]
            da, db = cp * f[a] - sp * z[a], cp * f[b] - sp * z[b]
            u = (near - da) / (db - da) if (da < near) != (db < near) else np.nan
            f[8 + e] = f[a] + u * (f[b] - f[a])
            lf[8 + e] = lf[a] + u * (lf[b] - lf[a])
            z[8 + e] = z[a] + u * (z[b] - z[a])
        c_lo, c_hi, r_lo, r_hi = np.inf, -np.inf, np.inf, -np.inf
        for k in range(20):
            depth = cp * f[k] - sp * z[k]
            if depth >= near - 1e-9:
                col = w / 2 - focal * lf[k] / depth
                row = h / 2 + focal * (-sp * f[k] - cp * z[k]) / depth
                c_lo, c_hi, r_lo, r_hi = min(c_lo, col), max(c_hi, col), min(r_lo, row), max(r_hi, row)
        c0, c1 = max(np.floor(c_lo), 0.0), min(np.floor(c_hi), w - 1)
        r0, r1 = max(np.floor(r_lo), 0.0), min(np.floor(r_hi), h - 1)
        if c_lo < np.inf and c1 >= c0 and r1 >= r0:
            box[q, 0], box[q, 1], box[q, 2], box[q, 3] = int(c0), int(c1), int(r0), int(r1)
        else:
            box[q, 0], box[q, 1], box[q, 2], box[q, 3] = 0, -1, 0, 0
    return box


@njit(inline="always", **JIT)
def _nan_min(a, b):
    """``np.minimum`` of two floats: nan if either is."""
    return a if math.isnan(a) or a < b else b


@njit(inline="always", **JIT)
def _nan_max(a, b):
    """``np.maximum`` of two floats: nan if either is."""
    return a if math.isnan(a) or a > b else b


@njit(**JIT)
def draw_blocks(flat, width, car, box, params, shade, fwd, left, upr, floor):
    """Paint solid blocks into ``flat`` ``(n, h * w)`` uint8: per pixel the nearest block wins (on a
    tie the later pair, as the reference's scatter).

    Args:
        car: ``(Q,)`` the car of each (car, object) pair, in increasing order.
        box: ``(Q, 4)`` its screen box ``c0, c1, r0, r1`` (inclusive; empty when ``c1 < c0``).
        params: ``(Q, 7)`` float32 the slab test's ``ox, oy, cos, sin, half length, half width, top``.
        shade: ``(Q,)`` uint8 grey of each block.
        fwd, left, upr: ``(h * w,)`` float32 pixel ray directions (:attr:`sim.camera.Camera.rays`);
            ``floor`` float32, the ground's height relative to the camera, m.
    """
    depth = np.empty(flat.shape[1], dtype=np.float32)
    current = -1
    for q in range(len(car)):
        if car[q] != current:
            current = car[q]
            depth[:] = np.inf
        image = flat[current]
        ox, oy, cphi, sphi = params[q, 0], params[q, 1], params[q, 2], params[q, 3]
        hl, hw, ztop = params[q, 4], params[q, 5], params[q, 6]
        for r in range(box[q, 2], box[q, 3] + 1):
            a, b = r * width + box[q, 0], r * width + box[q, 1] + 1
            if b > a:
                _span(image[a:b], depth[a:b], fwd[a:b], left[a:b], upr[a:b], (ox, oy, cphi, sphi, hl, hw, ztop),
                      floor, shade[q])


@njit(inline="always", **JIT)
def _span(image, depth, fwd, left, upr, block, floor, shade):
    """One screen row of one block: the reference's float32 slab test per pixel, and where the ray
    meets the block nearer than ``depth``, its entry depth and ``shade`` written (as selects, so that
    the loop vectorises)."""
    ox, oy, cphi, sphi, hl, hw, ztop = block
    for p in range(len(depth)):
        dx = cphi * fwd[p] - sphi * left[p]
        dy = sphi * fwd[p] + cphi * left[p]
        tx1, tx2 = (-hl - ox) / dx, (hl - ox) / dx
        ty1, ty2 = (-hw - oy) / dy, (hw - oy) / dy
        tz1, tz2 = floor / upr[p], ztop / upr[p]
        enter = _nan_max(_nan_max(_nan_min(tx1, tx2), _nan_min(ty1, ty2)), _nan_min(tz1, tz2))
        leave = _nan_min(_nan_min(_nan_max(tx1, tx2), _nan_max(ty1, ty2)), _nan_max(tz1, tz2))
        win = leave >= _nan_max(enter, np.float32(0.0)) and math.isfinite(enter) and enter <= depth[p]
        depth[p] = enter if win else depth[p]
        image[p] = shade if win else image[p]


CHUNK = 2048
"""Pixels per pass of :func:`add_levels`: its work arrays stay in the first-level cache."""


@njit(**JIT)
def add_levels(pixels, key, bounds, lowest, out):
    """``out = clip(pixels + level, 0, 255)`` with each pixel's noise level read off its uniform draw.

    Args:
        pixels, out: ``(N,)`` uint8.
        key: uint64, the SplitMix64 key of the draws: pixel ``q`` takes 16 bits ``16 * (q % 4)`` and up
            of word ``q // 4 + 1`` (:func:`sim.pixel_noise.uniform16`, made here chunk by chunk).
        bounds: ``(L - 1,)`` uint16, non-decreasing: level ``lowest + k`` for a draw ``u`` where ``k`` of
            the bounds are ``<= u`` (:func:`sim.pixel_noise.level_bounds`); ``lowest`` int, the lowest level.
    """
    acc = np.empty(CHUNK, dtype=np.int16)
    words = np.empty(CHUNK // 4, dtype=np.uint64)
    uniform = words.view(np.uint16)  # low 16 bits first: a little-endian machine (the caller checks)
    step, m1, m2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
    s30, s27, s31 = np.uint64(30), np.uint64(27), np.uint64(31)
    for c0 in range(0, len(pixels), CHUNK):  # CHUNK is a multiple of 4: a chunk starts on a word
        m = min(CHUNK, len(pixels) - c0)
        first = np.uint64(c0 // 4 + 1)
        for j in range((m + 3) // 4):
            z = key + (first + np.uint64(j)) * step
            z = (z ^ (z >> s30)) * m1
            z = (z ^ (z >> s27)) * m2
            words[j] = z ^ (z >> s31)
        u, p, o, a = uniform[:m], pixels[c0:c0 + m], out[c0:c0 + m], acc[:m]
        for q in range(m):
            a[q] = np.int16(p[q]) + np.int16(lowest)
        # One pass per bound over the chunk (vectorised) rather than a search per pixel.
        for k in range(len(bounds)):
            b = bounds[k]
            for q in range(m):
                a[q] += np.int16(u[q] >= b)
        for q in range(m):
            o[q] = min(max(a[q], np.int16(0)), np.int16(255))
