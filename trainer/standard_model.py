"""Reproduce the bundled ``standard`` model: ``python -m trainer.standard_model``.

The standard model is what race day gives a racer who brings none, and what a
newcomer can evaluate in their first minute. It is trained by Trackside itself on
``workshop_loop`` with the workshop's action space (3 m/s in 3 levels, 30 degrees
in 5 levels), LIDAR, and the speed-aware example reward, then copied without its
optimizer state into ``assets/standard_model/`` in the usual model folder layout.
Training is seeded; on another machine the weights may differ in the last bits
(floating point), the behaviour not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

MINUTES = 4.0
SEED = 7


def build(out: Path, minutes: float = MINUTES) -> dict:
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="trackside-standard-")
    from sim.actions import ActionSpace
    from sim.paths import assets_dir

    from .hyperparameters import Hyperparameters, TrainingConfig
    from .metadata import ModelMetadata
    from .model_files import atomic_write_json
    from .model_store import ModelStore
    from .training import train_model

    torch.set_num_threads(2)
    reward = (assets_dir() / "reward_functions" / "speed_aware.py").read_text()
    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    model = ModelStore(standard_dir=Path(tempfile.mkdtemp())).create(
        # Default hyperparameters: the time limit ends it (4 min is far short of 1000 training iterations).
        "standard-build", meta, Hyperparameters(), reward,
        TrainingConfig(track="workshop_loop", n_cars=32, seed=SEED, max_minutes=minutes))
    train_model(model, install_signals=False,
                on_iteration=lambda row: print(f"iteration {row['iteration']}: eval {row['eval']}", flush=True))
    best = next(c for c in model.list_checkpoints() if c["file"] == model.resolve_checkpoint("best").name)
    state = model.load_checkpoint("best")
    state.pop("optimizer", None)  # the standard model is raced and cloned, never resumed

    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".standard-"))
    for sub in ("model", "ip", "checkpoints", "metrics", "logs", "training-simtrace"):
        (tmp / sub).mkdir()
    for rel in ("model/model_metadata.json", "ip/hyperparameters.json", "reward_function.py",
                "training_config.json", "metrics/iterations.jsonl"):
        shutil.copy2(model.path / rel, tmp / rel)
    it = best["iteration"]
    torch.save(state, tmp / "checkpoints" / f"iteration-{it:04d}.pt")
    entry = {k: best[k] for k in ("iteration", "file", "episodes", "time", "env_steps", "eval") if k in best}
    atomic_write_json(tmp / "checkpoints" / "index.json", {"checkpoints": [entry], "best": it, "final": it})
    status = json.loads((model.path / "status.json").read_text())
    status.update(status="ready", reason="bundled standard model", pid=None)
    atomic_write_json(tmp / "status.json", status)
    if out.exists():
        shutil.rmtree(out)
    os.rename(tmp, out)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "assets" / "standard_model")
    parser.add_argument("--minutes", type=float, default=MINUTES)
    args = parser.parse_args()
    entry = build(args.out, args.minutes)
    print(f"wrote {args.out}: iteration {entry['iteration']}, eval {entry.get('eval')}")


if __name__ == "__main__":
    main()
