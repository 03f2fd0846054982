"""What a training leaves to read: metrics (JSON lines), the training log and SIM_TRACE paths."""

from __future__ import annotations

import contextlib
import json
import math
import time
from pathlib import Path

from .log_cap import append_line
from .model_files import append_jsonl, atomic_write, read_jsonl, utc_now


def format_seconds(value: float | None) -> str:
    """A time for people: ``12.345 s``, or ``-`` when there is none."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    return f"{float(value):.3f} s"


class ModelMetricsMixin:
    """The metrics part of :class:`trainer.model_folder.Model` (needs ``path``)."""

    path: Path

    @property
    def episodes_path(self) -> Path:
        return self.path / "metrics" / "episodes.jsonl"

    @property
    def iterations_path(self) -> Path:
        return self.path / "metrics" / "iterations.jsonl"

    @property
    def log_path(self) -> Path:
        return self.path / "logs" / "training.log"

    @property
    def process_log_path(self) -> Path:
        """Where a training process started in the background writes its output."""
        return self.path / "logs" / "process.log"

    @property
    def training_simtrace_dir(self) -> Path:
        return self.path / "training-simtrace"

    def append_episodes(self, rows: list[dict]) -> None:
        self._writable()
        append_jsonl(self.episodes_path, rows)

    def append_iterations(self, rows: list[dict]) -> None:
        self._writable()
        append_jsonl(self.iterations_path, rows)

    def truncate_metrics(self, last_iteration: int | None) -> int:
        """Drop the episode and iteration rows after ``last_iteration`` (all of them for None):
        what a crash left of an iteration whose checkpoint was never written, and which the
        resumed run writes again. Returns how many rows went."""
        dropped = 0
        for path in (self.episodes_path, self.iterations_path):
            rows = read_jsonl(path)
            keep = [r for r in rows if not isinstance(r.get("iteration"), int)
                    or (last_iteration is not None and r["iteration"] <= last_iteration)]
            if len(keep) != len(rows):
                self._writable()
                atomic_write(path, "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in keep))
                dropped += len(rows) - len(keep)
        return dropped

    def read_episodes(self) -> list[dict]:
        return read_jsonl(self.episodes_path)

    def read_iterations(self) -> list[dict]:
        return read_jsonl(self.iterations_path)

    def log(self, message: str) -> None:
        """Append a timestamped line to ``logs/training.log``, rotated at 5 MB keeping one old file
        (:mod:`trainer.log_cap`), so a run that logs a lot cannot fill the disk."""
        self._writable()
        append_line(self.log_path, f"{utc_now()} {message}")

    def training_simtrace_path(self, iteration: int) -> Path:
        return self.training_simtrace_dir / f"{int(iteration)}-iteration.csv"

    def new_evaluation_simtrace_path(self, when: float | None = None) -> Path:
        """A fresh ``evaluation-YYYYMMDDHHMMSS/evaluation-simtrace/0-iteration.csv`` (UTC; bumped a second if taken)."""
        self._writable()
        return new_evaluation_simtrace_path(self.path, when)

    def evaluation_simtraces(self) -> list[Path]:
        return sorted(self.path.glob("evaluation-*/evaluation-simtrace/0-iteration.csv"))


def new_evaluation_simtrace_path(base: Path, when: float | None = None) -> Path:
    """``base/evaluation-YYYYMMDDHHMMSS/evaluation-simtrace/0-iteration.csv``, a folder nobody uses yet."""
    t = int(when if when is not None else time.time())
    while True:
        folder = base / f"evaluation-{time.strftime('%Y%m%d%H%M%S', time.gmtime(t))}"
        with contextlib.suppress(FileExistsError):
            folder.mkdir(parents=True)
            (folder / "evaluation-simtrace").mkdir()
            return folder / "evaluation-simtrace" / "0-iteration.csv"
        t += 1
