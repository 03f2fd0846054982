"""One model folder: its files, status, checkpoints, metrics and traces.

See ``trainer.model_store`` for the folder layout and the store that creates,
lists, clones, renames and deletes models.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

import torch

from sim.errors import TracksideError
from trainer.hyperparameters import Hyperparameters, TrainingConfig
from trainer.metadata import ModelMetadata

STATUSES = ("draft", "training", "stopping", "ready", "failed")
TRANSITIONS = {"draft": {"training"}, "training": {"stopping", "ready", "failed"},
               "stopping": {"ready", "failed"}, "ready": {"training"}, "failed": {"training"}}
"""Allowed status changes. Nothing returns to draft: trained weights would no longer match a changed model."""
STANDARD_NAME = "standard"
READ_ONLY_MESSAGE = "the standard model is read-only; clone it to train your own"
NAME_RULE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CKPT_FILE = re.compile(r"^iteration-(\d+)\.pt$")


class ModelStoreError(TracksideError):
    """A model operation that cannot be done; the message says why in plain words."""


class ReadOnlyModelError(ModelStoreError):
    pass


class StatusError(ModelStoreError):
    pass


# -- atomic files -----------------------------------------------------------------------------
def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` so readers (and a crash) see the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        for attempt in range(20):
            try:
                os.replace(tmp, path)
                break
            except PermissionError:
                # Windows refuses to replace a file another process has open for reading
                # (the GUI polling status.json); it is free again within milliseconds.
                if os.name != "nt" or attempt == 19:
                    raise
                time.sleep(0.05)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":  # make the rename itself survive a power cut
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def atomic_write_json(path: str | os.PathLike, obj) -> None:
    atomic_write(path, json.dumps(obj, indent=2) + "\n")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelStoreError(f"{path.name}: missing from {path.parent}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelStoreError(f"{path.name}: not valid JSON ({exc})") from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes
        k32 = ctypes.windll.kernel32
        handle = k32.OpenProcess(0x1000, False, int(pid))
        if not handle:
            return False
        code = ctypes.c_ulong()
        k32.GetExitCodeProcess(handle, ctypes.byref(code))
        k32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- records ------------------------------------------------------------------------------------
@dataclass
class Status:
    """``status.json``: where a model is in its life, and why it failed if it did."""

    status: str = "draft"
    reason: str | None = None
    """Plain-words reason for a failure or a stop."""
    updated: str = ""
    """ISO time (UTC) of the last change."""
    created: str | None = None
    pid: int | None = None
    """Process id of the training process while training or stopping."""
    detail: dict | None = None
    """For a failure: {"step": int, "params": {key: short text}}."""


@dataclass(frozen=True)
class ModelInfo:
    """One line of the model list."""

    name: str
    status: str
    track: str | None
    sensor: str | None
    """The primary sensor."""
    n_actions: int
    """Discrete actions (0 for continuous)."""
    action_space_type: str | None
    best_lap_s: float | None
    """Fastest evaluated lap over all checkpoints, s."""
    created: str | None
    read_only: bool
    problem: str | None = None
    """Why the folder could not be read, if it could not."""


def summarize_params(params: dict, width: int = 60) -> dict[str, str]:
    """Reward-function params as short text, for a failure report (lists shown by length)."""
    out = {}
    for key, value in dict(params).items():
        if isinstance(value, str):
            text = value  # already text (e.g. summarised once before): keep it as it is
        elif isinstance(value, (list, tuple)) and len(value) > 4:
            text = f"[{len(value)} items]"
        elif isinstance(value, float):
            text = f"{value:.4g}"
        else:
            text = repr(value)
        out[str(key)] = text if len(text) <= width else text[:width - 3] + "..."
    return out


def eval_score(ev: dict) -> tuple:
    """Higher is better: mean progress (%), then laps completed, then faster lap (s)."""
    lap = ev.get("best_lap_s", ev.get("lap_time_s"))
    return (float(ev.get("progress", 0.0)), float(ev.get("laps_completed", 0)),
            -(float(lap) if lap is not None else math.inf))


# -- one model ----------------------------------------------------------------------------------
class Model:
    """A model folder. Every write checks that the model may change now."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False, name: str | None = None):
        self.path = Path(path)
        self.name = name or self.path.name
        self.read_only = read_only
        p = self.path
        self.metadata_path = p / "model" / "model_metadata.json"
        self.hyperparameters_path = p / "ip" / "hyperparameters.json"
        self.reward_path = p / "reward_function.py"
        self.config_path = p / "training_config.json"
        self.status_path = p / "status.json"
        self.checkpoints_dir = p / "checkpoints"
        self.index_path = self.checkpoints_dir / "index.json"
        self.initial_path = self.checkpoints_dir / "initial.pt"
        self.episodes_path = p / "metrics" / "episodes.jsonl"
        self.iterations_path = p / "metrics" / "iterations.jsonl"
        self.log_path = p / "logs" / "training.log"
        self.training_simtrace_dir = p / "training-simtrace"

    def __repr__(self) -> str:
        return f"Model({self.name!r}, {str(self.path)!r}{', read_only' if self.read_only else ''})"

    def _writable(self, *, not_busy: bool = False) -> None:
        if self.read_only:
            raise ReadOnlyModelError(READ_ONLY_MESSAGE)
        if not_busy and self.is_busy():
            raise ModelStoreError(f"model {self.name!r} is training; stop it first")

    # -- files ------------------------------------------------------------------------------
    def metadata(self) -> ModelMetadata:
        return ModelMetadata.from_json(self.metadata_path.read_bytes())

    def write_metadata(self, metadata: ModelMetadata) -> None:
        """Only a draft may change what it is: trained weights fit only their own action space and sensor."""
        self._writable()
        if self.status_path.exists() and self.status().status != "draft":
            raise ModelStoreError(f"model {self.name!r} has been trained; its action space and sensor are "
                                  "fixed (create a new model to change them)")
        atomic_write(self.metadata_path, metadata.to_json())

    def hyperparameters(self) -> Hyperparameters:
        return Hyperparameters.from_json(self.hyperparameters_path.read_bytes())

    def write_hyperparameters(self, hp: Hyperparameters) -> None:
        self._writable(not_busy=True)
        atomic_write(self.hyperparameters_path, hp.to_json())

    def reward_source(self) -> str:
        return self.reward_path.read_text(encoding="utf-8")

    def write_reward_source(self, source: str) -> None:
        self._writable(not_busy=True)
        atomic_write(self.reward_path, source)

    def training_config(self) -> TrainingConfig:
        return TrainingConfig.from_dict(_read_json(self.config_path))

    def write_training_config(self, config: TrainingConfig | dict) -> None:
        self._writable(not_busy=True)
        config = config if isinstance(config, TrainingConfig) else TrainingConfig.from_dict(config)
        atomic_write_json(self.config_path, asdict(config))

    # -- status -----------------------------------------------------------------------------
    def status(self) -> Status:
        d = _read_json(self.status_path)
        known = {f.name for f in fields(Status)}
        st = Status(**{k: v for k, v in d.items() if k in known})
        if st.status not in STATUSES:
            raise ModelStoreError(f"status.json: unknown status {st.status!r}")
        return st

    def set_status(self, new: str, reason: str | None = None, *, pid: int | None = None,
                   detail: dict | None = None) -> Status:
        """Move to ``new`` if :data:`TRANSITIONS` allows it from the current status."""
        self._writable()
        old = self.status()
        if new not in STATUSES:
            raise StatusError(f"status: unknown status {new!r}; expected one of {', '.join(STATUSES)}")
        if new not in TRANSITIONS[old.status]:
            raise StatusError(f"status: model {self.name!r} cannot go from {old.status} to {new}")
        keep_pid = pid if pid is not None else (old.pid if new in ("training", "stopping") else None)
        st = Status(new, reason, _now(), old.created, keep_pid, detail)
        atomic_write_json(self.status_path, asdict(st))
        return st

    def fail(self, message: str, *, step: int | None = None, params: dict | None = None) -> Status:
        """Mark a training failed with a plain-words message, the step and the params it failed on."""
        detail = {"step": step, "params": summarize_params(params) if params is not None else None}
        return self.set_status("failed", message, detail=detail)

    def is_busy(self) -> bool:
        """Training or stopping, by a process that is still alive (or whose pid is unknown)."""
        st = self.status()
        return st.status in ("training", "stopping") and (st.pid is None or _pid_alive(st.pid))

    def recover(self) -> Status:
        """After a crash: a model left 'training' by a process that no longer runs is marked failed."""
        st = self.status()
        if not self.read_only and st.status in ("training", "stopping") and st.pid and not _pid_alive(st.pid):
            return self.set_status("failed", "the training process ended unexpectedly")
        return st

    # -- metrics, logs, traces --------------------------------------------------------------
    def append_episodes(self, rows: list[dict]) -> None:
        self._append_jsonl(self.episodes_path, rows)

    def append_iterations(self, rows: list[dict]) -> None:
        self._append_jsonl(self.iterations_path, rows)

    def read_episodes(self) -> list[dict]:
        return _read_jsonl(self.episodes_path)

    def read_iterations(self) -> list[dict]:
        return _read_jsonl(self.iterations_path)

    def _append_jsonl(self, path: Path, rows: list[dict]) -> None:
        self._writable()
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
        with open(path, "a+b") as fh:
            # A crash may have left a half line; start on a fresh one so only that line is lost.
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    text = "\n" + text
            fh.write(text.encode("utf-8"))

    def log(self, message: str) -> None:
        """Append a timestamped line to ``logs/training.log``."""
        self._writable()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(f"{_now()} {message}\n")

    def training_simtrace_path(self, iteration: int) -> Path:
        return self.training_simtrace_dir / f"{int(iteration)}-iteration.csv"

    def new_evaluation_simtrace_path(self, when: float | None = None) -> Path:
        """A fresh ``evaluation-YYYYMMDDHHMMSS/evaluation-simtrace/0-iteration.csv`` (UTC; bumped a second if taken)."""
        self._writable()
        t = int(when if when is not None else time.time())
        while True:
            folder = self.path / f"evaluation-{time.strftime('%Y%m%d%H%M%S', time.gmtime(t))}"
            with contextlib.suppress(FileExistsError):
                folder.mkdir(parents=True)
                (folder / "evaluation-simtrace").mkdir()
                return folder / "evaluation-simtrace" / "0-iteration.csv"
            t += 1

    def evaluation_simtraces(self) -> list[Path]:
        return sorted(self.path.glob("evaluation-*/evaluation-simtrace/0-iteration.csv"))

    # -- checkpoints --------------------------------------------------------------------------
    def checkpoint_path(self, iteration: int) -> Path:
        return self.checkpoints_dir / f"iteration-{int(iteration):04d}.pt"

    def _index(self) -> dict:
        if not self.index_path.exists():
            return {"checkpoints": [], "best": None, "final": None}
        return _read_json(self.index_path)

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
        _atomic_torch_save(path, state)
        entry = {"iteration": int(iteration), "file": path.name, "written": _now(), **(info or {})}
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
        _atomic_torch_save(self.initial_path, state)

    def list_checkpoints(self) -> list[dict]:
        """Index entries of the checkpoint files that exist, by iteration; unindexed files get a bare entry."""
        indexed = {c["iteration"]: c for c in self._index()["checkpoints"]}
        out = []
        for f in self.checkpoints_dir.glob("iteration-*.pt"):
            m = _CKPT_FILE.match(f.name)
            if m:
                out.append(indexed.get(int(m.group(1)), {"iteration": int(m.group(1)), "file": f.name}))
        return sorted(out, key=lambda c: c["iteration"])

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
                raise ModelStoreError(f"checkpoint: expected an iteration or best/final/latest/initial, got {which!r}")
            path = self.checkpoint_path(it) if it is not None else None
        if path is None or not path.exists():
            raise ModelStoreError(f"model {self.name!r} has no {which} checkpoint")
        return path

    def pick_checkpoint(self) -> str | None:
        """What to race, export or clone from: "final", else "best", else "latest", else "initial"."""
        for which in ("final", "best", "latest", "initial"):
            with contextlib.suppress(ModelStoreError):
                self.resolve_checkpoint(which)
                return which
        return None

    def load_checkpoint(self, which: int | str = "latest") -> dict:
        """The saved dict. ``weights_only=True``: a checkpoint can hold no code to run."""
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

    # -- summary ------------------------------------------------------------------------------
    def info(self) -> ModelInfo:
        try:
            meta, st = self.metadata(), self.status()
            track = self.training_config().track if self.config_path.exists() else None
            laps = [c["eval"].get("best_lap_s", c["eval"].get("lap_time_s")) for c in self.list_checkpoints()
                    if isinstance(c.get("eval"), dict)]
            laps = [float(x) for x in laps if x is not None]
            return ModelInfo(self.name, st.status, track, meta.primary_sensor, meta.action_space.n,
                             meta.action_space_type, min(laps) if laps else None, st.created, self.read_only)
        except (OSError, ValueError, ModelStoreError) as exc:
            return ModelInfo(self.name, "failed", None, None, 0, None, None, None, self.read_only,
                             problem=f"cannot read model folder: {exc}")


def _atomic_torch_save(path: Path, state: dict) -> None:
    import io
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(path, buf.getvalue())


def _read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a half line left by a crash
            if line.strip():
                out.append(json.loads(line))
    return out
