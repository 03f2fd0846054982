"""A model's checkpoints: one torch-saved dict per iteration, and ``index.json`` that says
what each one did in its evaluation, which is the best and which the final.

torch is imported only by the functions that save or load weights, so listing models stays fast.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

from .model_files import ModelStoreError, atomic_write, atomic_write_json, read_json, utc_now

CHECKPOINT_FILE = re.compile(r"^iteration-(\d+)\.pt$")
"""File name of one iteration's checkpoint; group 1 is the iteration."""
CHECKPOINT_WORDS = ("final", "best", "latest", "initial")


def checkpoint_iteration(path: Path) -> int | None:
    """The iteration of a checkpoint file (None for ``initial.pt``)."""
    m = CHECKPOINT_FILE.match(Path(path).name)
    return int(m.group(1)) if m else None


def eval_score(ev: dict) -> tuple:
    """Higher is better: mean progress (%), then laps completed, then faster lap (s)."""
    lap = ev.get("best_lap_s", ev.get("lap_time_s"))
    return (float(ev.get("progress", 0.0)), float(ev.get("laps_completed", 0)),
            -(float(lap) if lap is not None else math.inf))


def save_weights(path: Path, state: dict) -> None:
    """``torch.save`` ``state`` to ``path`` atomically."""
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(path, buf.getvalue())


class CheckpointsMixin:
    """The checkpoint part of :class:`trainer.model_folder.Model` (needs ``checkpoints_dir``, ``name``)."""

    checkpoints_dir: Path
    name: str

    @property
    def index_path(self) -> Path:
        return self.checkpoints_dir / "index.json"

    @property
    def initial_path(self) -> Path:
        return self.checkpoints_dir / "initial.pt"

    def checkpoint_path(self, iteration: int) -> Path:
        return self.checkpoints_dir / f"iteration-{int(iteration):04d}.pt"

    def _index(self) -> dict:
        if not self.index_path.exists():
            return {"checkpoints": [], "best": None, "final": None}
        return read_json(self.index_path)

    def write_checkpoint(self, iteration: int, state: dict, info: dict | None = None) -> dict:
        """Save one iteration's weights (a dict of tensors and plain values) and index it.

        ``info`` may hold ``episodes`` (total so far), ``time`` (training s so far) and
        ``eval`` (``progress`` %, ``laps_completed``, ``best_lap_s`` s ...); a checkpoint whose
        eval beats the current best (:func:`eval_score`) becomes "best".
        """
        self._writable()
        path = self.checkpoint_path(iteration)
        # The weights go first: a crash before the index write leaves an unindexed file,
        # which list_checkpoints() still finds.
        save_weights(path, state)
        return self.index_checkpoint(iteration, info)

    def index_checkpoint(self, iteration: int, info: dict | None = None) -> dict:
        """Enter (or re-enter) an existing checkpoint file in ``index.json``: :meth:`write_checkpoint`'s
        second half, and the repair after a crash between the two."""
        self._writable()
        path = self.checkpoint_path(iteration)
        entry = {"iteration": int(iteration), "file": path.name, "written": utc_now(), **(info or {})}
        index = self._index()
        index["checkpoints"] = [c for c in index["checkpoints"] if c["iteration"] != int(iteration)] + [entry]
        index["checkpoints"].sort(key=lambda c: c["iteration"])
        if "eval" in entry:
            best = next((c for c in index["checkpoints"] if c["iteration"] == index.get("best")), None)
            if best is None or "eval" not in best or eval_score(entry["eval"]) > eval_score(best["eval"]):
                index["best"] = int(iteration)
        atomic_write_json(self.index_path, index)
        return entry

    def write_initial(self, state: dict) -> None:
        """Starting weights for the next training (a clone's or an import's)."""
        self._writable(not_busy=True)
        save_weights(self.initial_path, state)

    def list_checkpoints(self) -> list[dict]:
        """Index entries of the checkpoint files that exist, by iteration; unindexed files get a bare entry."""
        indexed = {c["iteration"]: c for c in self._index()["checkpoints"]}
        out = []
        for f in self.checkpoints_dir.glob("iteration-*.pt"):
            it = checkpoint_iteration(f)
            if it is not None:
                out.append(indexed.get(it, {"iteration": it, "file": f.name}))
        return sorted(out, key=lambda c: c["iteration"])

    def checkpoint_entry(self, which: int | str) -> dict | None:
        """The index entry of checkpoint ``which`` (None for ``initial`` or when it has none)."""
        it = checkpoint_iteration(self.resolve_checkpoint(which))
        return next((c for c in self.list_checkpoints() if c["iteration"] == it), None)

    def resolve_checkpoint(self, which: int | str = "latest") -> Path:
        """The file of iteration ``which``, or of "best", "final", "latest" or "initial"."""
        if which == "initial":
            path = self.initial_path
        else:
            its = [c["iteration"] for c in self.list_checkpoints()]
            index = self._index()
            if which == "latest":
                it = its[-1] if its else None
            elif which in ("best", "final"):
                it = index.get(which)
            elif isinstance(which, int) and not isinstance(which, bool):
                it = which
            else:
                raise ModelStoreError(f"checkpoint: expected an iteration or {'/'.join(CHECKPOINT_WORDS)}, "
                                      f"got {which!r}")
            path = self.checkpoint_path(it) if it is not None else None
        if path is None or not path.exists():
            raise ModelStoreError(f"model {self.name!r} has no {which} checkpoint")
        return path

    def pick_checkpoint(self) -> str | None:
        """What to race, export or clone from: "final", else "best", else "latest", else "initial"."""
        for which in CHECKPOINT_WORDS:
            with contextlib.suppress(ModelStoreError):
                self.resolve_checkpoint(which)
                return which
        return None

    def load_checkpoint(self, which: int | str = "latest") -> dict:
        """The saved dict. ``weights_only=True``: a checkpoint can hold no code to run."""
        import torch

        return torch.load(self.resolve_checkpoint(which), map_location="cpu", weights_only=True)

    def set_final(self, iteration: int) -> None:
        self._set_mark("final", iteration)

    def set_best(self, iteration: int) -> None:
        self._set_mark("best", iteration)

    def _set_mark(self, mark: str, iteration: int) -> None:
        self._writable()
        index = self._index()
        if not self.checkpoint_path(iteration).exists():
            raise ModelStoreError(f"model {self.name!r} has no checkpoint for iteration {iteration}")
        if not any(c["iteration"] == iteration for c in index["checkpoints"]):
            index["checkpoints"].append({"iteration": int(iteration), "file": self.checkpoint_path(iteration).name})
        index[mark] = int(iteration)
        atomic_write_json(self.index_path, index)

    def prune_checkpoints(self, keep_last: int = 5) -> None:
        """Delete old checkpoint files, keeping the last ``keep_last`` and the best and final ones."""
        self._writable()
        index = self._index()
        its = [c["iteration"] for c in self.list_checkpoints()]
        keep = set(its[-keep_last:]) | {index.get("best"), index.get("final")}
        for it in its:
            if it not in keep:
                self.checkpoint_path(it).unlink(missing_ok=True)
        index["checkpoints"] = [c for c in index["checkpoints"] if c["iteration"] in keep]
        atomic_write_json(self.index_path, index)
