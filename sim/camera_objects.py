"""Obstacles and bot cars in the camera image: solid blocks, ray-traced, vectorised over cars and objects.

A block stands on each object's collision rectangle (:mod:`sim.objects`): :data:`sim.objects.BOX_HEIGHT_M`
tall for a box, drawn ``Palette.box`` (light), :data:`sim.objects.BOT_CAR_HEIGHT_M` for a bot car, drawn
``Palette.bot`` (dark). Each (car, object) pair ahead of the camera and in range projects its block's
corners to the screen; only the pixels inside that screen box are tested (slab test of the pixel's ray
against the block), and per pixel the nearest block hit wins. DeepRacer's Gazebo boxes and bot cars
have shape, texture and shading; here they are flat-shaded blocks.
"""

from __future__ import annotations

import numpy as np

from sim.objects import BOT_CAR_HEIGHT_M, BOX_HEIGHT_M, ObjectState

BLOCK_EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4],
                        [0, 4], [1, 5], [2, 6], [3, 7]])
"""The twelve edges of a block whose corners 0-3 are its footprint and 4-7 the same raised."""
NEAR_M = 1e-3
"""The near plane: block corners closer to the camera along its axis are cut off there, m."""


def draw_objects(cam, flat: np.ndarray, pose: tuple, objects: ObjectState, compiled: bool = True) -> None:
    """Paint the blocks that the pixels' rays of camera ``cam`` (:class:`sim.camera.Camera`) meet into
    ``flat`` ``(n, h * w)``, one image per car, each with its own ``objects`` (nearest block wins).
    ``pose`` is ``(x, y, yaw, side)``: the cars' rear-axle origins ``(n,)`` m, headings ``(n,)`` rad
    and the camera's sideways shift to the left, m (a float or ``(n,)``; a stereo eye's half baseline).

    Each (car, object) pair ahead and in range tests only the pixels inside the screen box of
    its block's eight projected corners (all of them when a corner is behind the camera). ``compiled``:
    the per-pixel tests in :func:`sim.camera_kernels.draw_blocks` (False: the numpy reference, same pixels)."""
    w, h = cam.width, cam.height
    x, y, yaw, side = pose
    cx = x + cam.mount_offset * np.cos(yaw) - side * np.sin(yaw)
    cy = y + cam.mount_offset * np.sin(yaw) + side * np.cos(yaw)
    rx, ry = cx[:, None] - objects.x, cy[:, None] - objects.y  # camera relative to each object (n, m)
    ahead = rx * np.cos(yaw)[:, None] + ry * np.sin(yaw)[:, None]
    half = np.hypot(objects.length, objects.width)[None, :] / 2
    car, obj = np.nonzero((ahead < half) & (np.hypot(rx, ry) < cam.max_distance + half))
    if not len(car):
        return
    top = np.where(objects.is_bot[obj], BOT_CAR_HEIGHT_M, BOX_HEIGHT_M)
    # The blocks' footprint corners relative to the camera and the eight corners' heights.
    gx = objects.corners()[car, obj, :, 0] - cx[car, None]
    gy = objects.corners()[car, obj, :, 1] - cy[car, None]
    up = np.concatenate([np.zeros((len(car), 4)), np.repeat(top[:, None], 4, axis=1)], axis=1) - cam.mount_height
    c, s = np.cos(yaw[car]), np.sin(yaw[car])
    if compiled:
        # Imported here, not at the top: importing numba costs every CLI command ~0.2 s.
        from sim import camera_kernels

        lens = (float(w), float(h), float(cam.focal), float(np.cos(cam.pitch)), float(np.sin(cam.pitch)), NEAR_M)
        box = camera_kernels.screen_boxes(gx, gy, c, s, up, BLOCK_EDGES, lens)
    else:
        box = screen_boxes(cam, gx, gy, c, s, up)
    # Slab test in the object's frame: the camera's position and the pixel's ray direction.
    co, so = np.cos(objects.yaw[car, obj]), np.sin(objects.yaw[car, obj])
    phi = yaw[car] - objects.yaw[car, obj]
    per_pair = np.stack([co * rx[car, obj] + so * ry[car, obj], co * ry[car, obj] - so * rx[car, obj],
                         np.cos(phi), np.sin(phi), objects.length[obj] / 2, objects.width[obj] / 2,
                         top - cam.mount_height]).astype(np.float32)
    shade = np.where(objects.is_bot[obj], cam.palette.bot, cam.palette.box).astype(np.uint8)
    if compiled:
        camera_kernels.draw_blocks(flat, w, car, box, np.ascontiguousarray(per_pair.T), shade, *cam.rays,
                                   np.float32(-cam.mount_height))
        return
    _draw_numpy(cam, flat, car, box.T, per_pair, shade)


def screen_boxes(cam, gx: np.ndarray, gy: np.ndarray, c: np.ndarray, s: np.ndarray, up: np.ndarray) -> np.ndarray:
    """The screen box ``(Q, 4)`` ``c0, c1, r0, r1`` (inclusive pixels; ``0, -1, 0, 0`` when unseen) of
    each block seen by camera ``cam``: footprint corners ``gx, gy`` ``(Q, 4)`` relative to the camera
    (world axes, m), the car's heading cosine and sine ``c, s`` ``(Q,)``, the eight corners' heights
    ``up`` ``(Q, 8)`` relative to the camera, m. The numpy reference of
    :func:`sim.camera_kernels.screen_boxes`."""
    w, h = cam.width, cam.height
    c, s = c[:, None], s[:, None]
    # The corners in the camera frame (forward, left, up), then on the screen.
    f, lf = np.tile(c * gx + s * gy, 2), np.tile(c * gy - s * gx, 2)
    # Edges crossing the near plane add their crossing points: the screen box is then exact.
    a, b = BLOCK_EDGES[:, 0], BLOCK_EDGES[:, 1]
    cp, sp = np.cos(cam.pitch), np.sin(cam.pitch)
    near = NEAR_M
    depth = cp * f - sp * up
    da, db = depth[:, a], depth[:, b]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where((da < near) != (db < near), (near - da) / (db - da), np.nan)
    f, lf, up = (np.concatenate([v, v[:, a] + u * (v[:, b] - v[:, a])], axis=1) for v in (f, lf, up))
    depth = cp * f - sp * up
    ok = depth >= near - 1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        col, row = w / 2 - cam.focal * lf / depth, h / 2 + cam.focal * (-sp * f - cp * up) / depth
    seen = ok.any(axis=1)
    lo = lambda v: np.clip(np.floor(np.where(ok, v, np.inf).min(axis=1)), 0, None)
    hi = lambda v: np.floor(np.where(ok, v, -np.inf).max(axis=1))
    c0, c1, r0, r1 = lo(col), np.minimum(hi(col), w - 1), lo(row), np.minimum(hi(row), h - 1)
    seen &= (c1 >= c0) & (r1 >= r0)
    c0, c1, r0, r1 = (np.where(seen, v, 0).astype(np.intp) for v in (c0, c1, r0, r1))
    c1, r1 = np.where(seen, c1, -1), np.where(seen, r1, 0)
    return np.stack([c0, c1, r0, r1], axis=1)


def _draw_numpy(cam, flat: np.ndarray, car: np.ndarray, box: tuple, per_pair: np.ndarray, shade: np.ndarray) -> None:
    """The reference: one entry per (pair, pixel of its screen box), tested at once, then a depth buffer."""
    w, h = cam.width, cam.height
    c0, c1, r0, r1 = box
    cols = c1 - c0 + 1
    count = (r1 - r0 + 1) * cols
    # One entry per (pair, pixel of its screen box).
    pair = np.repeat(np.arange(len(car)), count)
    local = np.arange(len(pair)) - np.repeat(np.cumsum(count) - count, count)
    pix = (r0[pair] + local // cols[pair]) * w + c0[pair] + local % cols[pair]
    ox, oy, cphi, sphi, hl, hw, ztop = np.take(per_pair, pair, axis=1)
    fwd, left, upr = (v[pix] for v in cam.rays)
    dx, dy = cphi * fwd - sphi * left, sphi * fwd + cphi * left
    with np.errstate(divide="ignore", invalid="ignore"):
        tx1, tx2 = (-hl - ox) / dx, (hl - ox) / dx
        ty1, ty2 = (-hw - oy) / dy, (hw - oy) / dy
        tz1, tz2 = np.float32(-cam.mount_height) / upr, ztop / upr
    enter = np.maximum(np.maximum(np.minimum(tx1, tx2), np.minimum(ty1, ty2)), np.minimum(tz1, tz2))
    leave = np.minimum(np.minimum(np.maximum(tx1, tx2), np.maximum(ty1, ty2)), np.maximum(tz1, tz2))
    hit = np.flatnonzero((leave >= np.maximum(enter, 0.0)) & np.isfinite(enter))
    key = car[pair[hit]] * (w * h) + pix[hit]
    near = enter[hit]
    # The nearest block per car and pixel: a depth buffer, then the hits at its depth.
    depth = np.full(flat.size, np.inf, dtype=np.float32)
    np.minimum.at(depth, key, near)
    win = near <= depth[key]
    flat.reshape(-1)[key[win]] = shade[pair[hit[win]]]
