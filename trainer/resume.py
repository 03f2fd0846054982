"""Where a training resumes, after a clean stop or a crash at any point of an iteration.

An iteration appends its episode and iteration rows, then saves the checkpoint file, then
enters it in ``checkpoints/index.json``. A crash can stop it between any two of these. On
the next start the latest checkpoint file decides: an index entry it lacks is rebuilt from
the counts the checkpoint carries (or, for an older checkpoint, from the metrics rows), and
metrics rows past it are dropped because the resumed run does that iteration again. So
episode numbers and elapsed time go on from the checkpoint, never restart or repeat.
Temporary files a crash left behind are removed.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path

from .model_folder import Model

STALE_TEMP_S = 60.0
"""An atomic write's temp file older than this was left by a crash (a live write takes far less)."""
STALE_BUILD_S = 3600.0
"""A model folder being built (``.new-*`` in the store) older than this was left by a crash."""
COUNTS = ("episodes", "time", "env_steps", "eval")


def remove_crash_leftovers(model: Model, now: float | None = None) -> list[Path]:
    """Delete the ``.*.tmp`` files in the model folder and the ``.new-*`` folders beside it
    that a crash left behind (old enough that no live write owns them); the paths removed."""
    now = time.time() if now is None else now
    gone = []
    for tmp in model.path.rglob(".*.tmp"):
        with contextlib.suppress(OSError):
            if tmp.is_file() and now - tmp.stat().st_mtime > STALE_TEMP_S:
                tmp.unlink()
                gone.append(tmp)
    for build in model.path.parent.glob(".new-*"):
        with contextlib.suppress(OSError):
            if build.is_dir() and now - build.stat().st_mtime > STALE_BUILD_S:
                shutil.rmtree(build)
                gone.append(build)
    return gone


def _counts_from_metrics(model: Model, iteration: int) -> dict:
    """An older checkpoint without its counts: what its iteration row (written first) said."""
    row = next((r for r in reversed(model.read_iterations()) if r.get("iteration") == iteration), None)
    if row is not None:
        return {"episodes": row.get("episodes", 0), "time": row.get("elapsed_s", 0.0),
                "env_steps": row.get("env_steps", 0), "eval": row.get("eval")}
    eps = [r for r in model.read_episodes() if isinstance(r.get("iteration"), int) and r["iteration"] <= iteration]
    return {"episodes": len(eps), "time": max((float(r.get("time", 0.0)) for r in eps), default=0.0)}


def resume_point(model: Model, init_from: str | None) -> tuple[dict | None, int, int, float]:
    """``(weights, first iteration, episodes so far, training seconds so far)`` for the next run,
    with the index and metrics made to agree with the latest checkpoint file first."""
    if not model.read_only:
        remove_crash_leftovers(model)
    ckpts = model.list_checkpoints()
    if not ckpts:
        if not model.read_only:
            model.truncate_metrics(None)
        return (model.load_checkpoint("initial") if init_from else None), 0, 0, 0.0
    entry, state = ckpts[-1], model.load_checkpoint("latest")
    iteration = int(entry["iteration"])
    if "episodes" not in entry or "time" not in entry:  # the crash came before the index write
        info = {k: state[k] for k in COUNTS if k in state}
        if "episodes" not in info or "time" not in info:
            info = {**_counts_from_metrics(model, iteration), **info}
        info = {k: v for k, v in info.items() if v is not None}
        entry = model.index_checkpoint(iteration, info) if not model.read_only else {**entry, **info}
    if not model.read_only:
        model.truncate_metrics(iteration)
    return state, iteration + 1, int(entry.get("episodes", 0)), float(entry.get("time", 0.0))
