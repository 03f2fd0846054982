"""Where the objects of new episodes start: distances along the driving direction and lanes.

DeepRacer's ``_compute_obstacle_poses`` / ``_compute_bot_car_initial_states`` (see :mod:`sim.objects`
for the rules). Split from :class:`sim.objects.ObjectWorld`, which keeps the rows when nothing is random.
"""

from __future__ import annotations

import numpy as np

from .track import Track


def spread(track: Track, k: int, n: int, first: float, gap: float, randomize: bool,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Distances ``(k, n)`` and lanes ``(k, n)`` for ``n`` objects in ``k`` episodes (DeepRacer's
    ``_compute_obstacle_poses`` / ``_compute_bot_car_initial_states``); read-only views when not random."""
    last = track.length - 1.0
    even = np.broadcast_to(np.linspace(first, last, n), (k, n)) if n else np.zeros((k, 0))
    slack = (last - first) - (n - 1) * gap
    if not randomize:  # the same rows every episode: broadcast, the caller copies them in
        return even, np.broadcast_to(np.arange(n) % 2.0, (k, n))  # alternating lanes
    if slack > 0:
        d = first + np.sort(rng.uniform(0.0, slack, (k, n)), axis=1) + gap * np.arange(n)
    else:  # no room to move: DeepRacer keeps the even spacing
        d = even.copy()
    return d, rng.integers(0, 2, (k, n)).astype(np.float64)


def start_rows(track: Track, cfg, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Start distances and lanes ``(k, m)`` of ``k`` new episodes' objects (obstacles, then bot cars)
    for :class:`sim.objects.ObjectsConfig` ``cfg``."""
    if cfg.object_positions:
        pos = np.array(cfg.object_positions, dtype=np.float64).reshape(-1, 2)
        d_obs = np.broadcast_to(pos[:, 0] * track.length, (k, len(pos)))
        lane_obs = np.broadcast_to(np.where(pos[:, 1] < 0, 1.0, 0.0), (k, len(pos)))
    else:
        gap = cfg.min_distance_between_obstacles / 100.0 * track.length
        d_obs, lane_obs = spread(track, k, cfg.n_obstacles, gap, gap, cfg.randomize_obstacle_locations, rng)
    gap = cfg.min_distance_between_bot_cars
    d_bot, lane_bot = spread(track, k, cfg.n_bots, gap, gap, cfg.randomize_bot_car_locations, rng)
    return np.hstack([d_obs, d_bot]), np.hstack([lane_obs, lane_bot])
