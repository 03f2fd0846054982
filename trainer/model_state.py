"""Where a model is in its life (``status.json``): states, allowed changes, and the training process.

A model is ``draft`` until it first trains, ``training`` (or ``stopping``) while a process
trains it, then ``ready`` or ``failed``. The training process holds the model's training
lock (:mod:`trainer.ownership`) and writes its pid with the process's start time; a model
left ``training``/``stopping`` by a process that no longer runs (killed, the machine
rebooted, its pid since given to another program) is recovered the next time anyone reads
its state: it becomes ``failed`` with its checkpoints intact, so the next ``train`` resumes
from the latest one.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path

from .model_files import READ_ONLY_MESSAGE, ModelStoreError, ReadOnlyModelError, atomic_write_json, read_json, utc_now
from .ownership import TrainingLock, lock_held, pid_alive, process_start_time, same_process  # noqa: F401


class ModelState(StrEnum):
    """A model's life cycle; the value is what ``status.json`` holds."""

    DRAFT = "draft"
    TRAINING = "training"
    STOPPING = "stopping"
    READY = "ready"
    FAILED = "failed"


TRANSITIONS = {ModelState.DRAFT: {ModelState.TRAINING},
               ModelState.TRAINING: {ModelState.STOPPING, ModelState.READY, ModelState.FAILED},
               ModelState.STOPPING: {ModelState.READY, ModelState.FAILED},
               ModelState.READY: {ModelState.TRAINING}, ModelState.FAILED: {ModelState.TRAINING}}
"""Allowed state changes. Nothing returns to draft: trained weights would no longer match a changed model."""
BUSY = (ModelState.TRAINING, ModelState.STOPPING)
"""States in which a training process owns the model."""
CRASH_REASON = "the training process ended unexpectedly"


class StatusError(ModelStoreError):
    """A state change that is not allowed."""


class AlreadyTrainingError(StatusError):
    """A second training of a model while one runs."""


@dataclass
class Status:
    """``status.json``: where a model is in its life, and why it failed if it did."""

    status: ModelState = ModelState.DRAFT
    reason: str | None = None
    """Plain-words reason for a failure or a stop."""
    updated: str = ""
    """ISO time (UTC) of the last change."""
    created: str | None = None
    pid: int | None = None
    """Process id of the training process while training or stopping."""
    detail: dict | None = None
    """For a failure: {"step": int, "params": {key: short text}}."""
    pid_started: int | None = None
    """When that process started (``/proc/<pid>/stat``): a reused pid has another start time."""


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


def parse_state(text) -> ModelState:
    try:
        return ModelState(text)
    except ValueError:
        raise StatusError(f"status: unknown status {text!r}; expected one of "
                          f"{', '.join(s.value for s in ModelState)}") from None


class ModelStateMixin:
    """The state part of :class:`trainer.model_folder.Model` (needs ``status_path``, ``name``, ``read_only``)."""

    status_path: Path
    name: str
    read_only: bool

    def _read_status(self) -> Status:
        d = read_json(self.status_path)
        known = {f.name for f in fields(Status)}
        st = Status(**{k: v for k, v in d.items() if k in known})
        try:
            st.status = ModelState(st.status)
        except ValueError:
            raise ModelStoreError(f"status.json: unknown status {st.status!r}") from None
        return st

    def status(self) -> Status:
        """The model's state; one left busy by a process that is gone is first recovered (failed)."""
        st = self._read_status()
        if st.status in BUSY and not self.read_only and not self.owner_alive(st):
            st = self._recovered(st)
        return st

    def owner_alive(self, st: Status) -> bool:
        """A process owns this busy state: it holds the training lock, or its pid still names
        the process that wrote it (same start time; a pid the system gave to another program
        does not count). A state with no pid at all is taken at its word."""
        if lock_held(self.status_path.parent):
            return True
        return st.pid is None or self.owner_verified(st)

    @staticmethod
    def owner_verified(st: Status) -> bool:
        """``st.pid`` is alive and is the very process that wrote ``st`` (where start times are known)."""
        return same_process(st.pid, st.pid_started)

    def _recovered(self, st: Status) -> Status:
        why = self.last_words()
        st = Status(ModelState.FAILED, CRASH_REASON + (f": {why}" if why else ""), utc_now(), st.created)
        atomic_write_json(self.status_path, asdict(st))
        return st

    def claim_training(self) -> TrainingLock:
        """Become the one trainer of this model: take its lock (another trainer holding it is
        :class:`AlreadyTrainingError`), and recover a busy state its dead owner left. The caller
        releases the lock after writing how the training ended."""
        if self.read_only:
            raise ReadOnlyModelError(READ_ONLY_MESSAGE)
        lock = TrainingLock(self.status_path.parent)
        if not lock.acquire():
            pid = self._read_status().pid
            raise AlreadyTrainingError(f"model {self.name!r} is already training" + (f" (pid {pid})" if pid else ""))
        try:
            st = self._read_status()
            if st.status in BUSY:
                if st.pid and st.pid != os.getpid() and self.owner_verified(st):  # a trainer without the lock
                    raise AlreadyTrainingError(f"model {self.name!r} is already training (pid {st.pid})")
                self._recovered(st)  # we hold the lock: whoever left it busy is gone
        except BaseException:
            lock.release()
            raise
        return lock

    def last_words(self, max_lines: int = 3) -> str:
        """The last lines a training process started by the app printed (its error message), or ''."""
        try:
            text = (self.status_path.parent / "logs" / "process.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        run = text.rsplit("\n--- ", 1)[-1].splitlines()[1:]
        lines = [line.strip() for line in run if line.strip()]
        return " ".join(lines[-max_lines:])

    def set_status(self, new: str, reason: str | None = None, *, pid: int | None = None,
                   detail: dict | None = None) -> Status:
        """Move to ``new`` if :data:`TRANSITIONS` allows it from the current state."""
        if self.read_only:
            raise ReadOnlyModelError(READ_ONLY_MESSAGE)
        old = self.status()
        new = parse_state(new)
        if new == ModelState.TRAINING and old.status in BUSY:
            raise AlreadyTrainingError(f"model {self.name!r} is already training"
                                       + (f" (pid {old.pid})" if old.pid else ""))
        if new not in TRANSITIONS[old.status]:
            raise StatusError(f"status: model {self.name!r} cannot go from {old.status} to {new}")
        keep_pid = pid if pid is not None else (old.pid if new in BUSY else None)
        started = process_start_time(pid) if pid is not None else (old.pid_started if keep_pid else None)
        st = Status(new, reason, utc_now(), old.created, keep_pid, detail, started)
        atomic_write_json(self.status_path, asdict(st))
        return st

    def fail(self, message: str, *, step: int | None = None, params: dict | None = None) -> Status:
        """Mark a training failed with a plain-words message, the step and the params it failed on."""
        detail = {"step": step, "params": summarize_params(params) if params is not None else None}
        return self.set_status(ModelState.FAILED, message, detail=detail)

    def is_busy(self) -> bool:
        """Training or stopping, by a process that is still its owner (or whose pid is unknown)."""
        return self.status().status in BUSY

    def check_not_training(self) -> None:
        """Refuse to start a second training: ``model 'X' is already training (pid N)``."""
        st = self.status()
        if st.status in BUSY:
            raise AlreadyTrainingError(f"model {self.name!r} is already training"
                                       + (f" (pid {st.pid})" if st.pid else ""))

    def recover(self) -> Status:
        """After a crash: a model left busy by a process that no longer runs is marked failed
        (reading the state does this; kept as a name for what callers mean)."""
        return self.status()
