"""The front camera: a synthetic grayscale first-person view of the 2D world.

DeepRacer's camera gives 160 x 120 grayscale frames at 15 fps with a horizontal field of
view of about 1.13 rad. Here the world is flat: a pinhole camera at the car's nose,
``mount_height`` above the ground and pitched down by ``pitch``, looks at a top-down texture
of the track; above the horizon it sees a plain sky.

What the texture holds (grayscale values in :class:`Palette`): dark off-road ground with
a faint blotchy texture, a mid-gray road, white border lines about 5 cm wide centred on
the inner and outer borders, a dashed light centre line and a light start line across
the road at waypoint 0. What differs from DeepRacer's Gazebo images: no walls,
buildings, lighting or shadows, and the far distance fades to a flat haze.

How a frame is made (no Python loop over cars or pixels):

1. Once per track and texel size (cached per :class:`~sim.track.Track` object) the
   texture is painted on a grid (5 mm texels by default), with a pyramid of 2x2-averaged
   copies (mip levels) for the distance, where one pixel covers many texels.
2. Once per camera, every pixel row below the horizon gets the ground point it sees in
   the car's frame, and a mip level matched to how much ground one pixel covers there.
3. Per step, those points are rotated and moved to every car's pose at once and the
   texture is looked up (nearest texel): ``render(state) -> (n_cars, h, w) uint8``.
4. With objects (``render(state, objects)``), each car's obstacles and bot cars are drawn as
   solid blocks over it (:func:`sim.camera_objects.draw_objects`: boxes light, bot cars dark, the
   nearest block per pixel; only the pixels inside a block's projected screen box are tested).

Steps 3 and 4 loop over cars and pixels in compiled code (:mod:`sim.camera_kernels`, through
:class:`sim.camera_ground.GroundSampler` and :func:`sim.camera_objects.draw_objects`); the numpy
versions stay as the reference (``render_at(..., compiled=False)``), pixel for pixel the same.
"""

from __future__ import annotations

import struct
import weakref
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.camera_ground import GroundSampler
from sim.camera_objects import draw_objects
from sim.raster import Grid, band_cells, fill_even_odd
from sim.sensors import border_lines
from sim.track import Track
from sim.vehicle import CarState

DEEPRACER_SIZE = (160, 120)
"""DeepRacer's camera image, ``(width, height)`` pixels."""
TRAINING_SIZE = (80, 60)
"""A downscaled image for fast training, ``(width, height)`` pixels."""
HFOV_RAD = 1.13
"""DeepRacer's horizontal field of view, radians."""


@dataclass(frozen=True)
class Palette:
    """Grayscale values (0-255) of what the camera sees."""

    ground: int = 52
    """Off-road ground."""
    ground_texture: int = 5
    """Amplitude of the ground's blotches, +- gray levels."""
    road: int = 112
    """Road surface."""
    border: int = 236
    """Inner and outer border lines."""
    centre: int = 196
    """Dashes of the centre line."""
    start: int = 224
    """Start line across the road at waypoint 0."""
    sky_top: int = 205
    """Sky at the top of the image."""
    sky_horizon: int = 176
    """Sky just above the horizon."""
    haze: int = 96
    """Ground too far away to draw (beyond ``max_distance``)."""
    box: int = 232
    """Box obstacles (solid, light)."""
    bot: int = 24
    """Bot cars (solid, dark)."""


BORDER_WIDTH_M = 0.05
"""Width of the painted border lines, centred on the border, m."""
CENTRE_WIDTH_M = 0.03
"""Width of the centre-line dashes, m."""
DASH_M = (0.15, 0.15)
"""Centre-line dash and gap along the centre line, m."""
START_WIDTH_M = 0.05
"""Width of the start line along the track, m."""
TEXTURE_MARGIN_M = 1.0
"""Plain ground around the track's bounding box in the texture, m."""
MIP_LEVELS = 6
"""Texture copies, each at half the resolution of the one before."""


@dataclass(frozen=True)
class TrackTexture:
    """A top-down picture of a track and its mip levels, flattened into one array.

    Attributes:
        pixels: ``(T,)`` uint8, all levels one after another, each ``(nx, ny)`` row-major (x first).
        grids: the grid of each level (level 0 is the finest).
        offsets: ``(L,)`` int, where each level starts in ``pixels``.
    """

    pixels: np.ndarray
    grids: tuple[Grid, ...]
    offsets: np.ndarray

    def level(self, k: int) -> np.ndarray:
        """Level ``k`` as an ``(nx, ny)`` view."""
        g = self.grids[k]
        return self.pixels[self.offsets[k]:self.offsets[k] + g.nx * g.ny].reshape(g.nx, g.ny)


_TEXTURES: "weakref.WeakKeyDictionary[Track, dict]" = weakref.WeakKeyDictionary()


def track_texture(track: Track, texel: float = 0.005, palette: Palette = Palette()) -> TrackTexture:
    """The texture of ``track`` with ``texel`` m squares, painted on first use and cached per Track object."""
    cache = _TEXTURES.setdefault(track, {})
    key = (float(texel), palette)
    if key not in cache:
        cache[key] = _paint(track, float(texel), palette)
    return cache[key]


def _paint(track: Track, texel: float, palette: Palette) -> TrackTexture:
    lines = border_lines(track)
    a = np.vstack([ln[:-1] for ln in lines])
    b = np.vstack([ln[1:] for ln in lines])
    pad = 2 ** (MIP_LEVELS - 1)  # every level's grid a whole number of coarsest texels
    base = Grid.around(track.bounds, texel, TEXTURE_MARGIN_M)
    grid = Grid(base.x0, base.y0, texel, -(-base.nx // pad) * pad, -(-base.ny // pad) * pad)

    # Blotchy ground: smoothed coarse noise, blown up to texels, kept off the outer rim so
    # that lookups clamped to the texture's edge read plain ground.
    blot = 16
    rng = np.random.default_rng(0)
    noise = rng.uniform(-1, 1, (grid.nx // blot + 1, grid.ny // blot + 1))
    noise = (noise[:-1, :-1] + noise[1:, :-1] + noise[:-1, 1:] + noise[1:, 1:]) / 4
    coarse = np.clip(np.rint(palette.ground + 2 * palette.ground_texture * noise), 0, 255).astype(np.uint8)
    rim = -(-int(0.3 / texel) // blot)
    coarse[:rim] = coarse[-rim:] = palette.ground
    coarse[:, :rim] = coarse[:, -rim:] = palette.ground
    img = np.broadcast_to(coarse[:, None, :, None], (coarse.shape[0], blot, coarse.shape[1], blot))
    img = img.reshape(grid.nx, grid.ny).copy()
    flat = img.ravel()

    road = fill_even_odd(grid, a, b)
    img[road] = palette.road
    # Centre-line dashes: near the centre line, on at the right arc lengths.
    c0, c1 = track.center[:-1], track.center[1:]
    cells, _, k = band_cells(grid, c0, c1, CENTRE_WIDTH_M / 2)
    on = road.ravel()[cells]
    cells, k = cells[on], k[on]
    px = grid.x0 + (cells // grid.ny + 0.5) * texel
    py = grid.y0 + (cells % grid.ny + 0.5) * texel
    e = c1[k] - c0[k]
    u = np.clip(((px - c0[k, 0]) * e[:, 0] + (py - c0[k, 1]) * e[:, 1]) / np.maximum((e ** 2).sum(1), 1e-18), 0, 1)
    s = track.cum_s[k] + u * track.seg_len[k]
    flat[cells[np.mod(s, DASH_M[0] + DASH_M[1]) < DASH_M[0]]] = palette.centre
    # Start line: a thin quad across the road at waypoint 0, filled on a small grid around it.
    ahead = track.seg_vec[0] / max(track.seg_len[0], 1e-12) * START_WIDTH_M
    quad = np.array([track.inner[0], track.outer[0], track.outer[0] + ahead, track.inner[0] + ahead])
    i0, j0 = np.floor((quad.min(axis=0) - (grid.x0, grid.y0)) / texel).astype(int) - 1
    i1, j1 = np.ceil((quad.max(axis=0) - (grid.x0, grid.y0)) / texel).astype(int) + 1
    i0, j0, i1, j1 = max(i0, 0), max(j0, 0), min(i1, grid.nx), min(j1, grid.ny)
    sub = Grid(grid.x0 + i0 * texel, grid.y0 + j0 * texel, texel, i1 - i0, j1 - j0)
    start = fill_even_odd(sub, quad, np.roll(quad, -1, axis=0)) & road[i0:i1, j0:j1]
    img[i0:i1, j0:j1][start] = palette.start
    # Border lines on top of everything.
    cells, _, _ = band_cells(grid, a, b, BORDER_WIDTH_M / 2)
    flat[cells] = palette.border

    levels, grids = [img], [grid]
    for _ in range(MIP_LEVELS - 1):
        prev = levels[-1].astype(np.uint16)
        total = prev[0::2, 0::2] + prev[1::2, 0::2] + prev[0::2, 1::2] + prev[1::2, 1::2]
        levels.append(((total + 2) >> 2).astype(np.uint8))
        g = grids[-1]
        grids.append(Grid(g.x0, g.y0, g.cell * 2, g.nx // 2, g.ny // 2))
    offsets = np.cumsum([0] + [lv.size for lv in levels[:-1]])
    return TrackTexture(np.concatenate([lv.ravel() for lv in levels]), tuple(grids), offsets)


class Camera:
    """DeepRacer's front camera, rendered for many cars at once.

    The image's row 0 is the top, column 0 the left, as DeepRacer's frames are stored.
    A camera keeps work arrays between frames, so one instance serves one thread.
    """

    def __init__(self, track: Track, size: tuple[int, int] = DEEPRACER_SIZE, hfov: float = HFOV_RAD,
                 mount_height: float = 0.10, pitch: float = 0.25, mount_offset: float = 0.20,
                 max_distance: float = 12.0, texel: float = 0.005, palette: Palette = Palette()):
        """
        Args:
            track: the track to look at.
            size: ``(width, height)`` of the image in pixels: ``DEEPRACER_SIZE`` (160 x 120) or
                a smaller training size such as ``TRAINING_SIZE`` (80 x 60).
            hfov: horizontal field of view, radians.
            mount_height: camera height above the ground, m.
            pitch: downward tilt of the camera, radians.
            mount_offset: camera position ahead of the rear-axle origin along the heading, m.
            max_distance: ground farther than this is drawn as haze, m.
            texel: texture resolution, m per texel.
            palette: grayscale values.
        """
        self.track = track
        self.width, self.height = int(size[0]), int(size[1])
        """Image size, pixels."""
        self.hfov, self.mount_height, self.pitch = float(hfov), float(mount_height), float(pitch)
        self.mount_offset = float(mount_offset)
        self.texture = track_texture(track, texel, palette)
        w, h = self.width, self.height
        self.focal = (w / 2) / np.tan(self.hfov / 2)
        """Focal length, pixels."""

        # Ground point (car frame: x ahead of the camera, y to the left) seen by each pixel.
        gx, gy = self._ground(np.arange(h)[:, None] + 0.5, np.arange(w)[None, :] + 0.5)
        dist = np.hypot(gx, gy)
        ground = np.isfinite(dist).all(axis=1) & (dist.max(axis=1) <= max_distance)
        # Rows fully on the ground, drawn from the texture, are the bottom ones.
        self.first_row = int(h - np.argmin(ground[::-1])) if not ground.all() else 0
        rows = np.arange(self.first_row, h)
        # One pixel's footprint on the ground, from its neighbours to the right and below.
        r, c = rows[:, None] + 0.5, np.arange(w)[None, :] + 0.5
        x0, y0 = self._ground(r, c)
        x1, y1 = self._ground(r, c + 1)
        x2, y2 = self._ground(r + 1, c)
        foot = np.sqrt(np.hypot(x1 - x0, y1 - y0) * np.hypot(x2 - x0, y2 - y0))
        level = np.clip(np.floor(np.log2(np.maximum(foot.mean(axis=1), 1e-9) / texel)), 0, MIP_LEVELS - 1)
        # Per mip level, a block of consecutive rows with the same texture constants.
        blocks = []
        for lv in np.unique(level).astype(int):
            sel = rows[level == lv]
            g = self.texture.grids[lv]
            k = 1.0 / g.cell
            bx, by = x0[level == lv] * k, y0[level == lv] * k
            blocks.append((int(sel[0]) - self.first_row, int(sel[-1]) + 1 - self.first_row, lv, g, k,
                           bx.astype(np.float32).ravel(), by.astype(np.float32).ravel()))

        # Sky and haze rows above the ground block, the same in every frame.
        pal = palette
        top = np.empty((self.first_row, w), dtype=np.uint8)
        horizon = (h / 2) - self.focal * np.tan(self.pitch)
        for row in range(self.first_row):
            if row + 0.5 < horizon:
                f = np.clip((row + 0.5) / max(horizon, 1.0), 0.0, 1.0)
                top[row] = round(pal.sky_top + (pal.sky_horizon - pal.sky_top) * f)
            else:
                top[row] = pal.haze
        self._top = top
        self._ground = GroundSampler(self.texture, w, self.first_row, blocks)
        self.palette = palette
        self.max_distance = float(max_distance)
        # Every pixel's ray direction in the car frame (forward, left, up), for drawing objects:
        # ``rays``, three ``(h * w,)`` float32 arrays.
        right = ((np.arange(w) + 0.5 - w / 2) / self.focal)[None, :]
        down = ((np.arange(h) + 0.5 - h / 2) / self.focal)[:, None]
        cp, sp = np.cos(self.pitch), np.sin(self.pitch)
        self.rays = tuple(np.broadcast_to(v, (h, w)).ravel().astype(np.float32)
                           for v in (cp - down * sp, -right, -sp - down * cp))

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the image, pixels."""
        return (self.width, self.height)

    def _ground(self, row: np.ndarray, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where pixel position ``(row, col)`` (pixel units, may be fractional) meets the ground.

        Returns car-frame ``(x, y)`` relative to the camera, m; ``inf`` above the horizon.
        """
        right = (col - self.width / 2) / self.focal
        down = (row - self.height / 2) / self.focal
        cp, sp = np.cos(self.pitch), np.sin(self.pitch)
        fwd = cp - down * sp  # ray direction in the car frame: forward, left, up
        left = -right
        up = -sp - down * cp
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(up < 0, self.mount_height / -up, np.inf)
            x = np.where(np.isfinite(t), fwd * t, np.inf)
            y = np.where(np.isfinite(t), left * t, np.inf)
        return np.broadcast_arrays(x, y)

    def render(self, state: CarState, objects=None) -> np.ndarray:
        """One frame per car: ``(n_cars, height, width)`` uint8. ``objects``
        (:class:`sim.objects.ObjectState`, optional): each car's obstacles and bot cars, drawn solid."""
        return self.render_at(state.x, state.y, state.yaw, objects=objects)

    def render_at(self, x: np.ndarray, y: np.ndarray, yaw: np.ndarray, side: float | np.ndarray = 0.0,
                  objects=None, compiled: bool = True) -> np.ndarray:
        """Frames ``(n, height, width)`` uint8 for cars at rear-axle origins ``x, y`` ``(n,)`` m and
        headings ``yaw`` ``(n,)`` rad, the camera moved ``side`` m to the car's left (negative: right),
        with each car's ``objects`` (optional) drawn solid. ``compiled``: through :mod:`sim.camera_kernels`
        (False: the numpy reference, the same pixels)."""
        n = len(x)
        w, h = self.width, self.height
        out = np.empty((n, h, w), dtype=np.uint8)
        out[:, :self.first_row] = self._top
        cx = x + self.mount_offset * np.cos(yaw) - side * np.sin(yaw)
        cy = y + self.mount_offset * np.sin(yaw) + side * np.cos(yaw)
        self._ground.sample(out, (cx, cy, yaw), compiled)
        if objects is not None and objects.n_objects:
            draw_objects(self, out.reshape(n, -1), (x, y, yaw, side), objects, compiled)
        return out


STEREO_BASELINE_M = 0.06
"""Distance between the two stereo cameras, m. The DeepRacer Evo's two front cameras sit side by
side a few centimetres apart (``DualCamera`` in deepracer-simapp ``bundle/markov/sensors/
sensors_rollout.py`` reads the ``zed`` and ``zed_right`` topics); 6 cm is our reading of the car,
not a number taken from its URDF."""


class StereoCamera:
    """``STEREO_CAMERAS``: two :class:`Camera` views ``baseline`` m apart, rendered in one pass.

    DeepRacer turns each eye's frame grey and stacks them as two channels (left, right)
    (``DualCamera.get_state`` in ``sensors_rollout.py``); here the channels come first:
    ``render(state) -> (n_cars, 2, height, width)`` uint8.
    """

    def __init__(self, track: Track, size: tuple[int, int] = DEEPRACER_SIZE, baseline: float = STEREO_BASELINE_M,
                 **camera_args):
        self.eye = Camera(track, size=size, **camera_args)
        """The camera model both eyes share."""
        self.baseline = float(baseline)

    @property
    def size(self) -> tuple[int, int]:
        return self.eye.size

    def render(self, state: CarState, objects=None) -> np.ndarray:
        """Left and right frames per car: ``(n_cars, 2, height, width)`` uint8, with each car's
        ``objects`` (:class:`sim.objects.ObjectState`, optional) drawn in both eyes."""
        n = len(state.x)
        half = self.baseline / 2
        if objects is not None and objects.n_objects:  # objects belong to cars: one render per eye
            eyes = [self.eye.render_at(state.x, state.y, state.yaw, side, objects) for side in (half, -half)]
            return np.stack(eyes, axis=1)
        # Both eyes of every car as 2n cameras in one render, each car's left eye then its right: the
        # frames come out in the observation's order (no transposed copy).
        frames = self.eye.render_at(np.repeat(state.x, 2), np.repeat(state.y, 2), np.repeat(state.yaw, 2),
                                    np.tile([half, -half], n))
        return frames.reshape(n, 2, self.eye.height, self.eye.width)


def save_png(path: str | Path, image: np.ndarray) -> None:
    """Write a grayscale ``(h, w)`` uint8 image as a PNG file (no imaging library needed)."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim != 2:
        raise ValueError(f"expected a (height, width) grayscale image, got shape {img.shape}")
    h, w = img.shape
    raw = np.hstack([np.zeros((h, 1), dtype=np.uint8), img]).tobytes()  # filter byte 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # 8-bit grayscale
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                           + chunk(b"IEND", b""))
