"""Training SIM_TRACE as DeepRacer lays it out: every car, whole episodes, one file per iteration.

What is traced: **every step of every car** (all ``n_cars``). Each car's rows are held in memory
until its episode ends; the finished episode then waits in a queue, in the order episodes
finish, until :meth:`EpisodeTraces.write_iteration` writes the iteration's episodes to
``training-simtrace/{iteration}-iteration.csv`` (written whole, atomically). So:

- every episode in a file is whole: its first row is step 1 (``prepare``), its last is
  ``done`` (``True``);
- ``episode`` counts finished episodes over the model's training, from 0, in the order they
  finished: the same number as ``metrics/episodes.jsonl``'s ``episode``. DeepRacer numbers them
  this way (``bundle/markov/metrics/s3_metrics.py``: ``TrainingMetrics.upload_step_metrics``
  stamps rows with the count of finished episodes) and deepracer-utils relies on it:
  ``DeepRacerLog.load_training_trace`` takes the episodes per iteration from iteration 0's
  largest episode number (+1) and rebuilds ``unique_episode = episode % that + iteration * that``.
  That is the episode number itself when every iteration holds the same count, which
  :class:`trainer.ppo.PPO` ensures (exactly ``num_episodes_between_training`` per iteration;
  the last, cut short by a stop, may hold fewer);
- an episode still running when training stops is **dropped** (not written): it has no
  ending, and DeepRacer's metrics only count finished episodes. So are the few that ended in
  the last iteration's last step beyond its quota (``metrics/episodes.jsonl`` has neither).

``tstamp`` is DeepRacer's simulation clock: simulated seconds since the run started (all cars
share it, 1/15 s a step), so an episode spans from its ``prepare`` row to its last row. Note:
deepracer-utils times a lap from the ``prepare`` row (the end of step 1) to the last row, in
whole steps; ``metrics/episodes.jsonl``'s ``lap_time`` counts from the start and interpolates the
finish-line crossing inside the last step, so deepracer-utils' lap time is ``lap_time`` less
that step's uncrossed fraction: within one step (0.067 s) below it, never above.

Cost: rows are formatted as the steps happen, all cars at once (:func:`trainer.simtrace.format_rows`);
see the module's tests and the project report for the measured steps/s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .model_files import atomic_write
from .simtrace import HEADER, format_rows, step_columns


@dataclass
class TracedEpisode:
    """A finished episode's rows (without the episode column) and its clock, simulated s."""

    rows: list[str]
    start_s: float
    """The run's simulation clock when the episode started (before its first step)."""
    end_s: float
    """The clock after its last step."""
    car: int


class EpisodeTraces:
    """Collects whole episodes of all ``n_cars`` cars, step by step; ``dt`` is one step, s.

    Call :meth:`record_step` after every environment step with ``(env, info, actions,
    rewards)`` (what :class:`trainer.ppo.PPO`'s ``on_step`` receives; any algorithm stepping a
    :class:`sim.env.RacingEnv` can call it), then :meth:`write_iteration` once per iteration.
    ``clock_s`` starts the simulation clock (a resumed run goes on from the last one).
    """

    def __init__(self, n_cars: int, dt: float, clock_s: float = 0.0):
        self.n, self.dt = n_cars, dt
        self.clock_s = float(clock_s)
        self._open: list[list[str]] = [[] for _ in range(n_cars)]
        self._start = np.full(n_cars, self.clock_s)
        self.finished: list[TracedEpisode] = []

    def record_step(self, env, info: dict, actions, rewards) -> None:
        """Add one step's row for every car; cars whose episode ended move to :attr:`finished`
        (in car order, the order :class:`trainer.ppo.PPO` lists the episodes that ended)."""
        self.clock_s += self.dt
        cols = step_columns(env, info, np.asarray(actions), cars=slice(None), tstamp=self.clock_s, reward=rewards)
        lines = format_rows(**cols)
        for buf, line in zip(self._open, lines):
            buf.append(line)
        for car in np.flatnonzero(np.asarray(info["status"]) != 0).tolist():
            self.finished.append(TracedEpisode(self._open[car], float(self._start[car]), self.clock_s, car))
            self._open[car] = []
            self._start[car] = self.clock_s

    def take(self, count: int) -> list[TracedEpisode]:
        """The first ``count`` finished episodes (fewer if fewer finished), removed from the queue."""
        out, self.finished = self.finished[:count], self.finished[count:]
        return out

    def write_iteration(self, path: str | os.PathLike, first_episode: int, count: int) -> list[TracedEpisode]:
        """Write the next ``count`` finished episodes, numbered from ``first_episode``, as the
        whole SIM_TRACE file ``path`` (replacing one a crashed run left); returns them."""
        episodes = self.take(count)
        parts = [HEADER + "\n"]
        for k, ep in enumerate(episodes):
            prefix = f"{first_episode + k},"
            parts.append("".join(prefix + row + "\n" for row in ep.rows))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(Path(path), "".join(parts))
        return episodes

    @property
    def running(self) -> int:
        """Episodes under way (not yet finished): what a stop now would drop."""
        return sum(1 for buf in self._open if buf)

