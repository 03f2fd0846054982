"""Camera pixel noise: the rounded Gaussian's grey-level offsets, drawn from 16-bit uniforms by table.

A pixel ``p`` is a whole grey level, so ``rint(p + N(0, sigma)) = p + rint(N(0, sigma))``: the noise
is an integer offset ``k`` with the rounded Gaussian's probability

    P(k) = Phi((k + 1/2) / sigma) - Phi((k - 1/2) / sigma),    Phi(x) = (1 + erf(x / sqrt 2)) / 2.

Rather than one float64 Gaussian per pixel (then add, round, clip: ~6 ms for 64 cars at 80 x 60),
each pixel gets a 16-bit uniform ``u`` and its offset is ``table[u]``: inversion of the discrete
distribution by table look-up (Devroye, *Non-Uniform Random Variate Generation*, 1986, chapter III,
sections 2-3; Marsaglia, "Generating discrete random variables in a computer", Comm. ACM 6(1), 1963)
with the cumulative distribution rounded to multiples of 1/65536: level ``k`` fills the entries
``round(65536 * F(k - 1/2)) .. round(65536 * F(k + 1/2)) - 1`` of the table, ``F(x) = Phi(x / sigma)``.
Each level's share of the table is then within 1/65536 of ``P(k)`` (each end is within 1/131072);
a level of the far tails, each below 1/65536, may get no entry (for ``sigma`` 2 the levels -9 .. 9
get one or more, and the rounded Gaussian goes beyond them once in about 500,000 pixels).

The uniforms come four to a 64-bit word, low 16 bits first, from SplitMix64 (Steele, Lea and Flood,
"Fast splittable pseudorandom number generators", OOPSLA 2014; the constants of Vigna's reference
``splitmix64.c``) started at a key that is one 64-bit draw of the environment's generator per
frame batch: word ``j`` (from 1) is the SplitMix64 mix of ``key + j * 0x9E3779B97F4A7C15``. Each
word is a pure function of the key and its index, so the compiled pass makes them inside its loop
(no 300,000-draw array from the bit generator, which cost more than all the rest of the noise) and
numpy makes the same ones for the reference.
"""

from __future__ import annotations

import math
import sys
from functools import lru_cache

import numpy as np

TABLE_BITS = 16
"""Bits of the uniform draw that picks a table entry: levels are right to ``2 ** -TABLE_BITS``."""
MAX_SIGMA = 1000.0
"""Largest noise the table supports, grey levels (the compiled adder counts in 16 bits)."""


@lru_cache(maxsize=8)
def level_bounds(sigma: float) -> tuple[int, np.ndarray]:
    """``(lowest, bounds)``: the lowest offset drawn and the ``(L - 1,)`` uint16 table positions where
    each next offset starts, non-decreasing (offset ``lowest + j`` fills ``bounds[j - 1] .. bounds[j] - 1``).
    ``sigma``: standard deviation, grey levels, in ``(0, MAX_SIGMA]``."""
    if not 0.0 < sigma <= MAX_SIGMA:
        raise ValueError(f"camera noise must be in (0, {MAX_SIGMA:g}] grey levels, got {sigma}")
    size = 1 << TABLE_BITS
    reach = int(math.ceil(6.0 * sigma)) + 1  # far beyond the last level that gets an entry
    k = np.arange(-reach, reach + 1)
    upper = np.array([round(size * 0.5 * (1.0 + math.erf((j + 0.5) / (sigma * math.sqrt(2.0))))) for j in k])
    starts = np.concatenate([[0], upper[:-1]])  # where each level's entries begin
    used = np.flatnonzero(upper > starts)
    # From the first level with entries to the last; a far-tail level between them may have none
    # (two equal bounds: a draw passes both at once).
    bounds = starts[used[0] + 1:used[-1] + 1].astype(np.uint16)
    bounds.flags.writeable = False  # shared by every caller through the cache
    return int(k[used[0]]), bounds


def level_table(sigma: float) -> np.ndarray:
    """``(65536,)`` int16: the offset of each 16-bit uniform draw (the table the module docstring describes)."""
    lowest, bounds = level_bounds(sigma)
    counts = np.diff(np.concatenate([[0], bounds.astype(np.int64), [1 << TABLE_BITS]]))
    return np.repeat(np.arange(lowest, lowest + len(counts)), counts).astype(np.int16)


SPLITMIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
"""SplitMix64's increment and its two mixing multipliers."""


def uniform16(key: int, size: int) -> np.ndarray:
    """``(size,)`` uint16 uniform draws: four from each SplitMix64 word after ``key`` (low bits first)."""
    step, m1, m2 = (np.uint64(c) for c in SPLITMIX)
    z = np.uint64(key) + np.arange(1, -(-size // 4) + 1, dtype=np.uint64) * step  # wraps modulo 2**64
    z = (z ^ (z >> np.uint64(30))) * m1
    z = (z ^ (z >> np.uint64(27))) * m2
    z ^= z >> np.uint64(31)
    shifts = np.arange(4, dtype=np.uint64) * np.uint64(16)
    return ((z[:, None] >> shifts) & np.uint64(0xFFFF)).astype(np.uint16).ravel()[:size]


def frame_key(rng: np.random.Generator) -> int:
    """One 64-bit draw of ``rng``: the key of a batch of frames' uniforms."""
    return int(rng.integers(0, np.iinfo(np.uint64).max, dtype=np.uint64, endpoint=True))


def add_pixel_noise(rng: np.random.Generator, images: np.ndarray, sigma: float, compiled: bool = True) -> np.ndarray:
    """``images`` (uint8, any shape) plus rounded Gaussian noise of ``sigma`` grey levels, clipped to
    0..255, as a new uint8 array. ``compiled``: through :func:`sim.camera_kernels.add_levels` (False:
    numpy through :func:`level_table`, the same pixels from the same draws)."""
    pixels = np.ascontiguousarray(images, dtype=np.uint8).reshape(-1)
    key = frame_key(rng)
    if not compiled or sys.byteorder != "little":  # the compiled pass reads each word's 16-bit parts in memory order
        noisy = pixels.astype(np.int16) + level_table(sigma)[uniform16(key, pixels.size)]
        return np.clip(noisy, 0, 255).astype(np.uint8).reshape(np.shape(images))
    # Imported here, not at the top: importing numba costs every CLI command ~0.2 s.
    from sim import camera_kernels

    lowest, bounds = level_bounds(float(sigma))
    out = np.empty_like(pixels)
    camera_kernels.add_levels(pixels, np.uint64(key), bounds, lowest, out)
    return out.reshape(np.shape(images))
