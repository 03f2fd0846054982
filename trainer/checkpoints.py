"""A model's checkpoints: one torch-saved dict per iteration, and ``index.json`` that says
what each one did in its evaluation, which is the best and which the final.

torch is imported only by the functions that save or load weights, so listing models stays fast.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import zipfile
from pathlib import Path

from .model_files import ModelStoreError, atomic_write, atomic_write_json, read_json, utc_now

CHECKPOINT_FILE = re.compile(r"^iteration-(\d+)\.pt$")
"""File name of one iteration's checkpoint; group 1 is the iteration."""
CHECKPOINT_WORDS = ("final", "best", "latest", "initial")
MAX_CHECKPOINT_BYTES = 256 * 2**20
"""Most bytes a checkpoint may hold once unpacked (a camera model's is about 10 MB): torch.load
allocates what a checkpoint's entries say, so a small file must not unpack to gigabytes."""
MAX_CHECKPOINT_ENTRIES = 10_000
"""Most entries (tensors and records) in a checkpoint's zip file."""


class CheckpointFileError(ModelStoreError):
    """A checkpoint file that is not a plain, bounded torch zip file; the message names it."""


def check_checkpoint_file(path: Path, where: str | None = None) -> None:
    """Refuse ``path`` unless it is a zip file (torch.save's format) whose entries unpack to at most
    :data:`MAX_CHECKPOINT_BYTES` in all: the sizes its directory claims are checked, then every
    entry is read in bounded chunks and counted (a lying header is caught), before torch sees it."""
    where = where or Path(path).name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_CHECKPOINT_ENTRIES:
                raise CheckpointFileError(f"{where}: {len(infos)} entries; a checkpoint has far fewer "
                                          f"(at most {MAX_CHECKPOINT_ENTRIES})")
            claimed = sum(i.file_size for i in infos)
            if claimed > MAX_CHECKPOINT_BYTES:
                raise CheckpointFileError(f"{where}: unpacks to {claimed / 2**20:.0f} MB, over the "
                                          f"{MAX_CHECKPOINT_BYTES / 2**20:.0f} MB a checkpoint may hold")
            total = 0
            for info in infos:
                with zf.open(info) as fh:
                    while chunk := fh.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_CHECKPOINT_BYTES:
                            raise CheckpointFileError(f"{where}: unpacks to more than "
                                                      f"{MAX_CHECKPOINT_BYTES / 2**20:.0f} MB")
    except CheckpointFileError:
        raise
    except FileNotFoundError:
        raise CheckpointFileError(f"{where}: missing") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CheckpointFileError(f"{where}: refused: not a file torch.save wrote (a truncated file, or an old-style "
                                  f"pickle, which may contain code and is never run: {exc}); pick another "
                                  "checkpoint or train again") from None


def checkpoint_iteration(path: Path) -> int | None:
    """The iteration of a checkpoint file (None for ``initial.pt``)."""
    m = CHECKPOINT_FILE.match(Path(path).name)
    return int(m.group(1)) if m else None


MAX_LAP_S = 86_400.0
"""Longest time an evaluation field in seconds may hold (a day); more is a broken file."""
_COUNTS = ("laps", "laps_completed", "off_track")


def eval_number(ev, key: str, lo: float = 0.0, hi: float = MAX_LAP_S) -> float | None:
    """``ev[key]`` when it is a finite number in ``[lo, hi]``, else None: readers of the index never
    fail on one broken entry (a list, a string or 1e308 where a lap time belongs)."""
    value = ev.get(key) if isinstance(ev, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) and lo <= value <= hi else None


def eval_score(ev: dict) -> tuple:
    """Higher is better: mean progress (%), then laps completed, then faster lap (s)."""
    lap = eval_number(ev, "best_lap_s")
    if lap is None:
        lap = eval_number(ev, "lap_time_s")
    return (eval_number(ev, "progress", 0.0, 100.0) or 0.0, eval_number(ev, "laps_completed", 0, 1e6) or 0.0,
            -(lap if lap is not None else math.inf))


def check_eval(ev) -> dict:
    """A checkpoint's evaluation from a file someone else wrote (an archive's manifest), checked:
    :class:`ModelStoreError` naming the field when a value is not what Trackside writes."""
    if not isinstance(ev, dict) or len(ev) > 64:
        raise ModelStoreError(f"eval: expected an object of evaluation numbers, got {_short(ev)}")
    for key in ev:
        want = _eval_field_problem(ev, key)
        if want:
            raise ModelStoreError(f"eval.{key}: expected {want}, got {_short(ev[key])}")
    return dict(ev)


def clean_eval(ev) -> dict | None:
    """The fields of ``ev`` that are what Trackside writes (the others left out), for readers of
    ``index.json``: the app's pages format these numbers, so a broken one must not reach them."""
    if not isinstance(ev, dict):
        return None
    return {k: v for k, v in list(ev.items())[:64] if not _eval_field_problem(ev, k)}


def _eval_field_problem(ev: dict, key) -> str | None:
    """What field ``key`` of ``ev`` should be, when it is not that; None when it is fine."""
    value = ev[key]
    if not isinstance(key, str):
        return "text keys"
    if key == "progress":
        ok, want = eval_number(ev, key, 0.0, 100.0) is not None, "a progress 0..100 %"
    elif key in _COUNTS:
        ok, want = isinstance(value, int) and eval_number(ev, key, 0, 1e6) is not None, "a whole number >= 0"
    elif key.endswith("_s"):
        ok, want = value is None or eval_number(ev, key) is not None, f"seconds 0..{MAX_LAP_S:.0f} or null"
    else:
        ok = value is None or isinstance(value, bool) or eval_number(ev, key, -1e12, 1e12) is not None \
            or (isinstance(value, str) and len(value) <= 200)
        want = "a number, text or null"
    return None if ok else want


def _clean_entry(entry: dict) -> dict:
    if "eval" not in entry:
        return entry
    ev = clean_eval(entry["eval"])
    return {k: v for k, v in entry.items() if k != "eval"} | ({"eval": ev} if ev is not None else {})


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def save_weights(path: Path, state: dict) -> None:
    """``torch.save`` ``state`` to ``path`` atomically."""
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(path, buf.getvalue())


def load_weights(path: Path, where: str) -> dict:
    """The dict a checkpoint file holds, after :func:`check_checkpoint_file`; a file torch cannot
    read as plain data is a :class:`CheckpointFileError` naming ``where``."""
    check_checkpoint_file(path, where)
    import pickle

    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise CheckpointFileError(f"{where}: refused: not a plain weights file (it may contain code, which is "
                                  f"never run): {first}") from None
    if not isinstance(state, dict):
        raise CheckpointFileError(f"{where}: expected a dict of tensors, got {type(state).__name__}")
    return state


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
        """``index.json``, read defensively: entries that are not what Trackside writes are left out
        (the files they describe still list, bare) and a broken best/final mark reads as none."""
        if not self.index_path.exists():
            return {"checkpoints": [], "best": None, "final": None}
        raw = read_json(self.index_path)
        if not isinstance(raw, dict):
            raise ModelStoreError(f"{self.index_path.name}: expected a JSON object in {self.checkpoints_dir}")
        entries = raw.get("checkpoints")
        entries = [_clean_entry(c) for c in entries if isinstance(c, dict) and _whole(c.get("iteration"))] \
            if isinstance(entries, list) else []
        marks = {k: raw.get(k) if _whole(raw.get(k)) else None for k in ("best", "final")}
        return {**raw, "checkpoints": entries, **marks}

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
        """The saved dict. ``weights_only=True``: a checkpoint can hold no code to run; its size
        is checked first (:func:`check_checkpoint_file`)."""
        path = self.resolve_checkpoint(which)
        return load_weights(path, f"model {self.name!r}: checkpoints/{path.name}")

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
