"""DeepRacer's per-episode metrics files: ``metrics/TrainingMetrics.json`` and evaluation metrics.

Formats as DeepRacer's simulation application writes them (``bundle/markov/metrics/s3_metrics.py``
in aws-deepracer-community/deepracer-simapp: ``TrainingMetrics.append_episode_metrics`` /
``upload_episode_metrics`` and ``EvalMetrics.append_episode_metrics``), read by deepracer-utils'
``deepracer.logs.TrainingMetrics`` and by the DeepRacer console::

    {"metrics": [{"reward_score": int, "metric_time": ms, "start_time": ms,
                  "elapsed_time_in_milliseconds": ms, "episode": int, "trial": int,
                  "phase": "training" | "evaluation", "completion_percentage": int,
                  "episode_status": "Lap complete" | "Off track" | ...}, ...],
     "version": 2.0, "best_model_metric": "progress"}

Training entries, one per finished training episode, in the order they finished: ``episode``
counts them from 1 (DeepRacer increments before writing), ``trial`` is the episode's place in
its iteration (1..``num_episodes_between_training``): deepracer-utils takes the episodes per
iteration from the largest ``trial`` and the iteration from ``(episode - 1) // that``. Times
are milliseconds of the run's simulation clock (:class:`trainer.episode_traces.EpisodeTraces`);
a completed lap's ``elapsed_time_in_milliseconds`` is its ``lap_time``, other episodes' their
steps times 1/15 s. ``reward_score`` is the episode's summed reward rounded, ``completion_percentage``
its progress truncated, as DeepRacer does. One file per model, resumed runs going on with it:
after a run stopped part-way through an iteration, the later entries sit up to one iteration
off in deepracer-utils' reckoning (DeepRacer starts a new file, a new "round", per training).

Evaluation entries, one per lap of the greedy evaluation after each iteration, carry the
iteration's last training ``episode`` and ``trial`` (DeepRacer does not count evaluation
episodes). Where Trackside differs, it says so in the values rather than inventing them:
its evaluation does not run the reward function, so their ``reward_score`` is ``null``; a lap
that did not finish has no measured time, so its ``elapsed_time_in_milliseconds`` is ``null``.

``trackside evaluate`` writes DeepRacer-for-Cloud's evaluation metrics file beside its SIM_TRACE:
``metrics/evaluation/evaluation-YYYYMMDDHHMMSS.json`` for ``evaluation-YYYYMMDDHHMMSS/...``,
``{"metrics": [...]}`` with ``EvalMetrics``' keys (no ``version``, as DeepRacer's).
Every file is written whole and atomically (:func:`trainer.model_files.atomic_write`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .model_files import atomic_write

METRICS_VERSION = 2.0
"""``markov/constants.py``'s ``METRICS_VERSION``."""
STATUS_LABELS = {"lap_complete": "Lap complete", "crashed": "Crashed", "off_track": "Off track",
                 "immobilized": "Immobilized", "in_progress": "In progress", "pause": "Pause",
                 "reversed": "Reversed", "park": "Park", "time_up": "Time Up", "prepare": "Prepare"}
"""``markov/metrics/constants.py``'s ``EPISODE_STATUS_LABEL_MAP``: trace word -> metrics label."""


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def training_entries(rows: list[dict], starts_s: list[float], dt: float) -> list[dict]:
    """TrainingMetrics entries for one iteration's episode rows (``metrics/episodes.jsonl``
    rows: ``episode`` 0-based, ``reward``, ``progress``, ``steps``, ``status``, ``lap_time`` s)
    with each episode's start on the simulation clock, ``starts_s`` (s); ``dt`` one step, s."""
    out = []
    for trial, (row, start) in enumerate(zip(rows, starts_s), start=1):
        lap = row.get("lap_time")
        elapsed = _ms(lap) if lap is not None else _ms(row["steps"] * dt)
        out.append({"reward_score": round(row["reward"]), "metric_time": _ms(start) + elapsed,
                    "start_time": _ms(start), "elapsed_time_in_milliseconds": elapsed,
                    "episode": int(row["episode"]) + 1, "trial": trial, "phase": "training",
                    "completion_percentage": int(row["progress"]),
                    "episode_status": STATUS_LABELS.get(row["status"], row["status"])})
    return out


def evaluation_entries(laps, episode: int, trial: int, clock_s: float) -> list[dict]:
    """Entries for the laps (:class:`trainer.driving.LapResult`) of the evaluation after an
    iteration: ``episode``, ``trial`` as the iteration's last training entry; the laps follow
    each other on the clock from ``clock_s`` (s)."""
    out, t = [], _ms(clock_s)
    for lap in laps:
        elapsed = _ms(lap.time_s) if lap.completed and lap.time_s is not None else None
        out.append({"reward_score": None, "metric_time": t + (elapsed or 0), "start_time": t,
                    "elapsed_time_in_milliseconds": elapsed, "episode": episode, "trial": trial,
                    "phase": "evaluation", "completion_percentage": int(lap.progress),
                    "episode_status": STATUS_LABELS.get(lap.status, lap.status)})
        t += elapsed or 0
    return out


class TrainingMetricsFile:
    """``metrics/TrainingMetrics.json`` of a model folder, kept in memory and rewritten whole.

    ``keep_episodes``: a resumed run keeps the entries of its first ``keep_episodes`` training
    episodes (and their evaluations) and drops what a crashed iteration left after them.
    """

    def __init__(self, path: str | os.PathLike, keep_episodes: int = 0):
        self.path = Path(path)
        self.entries: list[dict] = []
        if keep_episodes > 0:
            try:
                old = json.loads(self.path.read_text(encoding="utf-8")).get("metrics", [])
            except (OSError, ValueError, AttributeError):
                old = []  # none yet, or unreadable: this run's entries start it again
            self.entries = [e for e in old if isinstance(e, dict) and isinstance(e.get("episode"), int)
                            and e["episode"] <= keep_episodes]

    @property
    def clock_s(self) -> float:
        """Where the simulation clock stood at the last training entry, s (0 when none)."""
        times = [e["metric_time"] for e in self.entries if e.get("phase") == "training"]
        return max(times) / 1000 if times else 0.0

    def add(self, entries: list[dict]) -> None:
        self.entries.extend(entries)

    def write(self) -> None:
        atomic_write(self.path, json.dumps({"metrics": self.entries, "version": METRICS_VERSION,
                                            "best_model_metric": "progress"}, allow_nan=False))


def evaluation_metrics_path(trace_path: str | os.PathLike) -> Path:
    """``BASE/metrics/evaluation/evaluation-STAMP.json`` for the SIM_TRACE
    ``BASE/evaluation-STAMP/evaluation-simtrace/0-iteration.csv`` (DeepRacer-for-Cloud's pairing)."""
    trace_path = Path(trace_path)
    folder = trace_path.parents[1]
    return folder.parent / "metrics" / "evaluation" / f"{folder.name}.json"


def write_evaluation_metrics(path: str | os.PathLike, laps, lap_starts_s: list[float], lap_ends_s: list[float],
                             resets: list[dict]) -> None:
    """DeepRacer's evaluation metrics for ``trackside evaluate``'s laps: per lap its start and
    end on the evaluation's simulation clock (s) and its resets by trace word (``{"off_track": n, ...}``).
    A completed lap's time is its lap time (penalties included), another's its time on the clock."""
    out, trials = [], 0
    for lap, start, end, reset in zip(laps, lap_starts_s, lap_ends_s, resets):
        trials += bool(lap.completed)  # DeepRacer's trial counts the completed laps so far
        counts = {f"{name}_count": int(reset.get(key, 0)) for name, key in
                  (("crash", "crashed"), ("immobilized", "immobilized"), ("off_track", "off_track"),
                   ("reversed", "reversed"))}
        elapsed = lap.time_s if lap.completed and lap.time_s is not None else end - start
        out.append({"completion_percentage": int(lap.progress), "metric_time": _ms(start + elapsed),
                    "start_time": _ms(start), "elapsed_time_in_milliseconds": _ms(elapsed),
                    "episode_status": STATUS_LABELS.get(lap.status, lap.status), **counts,
                    "reset_count": sum(counts.values()), "trial": trials})
    atomic_write(Path(path), json.dumps({"metrics": out}))
